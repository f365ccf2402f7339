// Builders for the Spark Connect relations we read from: SQL text (with named parameters), an exact Kafka offset
// range, JSON files.
import type { PartitionRange } from '../../contracts/partition-ranges';
import type { Literal, Relation } from './proto';

/** A value for a `:name` marker in SQL text, sent as a typed literal: never spliced into the text. */
export type SqlParameter =
  | { type: 'string'; value: string }
  /** A safe integer (|n| < 2^53); Spark's `bigint`. */
  | { type: 'long'; value: number }
  /** A finite number. */
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  /** `YYYY-MM-DD` */
  | { type: 'date'; value: string }
  /** ISO 8601 with a zone, seconds and at most microseconds: `2024-01-02T03:04:05.123456+01:00` or `…Z`. */
  | { type: 'timestamp'; value: string };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** SQL text; `args` give the values of its `:name` markers (`SELECT * FROM t WHERE id = :id`). */
export function sqlRelation(query: string, args?: Record<string, SqlParameter>): Relation {
  const entries = Object.entries(args ?? {});
  if (entries.length === 0) return { sql: { query } };
  const named_arguments = entries.map(([name, parameter]) => {
    if (!IDENTIFIER.test(name)) throw new Error(`SQL parameter name must be a plain identifier, got "${name}"`);
    return { key: name, value: { literal: sqlLiteral(name, parameter) } };
  });
  return { sql: { query, named_arguments } };
}

/**
 * SQL over other relations, each under a table name: one plan, no temp views to create beforehand or drop after
 * (what PySpark sends for `spark.sql("... {df} ...", df=df)`). Names must be plain identifiers. The references
 * get plan ids from `firstPlanId` on: one plan that nests such SQL gives each level its own ids. `args` as for
 * `sqlRelation`.
 */
export function sqlOverRelations(
  query: string,
  tables: Record<string, Relation>,
  firstPlanId = 1,
  args?: Record<string, SqlParameter>,
): Relation {
  const references = Object.entries(tables).map(([alias, input], i): Relation => {
    if (!IDENTIFIER.test(alias)) throw new Error(`table name must be a plain identifier, got "${alias}"`);
    return { common: { plan_id: firstPlanId + i }, subquery_alias: { input, alias } };
  });
  return { with_relations: { root: sqlRelation(query, args), references } };
}

