// Operational routes: liveness, readiness (Temporal reachable), Prometheus metrics.
import type { Connection } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../../lib/config';
import type { RestMetrics } from '../plugins/metrics';

export interface OpsRoutesOptions {
  config: Config;
  temporalConnection: Connection;
  metrics: RestMetrics;
}

export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, { config, temporalConnection, metrics }) => {
  app.get('/healthz', { schema: { summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'Temporal is reachable' } }, async (_request, reply) => {
    try {
      await temporalConnection.withDeadline(Date.now() + 2_000, () => temporalConnection.healthService.check({}));
      return { status: 'ready', temporal: config.temporal.address };
    } catch (err) {
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({ error: 'Service Unavailable', message: `Temporal unreachable at ${config.temporal.address}: ${(err as Error).message}` });
    }
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
