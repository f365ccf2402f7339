// What a stream's aggregates must read for a set of valid records, computed apart from the Spark SQL (plain loops
// over the records, months from the platform's date parsing), so a test or `npm run stream` can hold the stream's
// aggregates against it.
import type { EmployeeRecord } from '../../contracts/records';
import type { StreamAggregates } from '../../contracts/streams';

export interface ExpectedStreamCounts {
  total: number;
  byGender: Record<string, number>;
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

/** Sums, means and standard deviations are shown to 2 decimals: they may differ by that much from the float arithmetic. */
const SHOWN_TO = 0.01;

export function expectedStreamCounts(records: Iterable<EmployeeRecord>): ExpectedStreamCounts {
  return countInto({ total: 0, byGender: {}, byMonth: {}, departments: {} }, records);
}

/** Adds the records to `out` (a running count, for a producer that cannot keep every record it sent). */
export function countInto(out: ExpectedStreamCounts, records: Iterable<EmployeeRecord>): ExpectedStreamCounts {
  for (const r of records) {
    out.total++;
    out.byGender[r.gender] = (out.byGender[r.gender] ?? 0) + 1;
    if (r.birth_date) {
      const month = String(new Date(`${r.birth_date}T00:00:00Z`).getUTCMonth() + 1);
      out.byMonth[month] = (out.byMonth[month] ?? 0) + 1;
    }
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

/** Where the stream's aggregates differ from the expected counts, one line each; empty when they are exact. */
export function streamMismatches(aggregates: StreamAggregates, expected: ExpectedStreamCounts): string[] {
  const out: string[] = [];
  if (!aggregates.consistent) out.push('a window half-written: its counts by kind do not add up to its total');
  const compare = (what: string, got: Record<string, number>, want: Record<string, number>) => {
    for (const key of new Set([...Object.keys(got), ...Object.keys(want)])) {
      if (got[key] !== want[key]) out.push(`${what} ${key}: counted ${got[key] ?? 0}, sent ${want[key] ?? 0}`);
    }
  };
  if (aggregates.total !== expected.total) out.push(`total: counted ${aggregates.total}, sent ${expected.total}`);
  compare('gender', aggregates.byGender, expected.byGender);
  compare('birth month', aggregates.byMonth, expected.byMonth);
  const departments = (pick: (d: { count: number; min: number; max: number }) => number) => [
    Object.fromEntries(Object.entries(aggregates.salaryByDepartment).map(([k, d]) => [k, pick(d)])),
    Object.fromEntries(Object.entries(expected.departments).map(([k, d]) => [k, pick(d)])),
  ];
  compare('department', ...(departments((d) => d.count) as [Record<string, number>, Record<string, number>]));
  compare('lowest salary in', ...(departments((d) => d.min) as [Record<string, number>, Record<string, number>]));
  compare('highest salary in', ...(departments((d) => d.max) as [Record<string, number>, Record<string, number>]));
  for (const [name, want] of Object.entries(expected.departments)) {
    const got = aggregates.salaryByDepartment[name];
    if (!got) continue; // reported above, by count
    const stats: [string, number, number][] = [
      ['salary sum', got.sum, want.sum],
      ['mean salary', got.mean, want.mean],
      ['salary standard deviation (population)', got.stddev, Math.sqrt(want.m2 / want.count)],
    ];
    for (const [what, value, wanted] of stats) {
      if (!(Math.abs(value - wanted) <= SHOWN_TO + 1e-9 * Math.abs(wanted)))
        out.push(`${what} in ${name}: ${value}, sent ${wanted.toFixed(4)}`);
    }
  }
  const windows = aggregates.windows.reduce((n, w) => n + w.count, 0);
  if (windows !== expected.total) out.push(`windows: counted ${windows} in all, sent ${expected.total}`);
  return out;
}
