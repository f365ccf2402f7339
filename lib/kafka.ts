// Our one wrapper around the Kafka client (@platformatic/kafka): the rest of the code asks for topics, produces a
// run's messages and reads offset ranges back, and never sees client details.
import crypto from 'node:crypto';
import {
  Admin,
  Consumer,
  ProduceAcks,
  Producer,
  stringSerializers,
  type BaseOptions,
  type ClusterTopicMetadata,
  type RecordsBatch,
} from '@platformatic/kafka';
import { coveringRanges, type PartitionRange } from '../contracts/partition-ranges';
import type { Config } from './config';
import type { Logger } from './logger';

export interface OutgoingMessage {
  key: string;
  value: string;
  partition: number;
  headers?: Record<string, string>;
}

export interface ConsumedMessage {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Kafka cannot be reached or did not take the request now (a broker restarting, a leader moving): retry. */
export class KafkaUnavailableError extends Error {
  override name = 'KafkaUnavailableError';
  constructor(brokers: string[], cause: unknown) {
    super(`Kafka unavailable at ${brokers.join(',')} (${describe(cause)}) — is \`npm run stack -- up\` running?`, { cause });
  }
}

/** Kafka refuses the request itself (a message too large, a topic that may not be written): retrying cannot help. */
export class KafkaRefusedError extends Error {
  override name = 'KafkaRefusedError';
  constructor(
    readonly type: string,
    cause: unknown,
  ) {
    super(`Kafka refused the messages: ${type} (${describe(cause)})`, { cause });
  }
}

/**
 * Broker error codes that refuse the request for what it is. Everything else (connections lost, leaders moving,
 * a producer's sequence state, timeouts, the client giving up after its retries) can clear on a retry.
 */
const REFUSED_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_REQUIRED_ACKS',
  'POLICY_VIOLATION',
]);

interface ErrorNode {
  apiId?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Every error in a failure's tree: the error, its causes, and the errors an aggregate carries, breadth first. */
function errorTree(err: unknown, limit = 50): ErrorNode[] {
  const out: ErrorNode[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < limit) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null) continue;
    const node = e as ErrorNode;
    out.push(node);
    if (node.cause !== undefined) queue.push(node.cause);
    if (Array.isArray(node.errors)) queue.push(...(node.errors as unknown[]));
  }
  return out;
}

/** Every broker error code (`MESSAGE_TOO_LARGE`, `TOPIC_ALREADY_EXISTS`…) in a failure's tree, outermost first. */
export function brokerErrorCodes(err: unknown): string[] {
  return errorTree(err).flatMap((e) => (typeof e.apiId === 'string' ? [e.apiId] : []));
}

/**
 * What a failed Kafka call means for its caller, decided from the broker's error codes found anywhere in the
 * failure (its causes and an aggregate's errors), never from the client's own retry verdict: a broker down for
 * longer than the client's few retries is still worth the activity's retry.
 */
export function classifyKafkaError(err: unknown, brokers: string[]): KafkaRefusedError | KafkaUnavailableError {
  if (err instanceof KafkaRefusedError || err instanceof KafkaUnavailableError) return err;
  const refused = brokerErrorCodes(err).find((code) => REFUSED_TYPES.has(code));
  return refused ? new KafkaRefusedError(refused, err) : new KafkaUnavailableError(brokers, err);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const codes = brokerErrorCodes(err);
  const inner = errorTree(err)
    .slice(1)
    .find((e): e is Error => e instanceof Error);
  const detail = codes.length > 0 ? codes.join(', ') : inner?.message;
  return detail && detail !== err.message ? `${err.message}: ${detail}` : err.message;
}

/**
 * Bytes per producer request. A request carries one record batch per partition, and the broker refuses a batch
 * over message.max.bytes (1 MiB by default): 768 KiB keeps clear of it (the estimate is generous).
 */
export const SEND_CHUNK_BYTES = 768 * 1024;
/** Requests one `produce` keeps in flight: overlaps encoding the next chunk with the broker writing the last. */
export const SENDS_IN_FLIGHT = 3;
/** Idempotent producers a client keeps (each serves one request at a time). */
const PRODUCERS = 4;
/** Failed fetch rounds in a row a read tries again before it fails. */
const FETCH_RETRIES = 5;
/** Bytes one fetch asks a partition for. */
const FETCH_PARTITION_BYTES = 8 * 1024 * 1024;

