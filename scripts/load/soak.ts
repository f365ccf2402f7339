// The soak report of `npm run load` (a run of 5 minutes or more, or --soak): requests bucketed per minute
// (throughput, p95), and memory samples of each process, judged for drift. Pure functions, so tests pin the verdicts.

/** One finished request, as the locustfile logs it (LOAD_REQUEST_LOG): when it ended, how long it took, whether it passed. */
export interface RequestSample {
  endS: number;
  latencyMs: number;
  ok: boolean;
}

export interface MinuteStats {
  /** 0 for the first minute of the run. */
  minute: number;
  requests: number;
  failures: number;
  requestsPerSecond: number;
  p95Ms: number | null;
}

/** One memory sample: seconds since the run started, and each process's resident memory in MB (null: not found). */
export interface MemorySample {
  atS: number;
  rssMb: Record<string, number | null>;
}

export interface MemoryVerdict {
  process: string;
  /** Mean RSS over the window after warm-up, and over the last window. */
  earlyMb: number | null;
  lateMb: number | null;
  changePct: number | null;
  flat: boolean | null;
}

export interface SoakVerdict {
  minutes: MinuteStats[];
  throughputChangePct: number | null;
  p95ChangePct: number | null;
  /** Last minute's throughput and p95 within `tolerancePct` of the first minute's. */
  holds: boolean | null;
  memory: MemoryVerdict[];
  /** The two windows the memory verdict compares, in seconds since the start. */
  memoryWindows: { early: [number, number]; late: [number, number] } | null;
}

/** Within this much of the first minute (throughput, p95) or of the early memory window counts as holding. */
export const SOAK_TOLERANCE_PCT = 10;
/** Memory is judged after this warm-up, over windows of at most this length. */
export const MEMORY_WARMUP_S = 60;
export const MEMORY_WINDOW_S = 300;

/**
 * When the test started: the start of its earliest request, or `fallbackS` if that is earlier. A loop, not
 * Math.min(...): a 30-minute soak logs more requests than a call takes arguments.
 */
export function firstRequestStartS(requests: readonly RequestSample[], fallbackS: number): number {
  let start = fallbackS;
  for (const r of requests) start = Math.min(start, r.endS - r.latencyMs / 1000);
  return start;
}

export class RequestLogError extends Error {
  override name = 'RequestLogError';
}

/** The locustfile's request log: one `end_epoch_seconds,latency_ms,ok(1|0)` line per request. */
export function parseRequestLog(text: string): RequestSample[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const [end, latency, ok] = line.split(',');
      const sample = { endS: Number(end), latencyMs: Number(latency), ok: ok?.trim() === '1' };
      if (!Number.isFinite(sample.endS) || !Number.isFinite(sample.latencyMs) || !/^[01]$/.test(ok?.trim() ?? ''))
        throw new RequestLogError(`request log line ${i + 1} is not "end_s,latency_ms,ok": ${JSON.stringify(line)}`);
      return sample;
    });
}

/** Nearest-rank percentile (as Locust rounds it, roughly); null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Requests per minute of the run: minute k holds the requests that ended in [start + 60k, start + 60(k+1)).
 * Only whole minutes of `runSeconds` count; answers after the end (Locust stopping) are left out.
 */
export function perMinute(samples: readonly RequestSample[], startS: number, runSeconds: number): MinuteStats[] {
  const minutes = Math.floor(runSeconds / 60);
  const buckets = Array.from({ length: minutes }, () => [] as RequestSample[]);
  for (const s of samples) {
    const k = Math.floor((s.endS - startS) / 60);
    if (k >= 0 && k < minutes) buckets[k]!.push(s);
  }
  return buckets.map((b, minute) => ({
    minute,
    requests: b.length,
    failures: b.filter((s) => !s.ok).length,
    requestsPerSecond: b.length / 60,
    p95Ms: percentile(
      b.filter((s) => s.ok).map((s) => s.latencyMs),
      95,
    ),
  }));
}

const changePct = (from: number | null, to: number | null): number | null =>
  from === null || to === null || from === 0 ? null : (100 * (to - from)) / from;
