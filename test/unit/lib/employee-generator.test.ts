// Specification of the sample-data generator: deterministic, realistic, valid, and the committed files match it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecords } from '../../../contracts/records';
import { employeeRecordShape } from '../../support/plans';
import { generateEmployees } from '../../../lib/employee-generator';

const DATA_DIR = path.resolve(__dirname, '../../../data');
const readJson = (file: string): unknown => JSON.parse(readFileSync(path.join(DATA_DIR, file), 'utf8'));
const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'HR', 'Operations', 'Support', 'Legal'];

describe('generateEmployees', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = [...generateEmployees(200, 42)];
    expect([...generateEmployees(200, 42)]).toEqual(a);
    expect([...generateEmployees(200, 43)]).not.toEqual(a);
    expect([...generateEmployees(50, 42)]).toEqual(a.slice(0, 50)); // a prefix does not depend on the count
  });

  it('yields exactly count records with ids 1..count that all pass the schema', () => {
    const records = [...generateEmployees(5000, 7)];
    expect(records).toHaveLength(5000);
    expect(records.map((r) => r.id)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    expect(parseRecords(records, employeeRecordShape())).toHaveLength(5000);
    expect([...generateEmployees(0, 7)]).toEqual([]);
  });

  it('yields realistic values', () => {
    const records = [...generateEmployees(5000, 7)];
    expect(new Set(records.map((r) => r.gender))).toEqual(new Set(['M', 'F']));
    expect(new Set(records.flatMap((r) => r.department ?? []))).toEqual(new Set(DEPARTMENTS));
    for (const r of records) {
      expect(r.name).toMatch(/^\p{L}+ \p{L}+$/u);
      expect(r.salary % 100).toBe(0);
      expect(r.salary).toBeGreaterThanOrEqual(30_000);
      expect(r.salary).toBeLessThanOrEqual(175_000);
      if (r.birth_date) expect(r.birth_date >= '1960-01-01' && r.birth_date <= '2003-12-31').toBe(true);
    }
    const mean = (dept: string) => {
      const salaries = records.filter((r) => r.department === dept).map((r) => r.salary);
      return salaries.reduce((a, b) => a + b, 0) / salaries.length;
    };
    expect(mean('Engineering')).toBeGreaterThan(mean('Support'));
    // A few records lack optional fields, on purpose, but most are complete.
    const missing = records.filter((r) => !r.birth_date || !r.department).length;
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThan(records.length * 0.1);
  });
});

describe('committed sample data', () => {
  it('data/emp_data.json is generateEmployees(1000, 42)', () => {
    expect(readJson('emp_data.json')).toEqual([...generateEmployees(1000, 42)]);
  });

  it('data/json_topic.json wraps the first 20 records as Kafka messages at offsets 0..19', () => {
    const expected = [...generateEmployees(20, 42)].map((value, offset) => ({ topic: 'emp_data', partition: 0, offset, key: null, value }));
    expect(readJson('json_topic.json')).toEqual(expected);
  });
});
