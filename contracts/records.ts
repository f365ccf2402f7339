// Records' validation: `parseRecords` validates a whole batch (REST body, workflow input) against a record shape (a
// pipeline definition's, contracts/definitions.ts recordShape) with errors that name the record, the field and the
// problem.
import { z } from 'zod';
import { MAX_RUN_RECORDS } from './limits';

/** How records of one kind are validated: each record by `schema`, and `key` (a field) unique within a batch. */
export interface RecordShape {
  schema: z.ZodType;
  key?: string;
}

/** A record that passed its shape's validation (its fields as JSON values). */
export type PipelineRecord = Record<string, unknown>;

/**
 * An employee record as definitions/employees/pipeline.yml declares it (which is what validates one): the type of
 * the employee generator's records and of the tests' oracles.
 */
// A type, not an interface: a record is a PipelineRecord (Record<string, unknown>) too.
export type EmployeeRecord = {
  id: number;
  gender: string;
  salary: number;
  name?: string;
  birth_date?: string;
  department?: string;
};

const ISSUES_IN_MESSAGE = 5;

export interface RecordIssue {
  path: string;
  message: string;
}

export class RecordValidationError extends Error {
  override readonly name = 'RecordValidationError';
  constructor(readonly issues: RecordIssue[]) {
    const shown = issues.slice(0, ISSUES_IN_MESSAGE).map((i) => `${i.path}: ${i.message}`);
    const more = issues.length > ISSUES_IN_MESSAGE ? ` (and ${issues.length - ISSUES_IN_MESSAGE} more)` : '';
    super(`invalid records: ${shown.join('; ')}${more}`);
  }
}

/** Validates a non-empty array of at most `maxRecords` records with unique keys; throws RecordValidationError. */
export function parseRecords<R = PipelineRecord>(input: unknown, shape: RecordShape, opts: { maxRecords?: number } = {}): R[] {
  const max = opts.maxRecords ?? MAX_RUN_RECORDS;
  if (!Array.isArray(input) || input.length === 0) {
    throw new RecordValidationError([{ path: 'records', message: 'must be a non-empty array' }]);
  }
  if (input.length > max) {
    throw new RecordValidationError([{ path: 'records', message: `at most ${max} records allowed, got ${input.length}` }]);
  }
  const issues: RecordIssue[] = [];
  const records: PipelineRecord[] = [];
  const { key } = shape;
  const firstIndexOfKey = new Map<unknown, number>();
  input.forEach((item, index) => {
    const checked = checkRecord(item, (keys) => [`records[${index}]`, ...keys].join('.'), shape);
    if ('issues' in checked) {
      issues.push(...checked.issues);
      return;
    }
    const { record } = checked;
    if (key !== undefined) {
      const value = record[key];
      const first = firstIndexOfKey.get(value);
      if (first !== undefined) {
        issues.push({
          path: `records[${index}].${key}`,
          message: `duplicate ${key} ${JSON.stringify(value)} (first at records[${first}])`,
        });
      } else {
        firstIndexOfKey.set(value, index);
      }
    }
    records.push(record);
  });
  if (issues.length > 0) throw new RecordValidationError(issues);
  return records as R[];
}

/**
 * Validates one record: the record, or what is wrong with it, each issue's path made by `at` from the field's
 * keys (none for the record as a whole). Ids' uniqueness is the caller's to check.
 */
export function checkRecord(
  item: unknown,
  at: (keys: string[]) => string,
  shape: RecordShape,
): { record: PipelineRecord } | { issues: RecordIssue[] } {
  const result = shape.schema.safeParse(item);
  if (result.success) return { record: result.data as PipelineRecord };
  // Parsed again for the error message only: `reportInput` (issues that carry the bad value) takes zod off its
  // compiled fast path, ~5× slower per record, which a 1,000,000-record file feels.
  const detailed = shape.schema.safeParse(item, { reportInput: true });
  return { issues: (detailed.error?.issues ?? result.error.issues).map((issue) => toRecordIssue(at, issue)) };
}

function toRecordIssue(at: (keys: string[]) => string, issue: z.core.$ZodIssue): RecordIssue {
  const path = at(issue.path.map(String));
  switch (issue.code) {
    case 'unrecognized_keys':
      return { path, message: `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
    case 'invalid_type':
      if (issue.input === undefined && !('received' in issue)) return { path, message: 'is required' };
      return { path, message: `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${shown(issue)}` };
    case 'too_small':
      if (issue.origin === 'string')
        return {
          path,
          message: issue.minimum === 1 ? 'must not be empty' : `must have at least ${issue.minimum} characters, got ${shown(issue)}`,
        };
      return { path, message: `must be >= ${issue.minimum}, got ${shown(issue)}` };
    case 'too_big':
      if (issue.origin === 'string') return { path, message: `must have at most ${issue.maximum} characters, got ${shown(issue)}` };
      if (issue.maximum === Number.MAX_SAFE_INTEGER) return { path, message: `must be a safe integer, got ${shown(issue)}` };
      return { path, message: `must be <= ${issue.maximum}, got ${shown(issue)}` };
    case 'invalid_value':
      if (issue.input === undefined) return { path, message: 'is required' };
      return { path, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${shown(issue)}` };
    case 'invalid_format':
      if (issue.format === 'datetime')
        return { path, message: `must be a date-time as ISO 8601 with a zone (e.g. 2026-01-31T09:30:00Z), got ${shown(issue)}` };
      return { path, message: `must be a real date as YYYY-MM-DD, got ${shown(issue)}` };
    default:
      return { path, message: issue.message };
  }
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  int32: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  string: 'a string',
  object: 'an object',
};

/** The offending value, short: zod reports NaN/Infinity in `received` because they are not JSON. */
function shown(issue: z.core.$ZodIssue): string {
  if ('received' in issue && typeof issue.received === 'string') return issue.received;
  const text = JSON.stringify(issue.input) ?? String(issue.input);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
