// Operational routes: liveness, readiness (Temporal reachable), Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { RestDeps } from '../app';
import type { RestMetrics } from '../metrics';

export function registerOpsRoutes(app: FastifyInstance, deps: RestDeps, metrics: RestMetrics): void {
  app.get('/healthz', { schema: { summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'Temporal is reachable' } }, async (_request, reply) => {
    try {
      const connection = deps.temporalConnection;
      await connection.withDeadline(Date.now() + 2_000, () => connection.healthService.check({}));
      return { status: 'ready', temporal: deps.config.temporal.address };
    } catch (err) {
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({ error: 'Service Unavailable', message: `Temporal unreachable at ${deps.config.temporal.address}: ${(err as Error).message}` });
    }
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
