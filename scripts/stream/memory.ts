// Whether a process's memory stays flat over a long stream run, from samples of its RSS. Pure, so a test pins it
// down. The first third is left out: a JVM's heap fills up to its maximum early on, which is growth we expect; what
// must not happen is growth after that, so the last third is held against the middle one.
import { percentile } from '../../contracts/stats';

export interface MemorySample {
  /** Seconds since the run started. */
  t: number;
  rssMb: number;
}

export interface MemoryVerdict {
  verdict: 'flat' | 'growing' | 'too short to judge';
  /** Median RSS of the middle and of the last third of the samples, MB (null when too short). */
  middleMb: number | null;
  lastMb: number | null;
  /** (last - middle) / middle, rounded to 0.1 %; null when too short. */
  growth: number | null;
  detail: string;
}

/** At least this many samples (two per third), else no verdict. */
export const MIN_SAMPLES = 6;
/** The last third may be this much above the middle third and still count as flat. */
export const FLAT_BOUND = 0.1;

export function memoryVerdict(samples: MemorySample[], bound = FLAT_BOUND): MemoryVerdict {
  if (samples.length < MIN_SAMPLES) {
    return {
      verdict: 'too short to judge',
      middleMb: null,
      lastMb: null,
      growth: null,
      detail: `${samples.length} samples, at least ${MIN_SAMPLES} needed`,
    };
  }
  const third = Math.floor(samples.length / 3);
  const middleMb = median(samples.slice(third, 2 * third).map((s) => s.rssMb));
  const lastMb = median(samples.slice(samples.length - third).map((s) => s.rssMb));
  const growth = Math.round(((lastMb - middleMb) / middleMb) * 1000) / 1000;
  const verdict = growth <= bound ? 'flat' : 'growing';
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return {
    verdict,
    middleMb,
    lastMb,
    growth,
    detail: `median RSS ${middleMb} MB in the middle third, ${lastMb} MB in the last (${growth >= 0 ? '+' : ''}${pct(growth)}; flat up to +${pct(bound)})`,
  };
}

/** The median, rounded to a whole MB (samples are whole MB; an even count averages the middle two). */
function median(xs: number[]): number {
  return Math.round(
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    )!,
  );
}
