// Specification of the employee record schema and of batch validation errors.
import { describe, expect, it } from 'vitest';
import { parseRecords as parseWith, RecordValidationError } from '../../../contracts/records';
import { employeeRecordShape } from '../../support/plans';

const parseRecords = (input: unknown, opts?: { maxRecords?: number }) => parseWith(input, employeeRecordShape(), opts);

const valid = { id: 1, name: 'Ada Lovelace', gender: 'F', salary: 120000, birth_date: '1990-02-28', department: 'Engineering' };

/** The error parseRecords throws for `input`; fails the test if it does not throw one. */
function errorOf(input: unknown, opts?: { maxRecords?: number }): RecordValidationError {
  try {
    parseRecords(input, opts);
  } catch (err) {
    if (err instanceof RecordValidationError) return err;
    throw err;
  }
  throw new Error('expected parseRecords to throw');
}

describe('parseRecords', () => {
  it('accepts full and minimal records and returns them unchanged', () => {
    const minimal = { id: 2, gender: 'M', salary: 0 };
    expect(parseRecords([valid, minimal])).toEqual([valid, minimal]);
  });

  it('accepts a leap day', () => {
    expect(parseRecords([{ ...valid, birth_date: '2000-02-29' }])[0]?.birth_date).toBe('2000-02-29');
  });

  it.each([
    ['records: must be a non-empty array', undefined],
    ['records: must be a non-empty array', { records: [] }],
    ['records: must be a non-empty array', []],
    ['records[0]: expected an object, got 5', [5]],
    ['records[0].salary: expected a number, got "abc"', [{ ...valid, salary: 'abc' }]],
    ['records[0].salary: must be >= 0, got -1', [{ ...valid, salary: -1 }]],
    ['records[0].salary: expected a number, got Infinity', [{ ...valid, salary: Number.POSITIVE_INFINITY }]],
    ['records[0].salary: expected a number, got NaN', [{ ...valid, salary: Number.NaN }]],
    ['records[0].id: expected an integer, got 1.5', [{ ...valid, id: 1.5 }]],
    ['records[0].id: expected a number, got "7"', [{ ...valid, id: '7' }]],
    ['records[0].id: must be a safe integer, got 9007199254740992', [{ ...valid, id: 2 ** 53 }]],
    ['records[0].gender: must not be empty', [{ ...valid, gender: '' }]],
    ['records[0].gender: is required', [{ id: 1, salary: 1 }]],
    ['records[0].name: expected a string, got null', [{ ...valid, name: null }]],
    ['records[0].birth_date: must be a real date as YYYY-MM-DD, got "1990-2-28"', [{ ...valid, birth_date: '1990-2-28' }]],
    ['records[0].birth_date: must be a real date as YYYY-MM-DD, got "2001-02-29"', [{ ...valid, birth_date: '2001-02-29' }]],
    ['records[0]: unknown field(s) "salary_eur"', [{ ...valid, salary_eur: 5 }]],
  ])('rejects with "%s"', (expected, input) => {
    const err = errorOf(input);
    expect(err.message).toBe(`invalid records: ${expected}`);
    const [path, message] = expected.split(/: (.*)/s);
    expect(err.issues[0]).toEqual({ path, message });
  });

  it('rejects duplicate ids, naming both places', () => {
    const err = errorOf([valid, { ...valid, id: 2 }, { ...valid }]);
    expect(err.issues).toEqual([{ path: 'records[2].id', message: 'duplicate id 1 (first at records[0])' }]);
  });

  it('enforces maxRecords (default 100000)', () => {
    expect(errorOf([valid, { ...valid, id: 2 }], { maxRecords: 1 }).message).toBe(
      'invalid records: records: at most 1 records allowed, got 2',
    );
    const many = Array.from({ length: 100_001 }, (_, i) => ({ ...valid, id: i }));
    expect(errorOf(many).issues[0]?.message).toBe('at most 100000 records allowed, got 100001');
    expect(parseRecords(many.slice(1))).toHaveLength(100_000);
  });

  it('reports every issue but names only the first five in the message', () => {
    const err = errorOf(Array.from({ length: 7 }, (_, i) => ({ id: i, gender: 'M', salary: -1 })));
    expect(err.issues).toHaveLength(7);
    expect(err.message).toMatch(/^invalid records: records\[0\]\.salary: must be >= 0, got -1; .*records\[4\]\.salary.* \(and 2 more\)$/);
    expect(err.message).not.toContain('records[5]');
  });
});
