// The REST trigger: an HTTP front door that starts pipeline workflows on Temporal. Routes are a zod schema (which
// validates the request and, as JSON Schema, documents it in /openapi.json) plus a handler.
import crypto from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client, Connection } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../../lib/config';
import type { KafkaClient } from '../../lib/kafka';
import type { Logger } from '../../lib/logger';
import { errorHandler, HttpError } from './errors';
import { registerMetrics } from './metrics';
import { registerBenchmarkRoutes } from './routes/benchmarks';
import { registerOpsRoutes } from './routes/ops';
import { registerPipelineRoutes } from './routes/pipelines';
import { registerProcessRoutes } from './routes/process';

export interface RestDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  /** The client's connection, for the readiness check. */
  temporalConnection: Connection;
  /** For results too large to come back inline, which /process reads from the results topic. */
  kafka: KafkaClient;
  /** Bytes a request body may have (413 above). */
  bodyLimit?: number;
}

/** 4 MiB: ~10,000 full records as JSON. */
const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

/** How long starting a workflow may take before the answer is 503: Temporal is down or overloaded. */
export const TEMPORAL_START_DEADLINE_MS = 3_000;

/** Records one /process request may carry; bigger batches go through POST /pipelines with a file. */
export const MAX_PROCESS_RECORDS = 10_000;

/**
 * Bytes of request bodies the service reads at once (by Content-Length; a body without one counts as the body
 * limit): beyond it a request gets 503 before its body is read, so a flood cannot grow the process without bound.
 */
export const BODIES_IN_FLIGHT_MAX_BYTES = 64 * 1024 * 1024;

/** Routes that answer without the token: probes, metrics and the API's own description. */
const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);
const isOpen = (url: string) => OPEN_ROUTES.has(url.split('?')[0]!) || url.startsWith('/docs');

function checkBearerToken(expected: string, header: string | undefined): boolean {
  const given = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export async function buildApp(deps: RestDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
  });
  // Requests are validated with zod in the handlers (messages that name the field); Fastify's own validator
  // would only repeat the work with other messages. Schemas stay on the routes for the OpenAPI document.
  app.setValidatorCompiler(() => () => true);
  // JSON only: a text/plain body gets 415, not a confusing "must be an array".
  app.removeContentTypeParser('text/plain');
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  app.setErrorHandler((err, request, reply) => errorHandler(err, request, reply, bodyLimit));
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url}` }));

  const token = deps.config.http.apiToken;
  if (token) {
    // Reads too: a run's status carries its records' analysis.
    app.addHook('onRequest', async (request, reply) => {
      if (isOpen(request.url)) return;
      if (!checkBearerToken(token, request.headers.authorization)) {
        reply.header('www-authenticate', 'Bearer');
        throw new HttpError(401, 'missing or wrong bearer token: send "Authorization: Bearer <API_TOKEN>"');
      }
    });
  }

  let bodyBytesInFlight = 0;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST' && request.method !== 'PUT') return;
    const length = Number(request.headers['content-length'] ?? bodyLimit);
    const bytes = Number.isFinite(length) && length >= 0 ? Math.min(length, bodyLimit) : bodyLimit;
    if (bodyBytesInFlight + bytes > BODIES_IN_FLIGHT_MAX_BYTES) {
      throw new HttpError(503, 'over capacity: too many request bodies in flight; retry shortly', undefined, { 'retry-after': '1' });
    }
    bodyBytesInFlight += bytes;
    // The response's close, not the request's: it comes once whether the answer was sent or the client went away,
    // also for requests injected in-process, whose request stream never closes.
    reply.raw.once('close', () => (bodyBytesInFlight -= bytes));
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'streamforge REST trigger', version: '0.1.0', description: 'Starts Kafka + Spark pipelines as Temporal workflows.' },
      components: token ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const metrics = registerMetrics(app);
  registerOpsRoutes(app, deps, metrics);
  registerProcessRoutes(app, deps, metrics);
  registerPipelineRoutes(app, deps);
  registerBenchmarkRoutes(app, deps);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
