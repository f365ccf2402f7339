// The worker's own Prometheus metrics (lib/metric-names.ts names them; k8s/components/monitoring uses them) and the
// small HTTP server that serves them with the worker's readiness: GET /metrics, and GET /readyz (200 while the
// worker runs and reaches Temporal, Kafka and Spark; 503 while it starts, drains or misses one of them).
import http from 'node:http';
import type { InjectedSinks } from '@temporalio/worker';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobName } from '../../contracts/jobs';
import type { PipelineMetricsSinks, PipelineResult } from '../../contracts/pipeline';
import type { Logger } from '../../lib/logger';
import { WORKER_DEPENDENCIES, WORKER_METRIC_NAMES as NAMES } from '../../lib/metric-names';

export type Dependency = (typeof WORKER_DEPENDENCIES)[number];

export interface WorkerMetrics {
  registry: Registry;
  /** The sink the pipeline workflow reports its runs to. */
  sinks: InjectedSinks<PipelineMetricsSinks>;
  recordsWritten(count: number): void;
  executionLaunched(job: JobName, runs: number): void;
  dependencyUp(dependency: Dependency, up: boolean): void;
  /** A message in the executions journal that the journal did not write, skipped. */
  journalMessageSkipped(): void;
  /** Where the coalescing queue's depth is read when Prometheus scrapes. */
  queueDepthFrom(read: () => number): void;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'streamforge_worker_' });
  const registers = [registry];
  const runs = (name: string, what: string) =>
    new Counter({ name, help: `Pipeline runs ${what}, by Spark job`, labelNames: ['spark_job'], registers });
  const started = runs(NAMES.pipelineRunsStarted, 'started');
  const completed = runs(NAMES.pipelineRunsCompleted, 'completed');
  const failed = runs(NAMES.pipelineRunsFailed, 'failed (cancelled ones included)');
  const stepDuration = new Histogram({
    name: NAMES.pipelineStepDuration,
    help: 'Duration of the steps of completed pipeline runs (submit, poll and collect once per job), seconds',
    labelNames: ['step'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const executions = new Counter({
    name: NAMES.sparkExecutions,
    help: 'Spark executions this worker launched, by Spark job (one may serve several coalesced runs)',
    labelNames: ['spark_job'],
    registers,
  });
  const executionRuns = new Histogram({
    name: NAMES.sparkExecutionRuns,
    help: 'Runs served by one Spark execution',
    buckets: [1, 2, 5, 10, 20, 50, 100],
    registers,
  });
  const recordsWritten = new Counter({ name: NAMES.kafkaRecordsWritten, help: 'Records this worker wrote to Kafka', registers });
  let queued = () => 0;
  new Gauge({
    name: NAMES.coalescingQueueDepth,
    help: 'Runs waiting for a Spark slot, to join the next execution',
    registers,
    collect() {
      this.set(queued());
    },
  });
  const journalSkipped = new Counter({
    name: NAMES.journalMessagesSkipped,
    help: 'Messages in the executions journal topic that no worker wrote (not JSON, another shape or version): skipped',
    registers,
  });
  const dependencyUp = new Gauge({
    name: NAMES.dependencyUp,
    help: 'Whether the worker reaches a dependency (1) or not (0), as of its last check',
    labelNames: ['dependency'],
    registers,
  });

  const observeSteps = (timings: PipelineResult['timings']) => {
    stepDuration.observe({ step: 'ingest' }, timings.ingestMs / 1000);
    for (const job of Object.values(timings.jobs)) {
      if (!job) continue;
      stepDuration.observe({ step: 'submit' }, job.submitMs / 1000);
      stepDuration.observe({ step: 'poll' }, job.pollMs / 1000);
      stepDuration.observe({ step: 'collect' }, job.collectMs / 1000);
    }
  };
  return {
    registry,
    sinks: {
      pipelineMetrics: {
        runStarted: { fn: (_info, jobs) => jobs.forEach((job) => started.inc({ spark_job: job })) },
        runEnded: {
          fn: (_info, jobs, outcome, timings) => {
            for (const job of jobs) (outcome === 'completed' ? completed : failed).inc({ spark_job: job });
            if (timings) observeSteps(timings);
          },
        },
      },
    },
    recordsWritten: (count) => recordsWritten.inc(count),
    executionLaunched: (job, count) => {
      executions.inc({ spark_job: job });
      executionRuns.observe(count);
    },
    dependencyUp: (dependency, up) => dependencyUp.set({ dependency }, up ? 1 : 0),
    journalMessageSkipped: () => journalSkipped.inc(),
    queueDepthFrom: (read) => (queued = read),
  };
}

export interface Readiness {
  ready: boolean;
  /** Why not, or what was checked. */
  detail: Record<string, string>;
}

/**
 * Serves /metrics and /readyz on host:port until `close`. A port already taken is logged and skipped (several
 * workers on one machine); the worker runs on without it.
 */
export async function serveWorkerMetrics(
  host: string,
  port: number,
  registry: Registry,
  readiness: () => Promise<Readiness>,
  logger: Logger,
): Promise<{ close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method === 'GET' && req.url === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, registry.contentType, text),
        (err: Error) => reply(500, 'text/plain', err.message),
      );
    } else if (req.method === 'GET' && req.url === '/readyz') {
      readiness().then(
        ({ ready, detail }) =>
          reply(ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'not ready', ...detail })),
        (err: Error) => reply(503, 'application/json', JSON.stringify({ status: 'not ready', error: err.message })),
      );
    } else {
      reply(
        404,
        'application/json',
        JSON.stringify({ error: 'Not Found', message: `no route ${req.method} ${req.url}; try /metrics or /readyz` }),
      );
    }
  });
  const listening = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    server.listen(port, host, () => resolve(true));
  });
  if (!listening) {
    logger.warn({ host, port }, 'worker metrics not served: the port is taken (set WORKER_METRICS_PORT to a free port, or 0)');
    return { close: async () => undefined };
  }
  logger.info({ url: `http://${host}:${port}/metrics` }, 'worker metrics served');
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
