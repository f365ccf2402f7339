// The pipeline's input: one schema that gives validation (with messages that name the field) and the type.
// Used by the workflow itself and by every client that starts it (REST, CLI helpers), so they cannot drift.
import { z } from 'zod';
import { GROUP_ID_PATTERN, GROUP_ID_RULE } from './groups';
import { JOB_NAMES, type JobName } from './jobs';
import { MAX_RUN_RECORDS } from './limits';
import { PartitionRangeSchema, type PartitionRange } from './partition-ranges';
import { parseRecords, RecordValidationError, type EmployeeRecord } from './records';

export const PipelineInputSchema = z.strictObject({
  /** Records to ingest (at most 100,000; larger batches go through `file`). */
  records: z.array(z.unknown()).optional(),
  /**
   * Records of several independent requests, analysed separately in one run (how the REST trigger coalesces
   * concurrent /process requests): each group's results come back under its id.
   */
  groups: z
    .array(z.strictObject({ id: z.string().regex(GROUP_ID_PATTERN, GROUP_ID_RULE), records: z.array(z.unknown()) }))
    .min(1)
    .max(1000)
    .optional(),
  /** A file of records under the worker's data directory (`.json` array or JSON lines). */
  file: z.string().min(1).optional(),
  /** With `file`: false lets Spark read the file itself instead of going through Kafka. Default true. */
  ingest: z.boolean().optional(),
  /** An existing offset range of a topic holding JSON records, read as it is. */
  topic: z.strictObject({ name: z.string().min(1), ranges: z.array(PartitionRangeSchema).min(1) }).optional(),
  /** Which Spark jobs to run over the records. Default: final_analysis. */
  jobs: z.array(z.enum(JOB_NAMES)).min(1).optional(),
  /** Ages are computed on this date (YYYY-MM-DD). Default: the day the run started. */
  referenceDate: z.iso.date().optional(),
});

export type PipelineInput = z.input<typeof PipelineInputSchema>;

export type PipelineSource =
  | { kind: 'records'; records: EmployeeRecord[] }
  | { kind: 'groups'; groups: { id: string; records: EmployeeRecord[] }[] }
  | { kind: 'file'; path: string; ingest: boolean }
  | { kind: 'topic'; topic: string; ranges: PartitionRange[] };

export interface ParsedPipelineInput {
  source: PipelineSource;
  jobs: JobName[];
  referenceDate: string | undefined;
}

export class PipelineInputError extends Error {
  override name = 'PipelineInputError';
}

/** Validates a pipeline input; throws PipelineInputError (or RecordValidationError for bad records). */
export function parsePipelineInput(raw: unknown): ParsedPipelineInput {
  const parsed = PipelineInputSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${describeIssue(i)}`);
    throw new PipelineInputError(`invalid pipeline input: ${problems.slice(0, 5).join('; ')}`);
  }
  const input = parsed.data;
  const given = (['records', 'groups', 'file', 'topic'] as const).filter((k) => input[k] !== undefined);
  if (given.length !== 1) {
    throw new PipelineInputError(
      `invalid pipeline input: give exactly one of "records", "groups", "file" or "topic"${given.length ? ` (got ${given.join(' and ')})` : ''}`,
    );
  }
  if (input.ingest !== undefined && input.file === undefined)
    throw new PipelineInputError('invalid pipeline input: "ingest" only applies to "file"');
  for (const r of input.topic?.ranges ?? []) {
    if (r.to < r.from)
      throw new PipelineInputError(`invalid pipeline input: topic.ranges: partition ${r.partition} has to (${r.to}) < from (${r.from})`);
  }
  const source: PipelineSource = input.records
    ? { kind: 'records', records: parseRecords(input.records) }
    : input.groups
      ? { kind: 'groups', groups: parseGroups(input.groups) }
      : input.file !== undefined
        ? { kind: 'file', path: input.file, ingest: input.ingest ?? true }
        : { kind: 'topic', topic: input.topic!.name, ranges: input.topic!.ranges };
  const jobs: JobName[] = [...new Set(input.jobs ?? ['final_analysis' as const])];
  return { source, jobs, referenceDate: input.referenceDate };
}

/** Each group's records are validated on their own (ids are unique within a group); errors name the group. */
function parseGroups(groups: { id: string; records: unknown[] }[]): { id: string; records: EmployeeRecord[] }[] {
  const seen = new Set<string>();
  let total = 0;
  return groups.map((group, i) => {
    if (seen.has(group.id)) throw new PipelineInputError(`invalid pipeline input: groups[${i}].id: duplicate id "${group.id}"`);
    seen.add(group.id);
    total += group.records.length;
    if (total > MAX_RUN_RECORDS) throw new PipelineInputError(`invalid pipeline input: groups: at most ${MAX_RUN_RECORDS} records in all`);
    try {
      return { id: group.id, records: parseRecords(group.records) };
    } catch (err) {
      if (!(err instanceof RecordValidationError)) throw err;
      throw new RecordValidationError(err.issues.map((issue) => ({ ...issue, path: `groups[${i}].${issue.path}` })));
    }
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

export { RecordValidationError };
