// Operational routes: liveness, readiness, Prometheus metrics. Readiness checks what a request needs: Temporal (to
// start runs) and Kafka (to read stored results) decide it; Spark is checked and reported but does not: while Spark
// restarts, requests wait in the queue and are answered when it is back, where a REST trigger taken out of its
// Service would refuse them.
import type { Connection } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../../lib/config';
import type { KafkaTopics } from '../../../lib/kafka';
import type { RestMetrics } from '../plugins/metrics';

export interface OpsRoutesOptions {
  config: Config;
  temporalConnection: Connection;
  kafka: KafkaTopics;
  spark?: { ping(): Promise<void> };
  metrics: RestMetrics;
}

/** How long one dependency check may take. */
const CHECK_TIMEOUT_MS = 2_000;

/** `ok`, or why the check failed (its own error, or no answer in time). */
async function check(probe: () => Promise<unknown>): Promise<string> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref(),
  );
  return Promise.race([probe(), timeout]).then(
    () => 'ok',
    (err: Error) => `unreachable: ${err.message}`,
  );
}

export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, deps) => {
  const { config, temporalConnection, kafka, metrics } = deps;
  app.get('/healthz', { schema: { summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'Temporal and Kafka reachable (Spark reported)' } }, async (_request, reply) => {
    const [temporal, kafkaState, spark] = await Promise.all([
      check(() => temporalConnection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporalConnection.healthService.check({}))),
      check(() => kafka.ping()),
      deps.spark ? check(() => deps.spark!.ping()) : Promise.resolve('not checked'),
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
