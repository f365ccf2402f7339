// Operational routes: liveness, readiness, Prometheus metrics. Readiness checks what a request needs: Temporal (to
// start runs) and Kafka (to read stored results) decide it; Spark is checked and reported but does not: while Spark
// restarts, requests wait in the queue and are answered when it is back, where a REST trigger taken out of its
// Service would refuse them.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../../lib/config';
import { checkDependency, DEPENDENCY_CHECK_TIMEOUT_MS } from '../../../lib/dependency-check';
import type { KafkaTopics } from '../../../lib/kafka';
import type { RestMetrics } from '../plugins/metrics';
import type { TemporalConnection } from '../app';

export interface OpsRoutesOptions {
  config: Config;
  temporalConnection: TemporalConnection;
  kafka: KafkaTopics;
  spark?: { ping(): Promise<void> };
  metrics: RestMetrics;
}

export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, deps) => {
  const { config, temporalConnection, kafka, metrics } = deps;
  app.get('/healthz', { schema: { summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'Temporal and Kafka reachable (Spark reported)' } }, async (_request, reply) => {
    const [temporal, kafkaState, spark] = await Promise.all([
      checkDependency(() =>
        temporalConnection.withDeadline(Date.now() + DEPENDENCY_CHECK_TIMEOUT_MS, () => temporalConnection.healthService.check({})),
      ),
      checkDependency(() => kafka.ping()),
      deps.spark ? checkDependency(() => deps.spark!.ping()) : Promise.resolve('not checked'),
    ]);
    const body = { temporal, kafka: kafkaState, spark };
    if (temporal === 'ok' && kafkaState === 'ok') return { status: 'ready', ...body };
    const down = [
      temporal === 'ok' ? undefined : `Temporal (${config.temporal.address})`,
      kafkaState === 'ok' ? undefined : 'Kafka',
    ].filter(Boolean);
    return reply
      .status(503)
      .header('retry-after', '5')
      .send({ error: 'Service Unavailable', message: `${down.join(' and ')} unreachable`, ...body });
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
