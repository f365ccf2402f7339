// The Temporal worker process: serves every workflow and activity on the configured task queue, with clients
// for Kafka and Spark Connect shared by all activities. SIGINT / SIGTERM drain it (a rolling deploy, a scale-down):
// it stops taking tasks, steps that only wait (poll, a queued submit) hand over to another worker at once, the
// others finish within the grace period, and no Spark job is interrupted. It serves its metrics and readiness on
// WORKER_METRICS_PORT (apps/worker/metrics.ts) and the Temporal SDK's metrics on TEMPORAL_METRICS_PORT.
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadConfig, type Config } from '../../lib/config';
import { checkDependency, DEPENDENCY_CHECK_TIMEOUT_MS } from '../../lib/dependency-check';
import { createLogger, type Logger } from '../../lib/logger';
import { reportDefinitions } from './definitions-report';
import { createWorkerDeps, type WorkerDeps } from './deps';
import { serveWorkerMetrics, type Dependency, type Readiness } from './metrics';
import { PinoTemporalLogger } from './temporal-logger';

export interface RunningWorker {
  worker: Worker;
  /**
   * The worker's connection to Temporal, open until `done`: a client in this process that starts runs over it
   * can ask for eager workflow start (the first workflow task comes back with the start, to this worker).
   */
  connection: NativeConnection;
  /** Resolves when the worker has shut down and its clients are closed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * How long a draining worker lets running activities finish (an ingest of a large file, a collect) before the SDK
 * cancels them; Kubernetes' terminationGracePeriodSeconds must cover it (k8s/base/worker.yaml).
 */
export const SHUTDOWN_GRACE_MS = 30_000;

/**
 * The worker options that change what a run costs and how runs share Spark, also the cost model's floor worker's
 * (scripts/cost/floor-worker.ts).
 */
export function runShapingOptions(
  config: Config,
): Pick<
  WorkerOptions,
  'stickyQueueScheduleToStartTimeout' | 'maxConcurrentWorkflowTaskExecutions' | 'maxConcurrentLocalActivityExecutions'
> {
  return {
    // A run's next workflow task goes to the queue of the worker that ran its last one; if that worker died, the
    // server moves the task to the shared queue after this long (default 10 s: a run that lost its worker waited
    // that much longer for every other worker).
    stickyQueueScheduleToStartTimeout: '2s',
    // A small run holds its workflow task for its whole life (lib/config.ts, `worker.workflowTaskSlots`).
    maxConcurrentWorkflowTaskExecutions: config.worker.workflowTaskSlots,
    maxConcurrentLocalActivityExecutions: config.worker.localActivitySlots,
  };
}

export async function startWorker(
  config: Config,
  logger: Logger,
  options: { workflowBundle?: WorkerOptions['workflowBundle']; shutdownSignals?: NodeJS.Signals[] } = {},
): Promise<RunningWorker> {
  if (!runtimeInstalled) {
    // Signals are ours to handle (below): the runtime's own handler would shut workers down without draining.
    installRuntime(config, logger);
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
    sinks: deps.metrics.sinks,
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
    ...runShapingOptions(config),
  });
  let draining = false;
  const readiness = () => checkReadiness(worker, draining, connection, deps);
  const metricsServer = config.worker.metricsPort
    ? await serveWorkerMetrics(config.http.host, config.worker.metricsPort, deps.metrics.registry, readiness, logger)
    : undefined;
  // The dependency gauges move without probes too.
  const checking = setInterval(() => void readiness(), DEPENDENCY_CHECK_MS).unref();
  const done = worker.run().finally(async () => {
    clearInterval(checking);
    await metricsServer?.close();
    await deps.close();
    await connection.close();
  });
  const shutdown = async () => {
    deps.drain();
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await done;
  };
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
  void reportDefinitions(config.definitionsDir, deps.analyze, logger);
  return { worker, connection, done, shutdown };
}

/**
 * The SDK's runtime, once per process, with its Prometheus exporter on TEMPORAL_METRICS_PORT unless that is 0; a
 * port already taken (another worker on this machine) is logged, and the runtime runs without the exporter.
 */
function installRuntime(config: Config, logger: Logger): void {
  const base = { logger: new PinoTemporalLogger(logger), shutdownSignals: [] };
  const bindAddress = `${config.http.host}:${config.worker.sdkMetricsPort}`;
  if (!config.worker.sdkMetricsPort) {
    Runtime.install(base);
    return;
  }
  try {
    Runtime.install({ ...base, telemetryOptions: { metrics: { prometheus: { bindAddress } } } });
  } catch (err) {
    if (!/already in use/i.test((err as Error).message)) throw err;
    logger.warn({ bindAddress }, 'Temporal SDK metrics not served: the port is taken (set TEMPORAL_METRICS_PORT to a free port, or 0)');
    Runtime.install(base);
  }
}

/** How often the worker checks Temporal, Kafka and Spark for its dependency gauges. */
const DEPENDENCY_CHECK_MS = 15_000;
/** Ready: running (not starting, not draining), and Temporal, Kafka and Spark all answer; each answer sets its gauge. */
async function checkReadiness(worker: Worker, draining: boolean, connection: NativeConnection, deps: WorkerDeps): Promise<Readiness> {
  const probes: Record<Dependency, () => Promise<unknown>> = {
    temporal: () => connection.withDeadline(Date.now() + DEPENDENCY_CHECK_TIMEOUT_MS, () => connection.healthService.check({})),
    kafka: deps.ping.kafka,
    spark: deps.ping.spark,
  };
  const detail: Record<string, string> = {};
  const results = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      detail[name] = await checkDependency(probe);
      const up = detail[name] === 'ok';
      deps.metrics.dependencyUp(name as Dependency, up);
      return up;
    }),
  );
  const state = draining ? 'DRAINING' : worker.getState();
  detail.worker = state;
  return { ready: state === 'RUNNING' && results.every(Boolean), detail };
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
