// Prometheus metrics of the REST service: request counts and latency by route and status, pipelines in flight.
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface RestMetrics {
  registry: Registry;
  inFlightPipelines: Gauge;
  batchRequests: Histogram;
  refusedRequests: Counter;
  requests: Counter;
  latency: Histogram;
}

export function createRestMetrics(): RestMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'streamforge_rest_' });
  const requests = new Counter({
    name: 'streamforge_http_requests_total',
    help: 'HTTP requests by route, method, status and client (the token\'s name; "none" before one is known)',
    labelNames: ['route', 'method', 'status', 'client'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'streamforge_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const inFlightPipelines = new Gauge({
    name: 'streamforge_pipelines_in_flight',
    help: 'Pipeline runs started for /process requests and not yet finished',
    registers: [registry],
  });
  const batchRequests = new Histogram({
    name: 'streamforge_process_batch_requests',
    help: 'Requests coalesced into one /process pipeline run',
    buckets: [1, 2, 5, 10, 20, 50, 100],
    registers: [registry],
  });
  const refusedRequests = new Counter({
    name: 'streamforge_process_refused_total',
    help: '/process requests refused with 503 because the queue was full (over capacity)',
    registers: [registry],
  });
  return { registry, inFlightPipelines, batchRequests, refusedRequests, requests, latency };
}

/** Counts every request by route, method, status and client, and times it by route, method and status. */
export const requestMetrics = fp<{ metrics: RestMetrics }>(
  async (app, { metrics }) => {
    app.addHook('onResponse', async (request, reply) => {
      const labels = { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) };
      metrics.requests.inc({ ...labels, client: request.grant?.name ?? 'none' });
      metrics.latency.observe(labels, reply.elapsedTime / 1000);
    });
  },
  { name: 'request-metrics' },
);
