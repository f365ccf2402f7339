// The Kafka side of a stream: how its topics are configured, how records become messages of its topic (arrays of
// records, each message with a key that Spark de-duplicates on), and how a reader gets the stream's aggregates out
// of its results topic (the latest message of each aggregate key, folded: contracts/streams.ts), whole.
import { setTimeout } from 'node:timers/promises';
import crypto from 'node:crypto';
import { foldAggregates, latestByKey, type StreamAggregates, type StreamSpec } from '../contracts/streams';
import { uuidV5 } from './idempotency';
import { jsonArray, jsonChunks, RECORDS_PER_MESSAGE } from './json-arrays';
import type { KafkaTopics, OutgoingMessage } from './kafka';

/** A stream's own input topic: event time is when the broker took the record, so producers' clocks do not matter. */
export const STREAM_TOPIC_CONFIGS: Record<string, string> = { 'message.timestamp.type': 'LogAppendTime' };
/**
 * A results topic: compacted, so it keeps at least the latest message of each aggregate (what readers use) and
 * stays about as small as the number of aggregates.
 */
export const RESULTS_TOPIC_CONFIGS: Record<string, string> = {
  'cleanup.policy': 'compact',
  'segment.ms': '600000',
  'min.cleanable.dirty.ratio': '0.1',
};

/**
 * A batch of records as messages of a stream's topic: a JSON array of up to `perMessage` records each (and
 * `MESSAGE_BYTES`), spread over the partitions. The key names the message: `batchKey` and its place in the
 * batch. A producer that sends the same batch again under the same batch key (a retried request with the same
 * Idempotency-Key) sends the same messages under the same keys, and the stream counts each message once (within
 * its watermark): Spark's de-duplication state holds one key per message, not per record.
 */
export function streamRecordMessages(
  records: readonly object[],
  batchKey: string,
  partitions: number,
  perMessage = RECORDS_PER_MESSAGE,
): OutgoingMessage[] {
  const first = Number.parseInt(uuidV5(`stream-batch:${batchKey}`).slice(0, 8), 16) % partitions;
  const chunks = jsonChunks(
    records.map((record) => JSON.stringify(record)),
    perMessage,
  );
  return chunks.map((chunk, i) => ({
    key: uuidV5(`stream-message:${batchKey}:${i}`),
    value: jsonArray(chunk),
    partition: (first + i) % partitions,
  }));
}

/**
 * What the query's result messages are keyed under: the hash of everything their meaning depends on (the fields,
 * the sections, the window). A stream started again with another plan gets a new version, so a new checkpoint
 * (spark/runtime/stream-runner.ts) and results of its own; a reader takes only its stream's current version.
 */
export function streamResultsVersion(spec: Pick<StreamSpec, 'plan' | 'windowSeconds'>): string {
  const { fields, sections } = spec.plan;
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([fields, sections, spec.windowSeconds]))
    .digest('hex')
    .slice(0, 12);
}

/** How long a reader waits for a micro-batch that Spark is writing to be whole, and how often it reads again. */
const SETTLE_MS = 5_000;
const REREAD_MS = 200;

/**
 * The stream's aggregates as they stand in its results topic now; null before the topic exists (never started).
 * Spark's Kafka sink is not transactional, so a read can find a micro-batch half-written (some of a window's
 * aggregates new, others not: `consistent` false); then it reads again, for up to `settleMs`, and answers with the
 * last read, whole or not.
 */
export async function readStreamAggregates(
  kafka: KafkaTopics,
  spec: Pick<StreamSpec, 'plan' | 'windowSeconds' | 'resultsTopic'>,
  { timeoutMs = 30_000, settleMs = SETTLE_MS }: { timeoutMs?: number; settleMs?: number } = {},
): Promise<StreamAggregates | null> {
  const deadline = Date.now() + settleMs;
  const version = streamResultsVersion(spec);
  for (;;) {
    let aggregates: StreamAggregates;
    try {
      const messages = await kafka.readAll(spec.resultsTopic, { timeoutMs });
      aggregates = foldAggregates(spec.plan, latestByKey(messages, version).values());
    } catch (err) {
      if (isUnknownTopic(err)) return null;
      throw err;
    }
    if (aggregates.consistent || Date.now() + REREAD_MS > deadline) return aggregates;
    await setTimeout(REREAD_MS);
  }
}

function isUnknownTopic(err: unknown): boolean {
  for (
    let e = err as { type?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0;
    e && depth < 10;
    depth++
  ) {
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || /does not host this topic-partition/.test(e.message ?? '')) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}
