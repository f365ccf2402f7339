// A stream job of a pipeline definition as one Structured Streaming query: a Kafka topic of JSON records →
// each section's measures per group and event-time window → a results topic, one message per (section, group,
// window), keyed by it:
//
//   Kafka source ─► message key + event time (Kafka timestamp) + JSON ─► watermark ─► drop duplicate message keys
//   within the watermark ─► the message's records (one, or a JSON array of them), counted ─► parse and validate
//   against the definition's fields ─► each valid record once into every section (and into `_total`; an invalid
//   one into `_rejected`) ─► one aggregation by (section, group, window) ─► Kafka sink, update mode, message key =
//   results version | section | window start | group
//
// One aggregation for every section, because Spark runs one streaming aggregation per query in update mode: each
// record becomes one row per section (its group columns set, the other sections' null) and the measures are
// partial aggregates a reader merges across windows (counts and sums add, minimums and maximums compare, a mean
// or a standard deviation from its count, sum and sum of squares: contracts/streams.ts).
// Exactness: Spark's state and offsets are checkpointed, so each record is counted once into the state; the Kafka
// sink may write a micro-batch twice (at-least-once), but every message is a complete aggregate under its own key,
// so a reader that keeps the latest value per key reads the same numbers either way. Each valid record is in
// exactly one group of every section, so in every window each section's counts add up to `_total`'s: a reader that
// finds a window where they do not has read a micro-batch that Spark was still writing, and reads again.
// Everything is per window, so state stays bounded: a window's aggregates leave the state once the watermark passes
// its end, and their last values stay in the (compacted) results topic.
import { SPARK_TYPES, type FieldSpec, type Measure, type StreamPlan } from '../../contracts/definitions';
import { REJECTED_SECTION, streamQueryName, TOTAL_SECTION, type StreamSpec } from '../../contracts/streams';
import {
  dropDuplicatesWithinWatermark,
  kafkaStreamRelation,
  observe,
  sqlOverRelations,
  withWatermark,
  type Relation,
  type WriteStreamSpec,
} from '../../lib/spark-connect';
import { sqlString } from './sql';

const MAX_SAFE_INTEGER = 9007199254740991;
const MAX_DOUBLE = '1.7976931348623157E308';
/** What a timestamp field's text must look like (ISO 8601 with a zone, as the REST validation has it). */
const TIMESTAMP_TEXT = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$';
const DATE_TEXT = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

const quote = (name: string) => `\`${name}\``;

/**
 * Stage 1, over the Kafka source: each message's key for de-duplication (its Kafka key, when it has one; else its
 * own offset, which never repeats), its event time and its text (one record, or a JSON array of records). The key's
 * column keeps its name from when a message was one record: it is the de-duplication state's schema, and a
 * stream's checkpoint from then resumes with it.
 */
const KEYED_SQL = `SELECT
  coalesce(concat('k:', CAST(key AS STRING)), concat('o:', CAST(partition AS STRING), ':', CAST(offset AS STRING))) AS record_key,
  timestamp AS event_time,
  CAST(value AS STRING) AS json
FROM {source}`;

/**
 * Stage 2, over the de-duplicated messages: each message's records as their JSON text. A message is one record or
 * a JSON array of them (what streamforge's writers send: lib/streams.ts streamRecordMessages). from_json reads an
 * element that is an object as its text; an array that does not parse is one record (rejected when it is
 * checked), and a message that does not start with `[` is not parsed as an array at all (a failed parse costs an
 * exception).
 */
const SPLIT_SQL = `SELECT event_time,
  explode(CASE WHEN startswith(json, '[') THEN coalesce(from_json(json, 'ARRAY<STRING>'), array(json)) ELSE array(json) END) AS json
FROM {messages}`;

/** Under this name each micro-batch's progress reports its records (`observedMetrics`): Spark counts messages. */
export const RECORDS_METRIC = 'streamforge_records';