/** The literal Spark gets for a parameter; throws, naming the parameter, for a value Spark would not read as meant. */
function sqlLiteral(name: string, parameter: SqlParameter): Literal {
  const refuse = (expected: string): Error =>
    new Error(`SQL parameter "${name}" (${parameter.type}) must be ${expected}, got ${JSON.stringify(parameter.value)}`);
  switch (parameter.type) {
    case 'string':
      if (typeof parameter.value !== 'string') throw refuse('a string');
      return { string: parameter.value };
    case 'long':
      // A larger number has already lost digits in a JavaScript number.
      if (!Number.isSafeInteger(parameter.value)) throw refuse('a safe integer');
      return { long: String(parameter.value) };
    case 'double':
      if (typeof parameter.value !== 'number' || !Number.isFinite(parameter.value)) throw refuse('a finite number');
      return { double: parameter.value };
    case 'boolean':
      if (typeof parameter.value !== 'boolean') throw refuse('true or false');
      return { boolean: parameter.value };
    case 'date': {
      const days = typeof parameter.value === 'string' ? epochDays(parameter.value) : undefined;
      if (days === undefined) throw refuse('a date YYYY-MM-DD between 0001-01-01 and 9999-12-31');
      return { date: days };
    }
    case 'timestamp': {
      const micros = typeof parameter.value === 'string' ? epochMicros(parameter.value) : undefined;
      if (micros === undefined) throw refuse('an ISO 8601 timestamp with a zone, e.g. 2024-01-02T03:04:05.123456Z');
      return { timestamp: micros };
    }
    default:
      throw new Error(`SQL parameter "${name}" has unknown type ${JSON.stringify((parameter as { type: unknown }).type)}`);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/** Days since 1970-01-01 of a real calendar date in Spark's range (years 1 to 9999), else undefined. */
function epochDays(text: string): number | undefined {
  const match = DATE.exec(text);
  return match ? civilDays(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
}

function civilDays(year: number, month: number, day: number): number | undefined {
  if (year < 1) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999; the read-back refuses 2023-02-30.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.getTime() / 86_400_000;
}

/** Microseconds since the epoch as a decimal string (they pass 2^53, so int64 goes as text), else undefined. */
function epochMicros(text: string): string | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6])];
  const days = civilDays(Number(match[1]), Number(match[2]), Number(match[3]));
  if (days === undefined || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetSeconds = 0;
  if (!match[8]) {
    const [offsetHours, offsetMinutes] = [Number(match[10]), Number(match[11])];
    if (offsetHours > 18 || offsetMinutes > 59) return undefined; // Java's ZoneOffset range
    offsetSeconds = (match[9] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  }
  const seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  return (BigInt(seconds) * 1_000_000n + BigInt((match[7] ?? '').padEnd(6, '0'))).toString();
}

export interface KafkaBatchRead {
  /** `host:port[,host:port]` */
  bootstrapServers: string;
  topic: string;
  /** Per partition, offsets from (inclusive) to (exclusive): exactly these records are read. */
  ranges: readonly PartitionRange[];
  /**
   * A fixed consumer group id lets Spark's executor consumer pool reuse consumers across queries (~100 ms instead
   * of ~600 ms per query here). Safe because partitions are assigned explicitly, never subscribed.
   */
  groupId: string;
  /** Extra `kafka.*` or source options */
  options?: Record<string, string>;
}

/** A batch read of exactly the given offset ranges, with `assign` (explicit partitions) and a fixed group id. */
export function kafkaBatchRelation(read: KafkaBatchRead): Relation {
  const sorted = [...read.ranges].sort((a, b) => a.partition - b.partition);
  const starting: Record<string, number> = {};
  const ending: Record<string, number> = {};
  for (const range of sorted) {
    starting[range.partition] = range.from;
    ending[range.partition] = range.to;
  }
  const options: Record<string, string> = {
    'kafka.bootstrap.servers': read.bootstrapServers,
    assign: JSON.stringify({ [read.topic]: sorted.map((range) => range.partition) }),
    startingOffsets: JSON.stringify({ [read.topic]: starting }),
    endingOffsets: JSON.stringify({ [read.topic]: ending }),
    'kafka.group.id': read.groupId,
    ...read.options,
  };
  return dataSourceRelation('kafka', { options });
}

/** JSON-lines files (or directories of them); without a DDL schema Spark infers one by reading the files. */
export function jsonFilesRelation(paths: string[], schema?: string): Relation {
  return dataSourceRelation('json', { paths, schema });
}

export function dataSourceRelation(
  format: string,
  source: { options?: Record<string, string>; paths?: string[]; schema?: string },
): Relation {
  return {
    read: {
      data_source: {
        format,
        options: Object.entries(source.options ?? {}).map(([key, value]) => ({ key, value })),
        paths: source.paths ?? [],
        ...(source.schema ? { schema: source.schema } : {}),
      },
    },
  };
}

export interface KafkaStreamRead {
  /** `host:port[,host:port]` */
  bootstrapServers: string;
  topic: string;
  /** Where a query without a checkpoint starts; a query with one resumes from it whatever this says. */
  startingOffsets: 'earliest' | 'latest';
  /** At most this many offsets per micro-batch (a backlog after a restart is worked off in steps). */
  maxOffsetsPerTrigger?: number;
  /** Extra `kafka.*` or source options */
  options?: Record<string, string>;
}

/** A streaming read of a topic (`readStream.format("kafka")`): the topic's key, value, partition, offset, timestamp. */
export function kafkaStreamRelation(read: KafkaStreamRead): Relation {
  const options: Record<string, string> = {
    'kafka.bootstrap.servers': read.bootstrapServers,
    subscribe: read.topic,
    startingOffsets: read.startingOffsets,
    ...(read.maxOffsetsPerTrigger ? { maxOffsetsPerTrigger: String(read.maxOffsetsPerTrigger) } : {}),
    ...read.options,
  };
  const relation = dataSourceRelation('kafka', { options });
  if ('read' in relation) relation.read.is_streaming = true;
  return relation;
}

/** `withWatermark(eventTime, delay)`: rows later than `delay` behind the latest event time seen may be dropped. */
export function withWatermark(input: Relation, eventTime: string, delay: string): Relation {
  return { with_watermark: { input, event_time: eventTime, delay_threshold: delay } };
}

/** `dropDuplicatesWithinWatermark(columns)`: a row whose columns were seen within the watermark's delay is dropped. */
export function dropDuplicatesWithinWatermark(input: Relation, columns: string[]): Relation {
  return { deduplicate: { input, column_names: columns, within_watermark: true } };
}

/**
 * `observe(name, metrics)`: the rows pass unchanged, and each micro-batch's progress reports the aggregates
 * (`metrics`, SQL such as `count(1) AS records`) over them under `observedMetrics[name]`.
 */
export function observe(input: Relation, name: string, metrics: string[]): Relation {
  return { collect_metrics: { input, name, metrics: metrics.map((expression) => ({ expression_string: { expression } })) } };
}
