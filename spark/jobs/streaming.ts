// The streaming job: a Kafka topic of JSON employee records → running aggregates per event-time window (counts by
// gender, birth month, department with salary statistics, all records, rejected records) → a results topic, one
// message per aggregate, keyed by it. As one Structured Streaming query:
//
//   Kafka source ─► record key + event time (Kafka timestamp) + JSON ─► watermark ─► drop duplicate record keys
//   within the watermark ─► parse and validate ─► explode each record into its aggregates ─► one aggregation by
//   (kind, group, window) ─► Kafka sink, update mode, message key = aggregate key
//
// Exactness: Spark's state and offsets are checkpointed, so each record is counted once into the state; the Kafka
// sink may write a micro-batch twice (at-least-once), but every message is a complete aggregate under its own key,
// so a reader that keeps the latest value per key reads the same numbers either way (contracts/streams.ts).
// Each valid record is in exactly one group of every kind (a record without a birth date in month NO_MONTH), so in
// every window each kind's counts add up to its total: a reader that finds a window where they do not has read a
// micro-batch that Spark was still writing (the sink is not transactional), and reads again.
// Everything is per window, so state stays bounded: a window's aggregates leave the state once the watermark passes
// its end, and their last values stay in the (compacted) results topic.
import type { StreamSpec } from '../../contracts/streams';
import { NO_MONTH, streamQueryName } from '../../contracts/streams';
import {
  dropDuplicatesWithinWatermark,
  kafkaStreamRelation,
  sqlOverRelations,
  withWatermark,
  type Relation,
  type WriteStreamSpec,
} from '../../lib/spark-connect';

/** The columns a record may have (contracts/records.ts); any other field makes it rejected. */
const RECORD_FIELDS = ['id', 'name', 'gender', 'salary', 'birth_date', 'department'];
/**
 * As from_json reads them: birth_date as text, so that a bad date is a rejected record instead of a failed query
 * (Spark 4 runs ANSI SQL, where a bad cast throws); `_corrupt` catches what does not parse or has a wrong type.
 */
const PARSE_SCHEMA = 'id BIGINT, name STRING, gender STRING, salary DOUBLE, birth_date STRING, department STRING, _corrupt STRING';
const MAX_SAFE_INTEGER = 9007199254740991;

/**
 * Stage 1, over the Kafka source: each message's record key for de-duplication (its Kafka key, when it has one;
 * else its own offset, which never repeats), its event time and its text.
 */
const KEYED_SQL = `SELECT
  coalesce(concat('k:', CAST(key AS STRING)), concat('o:', CAST(partition AS STRING), ':', CAST(offset AS STRING))) AS record_key,
  timestamp AS event_time,
  CAST(value AS STRING) AS json
FROM {source}`;

/**
 * Stage 2, over the de-duplicated records ({records}): validation as contracts/records.ts has it (ANSI-safe: no
 * expression here may throw on any input, or one bad record would fail the query), then the aggregates.
 */
export function aggregateSql(windowSeconds: number, records = 'records'): string {
  const window = `window(event_time, '${windowSeconds} seconds')`;
  return AGGREGATE_SQL.replace('{records}', records).replaceAll('{window}', window);
}

const AGGREGATE_SQL = `WITH parsed AS (
  SELECT event_time, json_object_keys(json) AS fields,
    from_json(json, '${PARSE_SCHEMA}', map('mode', 'PERMISSIVE', 'columnNameOfCorruptRecord', '_corrupt')) AS r
  FROM {records}
),
checked AS (
  SELECT event_time, r.gender AS gender, r.salary AS salary, r.department AS department,
    CASE WHEN r.birth_date RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
      THEN CAST(try_to_timestamp(r.birth_date, 'yyyy-MM-dd') AS DATE) END AS birth_date,
    r.birth_date AS birth_date_text,
    fields IS NOT NULL AND r IS NOT NULL AND r._corrupt IS NULL
      AND forall(fields, f -> f IN (${RECORD_FIELDS.map((f) => `'${f}'`).join(', ')}))
      AND r.id BETWEEN -${MAX_SAFE_INTEGER} AND ${MAX_SAFE_INTEGER}
      AND r.gender IS NOT NULL AND r.gender <> ''
      AND r.salary IS NOT NULL AND r.salary BETWEEN 0 AND 1.7976931348623157E308 AS valid
  FROM parsed
),
aggregates AS (
  SELECT event_time, salary,
    CASE WHEN valid AND (birth_date_text IS NULL OR birth_date IS NOT NULL) THEN array(
      named_struct('kind', 'total', 'grp', ''),
      named_struct('kind', 'gender', 'grp', gender),
      named_struct('kind', 'month', 'grp', coalesce(CAST(month(birth_date) AS STRING), '${NO_MONTH}')),
      named_struct('kind', 'department', 'grp', coalesce(department, 'Unknown'))
    ) ELSE array(named_struct('kind', 'rejected', 'grp', '')) END AS targets
  FROM checked
),
exploded AS (
  SELECT event_time, salary, target.kind AS kind, target.grp AS grp
  FROM aggregates LATERAL VIEW explode(targets) t AS target
),
counted AS (
  SELECT kind, grp, {window} AS w, count(*) AS records,
    sum(CASE WHEN kind = 'rejected' THEN NULL ELSE salary END) AS salary_sum,
    min(CASE WHEN kind = 'rejected' THEN NULL ELSE salary END) AS salary_min,
    max(CASE WHEN kind = 'rejected' THEN NULL ELSE salary END) AS salary_max,
    sum(CASE WHEN kind = 'rejected' THEN NULL ELSE salary * salary END) AS salary_sumsq
  FROM exploded
  GROUP BY kind, grp, {window}
)
SELECT concat_ws('|', kind, grp, CAST(unix_millis(w.start) AS STRING)) AS key,
  to_json(named_struct('kind', kind, 'group', grp, 'window_start', unix_millis(w.start), 'window_end', unix_millis(w.end),
    'count', records, 'salary_sum', salary_sum, 'salary_min', salary_min, 'salary_max', salary_max, 'salary_sumsq', salary_sumsq)) AS value
FROM counted`;

export interface StreamingJobOptions {
  /** Kafka as Spark's executors reach it. */
  bootstrapServers: string;
  /** This stream's checkpoint directory (offsets, state): a restarted query resumes from it. */
  checkpointLocation: string;
}

/** The streaming relation: Kafka in, one (key, value) row per updated aggregate out. */
export function streamingAggregateRelation(spec: StreamSpec, bootstrapServers: string): Relation {
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
  return sqlOverRelations(aggregateSql(spec.windowSeconds, `records_${id}`), { [`records_${id}`]: deduplicated }, 2);
}

/** The whole query: the relation above written to the stream's results topic in update mode. */
export function streamingJob(spec: StreamSpec, options: StreamingJobOptions): WriteStreamSpec {
  return {
    input: streamingAggregateRelation(spec, options.bootstrapServers),
    format: 'kafka',
    options: { 'kafka.bootstrap.servers': options.bootstrapServers, topic: spec.resultsTopic },
    checkpointLocation: options.checkpointLocation,
    trigger: { processingTime: `${spec.triggerMs} milliseconds` },
    outputMode: 'update',
    queryName: streamQueryName(spec.name),
  };
}
