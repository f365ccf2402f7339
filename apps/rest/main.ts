// The REST trigger process: binds HOST:PORT (127.0.0.1:5000 by default), starts pipeline workflows on Temporal.
// SIGINT / SIGTERM stop accepting connections and drain in-flight requests before exiting.
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from '../../lib/config';
import { KafkaClient } from '../../lib/kafka';
import { createLogger, type Logger } from '../../lib/logger';
import { SparkConnectClient } from '../../lib/spark-connect/client';
import { sparkAnalysis } from '../../spark/jobs/definition-check';
import { buildApp } from './app';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * `beside`: the connection of a worker running in this process (`npm start`). The REST trigger then starts its
 * `/process` runs over it, eagerly (their first workflow task comes back with the start, to that worker), and
 * leaves it to the worker to close. Without it, a connection of its own.
 */
export async function startRestServer(
  config: Config,
  logger: Logger,
  { beside }: { beside?: NativeConnection } = {},
): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  if (!LOOPBACK.has(config.http.host) && !config.http.apiToken && !config.http.tokensFile && !config.http.allowUnauthenticated) {
    throw new ConfigError(
      `HOST=${config.http.host} serves other machines: set API_TOKEN (16+ characters) or API_TOKENS_FILE (named tokens with scopes; npm run token) so requests need a bearer token, or REST_ALLOW_UNAUTHENTICATED=true if a proxy in front authenticates them`,
    );
  }
  // Lazy: the service starts (and answers /healthz, and 503 elsewhere) while Temporal is still down.
  const connection = beside ?? Connection.lazy({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const kafka = new KafkaClient(config.kafka, logger);
  // For /readyz only (reachable(): a GetStatus of a session nobody works in, which creates none).
  const spark = new SparkConnectClient({ url: config.spark.connectUrl, descriptorSetPath: config.spark.descriptorSetPath, keepAliveMs: 0 });
  const app = await buildApp({
    config,
    logger,
    temporal,
    temporalConnection: connection,
    eagerStart: beside !== undefined,
    kafka,
    spark: { ping: () => spark.reachable() },
    analyze: sparkAnalysis(spark),
  });
  const url = await app.listen({ host: config.http.host, port: config.http.port });
  return {
    app,
    url,
    async close() {
      await app.close();
      spark.close();
      await Promise.allSettled([beside ? undefined : connection.close(), kafka.close()]);
    },
  };
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'streamforge-rest');
  startRestServer(config, logger).then(
    (server) => {
      logger.info({ url: server.url }, 'REST trigger listening');
      let stopping = false;
      const stop = () => {
        if (stopping) return; // a repeated signal must not cut the drain short
        stopping = true;
        logger.info('draining in-flight requests');
        server.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err: Error) => {
      logger.fatal({ err }, err.message);
      process.exit(1);
    },
  );
}
