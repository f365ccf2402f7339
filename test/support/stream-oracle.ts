// What the employees definition's stream job (`aggregates`: by_gender, by_month, salary_by_department) must read
// for a set of valid records, computed apart from the Spark SQL and from the results' fold (plain loops over the
// records, months from the platform's date parsing, Welford's running variance), so a test or `npm run stream` can
// hold the stream's results against it.
import type { EmployeeRecord } from '../../contracts/records';
import type { StreamAggregates } from '../../contracts/streams';

export interface ExpectedStreamCounts {
  total: number;
  byGender: Record<string, number>;
  /** Birth month 1-12 → count; records without a birth date under "null". */
  byMonth: Record<string, number>;
  /** Department (missing: "Unknown") → count, lowest and highest salary, and (Welford's running) mean and M2. */
  departments: Record<string, DepartmentExpectation>;
}

interface DepartmentExpectation {
  count: number;
  min: number;
  max: number;
  sum: number;
  mean: number;
  /** Sum of squared differences from the mean (Welford): the population variance is m2 / count. */
  m2: number;
}

/**
 * Sums, means and standard deviations: floating-point sums in another order (Spark's partial aggregates, merged
 * across windows; the standard deviation from a sum of squares) agree to about this relative error.
 */
const TOLERANCE = 1e-6;

export function expectedStreamCounts(records: Iterable<EmployeeRecord>): ExpectedStreamCounts {
  return countInto({ total: 0, byGender: {}, byMonth: {}, departments: {} }, records);
}

/** Adds the records to `out` (a running count, for a producer that cannot keep every record it sent). */
export function countInto(out: ExpectedStreamCounts, records: Iterable<EmployeeRecord>): ExpectedStreamCounts {
  for (const r of records) {
    out.total++;
    out.byGender[r.gender] = (out.byGender[r.gender] ?? 0) + 1;
    const month = r.birth_date ? String(new Date(`${r.birth_date}T00:00:00Z`).getUTCMonth() + 1) : 'null';
    out.byMonth[month] = (out.byMonth[month] ?? 0) + 1;
    const name = r.department ?? 'Unknown';
    const d = (out.departments[name] ??= { count: 0, min: Infinity, max: -Infinity, sum: 0, mean: 0, m2: 0 });
    d.count++;
    d.min = Math.min(d.min, r.salary);
    d.max = Math.max(d.max, r.salary);
    d.sum += r.salary;
    const delta = r.salary - d.mean;
    d.mean += delta / d.count;
    d.m2 += delta * (r.salary - d.mean);
  }
  return out;
}

/** A section's rows as column value (as text) → row, for comparing with the expected counts. */
function rowsBy(aggregates: StreamAggregates, section: string, column: string): Record<string, Record<string, unknown>> {
  return Object.fromEntries((aggregates.sections[section] ?? []).map((row) => [String(row[column]), row]));
}

/** Where the stream's results differ from the expected counts, one line each; empty when they are exact. */
export function streamMismatches(aggregates: StreamAggregates, expected: ExpectedStreamCounts): string[] {
  const out: string[] = [];
  if (!aggregates.consistent) out.push('a window half-written: its rows in some section do not add up to its total');
  const compare = (what: string, got: Record<string, unknown>, want: Record<string, number>) => {
    for (const key of new Set([...Object.keys(got), ...Object.keys(want)])) {
      if (got[key] !== want[key]) out.push(`${what} ${key}: counted ${String(got[key] ?? 0)}, sent ${want[key] ?? 0}`);
    }
  };
  const column = (rows: Record<string, Record<string, unknown>>, measure: string) =>
    Object.fromEntries(Object.entries(rows).map(([k, row]) => [k, row[measure]]));
  if (aggregates.total !== expected.total) out.push(`total: counted ${aggregates.total}, sent ${expected.total}`);
  compare('gender', column(rowsBy(aggregates, 'by_gender', 'gender'), 'count'), expected.byGender);
  compare('birth month', column(rowsBy(aggregates, 'by_month', 'month'), 'count'), expected.byMonth);
  const departments = rowsBy(aggregates, 'salary_by_department', 'department');
  const want = (pick: (d: DepartmentExpectation) => number) =>
    Object.fromEntries(Object.entries(expected.departments).map(([k, d]) => [k, pick(d)]));
  compare(
    'department',
    column(departments, 'count'),
    want((d) => d.count),
  );
  compare(
    'lowest salary in',
    column(departments, 'min'),
    want((d) => d.min),
  );
  compare(
    'highest salary in',
    column(departments, 'max'),
    want((d) => d.max),
  );
  for (const [name, wanted] of Object.entries(expected.departments)) {
    const got = departments[name];
    if (!got) continue; // reported above, by count
    const stats: [string, unknown, number][] = [
      ['salary sum', got.sum, wanted.sum],
      ['mean salary', got.mean, wanted.mean],
      ['salary standard deviation (population)', got.stddev, Math.sqrt(wanted.m2 / wanted.count)],
    ];
    for (const [what, value, expectedValue] of stats) {
      if (!(typeof value === 'number' && Math.abs(value - expectedValue) <= TOLERANCE * Math.max(1, Math.abs(expectedValue))))
        out.push(`${what} in ${name}: ${String(value)}, sent ${expectedValue.toFixed(4)}`);
    }
  }
  const windows = aggregates.windows.reduce((n, w) => n + w.count, 0);
  if (windows !== expected.total) out.push(`windows: counted ${windows} in all, sent ${expected.total}`);
  return out;
}
