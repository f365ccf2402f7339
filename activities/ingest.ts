// Ingest: writes a run's records into the shared records topic, each message keyed by the run and numbered
// (`seq` header), and returns the offset range written in each partition. A retried ingest first reads back what
// an earlier attempt of the same run wrote since `startOffsets`, and writes only the records still missing, so
// the topic holds the batch exactly once whatever fails when.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { recordKey } from '../lib/idempotency';
import type { KafkaClient, OutgoingMessage, PartitionRange } from '../lib/kafka';
import { parseRecords, RecordValidationError, type EmployeeRecord } from '../lib/records';
import { GROUP_COLUMN } from '../spark/jobs';
import { activityLogger, type ActivityDeps } from './deps';

/**
 * Bytes per producer request. kafkajs puts a partition's messages of one send into one record batch, and the
 * broker refuses a batch over message.max.bytes (1 MiB by default): 5,000 messages with a long run key overran
 * it (MESSAGE_TOO_LARGE). 768 KiB keeps clear of it (the size estimate is generous).
 */
export const SEND_CHUNK_BYTES = 768 * 1024;
/** Producer requests in flight at once: overlaps encoding the next chunk with the broker writing the last. */
export const SENDS_IN_FLIGHT = 3;
/** Runs up to this size go to one partition (one Spark task); larger runs are spread over all partitions. */
const SINGLE_PARTITION_MAX = 10_000;
/** Upper bound for a `file` input. */
const FILE_MAX_RECORDS = 2_000_000;

export interface IngestPlan {
  topic: string;
  partitions: number;
  /** Next offset of each partition before this run wrote anything: where a retry looks for its own records. */
  startOffsets: Record<string, number>;
}

export interface IngestInput {
  runKey: string;
  plan: IngestPlan;
  /** Exactly one of: inline records or groups of records (validated by the workflow), or a file under the data directory. */
  records?: EmployeeRecord[];
  groups?: { id: string; records: EmployeeRecord[] }[];
  file?: string;
}

export interface IngestResult {
  topic: string;
  /** The Kafka key of the run's records (lib/idempotency.ts recordKey): how readers pick them out of the topic. */
  recordKey: string;
  ranges: PartitionRange[];
  recordCount: number;
  /** Records this attempt wrote; the rest were found already written by an earlier attempt. */
  written: number;
}

/** Stable partition for a small run: spreads runs over partitions, keeps each run's records together. */
export function partitionForRun(runKey: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < runKey.length; i++) h = (Math.imul(h, 31) + runKey.charCodeAt(i)) | 0;
  return Math.abs(h) % partitions;
}

/**
 * One message per record, numbered by its place in the batch; with `groups` (parallel to `records`), each value
 * also names the record's group (`_group`, see spark/jobs.ts).
 */
export function toMessages(runKey: string, records: EmployeeRecord[], partitions: number, groups?: string[]): OutgoingMessage[] {
  const single = records.length <= SINGLE_PARTITION_MAX ? partitionForRun(runKey, partitions) : undefined;
  const key = recordKey(runKey);
  return records.map((record, seq) => ({
    key,
    value: JSON.stringify(groups ? { [GROUP_COLUMN]: groups[seq], ...record } : record),
    partition: single ?? seq % partitions,
    headers: { seq: String(seq) },
  }));
}

