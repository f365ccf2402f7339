// The employee record: one zod schema gives both validation and the `EmployeeRecord` type, and `parseRecords`
// validates a whole batch (REST body, workflow input) with errors that name the record, the field and the problem.
import { z } from 'zod';
import { MAX_RUN_RECORDS } from './limits';

export const EmployeeRecordSchema = z.strictObject({
  id: z.int(), // z.int() is the safe-integer range
  gender: z.string().min(1),
  salary: z.number().min(0), // z.number() already rejects NaN and ±Infinity
  name: z.string().optional(),
  birth_date: z.iso.date().optional(), // YYYY-MM-DD and a real calendar date (leap years included)
  department: z.string().optional(),
});
export type EmployeeRecord = z.infer<typeof EmployeeRecordSchema>;

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

/** Validates a non-empty array of at most `maxRecords` records with unique ids; throws RecordValidationError. */
export function parseRecords(input: unknown, opts: { maxRecords?: number } = {}): EmployeeRecord[] {
  const max = opts.maxRecords ?? MAX_RUN_RECORDS;
  if (!Array.isArray(input) || input.length === 0) {
    throw new RecordValidationError([{ path: 'records', message: 'must be a non-empty array' }]);
  }
  if (input.length > max) {
    throw new RecordValidationError([{ path: 'records', message: `at most ${max} records allowed, got ${input.length}` }]);
  }
  const issues: RecordIssue[] = [];
  const records: EmployeeRecord[] = [];
  const firstIndexOfId = new Map<number, number>();
  input.forEach((item, index) => {
    const checked = checkRecord(item, (keys) => [`records[${index}]`, ...keys].join('.'));
    if ('issues' in checked) {
      issues.push(...checked.issues);
      return;
    }
    const { record } = checked;
    const first = firstIndexOfId.get(record.id);
    if (first !== undefined) {
      issues.push({ path: `records[${index}].id`, message: `duplicate id ${record.id} (first at records[${first}])` });
    } else {
      firstIndexOfId.set(record.id, index);
    }
    records.push(record);
  });
  if (issues.length > 0) throw new RecordValidationError(issues);
  return records;
}

/**
 * Validates one record: the record, or what is wrong with it, each issue's path made by `at` from the field's
 * keys (none for the record as a whole). Ids' uniqueness is the caller's to check.
 */
export function checkRecord(item: unknown, at: (keys: string[]) => string): { record: EmployeeRecord } | { issues: RecordIssue[] } {
  const result = EmployeeRecordSchema.safeParse(item);
  if (result.success) return { record: result.data };
  // Parsed again for the error message only: `reportInput` (issues that carry the bad value) takes zod off its
  // compiled fast path, ~5× slower per record, which a 1,000,000-record file feels.
  const detailed = EmployeeRecordSchema.safeParse(item, { reportInput: true });
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
      return { path, message: issue.origin === 'string' ? 'must not be empty' : `must be >= ${issue.minimum}, got ${shown(issue)}` };
    case 'too_big':
      return { path, message: `must be a safe integer, got ${shown(issue)}` };
    case 'invalid_format':
      return { path, message: `must be a real date as YYYY-MM-DD, got ${shown(issue)}` };
    default:
      return { path, message: issue.message };
  }
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'an object',
};

/** The offending value, short: zod reports NaN/Infinity in `received` because they are not JSON. */
function shown(issue: z.core.$ZodIssue): string {
  if ('received' in issue && typeof issue.received === 'string') return issue.received;
  const text = JSON.stringify(issue.input) ?? String(issue.input);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