const within = (pct: number | null) => (pct === null ? null : Math.abs(pct) <= SOAK_TOLERANCE_PCT);
const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length);

/**
 * The two memory windows: from the end of warm-up, and ending at the run's end; each at most MEMORY_WINDOW_S and at
 * most half of what follows warm-up, so they never overlap. Null when the run is too short to have both.
 */
export function memoryWindows(runSeconds: number): SoakVerdict['memoryWindows'] {
  const length = Math.min(MEMORY_WINDOW_S, (runSeconds - MEMORY_WARMUP_S) / 2);
  if (length < 20) return null; // two samples at least per window, at one every ~10 s
  return { early: [MEMORY_WARMUP_S, MEMORY_WARMUP_S + length], late: [runSeconds - length, runSeconds] };
}

export function memoryVerdicts(samples: readonly MemorySample[], runSeconds: number): MemoryVerdict[] {
  const windows = memoryWindows(runSeconds);
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.rssMb)))];
  return names.map((name) => {
    const inWindow = ([from, to]: [number, number]) =>
      samples.filter((s) => s.atS >= from && s.atS <= to).flatMap((s) => (s.rssMb[name] == null ? [] : [s.rssMb[name]!]));
    const earlyMb = windows ? mean(inWindow(windows.early)) : null;
    const lateMb = windows ? mean(inWindow(windows.late)) : null;
    const change = changePct(earlyMb, lateMb);
    return { process: name, earlyMb, lateMb, changePct: change, flat: within(change) };
  });
}

export function soakVerdict(
  requests: readonly RequestSample[],
  memory: readonly MemorySample[],
  run: { startS: number; runSeconds: number },
): SoakVerdict {
  const minutes = perMinute(requests, run.startS, run.runSeconds);
  const first = minutes[0];
  const last = minutes[minutes.length - 1];
  const enough = first !== undefined && last !== undefined && minutes.length >= 2;
  const throughputChangePct = enough ? changePct(first.requestsPerSecond, last.requestsPerSecond) : null;
  const p95ChangePct = enough ? changePct(first.p95Ms, last.p95Ms) : null;
  const t = within(throughputChangePct);
  const p = within(p95ChangePct);
  return {
    minutes,
    throughputChangePct,
    p95ChangePct,
    holds: t === null || p === null ? null : t && p,
    memory: memoryVerdicts(memory, run.runSeconds),
    memoryWindows: memoryWindows(run.runSeconds),
  };
}

const pct = (n: number | null) => (n === null ? '—' : `${n >= 0 ? '+' : ''}${n.toFixed(1)} %`);
const yesNo = (b: boolean | null) => (b === null ? 'unknown (run too short)' : b ? 'yes' : 'NO');

/** The soak report as text: a line per minute, then the throughput/p95 verdict and one line per process's memory. */
export function formatSoak(v: SoakVerdict): string {
  const lines = ['  minute  requests  failures  req/s  p95 ms'];
  for (const m of v.minutes)
    lines.push(
      `  ${String(m.minute + 1).padStart(6)}  ${String(m.requests).padStart(8)}  ${String(m.failures).padStart(8)}  ${m.requestsPerSecond
        .toFixed(1)
        .padStart(5)}  ${(m.p95Ms === null ? '—' : String(Math.round(m.p95Ms))).padStart(6)}`,
    );
  lines.push(
    `  last minute vs first: throughput ${pct(v.throughputChangePct)}, p95 ${pct(v.p95ChangePct)} — within ${SOAK_TOLERANCE_PCT} %: ${yesNo(v.holds)}`,
  );
  const w = v.memoryWindows;
  lines.push(
    w
      ? `  memory (mean RSS, ${w.early[0]}-${w.early[1]} s vs ${w.late[0]}-${w.late[1]} s):`
      : '  memory: run too short to compare two windows',
  );
  const mb = (n: number | null) => (n === null ? '—' : `${Math.round(n)} MB`);
  for (const m of v.memory)
    lines.push(`    ${m.process}: ${mb(m.earlyMb)} → ${mb(m.lateMb)} (${pct(m.changePct)}), flat: ${yesNo(m.flat)}`);
  return lines.join('\n');
}
