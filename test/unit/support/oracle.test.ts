// Specification of the TypeScript reference for the Spark jobs, on a small input computed by hand.
import { describe, expect, it } from 'vitest';
import type { EmployeeRecord } from '../../../contracts/records';
import { EMPLOYEE_JOBS as JOB_NAMES, referenceResult, roundHalfUp } from '../../support/oracle';

/** The sections of each job as the employees definition declares them (definitions/employees/pipeline.yml). */
const SECTIONS = {
  count_gender: ['by_gender'],
  count_month: ['by_month'],
  final_analysis: ['overview', 'by_gender', 'by_department', 'by_month', 'age_bands'],
  read_records: ['records'],
};

const params = { referenceDate: '2025-03-15' };
const records: EmployeeRecord[] = [
  { id: 1, gender: 'M', salary: 1000, birth_date: '1990-03-10', department: 'Engineering' }, // 35: birthday passed
  { id: 2, gender: 'F', salary: 2000, birth_date: '1985-03-20', department: 'Engineering' }, // 39: birthday to come
  { id: 3, gender: 'F', salary: 3000, department: 'Sales' },
  { id: 4, gender: 'M', salary: 4000, birth_date: '2001-12-01' }, // 23, no department
  { id: 5, gender: 'F', salary: 1001, birth_date: '1960-07-01', department: 'Engineering' }, // 64
  { id: 6, gender: 'M', salary: 1500, birth_date: '2000-03-15', department: 'Engineering' }, // 25 today
];

describe('referenceResult', () => {
  it('count_gender counts per gender, ordered by gender', () => {
    expect(referenceResult('count_gender', records, params)).toEqual({
      by_gender: [
        { gender: 'F', count: 3 },
        { gender: 'M', count: 3 },
      ],
    });
  });

  it('count_month counts records with a birth date per month, ordered by month', () => {
    expect(referenceResult('count_month', records, params)).toEqual({
      by_month: [
        { month: 3, month_name: 'March', count: 3 },
        { month: 7, month_name: 'July', count: 1 },
        { month: 12, month_name: 'December', count: 1 },
      ],
    });
  });

  it('final_analysis computes every section', () => {
    const result = referenceResult('final_analysis', records, params);
    expect(Object.keys(result)).toEqual(SECTIONS.final_analysis);
    // sum 12501, mean 2083.5, squared deviations sum to 7206167.5, / 5 = 1441233.5, sqrt = 1200.5138...
    expect(result.overview).toEqual([
      {
        head_count: 6,
        total_salary: 12501,
        min_salary: 1000,
        avg_salary: 2083.5,
        max_salary: 4000,
        stddev_salary: 1200.51,
        with_birth_date: 5,
        without_birth_date: 1,
      },
    ]);
    expect(result.by_gender).toEqual([
      { gender: 'F', count: 3, min_salary: 1001, avg_salary: 2000.33, max_salary: 3000, share_pct: 50 },
      { gender: 'M', count: 3, min_salary: 1000, avg_salary: 2166.67, max_salary: 4000, share_pct: 50 },
    ]);
    // Engineering sorted: 1000, 1001, 1500, 2000 → median halfway between 1001 and 1500.
    expect(result.by_department).toEqual([
      {
        department: 'Engineering',
        count: 4,
        min_salary: 1000,
        avg_salary: 1375.25,
        median_salary: 1250.5,
        max_salary: 2000,
        total_salary: 5501,
      },
      { department: 'Sales', count: 1, min_salary: 3000, avg_salary: 3000, median_salary: 3000, max_salary: 3000, total_salary: 3000 },
      { department: 'Unknown', count: 1, min_salary: 4000, avg_salary: 4000, median_salary: 4000, max_salary: 4000, total_salary: 4000 },
    ]);
    expect(result.by_month).toEqual(referenceResult('count_month', records, params).by_month);
    expect(result.age_bands).toEqual([
      { age_band: 'under 25', count: 1, avg_salary: 4000 },
      { age_band: '25-34', count: 1, avg_salary: 1500 },
      { age_band: '35-44', count: 2, avg_salary: 1500 },
      { age_band: '55-64', count: 1, avg_salary: 1001 },
    ]);
  });

  it('gives null statistics where Spark does: stddev of one value, everything of no values', () => {
    expect(referenceResult('final_analysis', records.slice(0, 1), params).overview?.[0]?.stddev_salary).toBeNull();
    expect(referenceResult('final_analysis', [], params).overview).toEqual([
      {
        head_count: 0,
        total_salary: null,
        min_salary: null,
        avg_salary: null,
        max_salary: null,
        stddev_salary: null,
        with_birth_date: 0,
        without_birth_date: 0,
      },
    ]);
  });

  it('shares are rounded percentages of the head count', () => {
    const three = records.slice(0, 3).map((r, i) => ({ ...r, gender: ['A', 'B', 'B'][i]! }));
    expect(referenceResult('final_analysis', three, params).by_gender?.map((r) => r.share_pct)).toEqual([33.33, 66.67]);
  });

  it('orders strings by code point, as Spark orders UTF-8 bytes', () => {
    const depts = ['\u{1F600}', '\uFF21', 'É', 'a', 'Z'].map((department, i) => ({ id: i, gender: 'M', salary: 1, department }));
    expect(referenceResult('final_analysis', depts, params).by_department?.map((r) => r.department)).toEqual([
      'Z',
      'a',
      'É',
      '\uFF21',
      '\u{1F600}',
    ]);
  });

  it('covers every job', () => {
    for (const job of JOB_NAMES) {
      expect(Object.keys(referenceResult(job, records, params))).toEqual(SECTIONS[job]);
    }
  });
});

describe('roundHalfUp', () => {
  it('rounds the shortest decimal form half away from zero, as Spark round() does', () => {
    expect(roundHalfUp(2.675, 2)).toBe(2.68); // Math.round(2.675 * 100) / 100 gives 2.67
    expect(roundHalfUp(1.005, 2)).toBe(1.01);
    expect(roundHalfUp(0.125, 2)).toBe(0.13);
    expect(roundHalfUp(1234.565, 2)).toBe(1234.57);
    expect(roundHalfUp(0.1 + 0.2, 2)).toBe(0.3);
    expect(roundHalfUp(-2.5, 0)).toBe(-3);
    expect(roundHalfUp(1e-7, 2)).toBe(0);
    expect(roundHalfUp(123456789012.345, 2)).toBe(123456789012.35);
  });
});
