// A pipeline definition as a run records it in its history, and what follows from it: the records' validation,
// the schema Spark parses them with, bound parameters, a job's plan. Pure. The file format users write
// (definitions/<name>/pipeline.yml and the SQL files beside it) is contracts/definition-file.ts, which
// lib/definitions.ts reads with; docs/definitions.md describes it for users. Workflows import this module and not
// that one: every module a workflow imports runs again for each workflow, and the file's schema is most of it.
import { z } from 'zod';
import type { FieldSpec, ParameterSpec, SinkSpec } from './definition-file';
import type { RecordShape } from './records';

export type { FieldSpec, ParameterSpec, SinkSpec } from './definition-file';

/** Names of fields, parameters, jobs and sections: SQL identifiers, and never the reserved group column. */
export const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
/** A definition's name: also a Temporal search attribute value and a URL segment. */
export const DEFINITION_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

export const FIELD_TYPES = ['string', 'long', 'int', 'double', 'boolean', 'date', 'timestamp'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
/** How Spark parses each field type out of a record's JSON. */
export const SPARK_TYPES: Record<FieldType, string> = {
  string: 'STRING',
  long: 'BIGINT',
  int: 'INT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

export const PARAMETER_TYPES = ['string', 'long', 'double', 'boolean', 'date'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** What a stream section computes per group and window: an aggregate Spark can merge across windows. */
export const MEASURE_FUNCTIONS = ['count', 'sum', 'min', 'max', 'avg', 'stddev_pop', 'stddev_samp'] as const;
export type MeasureFunction = (typeof MEASURE_FUNCTIONS)[number];
/** A section as it runs: SQL text resolved (files read). */
export type Section =
  /** `file`: the SQL file it came from (for messages); none: inline in pipeline.yml. */
  | { kind: 'query'; sql: string; orderBy: string; file?: string; sink?: SinkSpec }
  | { kind: 'projection'; where: string; select: [string, string][]; orderBy: string; sink?: SinkSpec };

export interface JobDefinition {
  description?: string;
  /** SQL over `records` that projection sections read (as `relation`). */
  relation?: string;
  /** In declared order: a result's sections come in this order. */
  sections: [string, Section][];
}

/** A measure as a stream computes it: `fn` over `expression` (`*` only for count). */
export interface Measure {
  fn: MeasureFunction;
  expression: string;
}

export interface StreamSection {
  /** Group column → its expression over the record's fields, in declared order. */
  groupBy: [string, string][];
  measures: [string, Measure][];
}

export interface StreamJobDefinition {
  description?: string;
  sections: [string, StreamSection][];
}

/**
 * A definition with its SQL files read: what a run records in its history (with the hash of its files, `version`),
 * so a definition edited while the run is in flight changes nothing for it.
 */
export interface Definition {
  name: string;
  /** sha256 of the definition's files (pipeline.yml and its SQL files), the first 12 hex digits. */
  version: string;
  description?: string;
  /** The fields in declared order (Spark's columns come in this order). */
  fields: [string, FieldSpec][];
  key?: string;
  parameters: Record<string, ParameterSpec>;
  defaultJobs: string[];
  jobs: Record<string, JobDefinition>;
  /** Stream jobs, by name, in declared order. */
  streams: Record<string, StreamJobDefinition>;
  /** The definition's files as they were read (name → text), for the record and for a human reading history. */
  files: Record<string, string>;
}

/** The DDL Spark parses a record's JSON with. */
export function recordsDdl(def: Pick<Definition, 'fields'>): string {
  return def.fields.map(([field, spec]) => `${field} ${SPARK_TYPES[spec.type]}`).join(', ');
}

/** A record's validation: a strict object of the declared fields, with the declared constraints. */
export function recordShape(def: Pick<Definition, 'fields' | 'key'>): RecordShape {
  const shape: Record<string, z.ZodType> = {};
  for (const [field, spec] of def.fields) {
    let schema: z.ZodType = fieldSchema(spec);
    if (spec.nullable) schema = schema.nullable();
    if (!spec.required) schema = schema.optional();
    shape[field] = schema;
  }
  return { schema: z.strictObject(shape), key: def.key };
}

function fieldSchema(spec: FieldSpec): z.ZodType {
  switch (spec.type) {
    case 'string': {
      if (spec.values) return z.enum(spec.values as [string, ...string[]]);
      let s = z.string();
      if (spec.min_length !== undefined) s = s.min(spec.min_length);
      if (spec.max_length !== undefined) s = s.max(spec.max_length);
      return s;
    }
    case 'long':
    case 'int':
    case 'double': {
      // z.int() is the safe-integer range; an int is a 32-bit one as Spark's INT.
      let n = spec.type === 'double' ? z.number() : spec.type === 'int' ? z.int32() : z.int();
      if (spec.min !== undefined) n = n.min(spec.min);
      if (spec.max !== undefined) n = n.max(spec.max);
      return n;
    }
    case 'boolean':
      return z.boolean();
    case 'date':
      return z.iso.date();
    case 'timestamp':
      return z.iso.datetime({ offset: true });
  }
}

/** A parameter's value as it reaches Spark: typed, never text spliced into SQL. */
export type ParameterValue =
  | { type: 'string'; value: string }
  | { type: 'long'; value: number }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'date'; value: string };

/** What is wrong with `value` as a parameter of `type`, or undefined. */
export function parameterValueProblem(type: ParameterType, value: unknown): string | undefined {
  const got = JSON.stringify(value) ?? String(value);
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `expected a string, got ${got}`;
    case 'long':
      return Number.isSafeInteger(value) ? undefined : `expected an integer, got ${got}`;
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `expected a number, got ${got}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected true or false, got ${got}`;
    case 'date':
      return typeof value === 'string' && z.iso.date().safeParse(value).success ? undefined : `expected a date as YYYY-MM-DD, got ${got}`;
  }
}

export class ParameterError extends Error {
  override name = 'ParameterError';
}

/**
 * Every declared parameter with its value: the given one, else its default (`today` is `runDate`). A missing,
 * unknown or mistyped one throws ParameterError naming it.
 */
export function bindParameters(
  def: Pick<Definition, 'name' | 'parameters'>,
  given: Record<string, unknown>,
  runDate: string,
): Record<string, ParameterValue> {
  const problems: string[] = [];
  for (const unknownName of Object.keys(given).filter((p) => !Object.hasOwn(def.parameters, p))) {
    const declared = Object.keys(def.parameters);
    problems.push(`params.${unknownName}: unknown parameter (${def.name} declares ${declared.length ? declared.join(', ') : 'none'})`);
  }
  const bound: Record<string, ParameterValue> = {};
  for (const [param, spec] of Object.entries(def.parameters)) {
    const value = Object.hasOwn(given, param) ? given[param] : spec.type === 'date' && spec.default === 'today' ? runDate : spec.default;
    if (value === undefined) {
      problems.push(`params.${param}: required (${spec.type})`);
      continue;
    }
    const problem = parameterValueProblem(spec.type, value);
    if (problem) problems.push(`params.${param}: ${problem}`);
    else bound[param] = { type: spec.type, value } as ParameterValue;
  }
  if (problems.length > 0) throw new ParameterError(`invalid pipeline input: ${problems.join('; ')}`);
  return bound;
}

/**
 * One job of a definition as one Spark execution computes it: the records' DDL, the SQL, the bound parameters.
 * Runs whose plans are equal (same definition version, job and parameters) may share an execution.
 */
export interface JobPlan {
  definition: string;
  version: string;
  job: string;
  /** The DDL of the records' fields (recordsDdl). */
  fields: string;
  /** The declared field names, in order: the columns of the `records` view. */
  columns: string[];
  relation?: string;
  sections: [string, Section][];
  params: Record<string, ParameterValue>;
}

export function jobPlan(def: Definition, job: string, params: Record<string, ParameterValue>): JobPlan {
  const spec = Object.hasOwn(def.jobs, job) ? def.jobs[job] : undefined;
  if (!spec) throw new Error(`${def.name} has no job "${job}"`);
  return {
    definition: def.name,
    version: def.version,
    job,
    fields: recordsDdl(def),
    columns: def.fields.map(([field]) => field),
    ...(spec.relation === undefined ? {} : { relation: spec.relation }),
    sections: spec.sections,
    params,
  };
}

/** What runs with this plan may share an execution under: the same definition version, job and parameters. */
export function planKey(plan: JobPlan): string {
  const params = Object.keys(plan.params)
    .sort()
    .map((p) => [p, plan.params[p]!.value]);
  return JSON.stringify([plan.definition, plan.version, plan.job, params]);
}

/**
 * One stream job of a definition as one Structured Streaming query computes it. Everything the query's shape
 * depends on is here: a stream keeps the plan it started with (its checkpoint and its results are the plan's).
 */
export interface StreamPlan {
  definition: string;
  /** The definition's version when the stream started. */
  version: string;
  job: string;
  /** The record's fields in declared order: the stream's validation and the columns its expressions see. */
  fields: [string, FieldSpec][];
  /** The field unique within a batch of records written to the stream (REST validation). */
  key?: string;
  sections: [string, StreamSection][];
}

/** The stream job `job` of `def` (its first when none is named); throws naming the jobs it has. */
export function streamPlan(def: Definition, job?: string): StreamPlan {
  const jobs = Object.keys(def.streams);
  const chosen = job ?? jobs[0];
  if (chosen === undefined) throw new Error(`pipeline ${def.name} declares no stream jobs`);
  const spec = Object.hasOwn(def.streams, chosen) ? def.streams[chosen] : undefined;
  if (!spec) throw new Error(`pipeline ${def.name} has no stream job "${chosen}" (it has: ${jobs.join(', ') || 'none'})`);
  return {
    definition: def.name,
    version: def.version,
    job: chosen,
    fields: def.fields,
    ...(def.key === undefined ? {} : { key: def.key }),
    sections: spec.sections,
  };
}
