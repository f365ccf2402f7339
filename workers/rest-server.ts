// The REST trigger process: binds HOST:PORT (127.0.0.1:5000 by default), starts pipeline workflows on Temporal.
// SIGINT / SIGTERM stop accepting connections and drain in-flight requests before exiting.
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { buildApp } from './rest/app';

export async function startRestServer(config: Config, logger: Logger): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  // Lazy: the service starts (and answers /healthz, and 503 elsewhere) while Temporal is still down.
  const connection = Connection.lazy({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApp({ config, logger, temporal, temporalConnection: connection });
  const url = await app.listen({ host: config.http.host, port: config.http.port });
  return {
    app,
    url,
    async close() {
      await app.close();
      await connection.close();
    },
  };
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'streamforge-rest');
  startRestServer(config, logger).then(
    (server) => {
      logger.info({ url: server.url }, 'REST trigger listening');
      const stop = () => {
        logger.info('draining in-flight requests');
        server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: Error) => {
      logger.fatal({ err }, err.message);
      process.exit(1);
    },
  );
}
