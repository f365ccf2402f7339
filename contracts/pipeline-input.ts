// The pipeline's input: one schema that gives validation (with messages that name the field) and the type.
// Used by the workflow itself and by every client that starts it (REST, CLI helpers), so they cannot drift.
// Checked in two steps: its shape (parsePipelineInput), then against the run's pipeline definition
// (resolvePipelineInput: the records, the jobs, the parameters), once the definition is known.
import { z } from 'zod';
import { bindParameters, DEFINITION_NAME, ParameterError, recordShape, type Definition, type ParameterValue } from './definitions';
import { GROUP_ID_PATTERN, GROUP_ID_RULE } from './groups';
import type { JobName } from './jobs';
import { MAX_RUN_RECORDS } from './limits';
import { PartitionRangeSchema, type PartitionRange } from './partition-ranges';
import { parseRecords, RecordValidationError, type PipelineRecord, type RecordShape } from './records';

/** The definition a run without `pipeline` runs (the old service's analysis). */
export const DEFAULT_PIPELINE = 'employees';

export const PipelineInputSchema = z.strictObject({
  /** The pipeline definition to run (definitions/<name>/pipeline.yml). Default: employees. */
  pipeline: z.string().regex(DEFINITION_NAME, 'expected a definition name (lowercase letters, digits, _ or -)').optional(),
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
  /** An existing offset range of a topic holding JSON records (a message is one record or an array of them), read as it is. */
  topic: z.strictObject({ name: z.string().min(1), ranges: z.array(PartitionRangeSchema).min(1) }).optional(),
  /** Which of the definition's jobs to run over the records. Default: the definition's default jobs. */
  jobs: z.array(z.string().min(1).max(63)).min(1).max(20).optional(),
  /** The definition's parameters (name → value); the ones not given take their defaults. */
  params: z.record(z.string().max(63), z.unknown()).optional(),
  /** The `referenceDate` parameter (the employee jobs': ages are computed on this date), as before `params`. */
  referenceDate: z.iso.date().optional(),
});

export type PipelineInput = z.input<typeof PipelineInputSchema>;

export type PipelineSource =
  | { kind: 'records'; records: PipelineRecord[] }
  | { kind: 'groups'; groups: { id: string; records: PipelineRecord[] }[] }
  | { kind: 'file'; path: string; ingest: boolean }
  | { kind: 'topic'; topic: string; ranges: PartitionRange[] };

/** The input's shape checked; records, jobs and parameters are checked against the definition next. */
export interface ParsedPipelineInput {
  pipeline: string;
  input: z.output<typeof PipelineInputSchema>;
}

/** The input checked against the run's definition. */
export interface ResolvedPipelineInput {
  source: PipelineSource;
  jobs: JobName[];
  params: Record<string, ParameterValue>;
}

export class PipelineInputError extends Error {
  override name = 'PipelineInputError';
}

/** How many records the input carries inline (`records`, or all its `groups`); undefined for a file or a topic. */
export function inlineRecordCount(input: Pick<PipelineInput, 'records' | 'groups'>): number | undefined {
  return input.records?.length ?? input.groups?.reduce((n, g) => n + g.records.length, 0);
}

/** Checks a pipeline input's shape; throws PipelineInputError. */
export function parsePipelineInput(raw: unknown): ParsedPipelineInput {
  const parsed = PipelineInputSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${describeIssue(i)}`);
    throw new PipelineInputError(`invalid pipeline input: ${problems.slice(0, 5).join('; ')}`);
  }
  const input = parsed.data;
  // zod leaves out a parameter named like an object's own properties (__proto__); such a name is no parameter.
  const rawParams = (raw as { params?: unknown } | null | undefined)?.params;
  const dropped =
    rawParams && typeof rawParams === 'object' ? Object.keys(rawParams).filter((k) => !Object.hasOwn(input.params ?? {}, k)) : [];
  if (dropped.length > 0) throw new PipelineInputError(`invalid pipeline input: params.${dropped[0]}: not a parameter name`);
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
  if (input.referenceDate !== undefined && input.params?.referenceDate !== undefined)
    throw new PipelineInputError('invalid pipeline input: give referenceDate once: as "referenceDate" or in "params"');
  return { pipeline: input.pipeline ?? DEFAULT_PIPELINE, input };
}

/**
 * Checks the input against the run's definition: its records against the declared fields, its jobs among the
 * declared ones, its parameters bound (`runDate`: what a date parameter's `today` is). Throws PipelineInputError,
 * or RecordValidationError for bad records.
 */
export function resolvePipelineInput({ input }: ParsedPipelineInput, definition: Definition, runDate: string): ResolvedPipelineInput {
  const unknownJobs = (input.jobs ?? []).filter((job) => !Object.hasOwn(definition.jobs, job));
  if (unknownJobs.length > 0) {
    throw new PipelineInputError(
      `invalid pipeline input: jobs: ${unknownJobs.map((j) => `"${j}"`).join(', ')} not among ${definition.name}'s jobs (${Object.keys(definition.jobs).join(', ')})`,
    );
  }
  const jobs: JobName[] = [...new Set(input.jobs ?? definition.defaultJobs)];
  const given = { ...input.params, ...(input.referenceDate === undefined ? {} : { referenceDate: input.referenceDate }) };
  let params: Record<string, ParameterValue>;
  try {
    params = bindParameters(definition, given, runDate);
  } catch (err) {
    if (err instanceof ParameterError) throw new PipelineInputError(err.message);
    throw err;
  }
  return { source: pipelineSource({ input }, recordShape(definition)), jobs, params };
}

/**
 * The input's source; its records checked against `shape`, or, without one, taken as they are (a run from before
 * definitions, whose records were checked when it started).
 */
export function pipelineSource({ input }: Pick<ParsedPipelineInput, 'input'>, shape: RecordShape | undefined): PipelineSource {
  if (input.records) return { kind: 'records', records: shape ? parseRecords(input.records, shape) : (input.records as PipelineRecord[]) };
  if (input.groups) {
    return {
      kind: 'groups',
      groups: shape ? parseGroups(input.groups, shape) : (input.groups as { id: string; records: PipelineRecord[] }[]),
    };
  }
  if (input.file !== undefined) return { kind: 'file', path: input.file, ingest: input.ingest ?? true };
  return { kind: 'topic', topic: input.topic!.name, ranges: input.topic!.ranges };
}

/** Each group's records are validated on their own (keys are unique within a group); errors name the group. */
function parseGroups(groups: { id: string; records: unknown[] }[], shape: RecordShape): { id: string; records: PipelineRecord[] }[] {
  const seen = new Set<string>();
  let total = 0;
  return groups.map((group, i) => {
    if (seen.has(group.id)) throw new PipelineInputError(`invalid pipeline input: groups[${i}].id: duplicate id "${group.id}"`);
    seen.add(group.id);
    total += group.records.length;
    if (total > MAX_RUN_RECORDS) throw new PipelineInputError(`invalid pipeline input: groups: at most ${MAX_RUN_RECORDS} records in all`);
    try {
      return { id: group.id, records: parseRecords(group.records, shape) };
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