/**
 * The schema from_json reads a record with: dates and timestamps as text, so that a bad one is a rejected record
 * instead of a failed query (Spark 4 runs ANSI SQL, where a bad cast throws); `_corrupt` catches what does not
 * parse or has a wrong type.
 */
function parseSchema(fields: StreamPlan['fields']): string {
  const types = { ...SPARK_TYPES, date: 'STRING', timestamp: 'STRING' };
  return [...fields.map(([field, spec]) => `${quote(field)} ${types[spec.type]}`), '_corrupt STRING'].join(', ');
}

/** A field's value as the records view has it: parsed from its text for dates and timestamps (null when it is not one). */
function typedField([field, spec]: [string, FieldSpec]): string {
  const raw = `_r.${quote(field)}`;
  if (spec.type === 'date') return `CASE WHEN ${raw} RLIKE '${DATE_TEXT}' THEN CAST(try_to_timestamp(${raw}, 'yyyy-MM-dd') AS DATE) END`;
  if (spec.type === 'timestamp') return `CASE WHEN ${raw} RLIKE '${TIMESTAMP_TEXT}' THEN try_cast(${raw} AS TIMESTAMP) END`;
  return raw;
}

/** What makes a field valid, as contracts/definitions.ts recordShape has it (ANSI-safe: nothing here may throw). */
function fieldChecks([field, spec]: [string, FieldSpec]): string[] {
  const value = quote(field);
  const present = `array_contains(_keys, ${sqlString(field)})`;
  const checks: string[] = [];
  // A date or timestamp whose text is there but is not one.
  if (spec.type === 'date' || spec.type === 'timestamp') checks.push(`(_r.${value} IS NULL OR ${value} IS NOT NULL)`);
  if (!spec.nullable) checks.push(spec.required ? `${value} IS NOT NULL` : `(${value} IS NOT NULL OR NOT ${present})`);
  else if (spec.required) checks.push(present);
  const constraints: string[] = [];
  if (spec.type === 'long') constraints.push(`${value} BETWEEN -${MAX_SAFE_INTEGER} AND ${MAX_SAFE_INTEGER}`);
  if (spec.type === 'double') constraints.push(`${value} BETWEEN -${MAX_DOUBLE} AND ${MAX_DOUBLE}`);
  if (spec.min !== undefined) constraints.push(`${value} >= ${spec.min}`);
  if (spec.max !== undefined) constraints.push(`${value} <= ${spec.max}`);
  if (spec.min_length !== undefined) constraints.push(`char_length(${value}) >= ${spec.min_length}`);
  if (spec.max_length !== undefined) constraints.push(`char_length(${value}) <= ${spec.max_length}`);
  if (spec.values) constraints.push(`${value} IN (${spec.values.map(sqlString).join(', ')})`);
  if (constraints.length > 0) checks.push(`(${value} IS NULL OR (${constraints.join(' AND ')}))`);
  return checks;
}

/** A section's partial aggregates of one measure, as [name in the message, Spark aggregate]; none for count(*). */
function partials(measure: Measure, column: string): [string, string][] {
  const asDouble = `CAST(${column} AS DOUBLE)`;
  switch (measure.fn) {
    case 'count':
      return measure.expression === '*' ? [] : [['count', `count(${column})`]];
    case 'sum':
      return [['sum', `sum(${column})`]];
    case 'min':
      return [['min', `min(${column})`]];
    case 'max':
      return [['max', `max(${column})`]];
    case 'avg':
      return [
        ['count', `count(${column})`],
        ['sum', `sum(${asDouble})`],
      ];
    case 'stddev_pop':
    case 'stddev_samp':
      return [
        ['count', `count(${column})`],
        ['sum', `sum(${asDouble})`],
        ['sumsq', `sum(${asDouble} * ${asDouble})`],
      ];
  }
}

/**
 * Stage 3, over the records ({records}: event_time, json): validation, each section's
 * groups and measures, one aggregation, the messages. `resultsVersion` starts every message key: a reader takes
 * only the messages of the plan it reads (lib/streams.ts streamResultsVersion).
 */
