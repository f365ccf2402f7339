// Specification of the benchmark's latency statistics (contracts/stats.ts): percentiles interpolate linearly between the
// closest ranks, as numpy's default does; every expected value below is computed by hand.
import { describe, expect, it } from 'vitest';
import { percentile, summarize, summarizeSteps, type LatencyStats } from '../../../contracts/stats';

/** Compares floating-point statistics to hand-computed ones to 9 decimals. */
function expectStats(actual: LatencyStats, expected: LatencyStats): void {
  for (const [key, value] of Object.entries(expected)) {
    const got = actual[key as keyof LatencyStats];
    if (typeof value === 'number') expect(got, key).toBeCloseTo(value, 9);
    else expect(got, key).toBe(value);
  }
}

describe('percentile', () => {
  it('interpolates between the closest ranks: rank h = (n − 1)·p/100', () => {
    const tens = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(tens, 50)).toBeCloseTo(55, 9); // h = 4.5: halfway between 50 and 60
    expect(percentile(tens, 90)).toBeCloseTo(91, 9); // h = 8.1: 90 + 0.1 · 10
    expect(percentile(tens, 95)).toBeCloseTo(95.5, 9); // h = 8.55
    expect(percentile(tens, 99)).toBeCloseTo(99.1, 9); // h = 8.91
    expect(percentile(tens, 0)).toBe(10);
    expect(percentile(tens, 100)).toBe(100);
  });

  it('is null for no values and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(/within 0\.\.100, got 101/);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('one value is every statistic', () => {
    expectStats(summarize([7], { wallMs: 500, errors: 0 }), {
      count: 1,
      errors: 0,
      errorRate: 0,
      min: 7,
      mean: 7,
      median: 7,
      p90: 7,
      p95: 7,
      p99: 7,
      max: 7,
      throughputPerSec: 2,
    });
  });

  it('two values: percentiles lie on the line between them', () => {
    expectStats(summarize([20, 10], { wallMs: 1000, errors: 0 }), {
      count: 2,
      errors: 0,
      errorRate: 0,
      min: 10,
      mean: 15,
      median: 15,
      p90: 19,
      p95: 19.5,
      p99: 19.9,
      max: 20,
      throughputPerSec: 2,
    });
  });

  it('sorts unsorted input, and counts errors apart from the latencies', () => {
    expectStats(summarize([5, 1, 4, 2, 3], { wallMs: 2000, errors: 1 }), {
      count: 5,
      errors: 1,
      errorRate: 1 / 6,
      min: 1,
      mean: 3,
      median: 3,
      p90: 4.6, // h = 3.6: 4 + 0.6 · (5 − 4)
      p95: 4.8,
      p99: 4.96,
      max: 5,
      throughputPerSec: 2.5, // successes only: 5 in 2 s
    });
  });

  it('leaves the input array as it was', () => {
    const input = [3, 1, 2];
    summarize(input, { wallMs: 1, errors: 0 });
    expect(input).toEqual([3, 1, 2]);
  });

  it('all errors: no latencies, an error rate of 1, no throughput', () => {
    expect(summarize([], { wallMs: 1000, errors: 3 })).toEqual({
      count: 0,
      errors: 3,
      errorRate: 1,
      min: null,
      mean: null,
      median: null,
      p90: null,
      p95: null,
      p99: null,
      max: null,
      throughputPerSec: 0,
    });
  });

  it('nothing at all: an error rate of 0, and no throughput without wall time', () => {
    expect(summarize([], { wallMs: 0, errors: 0 })).toMatchObject({ count: 0, errorRate: 0, median: null, throughputPerSec: null });
  });
});

describe('summarizeSteps', () => {
  it('takes ingest and total once per run, and submit, poll and collect once per job of each run', () => {
    const steps = summarizeSteps(
      [
        {
          ingestMs: 10,
          jobs: { count_gender: { submitMs: 1, pollMs: 100, collectMs: 5 }, count_month: { submitMs: 3, pollMs: 200, collectMs: 7 } },
          totalMs: 300,
        },
        { ingestMs: 30, jobs: { count_gender: { submitMs: 2, pollMs: 300, collectMs: 6 } }, totalMs: 500 },
      ],
      { wallMs: 1000, errors: 1 },
    );
    expect(steps.ingest).toMatchObject({ count: 2, errors: 1, min: 10, mean: 20, max: 30 });
    expect(steps.submit).toMatchObject({ count: 3, min: 1, median: 2, max: 3 });
    expect(steps.poll).toMatchObject({ count: 3, mean: 200, median: 200 });
    expect(steps.collect).toMatchObject({ count: 3, mean: 6 });
    expect(steps.total).toMatchObject({ count: 2, median: 400, throughputPerSec: 2 });
  });
});