/** Consecutive slices of the messages, each at most `maxBytes` of key, value and headers (one message at least). */
export function chunksOfBytes(messages: OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    // Per-record overhead in a Kafka record batch is a few dozen bytes at most; 64 covers it with headers' names.
    const size =
      Buffer.byteLength(m.key) +
      Buffer.byteLength(m.value) +
      64 +
      Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);
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

/** What the pool needs of a producer: to be closed. */
interface Closable {
  close(): Promise<void>;
}

/**
 * Idempotent producers, each lent to one request at a time, and dropped when a request on it fails. A producer
 * numbers its record batches per partition, and retries a request under the same numbers, so the broker writes it
 * once. When a request fails for good, its outcome is unknown: a fresh producer (a new producer id) takes the next
 * request, so that it is never refused as out of order behind a batch the broker may or may not have written.
 */
export class ProducerPool<P extends Closable> {
  private readonly idle: P[] = [];
  private readonly waiting: ((producer: P | undefined) => void)[] = [];
  private count = 0;
  private closed = false;

  constructor(
    private readonly create: () => Promise<P>,
    private readonly max: number,
  ) {}

  /** Runs `send` on a producer of its own; a producer whose request failed is closed, not reused. */
  async use<T>(send: (producer: P) => Promise<T>): Promise<T> {
    const producer = await this.acquire();
    let result: T;
    try {
      result = await send(producer);
    } catch (err) {
      this.count--;
      void producer.close().catch(() => undefined);
      this.wakeOne();
      throw err;
    }
    this.give(producer);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake(undefined);
    const idle = this.idle.splice(0);
    this.count -= idle.length;
    await Promise.allSettled(idle.map((p) => p.close()));
  }

  private async acquire(): Promise<P> {
    for (;;) {
      if (this.closed) throw new Error('the Kafka client is closed');
      const idle = this.idle.pop();
      if (idle) return idle;
      if (this.count < this.max) {
        this.count++;
        try {
          return await this.create();
        } catch (err) {
          this.count--;
          this.wakeOne();
          throw err;
        }
      }
      const given = await new Promise<P | undefined>((resolve) => this.waiting.push(resolve));
      if (given) return given;
    }
  }

  private give(producer: P): void {
    const next = this.waiting.shift();
    if (next) next(producer);
    else if (this.closed) {
      this.count--;
      void producer.close().catch(() => undefined);
    } else this.idle.push(producer);
  }

  /** A slot freed up (a producer dropped): let one waiter try to create a new one. */
  private wakeOne(): void {
    this.waiting.shift()?.(undefined);
  }
}

export interface ProduceOptions {
  /** Called as requests complete, with the number of messages written so far. */
  onProgress?: (written: number) => void;
  /** Aborting stops sending further requests (those in flight complete); the call then rejects. */
  signal?: AbortSignal;
}

/** What the rest of the code does with Kafka: topics, a run's messages in, offset ranges back. */
export interface KafkaTopics {
  /** Asks the cluster for its brokers: whether Kafka answers now (a readiness check). */
  ping(): Promise<void>;
  /** Creates the topic if it does not exist (with these topic configs); returns its partition count. */
  ensureTopic(topic: string, partitions: number, configs?: Record<string, string>): Promise<number>;
  endOffsets(topic: string): Promise<Map<number, number>>;
  /** Every message in the topic now, from each partition's first offset to its end, in offset order. */
  readAll(topic: string, opts?: { timeoutMs?: number }): Promise<ConsumedMessage[]>;
  offsetsAt(topic: string, timestampMs: number): Promise<Map<number, number>>;
  /** Writes the messages; returns the offset range written in each partition. */
  produce(topic: string, messages: OutgoingMessage[], options?: ProduceOptions): Promise<PartitionRange[]>;
  readRanges(topic: string, ranges: PartitionRange[], opts?: { key?: string; timeoutMs?: number }): Promise<ConsumedMessage[]>;
}

type StringProducer = Producer<string, string, string, string>;

/** ListOffsets' special timestamps: the next offset to be written, and the first one still kept. */
const LATEST = -1n;
const EARLIEST = -2n;

/** A record batch's control bit: a transaction marker, not a message. */
const CONTROL_BATCH = 0x20;

export class KafkaClient implements KafkaTopics {
  private readonly producers: ProducerPool<StringProducer>;
  private readonly admin: Admin;
  /** Asks for offsets (ListOffsets requests); never joins a consumer group. */
  private readonly offsets: Consumer;
  private readonly clientOptions: BaseOptions;

