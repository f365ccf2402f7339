// Reading Locust's `<prefix>_stats.csv` and laying totals side by side (streamforge, the old service's reconstruction
// measured in the same run, its published figures) with the ratios, for `npm run load`. Pure functions, tested.
import { formatNumber } from '../lib/text-table';

/** Totals of one load test; a latency is null when it is unknown (no request finished, or not published). */
export interface LoadStats {
  requests: number;
  failures: number;
  minMs: number | null;
  medianMs: number | null;
  avgMs: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  requestsPerSecond: number;
}

/** The old service's Locust test (100 users, 1 minute, POST /process): 727 requests, no errors; min not published. */
export const OLD_SERVICE: LoadStats = {
  requests: 727,
  failures: 0,
  minMs: null,
  medianMs: 6400,
  avgMs: 7121,
  p95Ms: 11000,
  maxMs: 15603,
  requestsPerSecond: 727 / 60,
};

/** The columns read from Locust 2.x's stats CSV (checked against 2.47.0), by header name so order may change. */
const COLUMNS = {
  requests: 'Request Count',
  failures: 'Failure Count',
  minMs: 'Min Response Time',
  medianMs: 'Median Response Time',
  avgMs: 'Average Response Time',
  p95Ms: '95%',
  maxMs: 'Max Response Time',
  requestsPerSecond: 'Requests/s',
} as const;

export class StatsCsvError extends Error {
  override name = 'StatsCsvError';
}

/** One CSV line into fields: commas separate, double quotes enclose fields, "" inside quotes is one quote. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields;
}

/** The "Aggregated" row of a Locust stats CSV (all requests of the run). Latencies are "N/A" before any answer. */
export function parseAggregatedStats(csv: string): LoadStats {
  const [header, ...rows] = csv
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map(splitCsvLine);
  const aggregated = rows.find((r) => r[1] === 'Aggregated');
  if (!header || !aggregated) throw new StatsCsvError('no "Aggregated" row in the Locust stats CSV — did the run send any request?');
  const cell = (column: string): string => {
    const index = header.indexOf(column);
    if (index < 0) throw new StatsCsvError(`the Locust stats CSV has no "${column}" column (header: ${header.join(',')})`);
    return aggregated[index] ?? '';
  };
  const count = (column: string) => {
    const n = Number(cell(column));
    if (!Number.isFinite(n)) throw new StatsCsvError(`"${column}" is not a number: ${JSON.stringify(cell(column))}`);
    return n;
  };
  const latencyCell = (column: string) => {
    const text = cell(column);
    return text === '' || text === 'N/A' || !Number.isFinite(Number(text)) ? null : Number(text);
  };
  const requests = count(COLUMNS.requests);
  // Without a finished request Locust writes 0 for min, median, average and max: unknown, not zero.
  const latency = (column: string) => (requests === 0 ? null : latencyCell(column));
  return {
    requests,
    failures: count(COLUMNS.failures),
    minMs: latency(COLUMNS.minMs),
    medianMs: latency(COLUMNS.medianMs),
    avgMs: latency(COLUMNS.avgMs),
    p95Ms: latency(COLUMNS.p95Ms),
    maxMs: latency(COLUMNS.maxMs),
    requestsPerSecond: count(COLUMNS.requestsPerSecond),
  };
}

/** A Locust run time ("20s", "1m", "1h30m") in seconds. */
export function durationSeconds(text: string): number {
  const parts = [...text.matchAll(/(\d+)([hms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new StatsCsvError(`not a run time like 20s, 1m or 1m30s: ${text}`);
  return parts.reduce((s, [, n, unit]) => s + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'], 0);
}

/**
 * The stats with requests per second taken over the whole run time, as the old service's 727 / 60 s. Locust's own
 * figure divides by the time to the last answer, which flatters a run whose answers stopped before its end.
 */
export function perRunTime(stats: LoadStats, seconds: number): LoadStats {
  return { ...stats, requestsPerSecond: stats.requests / seconds };
}

const ms = (n: number | null) => (n === null ? '—' : formatNumber(Math.round(n)));
const failures = (s: LoadStats) => {
  const pct = s.requests === 0 ? 0 : (100 * s.failures) / s.requests;
  return `${formatNumber(s.failures)} (${formatNumber(pct, 1)} %)`;
};

/**
 * Columns of figures side by side, one line per measure; numbers right-aligned, latencies rounded to whole
 * milliseconds, unknown ones shown as a dash.
 */
export function formatColumns(columns: { heading: string; stats: LoadStats }[]): string {
  const measures: [string, (s: LoadStats) => string][] = [
    ['requests', (s) => formatNumber(s.requests)],
    ['failures', failures],
    ['min ms', (s) => ms(s.minMs)],
    ['median ms', (s) => ms(s.medianMs)],
    ['avg ms', (s) => ms(s.avgMs)],
    ['p95 ms', (s) => ms(s.p95Ms)],
    ['max ms', (s) => ms(s.maxMs)],
    ['req/s', (s) => formatNumber(s.requestsPerSecond, 1)],
  ];
  const lines = [['', ...columns.map((c) => c.heading)], ...measures.map(([name, show]) => [name, ...columns.map((c) => show(c.stats))])];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map(([name, ...cells]) => `  ${name!.padEnd(widths[0]!)}${cells.map((c, i) => `  ${c.padStart(widths[i + 1]!)}`).join('')}`.trimEnd())
    .join('\n');
}

/** Two columns: this run and the old service (by default its published figures). */
export function formatComparison(
  run: LoadStats,
  old: LoadStats = OLD_SERVICE,
  headings: [string, string] = ['this run', 'old Flask service'],
): string {
  return formatColumns([
    { heading: headings[0], stats: run },
    { heading: headings[1], stats: old },
  ]);
}

/** The target of issue 14: at least this many times the old service's throughput, at most 1/this of its p95. */
export const TARGET_FACTOR = 8;

export interface Ratios {
  /** Our requests per second over the old service's. */
  throughput: number | null;
  /** The old service's p95 over ours (how many times shorter ours is). */
  p95: number | null;
  /** Both ratios at least TARGET_FACTOR (null when one is unknown). */
  meetsTarget: boolean | null;
}

export function ratios(ours: LoadStats, old: LoadStats): Ratios {
  const throughput = old.requestsPerSecond > 0 ? ours.requestsPerSecond / old.requestsPerSecond : null;
  const p95 = ours.p95Ms !== null && old.p95Ms !== null && ours.p95Ms > 0 ? old.p95Ms / ours.p95Ms : null;
  return { throughput, p95, meetsTarget: throughput === null || p95 === null ? null : throughput >= TARGET_FACTOR && p95 >= TARGET_FACTOR };
}

/** The ratio lines under a side-by-side table; `oldRequests` 0 says why the ratios are unknown. */
export function formatRatios(r: Ratios, oldRequests?: number): string {
  const x = (n: number | null) => (n === null ? '—' : `${formatNumber(n, 1)}×`);
  const verdict = r.meetsTarget === null ? 'unknown' : r.meetsTarget ? 'met' : 'NOT met';
  return [
    `  throughput: ${x(r.throughput)} the old service's; p95: 1/${r.p95 === null ? '—' : formatNumber(r.p95, 1)} of its p95`,
    `  target (≥ ${TARGET_FACTOR}× throughput, ≤ 1/${TARGET_FACTOR} p95, same session): ${verdict}`,
    ...(oldRequests === 0
      ? ['  the old service answered no request within the run time (each took longer): run longer, e.g. --run-time 3m']
      : []),
  ].join('\n');
}
