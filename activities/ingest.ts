// Ingest: writes a run's records into the shared records topic, up to a hundred records a message (a JSON array,
// lib/json-arrays.ts), each message keyed by the run and numbered (`seq` header), and returns the offset range
// written in each partition. A retried ingest first reads back what an earlier attempt of the same run wrote since
// `startOffsets`, and writes only the messages still missing (the same records always make the same messages). The
// topic then holds each record once, unless an earlier attempt still runs (a zombie); Spark reads a run's messages
// de-duplicated by (key, seq), so the answer is right either way.
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { GROUP_COLUMN } from '../contracts/groups';
import { SMALL_RUN_MAX_RECORDS } from '../contracts/limits';
import { coveringRanges, type PartitionRange } from '../contracts/partition-ranges';
import type { EarlierTries, IngestResult } from '../contracts/pipeline';
import type { PipelineRecord } from '../contracts/records';
import { ResourcePolicy, ResourceRefusal } from '../contracts/resource-policy';
import { recordKey } from '../lib/idempotency';
import { jsonArray, jsonChunks } from '../lib/json-arrays';
import { KafkaRefusedError, type OutgoingMessage } from '../lib/kafka';
import { definitionOfEarlierRuns } from './definitions';
import { activityLogger, type ActivityDeps } from './deps';
import { earlierTriesSince } from './earlier-tries';
import { readRecordsFile, RecordsFileError, type RecordFields } from './records-file';

/** How often a running ingest heartbeats (its heartbeat timeout is set where the workflow proxies it). */
const HEARTBEAT_INTERVAL_MS = 1_000;
/** Upper bound for a `file` input. */
const FILE_MAX_RECORDS = 2_000_000;

export interface IngestPlan {
  topic: string;
  partitions: number;
  /** Next offset of each partition before this run wrote anything: where a retry looks for its own records. */
  startOffsets: Record<string, number>;
  /**
   * An earlier try of the run's workflow task may have written records already (a small run's local activities run
   * again after their task was lost): the offsets are those of the run's start, and the ingest looks for them first.
   */
  resume?: true;
}

/** Kafka's clock and the workflow's may differ a little: look back this much further than the run's start. */
const CLOCK_SLACK_MS = 30_000;

export interface IngestInput {
  runKey: string;
  /** Where a retry looks for what earlier attempts wrote (planIngest). None: a small run, which plans as it ingests. */
  plan?: IngestPlan;
  /** A small run's (no plan): whether an earlier try of its workflow task may have written records (EarlierTries). */
  earlier?: EarlierTries;
  /** Exactly one of: inline records or groups of records (validated by the workflow), or a file under the data directory. */
  records?: PipelineRecord[];
  groups?: { id: string; records: PipelineRecord[] }[];
  file?: string;
  /** With `file`: the run's definition's fields and key, which the file's records are checked against (none: a run from before definitions, whose records are employees). */
  fields?: RecordFields;
}

/**
 * Stable partition for a small run (SMALL_RUN_MAX_RECORDS: one partition, one Spark task; larger runs are spread
 * over all partitions): spreads runs over partitions, keeps each run's records together.
 */
export function partitionForRun(runKey: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < runKey.length; i++) h = (Math.imul(h, 31) + runKey.charCodeAt(i)) | 0;
  return Math.abs(h) % partitions;
}

/**
 * Each record as the JSON text of its message value; with `groups` (parallel to `records`), each value also names
 * the record's group (`_group`, see spark/jobs/sql.ts).
 */
export function recordValues(records: PipelineRecord[], groups?: string[]): string[] {
  return records.map((record, seq) => JSON.stringify(groups ? { [GROUP_COLUMN]: groups[seq], ...record } : record));
}

/** A message of a run's records, and how many records it holds. */
export interface RecordsMessage extends OutgoingMessage {
  headers: { seq: string };
  records: number;
}

/**
 * A run's record values as messages: JSON arrays of up to `RECORDS_PER_MESSAGE` records, numbered by their place in
 * the run (`seq`), in the run's one partition (a small run) or round-robin over all of them.
 */
export function toMessages(runKey: string, values: string[], partitions: number): RecordsMessage[] {
  const single = values.length <= SMALL_RUN_MAX_RECORDS ? partitionForRun(runKey, partitions) : undefined;
  const key = recordKey(runKey);
  return jsonChunks(values).map((chunk, seq) => ({
    key,
    value: jsonArray(chunk),
    partition: single ?? seq % partitions,
    headers: { seq: String(seq) },
    records: chunk.length,
  }));
}

/** The absolute path of a `file` input, which must lie under the data directory. */
export function resolveDataFile(dataDir: string, file: string): string {
  const resolved = path.resolve(dataDir, file);
  if (!resolved.startsWith(dataDir + path.sep)) {
    throw ApplicationFailure.nonRetryable(
      `file "${file}" is outside the data directory ${dataDir} (set DATA_DIR to allow another)`,
      'PipelineInputError',
    );
  }
  return resolved;
}

/** A `file` input's records: the name as the REST trigger checks it (for runs started from the CLI), then under DATA_DIR. */
async function readDataFile(policy: ResourcePolicy, dataDir: string, file: string, fields: RecordFields): Promise<string[]> {
  try {
    policy.pipelineSource({ file });
    return await readRecordsFile(resolveDataFile(dataDir, file), fields, { maxRecords: FILE_MAX_RECORDS });
  } catch (err) {
    if (err instanceof RecordsFileError || err instanceof ResourceRefusal)
      throw ApplicationFailure.nonRetryable(err.message, 'PipelineInputError');
    throw err;
  }
}

