// The REST trigger: an HTTP front door that starts pipeline workflows on Temporal. Each concern is a Fastify plugin
// (errors, authentication, the body budget, request metrics) and each group of routes a plugin registered with
// what it needs; every request is validated against its route's zod schema, which also types the handler and
// documents the route in /openapi.json.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client, Connection } from '@temporalio/client';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { REQUEST_BODY_MAX_BYTES } from '../../contracts/limits';
import { ResourcePolicy } from '../../contracts/resource-policy';
import { DefinitionsDirectory } from '../../lib/definitions';
import type { AnalyzeSql } from '../../spark/jobs/definition-check';
import type { Config } from '../../lib/config';
import type { KafkaTopics } from '../../lib/kafka';
import type { Logger } from '../../lib/logger';
import { bearerAuth, identifyCaller } from './plugins/auth';
import { bodyBudget } from './plugins/body-budget';
import { errorHandling, frameworkErrors, MAX_PATH_PARAM_CHARS } from './plugins/errors';
import { createRestMetrics, requestMetrics } from './plugins/metrics';
import { validatorCompiler } from './plugins/validation';
import { benchmarkRoutes } from './routes/benchmarks';
import { definitionRoutes } from './routes/definitions';
import { opsRoutes } from './routes/ops';
import { pipelineRoutes } from './routes/pipelines';
import { processRoutes } from './routes/process';
import { streamRoutes } from './routes/streams';
import { loadTokens } from './tokens';

/** What the routes use of the Temporal connection: a client's `Connection`, or a worker's `NativeConnection`. */
export type TemporalConnection = Pick<Connection, 'withDeadline' | 'healthService'>;

export interface RestDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  /** The client's connection, for the readiness check and start deadlines. */
  temporalConnection: TemporalConnection;
  /**
   * The client shares the connection of a worker in this process (`npm start`): a run's first workflow task goes
   * straight to that worker with the start's answer (eager workflow start) instead of through a task queue poll.
   */
  eagerStart?: boolean;
  /** For results too large to come back inline (read from the results topic), and streams' records and aggregates. */
  kafka: KafkaTopics;
  /** Whether Spark Connect answers now, for /readyz; absent: not checked. */
  spark?: { ping(): Promise<void> };
  /** Spark's analysis of a query, for checking definitions; absent: POST /definitions/:name/check answers 503. */
  analyze?: AnalyzeSql;
  /** Bytes a request body may have (413 above); REQUEST_BODY_MAX_BYTES unless a test says otherwise. */
  bodyLimit?: number;
}

/** Fastify's request logging, less its arrival line: that comes before anyone knows the caller (plugins/auth.ts logs it). */
class QuietArrivals extends LogController {
  override incomingRequest(): void {}
}

export async function buildApp(deps: RestDeps): Promise<FastifyInstance> {
  const { config, temporal, temporalConnection, kafka } = deps;
  const bodyLimit = deps.bodyLimit ?? REQUEST_BODY_MAX_BYTES;
  const tokens = loadTokens(config.http, deps.logger);
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_CHARS },
    frameworkErrors: frameworkErrors(bodyLimit, (request) => identifyCaller(tokens, request)),
    return503OnClosing: true,
    // plugins/auth.ts logs each request's arrival, once it knows who is calling.
    logController: new QuietArrivals(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body gets 415, not a confusing "must be an array".
  app.removeContentTypeParser('text/plain');

  await app.register(errorHandling, { bodyLimit });
  await app.register(bearerAuth, { tokens });
  await app.register(bodyBudget, { bodyLimit });
  const metrics = createRestMetrics();
  await app.register(requestMetrics, { metrics });
  await app.register(swagger, {
    openapi: {
      info: { title: 'streamforge REST trigger', version: '0.1.0', description: 'Starts Kafka + Spark pipelines as Temporal workflows.' },
      components: tokens ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const policy = new ResourcePolicy(config.resources);
  await app.register(opsRoutes, { config, temporalConnection, kafka, spark: deps.spark, metrics });
  const definitions = new DefinitionsDirectory(config.definitionsDir);
  await app.register(processRoutes, {
    config,
    temporal,
    temporalConnection,
    eagerStart: deps.eagerStart ?? false,
    kafka,
    metrics,
    definitions,
  });
  await app.register(definitionRoutes, { definitions, ...(deps.analyze ? { analyze: deps.analyze } : {}) });
  await app.register(pipelineRoutes, { config, temporal, temporalConnection, policy, definitions });
  await app.register(benchmarkRoutes, { config, temporal, temporalConnection, policy });
  await app.register(streamRoutes, { config, temporal, temporalConnection, kafka, policy, definitions });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
