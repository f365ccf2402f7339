// The benchmark's input and result: what POST /benchmarks and the CLI send, what benchmarkWorkflow returns.
import { z } from 'zod';
import type { PipelineResult } from './pipeline';
import type { LatencyStats, Step } from './stats';

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
  /** Jobs of the employees pipeline every run computes. Default count_gender. */
  jobs: z.array(z.string().min(1).max(63)).min(1).max(20).default(['count_gender']),
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

/** The query that answers a running benchmark's BenchmarkProgress. */
export const BENCHMARK_PROGRESS_QUERY = 'benchmarkProgress';

export class BenchmarkInputError extends Error {
  override name = 'BenchmarkInputError';
}

/** Validates a benchmark input and fills in the defaults; throws BenchmarkInputError. */
export function parseBenchmarkInput(input: unknown): BenchmarkConfig {
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
