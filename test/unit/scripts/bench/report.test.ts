// Specification of what `npm run bench` prints and draws (bench/report.ts): the tables for known statistics, the
// targets' verdicts, the progress bar, and the SVG chart's geometry.
import { describe, expect, it } from 'vitest';
import { summarize, type LatencyStats } from '../../../../contracts/stats';
import {
  checkTargets,
  formatComparison,
  formatPathTable,
  niceCeil,
  progressBar,
  renderSvg,
  stepBreakdown,
  type BenchSummary,
  type PathSummary,
} from '../../../../scripts/bench/report';

/** Statistics where every latency figure is `ms` (count 10, no errors), with some figures overridden. */
function stats(ms: number, over: Partial<LatencyStats> = {}): LatencyStats {
  return {
    count: 10,
    errors: 0,
    errorRate: 0,
    min: ms,
    mean: ms,
    median: ms,
    p90: ms,
    p95: ms,
    p99: ms,
    max: ms,
    throughputPerSec: 5,
    ...over,
  };
}

function path(
  overall: number,
  steps: { ingest: number; submit: number; poll: number; collect: number },
  wallMs: number,
  latenciesMs: number[] = [overall],
): PathSummary {
  return {
    overall: stats(overall),
    steps: {
      ingest: stats(steps.ingest),
      submit: stats(steps.submit),
      poll: stats(steps.poll),
      collect: stats(steps.collect),
      total: stats(overall - 5),
    },
    wallMs,
    latenciesMs,
  };
}

const bare = path(1000, { ingest: 20, submit: 200, poll: 700, collect: 30 }, 1500, [900, 1000, 1100]);
const temporal = path(1150, { ingest: 150, submit: 250, poll: 600, collect: 100 }, 2900, [1000, 1100, 1200, 1300]);
const standard = { runs: 100, recordsPerRun: 10, jobs: ['count_gender'], concurrency: 100 };

describe('progressBar', () => {
  it('fills the share done, rounded down', () => {
    expect(progressBar(37, 100, 10)).toBe('[###.......] 37/100');
    expect(progressBar(0, 5, 4)).toBe('[....] 0/5');
    expect(progressBar(5, 5, 4)).toBe('[####] 5/5');
    expect(progressBar(0, 0, 4)).toBe('[####] 0/0');
  });
});

describe('formatPathTable', () => {
  it('lists the end-to-end run and each step in whole milliseconds, then the wall time and throughput', () => {
    const p = { ...bare, overall: summarize([900.4, 1000, 1100.6], { wallMs: 1500, errors: 1 }) };
    const lines = formatPathTable(p).split('\n');
    expect(lines[0]).toBe('  step              count  errors  min   mean    p50    p90    p95    p99    max');
    // [900.4, 1000, 1100.6]: p90 at rank 1.8 → 1000 + 0.8 · 100.6 = 1080.48; p95 at rank 1.9 → 1090.54
    expect(lines[2]).toBe('  run (end to end)      3       1  900  1,000  1,000  1,080  1,091  1,099  1,101');
    expect(lines[3]).toBe('  ingest               10       0   20     20     20     20     20     20     20');
    expect(lines[7]).toBe('  total                10       0  995    995    995    995    995    995    995');
    expect(lines[8]).toBe('  wall time 1,500 ms, 2.0 runs/s');
  });
});

describe('formatComparison', () => {
  it('puts both paths side by side with the ratio temporal / bare', () => {
    const lines = formatComparison(bare, temporal).split('\n');
    expect(lines[0]).toBe('  step              bare p50  temporal p50  p50 ratio  bare mean  temporal mean  mean ratio');
    expect(lines[2]).toBe('  run (end to end)     1,000         1,150       1.15      1,000          1,150        1.15');
    expect(lines[3]).toBe('  ingest                  20           150       7.50         20            150        7.50');
    expect(lines.at(-1)).toBe('  wall time                —             —          —      1,500          2,900        1.93');
  });
});

