// What a right answer is, from the test oracle (test/support/oracle.ts, which shares no code or constants with the
// Spark jobs): the /process answer's analysis fields, and a pipeline run's job results.
import { isDeepStrictEqual } from 'node:util';
import type { JobName, JobResult } from '../../contracts/jobs';
import type { EmployeeRecord } from '../../contracts/records';
import { referenceResult } from '../../test/support/oracle';

/** The fields of a /process answer that carry the analysis, as the old service's users read them. */
export function expectedProcessAnswer(records: readonly EmployeeRecord[], referenceDate: string): Record<string, unknown> {
  const analysis = referenceResult('final_analysis', records, { referenceDate });
  const byGender = analysis.by_gender ?? [];
  return {
    record_count: records.length,
    count_by_gender: Object.fromEntries(byGender.map((r) => [r.gender, r.count])),
    count_by_month: Object.fromEntries((analysis.by_month ?? []).map((r) => [r.month_name, r.count])),
    salary: analysis.overview?.[0] ?? {},
    salary_by_gender: byGender,
    salary_by_department: analysis.by_department ?? [],
    age_bands: analysis.age_bands ?? [],
  };
}

/** Expected answers of bodies sent again and again (a flood), by body and day. */
const memo = new WeakMap<readonly EmployeeRecord[], Map<string, Record<string, unknown>>>();

/** Whether a /process answer is right for the records on any of the given days (a request may straddle midnight). */
export function isRightProcessAnswer(answer: Record<string, unknown>, records: readonly EmployeeRecord[], days: string[]): boolean {
  return days.some((day) => {
    const byDay = memo.get(records) ?? new Map<string, Record<string, unknown>>();
    memo.set(records, byDay);
    const expected = byDay.get(day) ?? expectedProcessAnswer(records, day);
    byDay.set(day, expected);
    return Object.entries(expected).every(([field, value]) => isDeepStrictEqual(answer[field], value));
  });
}

/** Whether a run's inline job results are right. */
export function isRightJobResult(job: JobName, inline: JobResult, records: readonly EmployeeRecord[], referenceDate: string): boolean {
  return isDeepStrictEqual(inline, referenceResult(job, records, { referenceDate }));
}

/** The UTC day of a time, as the pipeline takes its reference date. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
