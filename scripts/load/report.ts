// Reading Locust's `<prefix>_stats.csv` and laying its totals next to the old Flask service's published load-test
// figures, for `npm run load`. Pure functions (text in, values or text out), so tests pin the parsing and layout.
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
  const latency = (column: string) => {
    const text = cell(column);
    return text === '' || text === 'N/A' || !Number.isFinite(Number(text)) ? null : Number(text);
  };
  return {
    requests: count(COLUMNS.requests),
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
 * Two columns of figures, this run and the old service, one line per measure; numbers right-aligned, latencies
 * rounded to whole milliseconds, unknown ones shown as a dash.
 */
export function formatComparison(
  run: LoadStats,
  old: LoadStats = OLD_SERVICE,
  headings: [string, string] = ['this run', 'old Flask service'],
): string {
  const lines: [string, string, string][] = [
    ['', ...headings],
    ['requests', formatNumber(run.requests), formatNumber(old.requests)],
    ['failures', failures(run), failures(old)],
    ['min ms', ms(run.minMs), ms(old.minMs)],
    ['median ms', ms(run.medianMs), ms(old.medianMs)],
    ['avg ms', ms(run.avgMs), ms(old.avgMs)],
    ['p95 ms', ms(run.p95Ms), ms(old.p95Ms)],
    ['max ms', ms(run.maxMs), ms(old.maxMs)],
    ['req/s', formatNumber(run.requestsPerSecond, 1), formatNumber(old.requestsPerSecond, 1)],
  ];
  const w0 = Math.max(...lines.map((l) => l[0].length));
  const w1 = Math.max(...lines.map((l) => l[1].length));
  const w2 = Math.max(...lines.map((l) => l[2].length));
  return lines.map(([name, a, b]) => `  ${name.padEnd(w0)}  ${a.padStart(w1)}  ${b.padStart(w2)}`.trimEnd()).join('\n');
}
