// A long stream run minute by minute (`npm run stream`'s `perMinute`): whether it holds, not only how it peaked.
// Pure, so a test pins it down.
import { percentile } from '../../contracts/stats';

export interface MinuteFigures {
  /** Minute of the run, from 1. */
  minute: number;
  /** End-to-end lag of the records sent in this minute, ms (null when none of them was counted). */
  lagMs: LagFigures | null;
  /** Spark's largest RSS sampled in this minute, MB. */
  sparkRssMb: number | null;
  /** CPU its garbage collector's threads spent in this minute, ms (from the samples that bound it). */
  sparkGcCpuMs: number | null;
}

/** One sample of Spark's process: seconds since the run started, RSS, and its GC threads' CPU so far. */
export interface ProcessSample {
  t: number;
  rssMb: number;
  gcCpuMs?: number;
}

/**
 * Per minute of the run: the lags of the records sent in it (`lags[i]` belongs to `sentAt[i]`, as endToEndLags gives
 * them; `t` in ms since the epoch, the run starting at `t0`), and Spark's samples taken in it.
 */
export function perMinute(
  t0: number,
  sentAt: readonly { t: number }[],
  lags: readonly number[],
  samples: readonly ProcessSample[],
): MinuteFigures[] {
  const lagsOf = byMinute(lags.map((lag, i) => ({ minute: Math.floor((sentAt[i]!.t - t0) / 60_000) + 1, item: lag })));
  const samplesOf = byMinute(samples.map((s) => ({ minute: Math.floor(s.t / 60) + 1, item: s })));
  const last = Math.max(0, ...lagsOf.keys(), ...samplesOf.keys());
  const figures: MinuteFigures[] = [];
  for (let minute = 1; minute <= last; minute++) {
    const sorted = [...(lagsOf.get(minute) ?? [])].sort((a, b) => a - b);
    const inMinute = samplesOf.get(minute) ?? [];
    // GC CPU in the minute: from the last sample before it (or its first) to its last sample.
    const before = samples.filter((s) => s.t < (minute - 1) * 60).at(-1) ?? inMinute[0];
    const end = inMinute.at(-1);
    figures.push({
      minute,
      lagMs: lagFigures(sorted),
      sparkRssMb: inMinute.length ? Math.max(...inMinute.map((s) => s.rssMb)) : null,
      sparkGcCpuMs:
        end?.gcCpuMs !== undefined && before?.gcCpuMs !== undefined && end.gcCpuMs >= before.gcCpuMs
          ? Math.round(end.gcCpuMs - before.gcCpuMs)
          : null,
    });
  }
  return figures;
}

/** The lag of the records sent from `fromMs` (inclusive) to `toMs` (exclusive), ms since the epoch; null if none was counted. */
export function lagOfSent(sentAt: readonly { t: number }[], lags: readonly number[], fromMs: number, toMs = Infinity): LagFigures | null {
  return lagFigures(lags.filter((_, i) => sentAt[i]!.t >= fromMs && sentAt[i]!.t < toMs).sort((a, b) => a - b));
}

export interface LagFigures {
  p50: number;
  p95: number;
  max: number;
  samples: number;
}

function lagFigures(sorted: readonly number[]): LagFigures | null {
  if (sorted.length === 0) return null;
  return {
    p50: Math.round(percentile(sorted, 50)!),
    p95: Math.round(percentile(sorted, 95)!),
    max: sorted.at(-1)!,
    samples: sorted.length,
  };
}

function byMinute<T>(entries: readonly { minute: number; item: T }[]): Map<number, T[]> {
  const of = new Map<number, T[]>();
  for (const { minute, item } of entries) {
    const list = of.get(minute);
    if (list) list.push(item);
    else of.set(minute, [item]);
  }
  return of;
}
