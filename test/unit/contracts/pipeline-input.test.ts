// Specification of the pipeline's input: what each kind of source becomes, the defaults, and every error message.
import { describe, expect, it } from 'vitest';
import { parsePipelineInput, PipelineInputError, RecordValidationError, resolvePipelineInput } from '../../../contracts/pipeline-input';
import { loadDefinitions } from '../../../lib/definitions';
import { DEFINITIONS_DIR } from '../../support/plans';

const employees = loadDefinitions(DEFINITIONS_DIR).definitions.get('employees')!;
const RUN_DATE = '2026-12-05';
/** The input checked as a run checks it: its shape, then against the employees definition. */
const check = (input: unknown) => resolvePipelineInput(parsePipelineInput(input), employees, RUN_DATE);
const date = (value: string) => ({ referenceDate: { type: 'date', value } });

const record = { id: 1, name: 'Ada', gender: 'F', salary: 120000, birth_date: '1990-02-28', department: 'Engineering' };

/** The error parsePipelineInput throws for `input`; fails the test if it throws none. */
function errorOf(input: unknown): Error {
  try {
    check(input);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected parsePipelineInput to throw');
}

describe('parsePipelineInput: valid inputs', () => {
  it('takes inline records, with final_analysis as the default job and the run date as the reference date', () => {
    expect(check({ records: [record] })).toEqual({
      source: { kind: 'records', records: [record] },
      jobs: ['final_analysis'],
      params: date(RUN_DATE),
    });
    expect(parsePipelineInput({ records: [record] }).pipeline).toBe('employees');
  });

  it('takes the reference date in params too, and names a pipeline', () => {
    expect(check({ pipeline: 'employees', records: [record], params: { referenceDate: '2024-01-01' } }).params).toEqual(date('2024-01-01'));
  });

  it('takes a file, ingested into Kafka by default', () => {
    expect(check({ file: 'emp_data.json', jobs: ['count_gender', 'count_month'] })).toEqual({
      source: { kind: 'file', path: 'emp_data.json', ingest: true },
      jobs: ['count_gender', 'count_month'],
      params: date(RUN_DATE),
    });
  });

  it('takes a file that Spark reads itself, drops repeated jobs, keeps the reference date', () => {
    expect(check({ file: 'emp_data.json', ingest: false, jobs: ['read_records', 'read_records'], referenceDate: '2024-01-01' })).toEqual({
      source: { kind: 'file', path: 'emp_data.json', ingest: false },
      jobs: ['read_records'],
      params: date('2024-01-01'),
    });
  });

  it('takes an offset range of a topic, including an empty one (to = from)', () => {
    const ranges = [
      { partition: 0, from: 0, to: 20 },
      { partition: 1, from: 5, to: 5 },
    ];
    expect(check({ topic: { name: 'emp_data', ranges }, jobs: ['read_records'] })).toEqual({
      source: { kind: 'topic', topic: 'emp_data', ranges },
      jobs: ['read_records'],
      params: date(RUN_DATE),
    });
  });
});

describe('parsePipelineInput: errors', () => {
  it.each([
    ['no source', {}, 'invalid pipeline input: give exactly one of "records", "groups", "file" or "topic"'],
    ['no input at all', undefined, 'invalid pipeline input: give exactly one of "records", "groups", "file" or "topic"'],
    [
      'two sources',
      { records: [record], file: 'emp_data.json' },
      'invalid pipeline input: give exactly one of "records", "groups", "file" or "topic" (got records and file)',
    ],
    [
      'an unknown job, naming the allowed ones',
      { file: 'emp_data.json', jobs: ['count_gender', 'read_emp_data'] },
      'invalid pipeline input: jobs: "read_emp_data" not among employees\'s jobs (count_gender, count_month, final_analysis, read_records)',
    ],
    [
      'an unknown parameter, naming the declared ones',
      { file: 'emp_data.json', params: { refDate: '2024-01-01' } },
      'invalid pipeline input: params.refDate: unknown parameter (employees declares referenceDate)',
    ],
    [
      'a mistyped parameter',
      { file: 'emp_data.json', params: { referenceDate: 20240101 } },
      'invalid pipeline input: params.referenceDate: expected a date as YYYY-MM-DD, got 20240101',
    ],
    [
      'the reference date given twice',
      { file: 'emp_data.json', referenceDate: '2024-01-01', params: { referenceDate: '2024-01-01' } },
      'invalid pipeline input: give referenceDate once: as "referenceDate" or in "params"',
    ],
    [
      'a parameter named like an object property',
      JSON.parse('{"file": "emp_data.json", "params": {"__proto__": {"referenceDate": "2024-01-01"}}}'),
      'invalid pipeline input: params.__proto__: not a parameter name',
    ],
    [
      'a job named like an object property',
      { file: 'emp_data.json', jobs: ['constructor'] },
      'invalid pipeline input: jobs: "constructor" not among employees\'s jobs (count_gender, count_month, final_analysis, read_records)',
    ],
    [
      'a malformed pipeline name',
      { file: 'emp_data.json', pipeline: '../orders' },
      'invalid pipeline input: pipeline: expected a definition name (lowercase letters, digits, _ or -)',
    ],
    ['ingest without file', { records: [record], ingest: false }, 'invalid pipeline input: "ingest" only applies to "file"'],
    [
      'a range with to < from',
      { topic: { name: 't', ranges: [{ partition: 3, from: 10, to: 9 }] } },
      'invalid pipeline input: topic.ranges: partition 3 has to (9) < from (10)',
    ],
    [
      'two groups with one id',
      {
        groups: [
          { id: 'a', records: [record] },
          { id: 'a', records: [record] },
        ],
      },
      'invalid pipeline input: groups[1].id: duplicate id "a"',
    ],
    [
      'a malformed group id',
      { groups: [{ id: 'a b', records: [record] }] },
      'invalid pipeline input: groups.0.id: expected letters, digits and ._:- (at most 100)',
    ],
    ['an unknown top-level field', { file: 'emp_data.json', job: 'count_gender' }, 'invalid pipeline input: input: unknown field(s) "job"'],
    [
      'a malformed reference date',
      { file: 'emp_data.json', referenceDate: '2024-02-30' },
      'invalid pipeline input: referenceDate: Invalid ISO date',
    ],
  ])('rejects %s', (_, input, message) => {
    const err = errorOf(input);
    expect(err).toBeInstanceOf(PipelineInputError);
    expect(err.message).toBe(message);
  });

  it.each([
    ['empty records', { records: [] }, 'invalid records: records: must be a non-empty array'],
    [
      'a bad record field, naming the record and the field',
      { records: [record, { ...record, id: 2, salary: -1 }] },
      'invalid records: records[1].salary: must be >= 0, got -1',
    ],
  ])('rejects %s as a RecordValidationError', (_, input, message) => {
    const err = errorOf(input);
    expect(err).toBeInstanceOf(RecordValidationError);
    expect(err.message).toBe(message);
  });
});