/** Consecutive slices of the messages, each at most `maxBytes` of key, value and headers (one message at least). */
export function chunksOfBytes(messages: OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    // Per-record overhead in a Kafka record batch is a few dozen bytes at most; 64 covers it with headers' names.
    const size = Buffer.byteLength(m.key) + Buffer.byteLength(m.value) + 64 + Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Smallest per-partition ranges covering all the given ranges. */
export function mergeRanges(ranges: PartitionRange[]): PartitionRange[] {
  const byPartition = new Map<number, PartitionRange>();
  for (const r of ranges) {
    const seen = byPartition.get(r.partition);
    byPartition.set(r.partition, seen ? { partition: r.partition, from: Math.min(seen.from, r.from), to: Math.max(seen.to, r.to) } : { ...r });
  }
  return [...byPartition.values()].sort((a, b) => a.partition - b.partition);
}

/** The absolute path of a `file` input, which must lie under the data directory. */
export function resolveDataFile(dataDir: string, file: string): string {
  const resolved = path.resolve(dataDir, file);
  if (!resolved.startsWith(dataDir + path.sep)) {
    throw ApplicationFailure.nonRetryable(`file "${file}" is outside the data directory ${dataDir} (set DATA_DIR to allow another)`, 'PipelineInputError');
  }
  return resolved;
}

async function readRecordsFile(dataDir: string, file: string): Promise<EmployeeRecord[]> {
  const resolved = resolveDataFile(dataDir, file);
  let text: string;
  try {
    text = await fs.readFile(resolved, 'utf8');
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot read records file ${resolved}: ${(err as Error).message}`, 'PipelineInputError');
  }
  let data: unknown;
  try {
    data = resolved.endsWith('.json') ? JSON.parse(text) : text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`records file ${resolved} is not valid JSON: ${(err as Error).message}`, 'PipelineInputError');
  }
  try {
    return parseRecords(data, { maxRecords: FILE_MAX_RECORDS });
  } catch (err) {
    if (err instanceof RecordValidationError) throw ApplicationFailure.nonRetryable(`${resolved}: ${err.message}`, 'RecordValidationError');
    throw err;
  }
}

/** Writes the messages in requests of at most SEND_CHUNK_BYTES, SENDS_IN_FLIGHT at a time; returns what each wrote. */
export async function produceInChunks(
  kafka: KafkaClient,
  topic: string,
  messages: OutgoingMessage[],
  onProgress: (sent: number) => void = () => undefined,
): Promise<PartitionRange[]> {
  const chunks = chunksOfBytes(messages, SEND_CHUNK_BYTES);
  const written: PartitionRange[] = [];
  let sent = 0;
  const lane = async () => {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      written.push(...(await kafka.produce(topic, chunk).catch(failFastIfPermanent)));
      sent += chunk.length;
      onProgress(sent);
    }
  };
  await Promise.all(Array.from({ length: SENDS_IN_FLIGHT }, lane));
  return written;
}

/** kafkajs marks errors a retry cannot fix (a message too large, an unknown topic) as not retriable. */
function failFastIfPermanent(err: unknown): never {
  const e = err as { retriable?: boolean; type?: string; message?: string };
  if (e?.retriable === false) throw ApplicationFailure.nonRetryable(`Kafka refused the records: ${e.type ?? ''} ${e.message ?? err}`.trim(), 'KafkaError');
  throw err;
}

export function createIngestActivities({ kafka, config, logger }: ActivityDeps) {
  return {
    /** Makes sure the records topic exists and notes where each partition ends now, before anything is written. */
    async planIngest(): Promise<IngestPlan> {
      const topic = config.kafka.recordsTopic;
      const partitions = await kafka.ensureTopic(topic, config.kafka.recordsPartitions);
      const ends = await kafka.endOffsets(topic);
      return { topic, partitions, startOffsets: Object.fromEntries([...ends].map(([p, o]) => [String(p), o])) };
    },

    async ingestRecords(input: IngestInput): Promise<IngestResult> {
      const log = activityLogger(logger);
      const ctx = Context.current();
      const records =
        input.records ??
        input.groups?.flatMap((g) => g.records) ??
        (input.file !== undefined ? await readRecordsFile(config.dataDir, input.file) : undefined);
      if (!records) throw ApplicationFailure.nonRetryable('ingestRecords needs "records", "groups" or "file"', 'PipelineInputError');
      const groupOf = input.groups?.flatMap((g) => g.records.map(() => g.id));
      const { topic, partitions, startOffsets } = input.plan;
      const key = recordKey(input.runKey);
      const messages = toMessages(input.runKey, records, partitions, groupOf);

      // A later attempt: find what earlier attempts of this run already wrote.
      const found: PartitionRange[] = [];
      const done = new Set<string>();
      if (ctx.info.attempt > 1) {
        const ends = await kafka.endOffsets(topic);
        const scan = [...ends].map(([partition, to]) => ({ partition, from: startOffsets[String(partition)] ?? 0, to }));
        for (const m of await kafka.readRanges(topic, scan, { key })) {
          if (m.headers.seq !== undefined) done.add(m.headers.seq);
          found.push({ partition: m.partition, from: m.offset, to: m.offset + 1 });
        }
        log.info({ alreadyWritten: done.size, total: messages.length }, 'resuming ingest after an earlier attempt');
      }

      const missing = messages.filter((m) => !done.has(m.headers!.seq!));
      const written = await produceInChunks(kafka, topic, missing, (sent) => ctx.heartbeat({ written: sent, of: missing.length }));
      const ranges = mergeRanges([...found, ...written]);
      log.info({ topic, ranges, records: records.length, written: missing.length }, 'records ingested');
      return { topic, recordKey: key, ranges, recordCount: records.length, written: missing.length };
    },
  };
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;
