// The benchmark's baseline: the work of a pipeline run over inline records done from a plain script, without
// Temporal. Each run produces its records to the records topic exactly as ingest does (same topic, key, headers,
// partition), then per job submits the Spark execution, polls its status, reads the result, and releases it; the
// same sliding window of runs in flight as the benchmark workflow. What it leaves out is Temporal's part: the
// workflow and activity tasks, the history, and the ingest plan (topic check + end offsets) that makes ingest
// exactly-once across retries.
import crypto from 'node:crypto';
import { recordValues, toMessages } from '../../activities/ingest';
import type { JobName } from '../../contracts/jobs';
import type { SparkJobSpec } from '../../contracts/pipeline';
import { DEFAULT_PIPELINE } from '../../contracts/pipeline-input';
import type { EmployeeRecord } from '../../contracts/records';
import { summarizeRuns, type LatencyStats, type RunTimings, type Step } from '../../contracts/stats';
import { generateEmployees } from '../../lib/employee-generator';
import { loadJobPlan } from '../../lib/definitions';
import { recordKey } from '../../lib/idempotency';
import type { KafkaClient } from '../../lib/kafka';
import type { SparkJobRunner } from '../../spark/runtime/job-runner';

export interface BarePathOptions {
  runs: number;
  recordsPerRun: number;
  jobs: JobName[];
  concurrency: number;
  seed: number;
  /** Names the runs' keys (`<prefix>-run-<i>/<uuid>`, the shape of a workflow run key). */
  prefix: string;
  /** Stops starting new runs; runs in flight finish. */
  signal?: AbortSignal;
  onProgress?: (finished: number, total: number) => void;
}

export interface BareRun {
  i: number;
  runKey: string;
  latencyMs: number | null;
  ok: boolean;
  error?: string;
  timings?: RunTimings;
}

export interface BarePathResult {
  overall: LatencyStats;
  steps: Record<Step, LatencyStats>;
  runs: BareRun[];
  wallMs: number;
}

export interface BarePathDeps {
  kafka: KafkaClient;
  spark: SparkJobRunner;
  /** The records topic, and its partition count should it not exist yet. */
  topic: string;
  partitions: number;
  /** Where the employees definition (the jobs' SQL) is read from. */
  definitionsDir: string;
}

async function runOnce(
  deps: BarePathDeps,
  partitions: number,
  runKey: string,
  records: EmployeeRecord[],
  jobs: JobName[],
): Promise<RunTimings> {
  const t0 = performance.now();
  const ranges = await deps.kafka.produce(deps.topic, toMessages(runKey, recordValues(records), partitions));
  const ingestMs = performance.now() - t0;

  const source = { kind: 'kafka' as const, topic: deps.topic, ranges, recordKey: recordKey(runKey) };
  const timings: RunTimings['jobs'] = {};
  const handles = await Promise.all(
    jobs.map(async (job) => {
      const spec: SparkJobSpec = { runKey, job, source, plan: loadJobPlan(deps.definitionsDir, DEFAULT_PIPELINE, job) };
      const s0 = performance.now();
      const handle = await deps.spark.submit(spec);
      const s1 = performance.now();
      for (;;) {
        const state = await deps.spark.settled(handle, 1_000);
        if (state === 'finished') break;
        if (state !== 'running') throw new Error(`Spark job ${job} of ${runKey} ended ${state}`);
      }
      const s2 = performance.now();
      await deps.spark.result(handle);
      timings[job] = { submitMs: s1 - s0, pollMs: s2 - s1, collectMs: performance.now() - s2 };
      return handle;
    }),
  );
  await deps.spark.release(runKey, handles);
  return { ingestMs, jobs: timings, totalMs: performance.now() - t0 };
}

const generate = (count: number, seed: number) => [...generateEmployees(count, seed)];

/** Runs the bare path and returns the same statistics as the benchmark workflow. */
export async function runBarePath(deps: BarePathDeps, opts: BarePathOptions): Promise<BarePathResult> {
  const partitions = await deps.kafka.ensureTopic(deps.topic, deps.partitions);
  const runs: BareRun[] = [];
  let finished = 0;
  let next = 0;
  const start = performance.now();
  let lastEnd = start;
  const lane = async () => {
    while (next < opts.runs && !opts.signal?.aborted) {
      const i = next++;
      const records = generate(opts.recordsPerRun, opts.seed + i); // outside the timing, as in the workflow
      const runKey = `${opts.prefix}-run-${i}/${crypto.randomUUID()}`;
      const t0 = performance.now();
      try {
        const timings = await runOnce(deps, partitions, runKey, records, opts.jobs);
        lastEnd = performance.now();
        runs[i] = { i, runKey, latencyMs: lastEnd - t0, ok: true, timings };
      } catch (err) {
        lastEnd = performance.now();
        runs[i] = { i, runKey, latencyMs: null, ok: false, error: (err as Error).message };
      }
      opts.onProgress?.(++finished, opts.runs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.runs) }, lane));

  const done = runs.filter((r) => r !== undefined);
  const wallMs = lastEnd - start;
  return { ...summarizeRuns(done, wallMs), runs: done, wallMs };
}
