// A pipeline definition: what a user declares in files (definitions/<name>/pipeline.yml and the SQL files beside
// it) and what a run records in its history. Pure: the file's schema, and what follows from a definition (the
// records' validation, the schema Spark parses them with, bound parameters, a job's plan). lib/definitions.ts
// reads the files; docs/definitions.md describes the format for users.
import { z } from 'zod';
import { GROUP_COLUMN } from './groups';
import type { RecordShape } from './records';
import { relativePathProblem } from './resource-policy';

/** Names of fields, parameters, jobs and sections: SQL identifiers, and never the reserved group column. */
export const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const name = (what: string) => z.string().regex(NAME, `${what}: expected a letter, then letters, digits or _ (at most 63)`);
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

const FieldSchema = z
  .strictObject({
    type: z.enum(FIELD_TYPES),
    /** false: the field may be absent. Default true. */
    required: z.boolean().default(true),
    /** true: the field may be null. Default false. */
    nullable: z.boolean().default(false),
    description: z.string().optional(),
    /** Numbers: the least and greatest value allowed. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Strings: the shortest and longest allowed. */
    min_length: z.int().min(0).optional(),
    max_length: z.int().min(1).optional(),
    /** Strings: the only values allowed. */
    values: z.array(z.string()).min(1).optional(),
  })
  .superRefine((field, ctx) => {
    const numeric = field.type === 'long' || field.type === 'int' || field.type === 'double';
    if (!numeric && (field.min !== undefined || field.max !== undefined))
      ctx.addIssue({ code: 'custom', message: `min and max apply to numbers, not to ${field.type}` });
    if (field.type !== 'string' && (field.min_length !== undefined || field.max_length !== undefined || field.values !== undefined))
      ctx.addIssue({ code: 'custom', message: `min_length, max_length and values apply to strings, not to ${field.type}` });
  });
export type FieldSpec = z.output<typeof FieldSchema>;

export const PARAMETER_TYPES = ['string', 'long', 'double', 'boolean', 'date'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

const ParameterSchema = z
  .strictObject({
    type: z.enum(PARAMETER_TYPES),
    /** Without a default the parameter is required. A date's default may be `today`: the day the run started (UTC). */
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    description: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.default === undefined) return;
    if (p.type === 'date' && p.default === 'today') return;
    const problem = parameterValueProblem(p.type, p.default);
    if (problem) ctx.addIssue({ code: 'custom', path: ['default'], message: problem });
  });
export type ParameterSpec = z.output<typeof ParameterSchema>;

