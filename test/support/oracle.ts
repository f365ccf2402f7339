// The test oracle: an independent TypeScript computation of every Spark job (plain loops, no SQL), in the shape
// Spark returns (same columns, order and rounding), so tests and `npm run chaos` can hold Spark's rows against it.
// It shares no code and no constants with spark/jobs/sql.ts (month names come from the platform, age bands are
// written out again here), so a mistake there cannot hide by being repeated here.
import type { JobResult, Row } from '../../contracts/jobs';
import type { EmployeeRecord } from '../../contracts/records';

/** The employees definition's jobs (definitions/employees/pipeline.yml), as its users name them. */
export const EMPLOYEE_JOBS = ['count_gender', 'count_month', 'final_analysis', 'read_records'] as const;
export type EmployeeJob = (typeof EMPLOYEE_JOBS)[number];
export interface JobParams {
  referenceDate: string;
}

/** Month names from the platform (the SQL spells them out; an independent source here). */
const MONTH_NAMES = Array.from({ length: 12 }, (_, m) =>
  new Date(Date.UTC(2000, m, 1)).toLocaleString('en-US', { month: 'long', timeZone: 'UTC' }),
);
/** The bands the old service's users read: lower bounds in whole years, and their labels. */
const AGE_BAND_FROM = [0, 25, 35, 45, 55, 65];
const AGE_BAND_LABELS = 'under 25|25-34|35-44|45-54|55-64|65 and over'.split('|');

export function referenceResult(job: EmployeeJob | string, records: readonly EmployeeRecord[], params: JobParams): JobResult {
  switch (job) {
    case 'count_gender':
      return { by_gender: groupBy(records, (r) => r.gender).map(([gender, rs]) => ({ gender, count: rs.length })) };
    case 'count_month':
      return { by_month: byMonth(records) };
    case 'final_analysis':
      return {
        overview: [overview(records)],
        by_gender: groupBy(records, (r) => r.gender).map(([gender, rs]) => ({
          gender,
          count: rs.length,
          min_salary: min(rs),
          avg_salary: roundHalfUp(avg(rs)!, 2),
          max_salary: max(rs),
          share_pct: roundHalfUp((100 * rs.length) / records.length, 2),
        })),
        by_department: groupBy(records, (r) => r.department ?? 'Unknown').map(([department, rs]) => ({
          department,
          count: rs.length,
          min_salary: min(rs),
          avg_salary: roundHalfUp(avg(rs)!, 2),
          median_salary: roundHalfUp(median(rs), 2),
          max_salary: max(rs),
          total_salary: roundHalfUp(sum(rs), 2),
        })),
        by_month: byMonth(records),
        age_bands: ageBands(records, params.referenceDate),
      };
    case 'read_records':
      return {
        records: [...records]
          .sort((a, b) => a.id - b.id)
          .map((r) => ({
            id: r.id,
            name: r.name ?? null,
            gender: r.gender,
            salary: r.salary,
            birth_date: r.birth_date ?? null,
            department: r.department ?? null,
          })),
      };
    default:
      throw new Error(`the oracle knows no employee job "${job}"`);
  }
}

function overview(records: readonly EmployeeRecord[]): Row {
  const withBirthDate = records.filter((r) => r.birth_date !== undefined).length;
  const empty = records.length === 0;
  const stddev = stddevSamp(records);
  return {
    head_count: records.length,
    total_salary: empty ? null : roundHalfUp(sum(records), 2),
    min_salary: min(records),
    avg_salary: empty ? null : roundHalfUp(avg(records)!, 2),
    max_salary: max(records),
    stddev_salary: stddev === null ? null : roundHalfUp(stddev, 2),
    with_birth_date: withBirthDate,
    without_birth_date: records.length - withBirthDate,
  };
}

