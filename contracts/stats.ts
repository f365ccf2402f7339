// Latency statistics of a benchmark: pure functions over numbers (no I/O, no clock), so the benchmark workflow and
// the bench CLI compute them the same way and tests can pin them down by hand.

/** Statistics of one set of latencies, in milliseconds. Latencies are null when there is none (no success). */
export interface LatencyStats {
  /** Successful samples. */
  count: number;
  errors: number;
  /** errors / (count + errors); 0 when there was nothing at all. */
  errorRate: number;
  min: number | null;
  mean: number | null;
  median: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** Successful samples per second of wall time; null without a positive wall time. */
  throughputPerSec: number | null;
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) of sorted values by linear interpolation between the closest ranks, as
 * numpy's default (`method="linear"`): the rank is h = (n − 1)·p/100, and the value lies between the h-th and
 * (h+1)-th smallest (counting from 0) in proportion to h's fraction. So the median of [1, 2, 3, 4] is 2.5, and p0
 * and p100 are the min and max.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return below + (h - lo) * (above - below);
}

/** Statistics of successful latencies (any order), with the count of failed samples and the wall time they took. */
export function summarize(latenciesMs: readonly number[], opts: { wallMs: number; errors: number }): LatencyStats {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const n = sorted.length;
  const attempts = n + opts.errors;
  return {
    count: n,
    errors: opts.errors,
    errorRate: attempts === 0 ? 0 : opts.errors / attempts,
    min: n === 0 ? null : sorted[0]!,
    mean: n === 0 ? null : sorted.reduce((s, x) => s + x, 0) / n,
    median: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n === 0 ? null : sorted[n - 1]!,
    throughputPerSec: opts.wallMs > 0 ? (n * 1000) / opts.wallMs : null,
  };
}

/** The step timings of one pipeline run (the shape of `PipelineResult['timings']`). */
export interface RunTimings {
  ingestMs: number;
  /** Per job, run side by side; a job may be missing. */
  jobs: Partial<Record<string, { submitMs: number; pollMs: number; collectMs: number }>>;
  totalMs: number;
}

export const STEPS = ['ingest', 'submit', 'poll', 'collect', 'total'] as const;
export type Step = (typeof STEPS)[number];

/**
 * Statistics per step over successful runs. Ingest and total give one sample per run; submit, poll and collect one
 * per job of each run (jobs run side by side, so each is a sample of how long that step takes). Errors are the
 * failed runs, counted against every step.
 */
export function summarizeSteps(runs: readonly RunTimings[], opts: { wallMs: number; errors: number }): Record<Step, LatencyStats> {
  const jobs = runs.flatMap((r) => Object.values(r.jobs).flatMap((j) => (j ? [j] : [])));
  const stats = (samples: number[]) => summarize(samples, opts);
  return {
    ingest: stats(runs.map((r) => r.ingestMs)),
    submit: stats(jobs.map((j) => j.submitMs)),
    poll: stats(jobs.map((j) => j.pollMs)),
    collect: stats(jobs.map((j) => j.collectMs)),
    total: stats(runs.map((r) => r.totalMs)),
  };
}

/** A timed run: its latency and step timings when it succeeded (`ok`), nothing when it failed. */
export interface TimedRun {
  ok: boolean;
  latencyMs: number | null;
  timings?: RunTimings;
}

/** Statistics of a set of runs over `wallMs`: overall latency and per step, over the runs that succeeded. */
export function summarizeRuns(runs: readonly TimedRun[], wallMs: number): { overall: LatencyStats; steps: Record<Step, LatencyStats> } {
  const ok = runs.filter((r) => r.ok);
  const opts = { wallMs, errors: runs.length - ok.length };
  return {
    overall: summarize(
      ok.map((r) => r.latencyMs!),
      opts,
    ),
    steps: summarizeSteps(
      ok.map((r) => r.timings!),
      opts,
    ),
  };
}