/** SQL inline (`sql`) or in a file beside pipeline.yml (`file`); the loader replaces `file` by its text. */
const SqlSource = { sql: z.string().min(1).optional(), file: z.string().min(1).optional() };
const oneSqlSource = (s: { sql?: string; file?: string }, ctx: z.RefinementCtx) => {
  if ((s.sql === undefined) === (s.file === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of "sql" and "file"' });
};

/**
 * Where a section's rows go besides the run's result, one of:
 * - `parquet`: Parquet files under the warehouse (WAREHOUSE_DIR), at `<parquet>/run_id=<the run's id>`, written again
 *   (replaced, never added to) when a run is retried or replayed;
 * - `kafka`: a topic, one JSON message per row keyed `<the run's id>|<section>|<row number>`, so a run written again
 *   writes the same keys (a compacted topic, or a reader keeping the latest per key, has each row once). Which topics
 *   are allowed is the resource policy's (CLIENT_TOPICS; never streamforge's own), checked when a run starts.
 */
const SinkSchema = z
  .strictObject({
    parquet: z
      .string()
      .superRefine((path, ctx) => {
        const problem = relativePathProblem(path, 'the warehouse');
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    kafka: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)')
      .optional(),
  })
  .superRefine((sink, ctx) => {
    if ((sink.parquet === undefined) === (sink.kafka === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "parquet" and "kafka"' });
  });
export type SinkSpec = z.output<typeof SinkSchema>;

/** A section of its own: a query over `records`, its rows ordered by `order_by` (an expression over its columns). */
const QuerySectionSchema = z
  .strictObject({ ...SqlSource, order_by: z.string().min(1), sink: SinkSchema.optional() })
  .superRefine(oneSqlSource);
/** A section that projects rows of its job's `relation`: which rows (`where`), which columns (name → expression). */
const ProjectionSectionSchema = z.strictObject({
  where: z.string().min(1),
  select: z.record(name('column'), z.string().min(1)).refine((s) => Object.keys(s).length > 0, 'select at least one column'),
  order_by: z.string().min(1),
  sink: SinkSchema.optional(),
});

const JobSchema = z
  .strictObject({
    description: z.string().optional(),
    /**
     * A relation over `records` that every section projects, computed once: sections are then `select`/`where`
     * projections of its rows, not queries of their own (one pass over the records instead of one per section).
     */
    relation: z.strictObject(SqlSource).superRefine(oneSqlSource).optional(),
    sections: z.record(name('section'), z.union([QuerySectionSchema, ProjectionSectionSchema])),
  })
  .superRefine((job, ctx) => {
    const entries = Object.entries(job.sections);
    if (entries.length === 0) ctx.addIssue({ code: 'custom', path: ['sections'], message: 'declare at least one section' });
    for (const [section, spec] of entries) {
      const projects = 'select' in spec;
      if (projects && !job.relation)
        ctx.addIssue({ code: 'custom', path: ['sections', section], message: '"select" and "where" need the job\'s "relation"' });
      if (!projects && job.relation)
        ctx.addIssue({
          code: 'custom',
          path: ['sections', section],
          message: 'a job with a "relation" has projection sections (select, where, order_by)',
        });
    }
  });

/** What a stream section computes per group and window: an aggregate Spark can merge across windows. */
export const MEASURE_FUNCTIONS = ['count', 'sum', 'min', 'max', 'avg', 'stddev_pop', 'stddev_samp'] as const;
export type MeasureFunction = (typeof MEASURE_FUNCTIONS)[number];
/** `count(*)`, or one of MEASURE_FUNCTIONS over an expression of the record's fields. */
const MEASURE = new RegExp(`^\\s*(${MEASURE_FUNCTIONS.join('|')})\\s*\\(\\s*([\\s\\S]+?)\\s*\\)\\s*$`, 'i');

/**
 * A section of a stream job: the valid records of each event-time window grouped by `group_by` (column → an
 * expression over the fields; a list of field names for the fields themselves), with `measures` per group.
 */
const StreamSectionSchema = z
  .strictObject({
    description: z.string().optional(),
    group_by: z.union([z.array(name('column')), z.record(name('column'), z.string().min(1))]).default([]),
    measures: z
      .record(
        name('measure'),
        z.string().regex(MEASURE, `expected count(*) or ${MEASURE_FUNCTIONS.join(', ')} of an expression, e.g. sum(amount)`),
      )
      .refine((m) => Object.keys(m).length > 0, 'declare at least one measure'),
  })
  .superRefine((section, ctx) => {
    const groups = Array.isArray(section.group_by) ? section.group_by : Object.keys(section.group_by);
    for (const column of groups.filter((g) => Object.hasOwn(section.measures, g)))
      ctx.addIssue({ code: 'custom', message: `"${column}" is both a group column and a measure` });
    for (const [measure, text] of Object.entries(section.measures)) {
      const [, fn, arg] = MEASURE.exec(text) ?? [];
      if (arg === '*' && fn?.toLowerCase() !== 'count')
        ctx.addIssue({ code: 'custom', path: ['measures', measure], message: `${fn}(*) is not a measure; only count(*) is` });
    }
  });

/** A stream job: sections computed over a stream's records per event-time window, one Spark query for all of them. */
const StreamJobSchema = z.strictObject({
  description: z.string().optional(),
  sections: z.record(name('section'), StreamSectionSchema).refine((s) => Object.keys(s).length > 0, 'declare at least one section'),
});

export const DefinitionFileSchema = z
  .strictObject({
    name: z.string().regex(DEFINITION_NAME, 'expected lowercase letters, digits, _ or - (at most 63), starting with a letter'),
    description: z.string().optional(),
    records: z.strictObject({
      /** A field unique within a run's records (within each group of a grouped run). */
      key: z.string().optional(),
      fields: z.record(name('field'), FieldSchema).refine((f) => Object.keys(f).length > 0, 'declare at least one field'),
    }),
    parameters: z.record(name('parameter'), ParameterSchema).default({}),
    /** The jobs a run computes when it names none. Default: every job. */
    default_jobs: z.array(z.string()).min(1).optional(),
    jobs: z.record(name('job'), JobSchema).refine((j) => Object.keys(j).length > 0, 'declare at least one job'),
    /** Stream jobs: what a stream of these records computes per window (POST /streams names one). */
    streams: z.record(name('stream job'), StreamJobSchema).default({}),
  })
  .superRefine((def, ctx) => {
    const { key, fields } = def.records;
    if (key !== undefined) {
      const field = fields[key];
      if (!field) ctx.addIssue({ code: 'custom', path: ['records', 'key'], message: `"${key}" is not one of the fields` });
      else if (!field.required || field.nullable)
        ctx.addIssue({ code: 'custom', path: ['records', 'key'], message: `the key field "${key}" must be required and not nullable` });
    }
    if (Object.hasOwn(fields, GROUP_COLUMN))
      ctx.addIssue({ code: 'custom', path: ['records', 'fields'], message: `"${GROUP_COLUMN}" is reserved (streamforge's group column)` });
    for (const job of def.default_jobs ?? []) {
      if (!Object.hasOwn(def.jobs, job))
        ctx.addIssue({ code: 'custom', path: ['default_jobs'], message: `"${job}" is not one of the jobs` });
    }
  });
export type DefinitionFile = z.output<typeof DefinitionFileSchema>;

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

/** A definition file's problems, each as `path: what is wrong` (at most five). */
export function describeDefinitionIssues(error: z.ZodError): string[] {
  return error.issues.slice(0, 5).map((i) => {
    const where = i.path.length ? i.path.join('.') : 'file';
    if (i.code === 'unrecognized_keys') return `${where}: unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    // A record key refused by its name's rule (a field, a job, a section): say the rule, not "Invalid key".
    if (i.code === 'invalid_key') return `${where}: ${i.issues[0]?.message ?? i.message}`;
    if (i.code === 'invalid_value') return `${where}: expected one of ${i.values.map(String).join(', ')}`;
    return `${where}: ${i.message}`;
  });
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

/** The definition from its parsed file and its files' texts (SQL `file`s replaced by their text). */
export function resolveDefinition(file: DefinitionFile, files: Record<string, string>, version: string): Definition {
  // A statement's closing semicolon would end the subquery the SQL is placed in: it goes.
  const text = (source: { sql?: string; file?: string }, where: string): string => {
    const content = source.sql ?? files[source.file!];
    if (content === undefined) throw new Error(`${where}: file "${source.file}" was not read`);
    return content.trim().replace(/;\s*$/, '');
  };
  const jobs: Record<string, JobDefinition> = {};
  for (const [job, spec] of Object.entries(file.jobs)) {
    jobs[job] = {
      ...(spec.description === undefined ? {} : { description: spec.description }),
      ...(spec.relation === undefined ? {} : { relation: text(spec.relation, `jobs.${job}.relation`) }),
      sections: Object.entries(spec.sections).map(([section, s]): [string, Section] =>
        'select' in s
          ? [
              section,
              {
                kind: 'projection',
                where: s.where,
                select: Object.entries(s.select),
                orderBy: s.order_by,
                ...(s.sink ? { sink: s.sink } : {}),
              },
            ]
          : [
              section,
              {
                kind: 'query',
                sql: text(s, `jobs.${job}.sections.${section}`),
                orderBy: s.order_by,
                ...(s.file ? { file: s.file } : {}),
                ...(s.sink ? { sink: s.sink } : {}),
              },
            ],
      ),
    };
  }
  return {
    name: file.name,
    version,
    ...(file.description === undefined ? {} : { description: file.description }),
    fields: Object.entries(file.records.fields),
    ...(file.records.key === undefined ? {} : { key: file.records.key }),
    parameters: file.parameters,
    defaultJobs: file.default_jobs ?? Object.keys(file.jobs),
    jobs,
    streams: Object.fromEntries(Object.entries(file.streams).map(([job, spec]) => [job, streamJob(spec)])),
    files,
  };
}

function streamJob(spec: DefinitionFile['streams'][string]): StreamJobDefinition {
  return {
    ...(spec.description === undefined ? {} : { description: spec.description }),
    sections: Object.entries(spec.sections).map(([section, s]): [string, StreamSection] => [
      section,
      {
        groupBy: Array.isArray(s.group_by) ? s.group_by.map((field) => [field, field]) : Object.entries(s.group_by),
        measures: Object.entries(s.measures).map(([measure, text]): [string, Measure] => {
          const [, fn, expression] = MEASURE.exec(text)!;
          return [measure, { fn: fn!.toLowerCase() as MeasureFunction, expression: expression! }];
        }),
      },
    ]),
  };
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

/** The SQL files a definition file names (to read beside it). */
export function sqlFilesOf(file: DefinitionFile): string[] {
  const names = new Set<string>();
  for (const job of Object.values(file.jobs)) {
    if (job.relation?.file) names.add(job.relation.file);
    for (const s of Object.values(job.sections)) if ('file' in s && s.file) names.add(s.file);
  }
  return [...names];
}