export function aggregateSql(plan: StreamPlan, windowSeconds: number, resultsVersion: string, records = 'records'): string {
  const window = `window(_event_time, '${windowSeconds} seconds')`;
  const fields = plan.fields;
  const groupColumns = plan.sections.map(([, s], i) => s.groupBy.map(([, expression], j) => ({ column: `_g${i}_${j}`, expression })));
  const measureColumns = plan.sections.map(([, s], i) => s.measures.map(([, measure], k) => ({ column: `_m${i}_${k}`, measure })));
  const allGroups = groupColumns.flat();
  const allMeasures = measureColumns.flat().filter(({ measure }) => measure.expression !== '*');
  /** A section's row of the explode: its own group columns, every other group column null (of its type). */
  const target = (section: string, own: { column: string }[]) =>
    `named_struct(${[`'section', ${sqlString(section)}`, ...allGroups.map(({ column }) => `'${column}', ${own.some((g) => g.column === column) ? column : `if(false, ${column}, NULL)`}`)].join(', ')})`;
  const sections = plan.sections.map(([name], i) => ({ name, groups: groupColumns[i]!, measures: measureColumns[i]! }));
  const partialColumns = sections.flatMap((s, i) =>
    s.measures.flatMap(({ column, measure }, k) =>
      partials(measure, column).map(([part, aggregate]) => ({ section: i, measure: k, part, column: `_p${i}_${k}_${part}`, aggregate })),
    ),
  );
  const windowBounds = `'window_start', unix_millis(_w.start), 'window_end', unix_millis(_w.end), 'records', records`;
  const message = (s: (typeof sections)[number], i: number) => {
    const entries = [`'section', ${sqlString(s.name)}`, windowBounds];
    if (s.groups.length > 0)
      entries.push(
        `'group', named_struct(${s.groups.map((g, j) => `${sqlString(plan.sections[i]![1].groupBy[j]![0])}, ${g.column}`).join(', ')})`,
      );
    const measured = s.measures
      .map((m, k) => ({
        name: plan.sections[i]![1].measures[k]![0],
        parts: partialColumns.filter((p) => p.section === i && p.measure === k),
      }))
      .filter((m) => m.parts.length > 0);
    if (measured.length > 0)
      entries.push(
        `'partials', named_struct(${measured.map((m) => `${sqlString(m.name)}, named_struct(${m.parts.map((p) => `'${p.part}', ${p.column}`).join(', ')})`).join(', ')})`,
      );
    return `WHEN ${sqlString(s.name)} THEN to_json(named_struct(${entries.join(', ')}))`;
  };
  const groupKey = sections.some((s) => s.groups.length > 0)
    ? `CASE section ${sections
        .filter((s) => s.groups.length > 0)
        .map((s) => `WHEN ${sqlString(s.name)} THEN to_json(named_struct(${s.groups.map((g, j) => `'${j}', ${g.column}`).join(', ')}))`)
        .join(' ')} ELSE '' END`
    : "''";
  const builtIn = (name: string) => `WHEN ${sqlString(name)} THEN to_json(named_struct('section', ${sqlString(name)}, ${windowBounds}))`;
  return `WITH parsed AS (
  SELECT event_time AS _event_time, json_object_keys(json) AS _keys,
    from_json(json, ${sqlString(parseSchema(fields))}, map('mode', 'PERMISSIVE', 'columnNameOfCorruptRecord', '_corrupt')) AS _r
  FROM ${records}
),
typed AS (
  SELECT _event_time, _keys, _r${fields.map((f) => `,\n    ${typedField(f)} AS ${quote(f[0])}`).join('')}
  FROM parsed
),
checked AS (
  SELECT *, _keys IS NOT NULL AND _r IS NOT NULL AND _r._corrupt IS NULL
    AND forall(_keys, k -> k IN (${fields.map(([f]) => sqlString(f)).join(', ')}))${fields
      .flatMap(fieldChecks)
      .map((c) => `\n    AND ${c}`)
      .join('')} AS _valid
  FROM typed
),
prepared AS (
  SELECT _event_time, _valid${[
    ...allGroups.map(({ column, expression }) => ({ column, expression })),
    ...allMeasures.map(({ column, measure }) => ({ column, expression: measure.expression })),
  ]
    .map(({ column, expression }) => `,\n    CASE WHEN _valid THEN (${expression}) END AS ${column}`)
    .join('')}
  FROM checked
),
targeted AS (
  SELECT _event_time${allMeasures.map(({ column }) => `, ${column}`).join('')},
    explode(CASE WHEN _valid THEN array(
      ${[target(TOTAL_SECTION, []), ...sections.map((s) => target(s.name, s.groups))].join(',\n      ')}
    ) ELSE array(${target(REJECTED_SECTION, [])}) END) AS _t
  FROM prepared
),
counted AS (
  SELECT _t.section AS section${allGroups.map(({ column }) => `, _t.${column} AS ${column}`).join('')}, ${window} AS _w, count(*) AS records${partialColumns
    .map((p) => `,\n    ${p.aggregate} AS ${p.column}`)
    .join('')}
  FROM targeted
  GROUP BY _t.section${allGroups.map(({ column }) => `, _t.${column}`).join('')}, ${window}
)
SELECT concat_ws('|', ${sqlString(resultsVersion)}, section, CAST(unix_millis(_w.start) AS STRING), ${groupKey}) AS key,
  CASE section ${[builtIn(TOTAL_SECTION), builtIn(REJECTED_SECTION), ...sections.map(message)].join('\n    ')} END AS value
FROM counted`;
}