function byMonth(records: readonly EmployeeRecord[]): Row[] {
  const dated = records.filter((r) => r.birth_date !== undefined);
  return groupBy(dated, (r) => Number(r.birth_date!.slice(5, 7))).map(([month, rs]) => ({
    month,
    month_name: MONTH_NAMES[month - 1]!,
    count: rs.length,
  }));
}

function ageBands(records: readonly EmployeeRecord[], referenceDate: string): Row[] {
  const [refYear, refMonth, refDay] = referenceDate.split('-').map(Number) as [number, number, number];
  const band = (birthDate: string): number => {
    const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
    const age = refYear - y - (m > refMonth || (m === refMonth && d > refDay) ? 1 : 0);
    return Math.max(0, AGE_BAND_FROM.filter((from) => age >= from).length - 1); // younger than 0: first band, as in SQL
  };
  const dated = records.filter((r) => r.birth_date !== undefined);
  return groupBy(dated, (r) => band(r.birth_date!)).map(([b, rs]) => ({
    age_band: AGE_BAND_LABELS[b]!,
    count: rs.length,
    avg_salary: roundHalfUp(avg(rs)!, 2),
  }));
}

/** Groups in first-seen order inside a group (as Spark aggregates one partition), groups sorted by key. */
function groupBy<K extends string | number>(records: readonly EmployeeRecord[], key: (r: EmployeeRecord) => K): [K, EmployeeRecord[]][] {
  const groups = new Map<K, EmployeeRecord[]>();
  for (const r of records) {
    const k = key(r);
    const group = groups.get(k);
    if (group) group.push(r);
    else groups.set(k, [r]);
  }
  return [...groups].sort(([a], [b]) => (typeof a === 'number' ? a - (b as number) : compareCodePoints(a, b as string)));
}

/** Spark orders strings by their UTF-8 bytes, which is code point order (JS `<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  return ca.length - cb.length;
}

const sum = (rs: readonly EmployeeRecord[]) => rs.reduce((s, r) => s + r.salary, 0);
const min = (rs: readonly EmployeeRecord[]) => (rs.length ? rs.reduce((m, r) => Math.min(m, r.salary), Infinity) : null);
const max = (rs: readonly EmployeeRecord[]) => (rs.length ? rs.reduce((m, r) => Math.max(m, r.salary), -Infinity) : null);
const avg = (rs: readonly EmployeeRecord[]) => (rs.length ? sum(rs) / rs.length : null);

/** Sample standard deviation, by Welford's update as Spark's stddev_samp does it; null below two values. */
function stddevSamp(rs: readonly EmployeeRecord[]): number | null {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const { salary } of rs) {
    n += 1;
    const delta = salary - mean;
    const deltaN = delta / n;
    mean += deltaN;
    m2 += delta * (delta - deltaN);
  }
  return n < 2 ? null : Math.sqrt(m2 / (n - 1));
}

/** Spark's exact percentile(x, 0.5): linear interpolation between the values at floor/ceil of (n - 1) * p. */
function median(rs: readonly EmployeeRecord[]): number {
  const sorted = rs.map((r) => r.salary).sort((a, b) => a - b);
  const position = (sorted.length - 1) * 0.5;
  const [lower, higher] = [Math.floor(position), Math.ceil(position)];
  const [lowValue, highValue] = [sorted[lower]!, sorted[higher]!];
  if (lower === higher || lowValue === highValue) return lowValue;
  return (higher - position) * lowValue + (position - lower) * highValue;
}

/**
 * Spark's round(x, scale) on a double: HALF_UP (ties away from zero) on the shortest decimal form of x, so
 * round(2.675, 2) is 2.68 although the double 2.675 is slightly below it.
 */
export function roundHalfUp(x: number, scale: number): number {
  if (!Number.isFinite(x)) return x;
  const [digits, exponent] = Math.abs(x).toExponential().split('e') as [string, string];
  const shifted = Math.round(Number(`${digits}e${Number(exponent) + scale}`));
  return Math.sign(x) * Number(`${shifted}e-${scale}`);
}