export function createIngestActivities({ kafka, spark, config, logger, metrics }: ActivityDeps) {
  const policy = new ResourcePolicy(config.resources);
  /** The records topic's partitions, once it exists (looked up again after a failed ingest). */
  let partitions: Promise<number> | undefined;
  return {
    /** Makes sure the records topic exists and notes where each partition ends now, before anything is written. */
    async planIngest(): Promise<IngestPlan> {
      const topic = config.kafka.recordsTopic;
      const partitions = await recordsPartitions();
      const ends = await kafka.endOffsets(topic);
      return { topic, partitions, startOffsets: Object.fromEntries([...ends].map(([p, o]) => [String(p), o])) };
    },

    async ingestRecords(input: IngestInput): Promise<IngestResult> {
      const ctx = Context.current();
      // Heartbeats on a clock, not per request: a broker that stalls must not look like a dead worker, and a dead
      // worker is noticed within the heartbeat timeout whatever the batch size. (Counted in messages.)
      const progress = { written: 0, of: 0 };
      // (A local activity has no heartbeats: the workflow task that holds it is its lease.)
      const heartbeat = ctx.info.isLocal ? undefined : setInterval(() => ctx.heartbeat(progress), HEARTBEAT_INTERVAL_MS);
      // A run ingesting in its workflow task (a small run, or a larger run's inline records) submits in moments after:
      // Spark's next execution may wait for it, to share.
      if (ctx.info.isLocal) spark.coming(input.runKey, true);
      try {
        return await ingest(input, ctx, progress);
      } catch (err) {
        spark.coming(input.runKey, false);
        partitions = undefined;
        if (err instanceof KafkaRefusedError) throw ApplicationFailure.nonRetryable(err.message, 'KafkaRefusedError');
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
    },
  };

  function recordsPartitions(): Promise<number> {
    partitions ??= kafka.ensureTopic(config.kafka.recordsTopic, config.kafka.recordsPartitions);
    return partitions.catch((err: unknown) => {
      partitions = undefined;
      throw err;
    });
  }

  /**
   * A small run's plan, made as it ingests: on its first try nothing to look for (no offsets to note); after an
   * earlier try (an attempt, or a lost workflow task) the partitions as they stood when that try began.
   */
  async function smallRunPlan(ctx: Context, earlier: EarlierTries): Promise<IngestPlan> {
    const topic = config.kafka.recordsTopic;
    const since = earlierTriesSince(ctx, earlier);
    if (since === undefined) return { topic, partitions: await recordsPartitions(), startOffsets: {} };
    // Every partition's first offset at that moment (its end where nothing came since): the ingest scans from there.
    const [count, at] = await Promise.all([recordsPartitions(), kafka.offsetsAt(topic, since - CLOCK_SLACK_MS)]);
    const startOffsets = Object.fromEntries([...at].map(([p, offset]) => [String(p), offset]));
    return { topic, partitions: count, startOffsets, resume: true };
  }

  /** The run's records as message values, from whichever of `records`, `groups` and `file` it has. */
  async function valuesOf(input: IngestInput): Promise<string[]> {
    if (input.records) return recordValues(input.records);
    if (input.groups) {
      const records = input.groups.flatMap((g) => g.records);
      return recordValues(
        records,
        input.groups.flatMap((g) => g.records.map(() => g.id)),
      );
    }
    if (input.file !== undefined)
      return readDataFile(policy, config.dataDir, input.file, input.fields ?? definitionOfEarlierRuns(config.definitionsDir));
    throw ApplicationFailure.nonRetryable('ingestRecords needs "records", "groups" or "file"', 'PipelineInputError');
  }

  async function ingest(input: IngestInput, ctx: Context, progress: { written: number; of: number }): Promise<IngestResult> {
    const log = activityLogger(logger);
    const values = await valuesOf(input);
    const plan = input.plan ?? (await smallRunPlan(ctx, input.earlier ?? {}));
    const { topic, partitions, startOffsets } = plan;
    const key = recordKey(input.runKey);
    const messages = toMessages(input.runKey, values, partitions);

    // A later attempt: find what earlier attempts of this run already wrote. (An earlier attempt still writing
    // in another process could add a record twice; readers de-duplicate by key and seq, see spark/jobs/sql.ts.)
    const found: PartitionRange[] = [];
    const done = new Set<string>();
    const resumed = ctx.info.attempt > 1 || plan.resume === true;
    if (resumed) {
      const ends = await kafka.endOffsets(topic);
      const scan = [...ends].map(([partition, to]) => ({ partition, from: startOffsets[String(partition)] ?? 0, to }));
      for (const m of await kafka.readRanges(topic, scan, { key })) {
        if (m.headers.seq !== undefined) done.add(m.headers.seq);
        found.push({ partition: m.partition, from: m.offset, to: m.offset + 1 });
      }
      log.info({ messagesWritten: done.size, messages: messages.length }, 'resuming ingest after an earlier attempt');
    }

    const missing = messages.filter((m) => !done.has(m.headers.seq));
    const writing = missing.reduce((sum, m) => sum + m.records, 0);
    progress.of = missing.length;
    const written = await kafka.produce(topic, missing, { onProgress: (n) => (progress.written = n), signal: ctx.cancellationSignal });
    const ranges = coveringRanges([...found, ...written]);
    metrics.recordsWritten(writing);
    log.info({ topic, ranges, records: values.length, written: writing, messages: missing.length }, 'records ingested');
    return {
      topic,
      recordKey: key,
      ranges,
      recordCount: values.length,
      written: writing,
      attempt: ctx.info.attempt,
      ...(plan.resume ? { resumed: true as const } : {}),
    };
  }
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;