describe('checkTargets', () => {
  it('judges each target from this run’s figures', () => {
    const checks = checkTargets({
      config: standard,
      bare,
      temporal,
      large: { records: 1_000_000, jobs: ['count_gender'], ingestMs: 9000, sparkMs: 12000, totalMs: 21500 },
    });
    expect(checks).toEqual([
      { target: '100 concurrent runs of 10 records finish within 3 s', measured: '2,900 ms', met: true },
      { target: 'p95 per run ≤ 2 s', measured: '1,150 ms', met: true },
      { target: 'Temporal ≤ 2× the bare path (p50)', measured: '×1.15', met: true },
      { target: '1M-record run ≤ 15 s (warm)', measured: '21,500 ms', met: false },
    ]);
  });

  it('gives no verdict for a target measured under another configuration, or not measured', () => {
    const checks = checkTargets({
      config: { ...standard, runs: 10, concurrency: 10 },
      bare,
      temporal: { ...temporal, overall: stats(2500) },
    });
    expect(checks[0]).toEqual({
      target: '100 concurrent runs of 10 records finish within 3 s',
      measured: '2,900 ms (10 runs × 10, 10 at once)',
      met: null,
    });
    expect(checks[1]!.met).toBe(false);
    expect(checks[2]).toMatchObject({ measured: '×2.50', met: false });
    expect(checks[3]).toEqual({ target: '1M-record run ≤ 15 s (warm)', measured: 'skipped', met: null });
  });
});

describe('niceCeil', () => {
  it.each([
    [2223, 2500],
    [1000, 1000],
    [1001, 1200],
    [0.3, 0.3],
    [7, 8],
    [0, 1],
  ])('%d → %d', (x, nice) => expect(niceCeil(x)).toBe(nice));
});

describe('renderSvg', () => {
  const summary: BenchSummary = { config: standard, bare, temporal };
  const svg = renderSvg(summary);
  const rects = [...svg.matchAll(/<rect data-path="(\w+)" data-step="(\w+)" x="([\d.]+)" y="\d+" width="([\d.]+)"/g)].map(
    ([, p, step, x, width]) => ({ path: p!, step: step!, x: Number(x), width: Number(width) }),
  );

  it('is one SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('draws one bar segment per step for each path, widths proportional to the mean of the step', () => {
    for (const [name, p] of [
      ['bare', bare],
      ['temporal', temporal],
    ] as const) {
      const segments = rects.filter((r) => r.path === name);
      const parts = stepBreakdown(p);
      expect(segments.map((s) => s.step)).toEqual(['ingest', 'submit', 'poll', 'collect', 'other']);
      // One scale for both bars: width / mean is the same for every segment with a mean.
      const scale = rects.find((r) => r.path === 'bare' && r.step === 'poll')!.width / 700;
      segments.forEach((s, i) => expect(s.width).toBeCloseTo(parts[i]!.ms * scale, 1));
      // Segments are stacked: each starts where the previous ends.
      segments.slice(1).forEach((s, i) => expect(s.x).toBeCloseTo(segments[i]!.x + segments[i]!.width, 1));
    }
  });

  it('the stacked bar of a path is its mean run: the steps plus the rest ("other")', () => {
    expect(stepBreakdown(temporal)).toEqual([
      { step: 'ingest', ms: 150 },
      { step: 'submit', ms: 250 },
      { step: 'poll', ms: 600 },
      { step: 'collect', ms: 100 },
      { step: 'other', ms: 50 },
    ]);
    // Steps that add up to more than the mean run (jobs side by side) leave no negative rest.
    expect(stepBreakdown({ ...bare, overall: stats(500) }).at(-1)).toEqual({ step: 'other', ms: 0 });
  });

  it('draws each path’s latencies as a CDF: a step up at each latency', () => {
    const lines = [...svg.matchAll(/<polyline data-path="(\w+)"[^>]* points="([^"]*)"/g)];
    expect(lines.map((l) => l[1])).toEqual(['bare', 'temporal']);
    const points = lines[1]![2]!.split(' ').map((pt) => pt.split(',').map(Number) as [number, number]);
    expect(points).toHaveLength(2 * temporal.latenciesMs.length);
    // Up from the bottom of the plot to the top, each latency drawn as a vertical step.
    expect(points[0]![1]).toBe(300);
    expect(points.at(-1)![1]).toBe(50);
    expect(points[0]![0]).toBe(points[1]![0]);
  });

  it('escapes text', () => {
    expect(renderSvg(summary, 'a <b> & "c"')).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
  });
});
