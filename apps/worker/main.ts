// The Temporal worker process: serves every workflow and activity on the configured task queue, with clients
// for Kafka and Spark Connect shared by all activities. SIGINT / SIGTERM drain it (a rolling deploy, a scale-down):
// it stops taking tasks, steps that only wait (poll, a queued submit) hand over to another worker at once, the
// others finish within the grace period, and no Spark job is interrupted.
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger, type Logger } from '../../lib/logger';
import { createWorkerDeps } from './deps';
import { PinoTemporalLogger } from './temporal-logger';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has shut down and its clients are closed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * How long a draining worker lets running activities finish (an ingest of a large file, a collect) before the SDK
 * cancels them; Kubernetes' terminationGracePeriodSeconds must cover it (k8s/worker.yaml).
 */
export const SHUTDOWN_GRACE_MS = 30_000;

export async function startWorker(
  config: Config,
  logger: Logger,
  options: { workflowBundle?: WorkerOptions['workflowBundle']; shutdownSignals?: NodeJS.Signals[] } = {},
): Promise<RunningWorker> {
  if (!runtimeInstalled) {
    // Signals are ours to handle (below): the runtime's own handler would shut workers down without draining.
    Runtime.install({ logger: new PinoTemporalLogger(logger), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: config.temporal.address }).catch((err: Error) => {
    throw new Error(`Temporal unreachable at ${config.temporal.address} (${err.message}) — is \`npm run stack -- up\` running?`, {
      cause: err,
    });
  });
  const deps = createWorkerDeps(config, logger);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(config.temporal.workerIdentity ? { identity: config.temporal.workerIdentity } : {}),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../../workflows') }),
    activities: createActivities(deps),
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
    // A run's next workflow task goes to the queue of the worker that ran its last one; if that worker died, the
    // server moves the task to the shared queue after this long (default 10 s: a run that lost its worker waited
    // that much longer for every other worker).
    stickyQueueScheduleToStartTimeout: '2s',
  });
  const done = worker.run().finally(async () => {
    await deps.close();
    await connection.close();
  });
  const shutdown = async () => {
    deps.drain();
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await done;
  };
  let draining = false;
  for (const signal of options.shutdownSignals ?? ['SIGINT', 'SIGTERM']) {
    // `on`, not `once`: a second signal (a supervisor repeating it, tsx relaying it) must not kill a draining worker.
    process.on(signal, () => {
      if (draining) return logger.info({ signal }, 'already draining');
      draining = true;
      logger.info({ signal }, 'draining: no new tasks; waiting steps hand over, running ones finish');
      void shutdown();
    });
  }
  logger.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'worker started');
  return { worker, done, shutdown };
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
    )
    // Shut down is shut down: nothing left in this process (a status timer, a client's socket) may keep it alive.
    .finally(() => logger.flush(() => process.exit()));
}
