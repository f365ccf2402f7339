import { describe, expect, it } from 'vitest';
import { lagOfSent, perMinute } from '../../../../scripts/stream/minutes';

describe('perMinute', () => {
  const t0 = 1_000_000;
  it("puts each record's lag in the minute it was sent, and Spark's samples in the minute they were taken", () => {
    const sentAt = [{ t: t0 + 1_000 }, { t: t0 + 30_000 }, { t: t0 + 59_999 }, { t: t0 + 60_000 }, { t: t0 + 150_000 }];
    const lags = [100, 300, 200, 1_000];
    const samples = [
      { t: 0, rssMb: 900, gcCpuMs: 0 },
      { t: 30, rssMb: 1_100, gcCpuMs: 40 },
      { t: 60, rssMb: 1_000, gcCpuMs: 100 },
      { t: 90, rssMb: 1_200, gcCpuMs: 250 },
      { t: 150, rssMb: 1_150, gcCpuMs: 300 },
    ];
    expect(perMinute(t0, sentAt, lags, samples)).toEqual([
      { minute: 1, lagMs: { p50: 200, p95: 290, max: 300, samples: 3 }, sparkRssMb: 1_100, sparkGcCpuMs: 40 },
      { minute: 2, lagMs: { p50: 1_000, p95: 1_000, max: 1_000, samples: 1 }, sparkRssMb: 1_200, sparkGcCpuMs: 210 },
      // The fifth record was never counted (no lag): its minute has Spark's sample only.
      { minute: 3, lagMs: null, sparkRssMb: 1_150, sparkGcCpuMs: 50 },
    ]);
  });

  it('leaves GC time out when it was not sampled or went down (Spark restarted mid-run)', () => {
    const samples = [
      { t: 10, rssMb: 900, gcCpuMs: 500 },
      { t: 70, rssMb: 400, gcCpuMs: 20 },
      { t: 130, rssMb: 500 },
    ];
    expect(perMinute(t0, [], [], samples).map((m) => m.sparkGcCpuMs)).toEqual([0, null, null]);
  });
});

describe('lagOfSent', () => {
  it('takes the lags of the records sent in [from, to), or from `from` on', () => {
    const sentAt = [{ t: 10 }, { t: 20 }, { t: 30 }, { t: 40 }];
    const lags = [5, 50, 7, 9];
    expect(lagOfSent(sentAt, lags, 20, 40)).toEqual({ p50: 29, p95: 48, max: 50, samples: 2 });
    expect(lagOfSent(sentAt, lags, 30)).toEqual({ p50: 8, p95: 9, max: 9, samples: 2 });
    expect(lagOfSent(sentAt, lags, 50)).toBeNull();
  });
});
