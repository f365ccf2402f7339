import type { JobName } from '../../contracts/jobs';
import type { PipelineResult } from '../../contracts/pipeline';
// Plain-text rendering of a pipeline run for `npm start`: each result section as an aligned table, then where the
// records went in Kafka and how long each step took. Pure functions (text in, text out), so tests pin the layout.

type Cell = string | number | boolean | null | undefined;
export type TableRow = Record<string, Cell>;

/** What an empty (null) cell shows. */
export const NULL_CELL = '—';

/** Section name → heading; unknown sections fall back to their name with spaces. */
const SECTION_TITLES: Record<string, string> = {
  overview: 'Overview',
  by_gender: 'By gender',
  by_department: 'By department',
  by_month: 'By month',
  age_bands: 'Age bands',
  records: 'Records',
};

/** Columns whose numbers are identifiers or calendar positions, not amounts: no thousands separators. */
const PLAIN_NUMBER_COLUMNS = new Set(['id', 'month']);

/** Jobs in the order the report shows them: the full analysis first, then the single counts. */
const JOB_ORDER: readonly JobName[] = ['final_analysis', 'count_gender', 'count_month', 'read_records'];
const inJobOrder = <T>(byJob: Partial<Record<JobName, T>>): [JobName, T][] =>
  JOB_ORDER.flatMap((job) => (byJob[job] === undefined ? [] : [[job, byJob[job]] as [JobName, T]]));

const label = (name: string) => name.replaceAll('_', ' ');

/** 1234567.5 → "1,234,567.50" with `decimals` digits after the point. */
export function formatNumber(n: number, decimals = 0, separators = true): string {
  const [whole = '', fraction] = Math.abs(n).toFixed(decimals).split('.');
  const grouped = separators ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : whole;
  return `${n < 0 ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** Digits after the point needed to show every number of the column exactly (at most 6), so the points line up. */
function columnDecimals(values: Cell[]): number {
  let decimals = 0;
  for (const v of values) {
    if (typeof v !== 'number' || Number.isInteger(v)) continue;
    const text = String(v);
    const point = text.indexOf('.');
    decimals = Math.max(decimals, point < 0 ? 6 : Math.min(6, text.length - point - 1));
  }
  return decimals;
}

/**
 * An aligned table: a header of the column names (underscores as spaces), a rule, one line per row. Numbers are
 * right-aligned with a fixed number of decimals per column and thousands separators; text is left-aligned; null
 * and missing cells show NULL_CELL. Columns are those of the rows, in order of first appearance.
 */
export function formatTable(rows: readonly TableRow[], indent = '  '): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (columns.length === 0) return `${indent}(no rows)`;
  const cells = columns.map((col) => {
    const values = rows.map((r) => r[col]);
    const decimals = columnDecimals(values);
    const numeric = values.some((v) => typeof v === 'number');
    const text = values.map((v) =>
      v === null || v === undefined
        ? NULL_CELL
        : typeof v === 'number'
          ? formatNumber(v, decimals, !PLAIN_NUMBER_COLUMNS.has(col))
          : String(v),
    );
    const width = Math.max(label(col).length, ...text.map((t) => t.length));
    const pad = (t: string) => (numeric ? t.padStart(width) : t.padEnd(width));
    return { header: pad(label(col)), rule: '-'.repeat(width), text: text.map(pad) };
  });
  const line = (parts: string[]) => `${indent}${parts.join('  ')}`.trimEnd();
  return [line(cells.map((c) => c.header)), line(cells.map((c) => c.rule)), ...rows.map((_, i) => line(cells.map((c) => c.text[i]!)))].join(
    '\n',
  );
}

/** A one-row section (an overview) reads better as name/value lines than as one very wide row. */
function formatSection(rows: readonly TableRow[], maxRows: number): string {
  if (rows.length === 1 && Object.keys(rows[0]!).length >= 4) return formatRecord(rows[0]!);
  const shown = formatTable(rows.slice(0, maxRows));
  return rows.length > maxRows ? `${shown}\n  … ${formatNumber(rows.length - maxRows)} more rows` : shown;
}

/** One row as lines of "name  value", names left-aligned and values right-aligned, each number with its own decimals. */
export function formatRecord(row: TableRow, indent = '  '): string {
  const entries = Object.entries(row).map(([name, v]) => ({
    name: label(name),
    value:
      v === null || v === undefined
        ? NULL_CELL
        : typeof v === 'number'
          ? formatNumber(v, columnDecimals([v]), !PLAIN_NUMBER_COLUMNS.has(name))
          : String(v),
  }));
  const nameWidth = Math.max(...entries.map((e) => e.name.length));
  const valueWidth = Math.max(...entries.map((e) => e.value.length));
  return entries.map((e) => `${indent}${e.name.padEnd(nameWidth)}  ${e.value.padStart(valueWidth)}`).join('\n');
}

export interface RunReportOptions {
  /** The run's page in the Temporal Web UI. */
  runUrl: string;
  /** Rows shown per section at most (read_records returns every record). Default 20. */
  maxRows?: number;
}

/** The whole report of a finished pipeline run: every job's sections, the Kafka offsets, the timings, the link. */
export function formatRunReport(result: PipelineResult, { runUrl, maxRows = 20 }: RunReportOptions): string {
  const out: string[] = [];
  for (const [job, collected] of inJobOrder(result.results)) {
    if ('stored' in collected) {
      out.push(`${job}: ${formatNumber(collected.rows)} rows stored in topic ${collected.stored.topic} (key ${collected.stored.key})`, '');
      continue;
    }
    for (const [section, rows] of Object.entries(collected.inline)) {
      out.push(`${SECTION_TITLES[section] ?? label(section)}  (${job})`, formatSection(rows, maxRows), '');
    }
  }

  const { source } = result;
  if (source.kind === 'kafka') {
    out.push(`Kafka: records in topic ${source.topic}${source.recordKey === undefined ? '' : ` with key ${source.recordKey}`}`);
    for (const r of source.ranges) {
      out.push(`  partition ${r.partition}: offsets ${r.from}–${r.to - 1} (${formatNumber(r.to - r.from)} messages)`);
    }
  } else {
    out.push(`Spark read the file ${source.path} itself (nothing written to Kafka)`);
  }
  out.push('');

  const { timings } = result;
  const steps: TableRow[] = [{ step: 'ingest', submit_ms: null, poll_ms: null, collect_ms: null, total_ms: timings.ingestMs }];
  for (const [job, t] of inJobOrder(timings.jobs)) {
    steps.push({
      step: job,
      submit_ms: t.submitMs,
      poll_ms: t.pollMs,
      collect_ms: t.collectMs,
      total_ms: t.submitMs + t.pollMs + t.collectMs,
    });
  }
  steps.push({ step: 'whole run', submit_ms: null, poll_ms: null, collect_ms: null, total_ms: timings.totalMs });
  out.push('Timings', formatTable(steps), '', `Web UI: ${runUrl}`);
  return out.join('\n');
}