  constructor(
    private readonly config: Config['kafka'],
    private readonly logger: Logger,
  ) {
    // Retries inside the client span ~17 s (100 ms doubling to 2 s, 12 times): longer than a partition leader's
    // failover when its broker dies (the controller waits broker.session.timeout.ms, 9 s by default, before it
    // moves the leadership), so a broker loss in a cluster is never seen by the caller (npm run kafka:broker-kill).
    // A broker that stays away longer fails the call, and the activity that made it retries with backoff (a
    // producer whose request failed is replaced, see ProducerPool).
    const base = {
      clientId: config.clientId,
      bootstrapBrokers: config.brokers,
      retries: 12,
      retryDelay: (_client: unknown, _operation: string, attempt: number) => Math.min(100 * 2 ** attempt, 2_000),
    };
    this.clientOptions = base;
    this.producers = new ProducerPool(
      async () =>
        new Producer({ ...base, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false, serializers: stringSerializers }),
      PRODUCERS,
    );
    this.admin = new Admin(base);
    this.offsets = new Consumer({ ...base, groupId: `streamforge-offsets-${crypto.randomUUID()}` });
  }

  /** Runs a call; its failures come back classified (KafkaRefusedError or KafkaUnavailableError). */
  private async classified<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw classifyKafkaError(err, this.config.brokers);
    }
  }

  /** Asks the cluster for its brokers: whether Kafka answers now (a readiness check). */
  async ping(): Promise<void> {
    await this.classified(() => this.admin.metadata({ topics: [], forceUpdate: true }));
  }

  /** Creates the topic if it does not exist (with these topic configs); returns its partition count. */
  async ensureTopic(topic: string, partitions: number, configs: Record<string, string> = {}): Promise<number> {
    return this.classified(async () => {
      if (!(await this.admin.listTopics()).includes(topic)) {
        // Another process may create it between our look and our create; the broker then says it already exists.
        await this.admin
          .createTopics({
            topics: [topic],
            partitions,
            replicas: this.config.replicationFactor,
            configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
          })
          .catch((err: unknown) => {
            if (!brokerErrorCodes(err).includes('TOPIC_ALREADY_EXISTS')) throw err;
          });
      }
      return (await this.leadersElected(topic)).partitionsCount;
    });
  }

  /** The topic's metadata once every partition has a leader (a topic just created may not have them yet). */
  private async leadersElected(topic: string, timeoutMs = 10_000): Promise<ClusterTopicMetadata> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const meta = (await this.admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
      if (meta && meta.partitions.length > 0 && meta.partitions.every((p) => p.leader >= 0)) return meta;
      if (Date.now() > deadline) throw new Error(`topic ${topic} has partitions without a leader after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Each partition's leader (its broker's node id), once every partition has one. */
  async leaders(topic: string): Promise<Map<number, number>> {
    const meta = await this.classified(() => this.leadersElected(topic));
    return new Map(meta.partitions.map((p, partition) => [partition, p.leader]));
  }

  /** The names of every topic in the cluster. */
  async topicNames(): Promise<string[]> {
    return this.classified(() => this.admin.listTopics());
  }

  /** Per partition, the offset ListOffsets gives for `timestamp` (-1: the end, -2: the first kept, else the time). */
  private async listOffsets(topic: string, timestamp: bigint): Promise<Map<number, number>> {
    const offsets = await this.classified(() => this.offsets.listOffsets({ topics: [topic], timestamp }));
    return new Map((offsets.get(topic) ?? []).map((offset, partition) => [partition, Number(offset)]));
  }

  /** Next offset to be written in each partition (the high watermark). */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    return this.listOffsets(topic, LATEST);
  }

  /** Every message in the topic now, from each partition's first offset to its end, in offset order. */
  async readAll(topic: string, opts: { timeoutMs?: number } = {}): Promise<ConsumedMessage[]> {
    const [first, end] = await Promise.all([this.listOffsets(topic, EARLIEST), this.endOffsets(topic)]);
    return this.readRanges(
      topic,
      [...end].map(([partition, to]) => ({ partition, from: first.get(partition) ?? 0, to })),
      opts,
    );
  }

  /** Per partition, the offset of the first message written at or after `timestampMs` (else the end offset). */
  async offsetsAt(topic: string, timestampMs: number): Promise<Map<number, number>> {
    const [at, end] = await Promise.all([this.listOffsets(topic, BigInt(timestampMs)), this.endOffsets(topic)]);
    // The broker answers -1 for a partition with nothing written at or after the time.
    return new Map(
      [...end].map(([partition, endOffset]) => {
        const offset = at.get(partition) ?? -1;
        return [partition, offset < 0 ? endOffset : offset];
      }),
    );
  }

  /**
   * Writes the messages (each to its given partition) in requests of at most SEND_CHUNK_BYTES, SENDS_IN_FLIGHT at a
   * time, and returns per partition the range covering what was written (other writers' messages may lie between).
   * On a failure no further request is sent, and the call rejects once the requests in flight have ended, so
   * nothing of this call is still being written when its caller retries. Failures come back classified.
   */
  async produce(topic: string, messages: OutgoingMessage[], options: ProduceOptions = {}): Promise<PartitionRange[]> {
    const chunks = chunksOfBytes(messages, SEND_CHUNK_BYTES);
    const written: PartitionRange[] = [];
    let sent = 0;
    let failure: unknown;
    const stopped = () => failure !== undefined || options.signal?.aborted === true;
    const lane = async () => {
      for (let chunk = chunks.shift(); chunk && !stopped(); chunk = chunks.shift()) {
        try {
          written.push(...(await this.producers.use((producer) => this.send(producer, topic, chunk!))));
          sent += chunk.length;
          options.onProgress?.(sent);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SENDS_IN_FLIGHT, chunks.length) }, lane));
    if (failure !== undefined) throw classifyKafkaError(failure, this.config.brokers);
    if (options.signal?.aborted) throw options.signal.reason;
    return coveringRanges(written);
  }

  /** One request: one record batch per partition, so each partition's messages are contiguous from its base offset. */
  private async send(producer: StringProducer, topic: string, messages: OutgoingMessage[]): Promise<PartitionRange[]> {
    const result = await producer.send({
      messages: messages.map((m) => ({ topic, key: m.key, value: m.value, partition: m.partition, headers: m.headers })),
    });
    const counts = new Map<number, number>();
    for (const m of messages) counts.set(m.partition, (counts.get(m.partition) ?? 0) + 1);
    return (result.offsets ?? []).map((r) => ({
      partition: r.partition,
      from: Number(r.offset),
      to: Number(r.offset) + (counts.get(r.partition) ?? 0),
    }));
  }

  /**
   * Fetches from `positions` (partition → next offset) until `more` says to stop, handing each partition's new
   * messages to `onMessages`. Reads by offset from each partition's leader; no consumer group is joined. A failed
   * round (a leader moving, a broker restarting) is tried again on fresh metadata, FETCH_RETRIES times in a row.
   */
  private async fetchLoop(
    topic: string,
    positions: Map<number, number>,
    onMessages: (partition: number, messages: ConsumedMessage[], next: number) => void,
    more: () => boolean,
    maxWaitTime: number,
  ): Promise<void> {
    // A fetcher of its own: the client keeps one fetch session (KIP-227) per broker, which two loops must not share.
    const fetcher = new Consumer({ ...this.clientOptions, groupId: `streamforge-reader-${crypto.randomUUID()}` });
    let failures = 0;
    try {
      while (more()) {
        try {
          await this.fetchRound(fetcher, topic, positions, onMessages, maxWaitTime, failures > 0);
          failures = 0;
        } catch (err) {
          if (++failures > FETCH_RETRIES || classifyKafkaError(err, this.config.brokers) instanceof KafkaRefusedError) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200 * failures));
        }
      }
    } finally {
      await fetcher.close().catch(() => undefined);
    }
  }

  /** One Fetch request to each leader of the partitions in `positions`; advances `positions` past what came back. */
  private async fetchRound(
    fetcher: Consumer,
    topic: string,
    positions: Map<number, number>,
    onMessages: (partition: number, messages: ConsumedMessage[], next: number) => void,
    maxWaitTime: number,
    freshMetadata: boolean,
  ): Promise<void> {
    const described = (await this.admin.metadata({ topics: [topic], forceUpdate: freshMetadata })).topics.get(topic);
    if (!described) throw new Error(`topic ${topic} does not exist`);
    const byLeader = new Map<number, number[]>();
    for (const partition of positions.keys()) {
      const leader = described.partitions[partition]?.leader ?? -1;
      if (leader < 0) throw new Error(`partition ${partition} of ${topic} has no leader now`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
    }
    await Promise.all(
      [...byLeader].map(async ([node, partitions]) => {
        const response = await fetcher.fetch({
          node,
          maxWaitTime,
          minBytes: 1,
          topics: [
            {
              topicId: described.id,
              partitions: partitions.map((partition) => ({
                partition,
                fetchOffset: BigInt(positions.get(partition)!),
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
                partitionMaxBytes: FETCH_PARTITION_BYTES,
              })),
            },
          ],
        });
        for (const answer of response.responses.flatMap((r) => r.partitions)) {
          const from = positions.get(answer.partitionIndex);
          if (from === undefined) continue;
          const { messages, next } = messagesOf(answer.partitionIndex, answer.records ?? [], from);
          positions.set(answer.partitionIndex, next);
          onMessages(answer.partitionIndex, messages, next);
        }
      }),
    );
  }

  /** Reads every message in the given offset ranges (optionally only those with `key`), then stops. */
  async readRanges(topic: string, ranges: PartitionRange[], opts: { key?: string; timeoutMs?: number } = {}): Promise<ConsumedMessage[]> {
    const pending = new Map(ranges.filter((r) => r.to > r.from).map((r) => [r.partition, r]));
    if (pending.size === 0) return [];
    const positions = new Map([...pending.values()].map((r) => [r.partition, r.from]));
    const out: ConsumedMessage[] = [];
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    await this.classified(() =>
      this.fetchLoop(
        topic,
        positions,
        (partition, messages, next) => {
          const range = pending.get(partition);
          if (!range) return;
          for (const m of messages) {
            if (m.offset < range.to && (opts.key === undefined || m.key === opts.key)) out.push(m);
          }
          if (next >= range.to) {
            pending.delete(partition);
            positions.delete(partition);
          }
        },
        () => {
          if (pending.size > 0 && Date.now() > deadline) {
            throw new Error(
              `reading ${topic} ranges timed out after ${timeoutMs} ms; partitions still pending: ${[...pending.keys()].join(',')}`,
            );
          }
          return pending.size > 0;
        },
        100,
      ),
    );
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  /**
   * Reads the topic from its beginning and then as messages arrive, calling `onMessages` with each batch, until
   * the returned `stop` is called. For readers that keep a view up to date (the stream CLI's aggregates).
   */
  async follow(topic: string, onMessages: (messages: ConsumedMessage[]) => void): Promise<{ stop(): Promise<void> }> {
    const positions = await this.listOffsets(topic, EARLIEST);
    let running = true;
    const loop = this.fetchLoop(
      topic,
      positions,
      (_partition, messages) => {
        if (messages.length > 0) onMessages(messages);
      },
      () => running,
      50,
    ).catch((err: unknown) => {
      if (running) this.logger.error({ err, topic }, 'following the topic stopped');
    });
    return {
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producers.close(), this.admin.close(), this.offsets.close()]);
  }
}

/** Whether the cluster answers now, with its brokers and a controller (one try, no retries): a readiness probe. */
export async function clusterAnswers(config: Config['kafka']): Promise<boolean> {
  const admin = new Admin({ clientId: `${config.clientId}-probe`, bootstrapBrokers: config.brokers, retries: 0 });
  try {
    const cluster = await admin.metadata({ topics: [], forceUpdate: true });
    return cluster.brokers.size > 0 && cluster.controllerId >= 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** A partition's messages at or after `from` in the fetched batches, and the next offset to fetch. */
export function messagesOf(partition: number, batches: RecordsBatch[], from: number): { messages: ConsumedMessage[]; next: number } {
  const messages: ConsumedMessage[] = [];
  let next = from;
  for (const batch of batches) {
    const first = Number(batch.firstOffset);
    // A batch's offsets run to its last delta even when compaction removed records from it.
    next = Math.max(next, first + batch.lastOffsetDelta + 1);
    if ((batch.attributes & CONTROL_BATCH) !== 0) continue;
    for (const record of batch.records) {
      const offset = first + record.offsetDelta;
      if (offset < from) continue;
      const headers: Record<string, string> = {};
      for (const [name, value] of record.headers) if (name) headers[name.toString()] = value?.toString() ?? '';
      messages.push({ partition, offset, key: record.key?.toString() ?? null, value: record.value?.toString() ?? '', headers });
    }
  }
  return { messages, next };
}
