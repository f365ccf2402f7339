// The pipeline definition file format (definitions/<name>/pipeline.yml and the SQL files beside it): its schema,
// its problems as messages, and the Definition a run records (contracts/definitions.ts) made from it. Pure.
// lib/definitions.ts reads the files with it; docs/definitions.md describes the format for users. Not imported by
// workflows: a workflow's modules run again for each workflow, and building these schemas is most of that cost.
import { z } from 'zod';
import {
  DEFINITION_NAME,
  FIELD_TYPES,
  MEASURE_FUNCTIONS,
  NAME,
  PARAMETER_TYPES,
  parameterValueProblem,
  type Definition,
  type JobDefinition,
  type Measure,
  type MeasureFunction,
  type Section,
  type StreamJobDefinition,
  type StreamSection,
} from './definitions';
import { GROUP_COLUMN } from './groups';
import { relativePathProblem } from './resource-policy';

/** Names of fields, parameters, jobs and sections: SQL identifiers, and never the reserved group column. */
const name = (what: string) => z.string().regex(NAME, `${what}: expected a letter, then letters, digits or _ (at most 63)`);

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

/** The SQL files a definition file names (to read beside it). */
export function sqlFilesOf(file: DefinitionFile): string[] {
  const names = new Set<string>();
  for (const job of Object.values(file.jobs)) {
    if (job.relation?.file) names.add(job.relation.file);
    for (const s of Object.values(job.sections)) if ('file' in s && s.file) names.add(s.file);
  }
  return [...names];
}
