// Specification of the soak report of `npm run load` (scripts/load/soak.ts): per-minute buckets, the throughput/p95
// verdict against the first minute, and the memory verdict over two windows.
import { describe, expect, it } from 'vitest';
import {
  firstRequestStartS,
  formatSoak,
  memoryVerdicts,
  memoryWindows,
  parseRequestLog,
  percentile,
  perMinute,
  RequestLogError,
  soakVerdict,
  type MemorySample,
  type RequestSample,
} from '../../../../scripts/load/soak';

/** `perSecond` requests a second for `seconds`, each taking `latencyMs`, from t = 1000. */
function steady(seconds: number, perSecond: number, latencyMs: (t: number) => number, from = 0): RequestSample[] {
  return Array.from({ length: seconds * perSecond }, (_, i) => {
    const t = from + i / perSecond;
    return { endS: 1000 + t, latencyMs: latencyMs(t), ok: true };
  });
}

describe('firstRequestStartS', () => {
  it('is the earliest request start, or the fallback when that is earlier, for as many requests as 30 minutes log', () => {
    // 70 requests a second for 30 minutes: 126,000, more than Math.min(...) takes as arguments.
    const requests = steady(1800, 70, () => 500);
    expect(firstRequestStartS(requests, 5000)).toBeCloseTo(999.5);
    expect(firstRequestStartS(requests, 900)).toBe(900);
    expect(firstRequestStartS([], 900)).toBe(900);
  });
});

describe('parseRequestLog', () => {
  it('reads one end,latency,ok line per request', () => {
    expect(parseRequestLog('1700000000.125,812.5,1\n1700000001.000,90000.0,0\n\n')).toEqual([
      { endS: 1700000000.125, latencyMs: 812.5, ok: true },
      { endS: 1700000001, latencyMs: 90000, ok: false },
    ]);
  });

  it('names the line it cannot read', () => {
    expect(() => parseRequestLog('1,2,1\nnot,a,line\n')).toThrow(RequestLogError);
    expect(() => parseRequestLog('1,2,yes\n')).toThrow(/line 1/);
  });
});

describe('percentile', () => {
  it('is the nearest-rank value, null for nothing', () => {
    expect(percentile([5, 1, 3, 2, 4], 95)).toBe(5);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
    ).toBe(95);
    expect(percentile([], 95)).toBeNull();
  });
});

describe('perMinute', () => {
  it('buckets by end time from the start, whole minutes only, answers after the end left out', () => {
    const samples = [...steady(120, 2, () => 100), { endS: 1000 + 125, latencyMs: 5, ok: true }];
    const minutes = perMinute(samples, 1000, 120);
    expect(minutes.map((m) => m.requests)).toEqual([120, 120]);
    expect(minutes[0]).toMatchObject({ minute: 0, failures: 0, requestsPerSecond: 2, p95Ms: 100 });
  });

  it('counts failures, and takes p95 over the successful requests only', () => {
    const samples: RequestSample[] = [...steady(60, 1, () => 200), { endS: 1001, latencyMs: 120_000, ok: false }];
    expect(perMinute(samples, 1000, 60)[0]).toMatchObject({ requests: 61, failures: 1, p95Ms: 200 });
  });
});

describe('soakVerdict', () => {
  it('holds when the last minute is within 10 % of the first in throughput and p95', () => {
    const samples = [...steady(60, 10, () => 100), ...steady(120, 10, () => 108, 60), ...steady(60, 10, () => 109, 180)];
    const v = soakVerdict(samples, [], { startS: 1000, runSeconds: 240 });
    expect(v.minutes).toHaveLength(4);
    expect(v.throughputChangePct).toBeCloseTo(0);
    expect(v.p95ChangePct).toBeCloseTo(9);
    expect(v.holds).toBe(true);
  });

  it('does not hold when p95 grows by more than 10 %, or throughput drops by more', () => {
    const slower = [...steady(60, 10, () => 100), ...steady(60, 10, () => 111, 60)];
    expect(soakVerdict(slower, [], { startS: 1000, runSeconds: 120 }).holds).toBe(false);
    const fewer = [...steady(60, 10, () => 100), ...steady(60, 8, () => 100, 60)];
    const v = soakVerdict(fewer, [], { startS: 1000, runSeconds: 120 });
    expect(v.throughputChangePct).toBeCloseTo(-20);
    expect(v.holds).toBe(false);
  });

  it('cannot judge a run of under two minutes', () => {
    expect(
      soakVerdict(
        steady(60, 1, () => 1),
        [],
        { startS: 1000, runSeconds: 60 },
      ).holds,
    ).toBeNull();
  });
});

describe('memory', () => {
  const every10s = (seconds: number, rss: (t: number) => number): MemorySample[] =>
    Array.from({ length: seconds / 10 + 1 }, (_, i) => ({ atS: i * 10, rssMb: { kafka: rss(i * 10), spark: 500 } }));

  it('compares the 5 minutes after a minute of warm-up with the last 5 minutes', () => {
    expect(memoryWindows(1800)).toEqual({ early: [60, 360], late: [1500, 1800] });
  });

  it('halves the windows on a short run so they do not overlap, and gives up under 20 s each', () => {
    expect(memoryWindows(180)).toEqual({ early: [60, 120], late: [120, 180] });
    expect(memoryWindows(90)).toBeNull();
  });

  it('is flat within 10 %, not flat for a process that keeps growing', () => {
    const verdicts = memoryVerdicts(
      every10s(1800, (t) => 300 + t / 10),
      1800,
    );
    const kafka = verdicts.find((v) => v.process === 'kafka')!;
    expect(kafka.earlyMb).toBeCloseTo(321);
    expect(kafka.lateMb).toBeCloseTo(465);
    expect(kafka.flat).toBe(false);
    expect(verdicts.find((v) => v.process === 'spark')).toMatchObject({ changePct: 0, flat: true });
  });

  it('leaves out samples where a process was not found', () => {
    const samples: MemorySample[] = every10s(1800, () => 400).map((s, i) => (i % 2 ? { ...s, rssMb: { ...s.rssMb, kafka: null } } : s));
    expect(memoryVerdicts(samples, 1800).find((v) => v.process === 'kafka')).toMatchObject({ earlyMb: 400, flat: true });
  });
});

describe('formatSoak', () => {
  it('prints a line per minute, the verdict and each process', () => {
    const v = soakVerdict([...steady(60, 10, () => 100), ...steady(60, 10, () => 100, 60)], [{ atS: 0, rssMb: { kafka: 300 } }], {
      startS: 1000,
      runSeconds: 120,
    });
    const text = formatSoak(v);
    expect(text).toContain('       1       600         0   10.0     100');
    expect(text).toContain('throughput +0.0 %, p95 +0.0 % — within 10 %: yes');
    expect(text).toContain('kafka: — → — (—), flat: unknown (run too short)');
  });
});