export interface StreamingJobOptions {
  /** Kafka as Spark's executors reach it. */
  bootstrapServers: string;
  /** This stream's checkpoint directory (offsets, state): a restarted query resumes from it. */
  checkpointLocation: string;
  /** What starts every result message's key: the version of the plan and window the query computes. */
  resultsVersion: string;
}

/**
 * The streaming relation: Kafka in, one (key, value) row per updated aggregate out, each key starting with
 * `resultsVersion` (lib/streams.ts streamResultsVersion).
 */
export function streamingAggregateRelation(spec: StreamSpec, bootstrapServers: string, resultsVersion: string): Relation {
  const source = kafkaStreamRelation({
    bootstrapServers,
    topic: spec.topic,
    startingOffsets: spec.startingOffsets,
    maxOffsetsPerTrigger: spec.maxRecordsPerBatch,
  });
  // Table names unique per stream: Spark registers them as temp views of the session while it analyses the plan.
  const id = streamQueryName(spec.name);
  const keyed = sqlOverRelations(KEYED_SQL.replace('{source}', `source_${id}`), { [`source_${id}`]: source }, 1);
  const watermarked = withWatermark(keyed, 'event_time', `${spec.watermarkSeconds} seconds`);
  const deduplicated = dropDuplicatesWithinWatermark(watermarked, ['record_key']);
  const split = sqlOverRelations(SPLIT_SQL.replace('{messages}', `messages_${id}`), { [`messages_${id}`]: deduplicated }, 2);
  const records = observe(split, RECORDS_METRIC, ['count(1) AS records']);
  return sqlOverRelations(aggregateSql(spec.plan, spec.windowSeconds, resultsVersion, `records_${id}`), { [`records_${id}`]: records }, 3);
}

/** The whole query: the relation above written to the stream's results topic in update mode. */
export function streamingJob(spec: StreamSpec, options: StreamingJobOptions): WriteStreamSpec {
  return {
    input: streamingAggregateRelation(spec, options.bootstrapServers, options.resultsVersion),
    format: 'kafka',
    options: { 'kafka.bootstrap.servers': options.bootstrapServers, topic: spec.resultsTopic },
    checkpointLocation: options.checkpointLocation,
    trigger: { processingTime: `${spec.triggerMs} milliseconds` },
    outputMode: 'update',
    queryName: streamQueryName(spec.name),
  };
}
