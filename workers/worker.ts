// The Temporal worker process: serves every workflow and activity on the configured task queue, with clients
// for Kafka and Spark Connect shared by all activities. SIGINT / SIGTERM drain in-flight tasks and exit.
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createActivityDeps } from '../activities/deps';
import { loadConfig, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { PinoTemporalLogger } from './temporal-logger';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has shut down and its clients are closed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

export async function startWorker(
  config: Config,
  logger: Logger,
  options: { workflowBundle?: WorkerOptions['workflowBundle']; shutdownSignals?: NodeJS.Signals[] } = {},
): Promise<RunningWorker> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new PinoTemporalLogger(logger), shutdownSignals: options.shutdownSignals ?? ['SIGINT', 'SIGTERM'] });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: config.temporal.address }).catch((err: Error) => {
    throw new Error(`Temporal unreachable at ${config.temporal.address} (${err.message}) — is \`npm run stack -- up\` running?`, { cause: err });
  });
  const deps = createActivityDeps(config, logger);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(config.temporal.workerIdentity ? { identity: config.temporal.workerIdentity } : {}),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(deps),
  });
  const done = worker.run().finally(async () => {
    await deps.close();
    await connection.close();
  });
  logger.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'worker started');
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'streamforge-worker');
  startWorker(config, logger)
    .then((w) => w.done)
    .then(
      () => logger.info('worker stopped'),
      (err: Error) => {
        logger.fatal({ err }, err.message);
        process.exitCode = 1;
      },
    );
}
