// benchmarkWorkflow: starts N pipeline runs as child workflows (at most `concurrency` at once), times each from
// start to result on the workflow clock, and returns latency statistics overall and per step.
// Orchestration only: the records come from a local activity, the runs are real pipelineWorkflows.
import {
  ApplicationFailure,
  defineQuery,
  isCancellation,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { BenchmarkActivities } from '../activities/benchmark';
import { summarize, summarizeSteps, type LatencyStats, type Step } from '../contracts/stats';
import { JOB_NAMES } from '../spark/jobs/sql';
import { rootCauseMessage } from './failures';
import { pipelineWorkflow, type PipelineResult } from './pipeline';
import { PIPELINE_STATUS } from '../contracts/search-attributes';

/**
 * Each run adds a handful of events and its records (twice: the generated batch and the child's input) to this
 * workflow's history. These bounds keep it far below Temporal's limits (50,000 events, 50 MB; 2 MB a payload).
 */
export const MAX_RUNS = 500;
export const MAX_RECORDS_PER_RUN = 10_000;
export const MAX_RECORDS_TOTAL = 50_000;

export const BenchmarkInputSchema = z.strictObject({
  /** Pipeline runs to start. Default 100. */
  runs: z.int().min(1).default(100),
  /** Inline records per run, generated from `seed + i` for run i. Default 10. */
  recordsPerRun: z.int().min(1).max(MAX_RECORDS_PER_RUN).default(10),
  /** Spark jobs of every run. Default count_gender. */
  jobs: z.array(z.enum(JOB_NAMES)).min(1).default(['count_gender']),
  /** Runs in flight at once (a sliding window). Default: all of them. */
  concurrency: z.int().min(1).optional(),
  seed: z.int().default(1),
});

export type BenchmarkInput = z.input<typeof BenchmarkInputSchema>;
export type BenchmarkConfig = Required<z.output<typeof BenchmarkInputSchema>>;

export interface BenchmarkRun {
  i: number;
  workflowId: string;
  /** Start of the child to its result, on the workflow clock; null when the run failed. */
  latencyMs: number | null;
  ok: boolean;
  error?: string;
  timings?: PipelineResult['timings'];
}

export interface BenchmarkResult {
  config: BenchmarkConfig;
  overall: LatencyStats;
  steps: Record<Step, LatencyStats>;
  runs: BenchmarkRun[];
  /** First start to last result. */
  wallMs: number;
}

export interface BenchmarkProgress {
  started: number;
  completed: number;
  failed: number;
  total: number;
}

export const benchmarkProgressQuery = defineQuery<BenchmarkProgress>('benchmarkProgress');

// Generating records is CPU only and deterministic: retry fast, a few times.
const { benchmarkRecords } = proxyLocalActivities<BenchmarkActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '100ms', maximumAttempts: 3 },
});

export class BenchmarkInputError extends Error {
  override name = 'BenchmarkInputError';
}

/** Validates a benchmark input and fills in the defaults; throws BenchmarkInputError. */
export function parseBenchmarkInput(input: BenchmarkInput | undefined): BenchmarkConfig {
  const parsed = BenchmarkInputSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`);
    throw new BenchmarkInputError(`invalid benchmark input: ${problems.join('; ')}`);
  }
  const { runs, recordsPerRun } = parsed.data;
  if (runs > MAX_RUNS || runs * recordsPerRun > MAX_RECORDS_TOTAL) {
    throw new BenchmarkInputError(
      `a benchmark of ${runs} runs × ${recordsPerRun} records is too big for one workflow history (at most ${MAX_RUNS} runs and ` +
        `${MAX_RECORDS_TOTAL} records in all): split it into several benchmarks, or time a large batch as one run with a "file" input`,
    );
  }
  return { ...parsed.data, concurrency: Math.min(parsed.data.concurrency ?? runs, runs) };
}

function parseOrFail(input: BenchmarkInput): BenchmarkConfig {
  try {
    return parseBenchmarkInput(input);
  } catch (err) {
    if (err instanceof BenchmarkInputError) throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
}

export async function benchmarkWorkflow(input: BenchmarkInput = {}): Promise<BenchmarkResult> {
  const config = parseOrFail(input);
  const { workflowId } = workflowInfo();
  const progress: BenchmarkProgress = { started: 0, completed: 0, failed: 0, total: config.runs };
  setHandler(benchmarkProgressQuery, () => progress);
  upsertSearchAttributes([{ key: PIPELINE_STATUS, value: 'running' }]);

  const runs: BenchmarkRun[] = [];
  let firstStart: number | undefined;
  let lastEnd = Date.now();

  async function run(i: number): Promise<void> {
    const records = await benchmarkRecords(config.recordsPerRun, config.seed + i);
    const childId = `${workflowId}-run-${i}`;
    const t0 = Date.now();
    firstStart ??= t0;
    try {
      const child = await startChild(pipelineWorkflow, { workflowId: childId, args: [{ records, jobs: config.jobs }] });
      progress.started++;
      const { timings } = await child.result();
      lastEnd = Date.now();
      runs[i] = { i, workflowId: childId, latencyMs: lastEnd - t0, ok: true, timings };
      progress.completed++;
    } catch (err) {
      if (isCancellation(err)) throw err;
      lastEnd = Date.now();
      runs[i] = { i, workflowId: childId, latencyMs: null, ok: false, error: rootCauseMessage(err) };
      progress.failed++;
    }
  }

  // A sliding window: `concurrency` lanes, each starting the next run as soon as its previous one ends.
  let next = 0;
  const lane = async () => {
    while (next < config.runs) await run(next++);
  };
  try {
    await Promise.all(Array.from({ length: config.concurrency }, lane));
  } catch (err) {
    if (isCancellation(err)) upsertSearchAttributes([{ key: PIPELINE_STATUS, value: 'cancelled' }]);
    throw err;
  }

  const wallMs = lastEnd - (firstStart ?? lastEnd);
  const ok = runs.filter((r) => r.ok);
  const opts = { wallMs, errors: runs.length - ok.length };
  upsertSearchAttributes([{ key: PIPELINE_STATUS, value: 'completed' }]);
  return {
    config,
    overall: summarize(ok.map((r) => r.latencyMs!), opts),
    steps: summarizeSteps(ok.map((r) => r.timings!), opts),
    runs,
    wallMs,
  };
}
