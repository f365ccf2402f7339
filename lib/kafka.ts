// Our one wrapper around kafkajs: the rest of the code asks for topics, produces a run's messages and reads
// offset ranges back, and never sees client details. kafkajs logs go to pino.
import crypto from 'node:crypto';
import { coveringRanges, type PartitionRange } from '../contracts/partition-ranges';
import type { Config } from './config';
import { Kafka, Partitioners, logLevel as KafkaLogLevel, type Admin, type IHeaders, type LogEntry, type Producer } from './kafkajs';
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
 * Broker error types that refuse the request for what it is. Everything else (connections lost, leaders moving,
 * a producer's sequence state, timeouts, kafkajs giving up after its retries) can clear on a retry.
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

/**
 * What a failed Kafka call means for its caller. kafkajs marks `KafkaJSNumberOfRetriesExceeded` as not retriable
 * whatever it wraps (a broker down for longer than its few retries), so the decision is made from the broker's
 * error type found anywhere in the cause chain, never from kafkajs' `retriable` flag.
 */
export function classifyKafkaError(err: unknown, brokers: string[]): KafkaRefusedError | KafkaUnavailableError {
  if (err instanceof KafkaRefusedError || err instanceof KafkaUnavailableError) return err;
  for (let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 10; depth++) {
    if (typeof e.type === 'string' && REFUSED_TYPES.has(e.type)) return new KafkaRefusedError(e.type, err);
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return new KafkaUnavailableError(brokers, err);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Bytes per producer request. kafkajs puts a partition's messages of one request into one record batch, and the
 * broker refuses a batch over message.max.bytes (1 MiB by default): 768 KiB keeps clear of it (the estimate is
 * generous).
 */
export const SEND_CHUNK_BYTES = 768 * 1024;
/** Requests one `produce` keeps in flight: overlaps encoding the next chunk with the broker writing the last. */
export const SENDS_IN_FLIGHT = 3;
/** Idempotent producers a client keeps (each serves one request at a time). */
const PRODUCERS = 4;

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

/**
 * Idempotent producers, each lent to one request at a time, and dropped when a request on it fails. kafkajs
 * numbers a producer's record batches per partition and, when a request fails, rolls the numbers back; if the
 * failed request had in fact been written (a broker restart, a timeout), the next request on that producer reuses
 * its numbers, and the broker either acknowledges it as a duplicate of the earlier one (its records are never
 * written) or refuses it as out of order, and every later one too. A fresh producer has a new producer id.
 */
export class ProducerPool {
  private readonly idle: Producer[] = [];
  private readonly waiting: ((producer: Producer | undefined) => void)[] = [];
  private count = 0;
  private closed = false;

  constructor(
    private readonly create: () => Promise<Producer>,
    private readonly max: number,
  ) {}

  /** Runs `send` on a producer of its own; a producer whose request failed is disconnected, not reused. */
  async use<T>(send: (producer: Producer) => Promise<T>): Promise<T> {
    const producer = await this.acquire();
    let result: T;
    try {
      result = await send(producer);
    } catch (err) {
      this.count--;
      void producer.disconnect().catch(() => undefined);
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
    await Promise.allSettled(idle.map((p) => p.disconnect()));
  }

  private async acquire(): Promise<Producer> {
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
      const given = await new Promise<Producer | undefined>((resolve) => this.waiting.push(resolve));
      if (given) return given;
    }
  }

  private give(producer: Producer): void {
    const next = this.waiting.shift();
    if (next) next(producer);
    else if (this.closed) {
      this.count--;
      void producer.disconnect().catch(() => undefined);
    } else this.idle.push(producer);
  }

  /** A slot freed up (a producer dropped): let one waiter try to create a new one. */
  private wakeOne(): void {
    this.waiting.shift()?.(undefined);
  }
}

// Messages kafkajs logs loudly that are expected here: the first idempotent send after a broker start meets a
// loading coordinator and retries; bounded producer retries are deliberate (the activity retries, ingest dedupes).
const EXPECTED_NOISE = [/coordinator is loading/, /coordinator is not available/, /Limiting retries for the idempotent producer/];

function pinoLogCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const {
        message,
        timestamp: _t,
        logger: _l,
        ...extra
      } = log as { message: string; timestamp?: string; logger?: string; error?: string };
      const fields = { component: 'kafkajs', namespace, ...extra };
      if (EXPECTED_NOISE.some((re) => re.test(message) || re.test(String(extra.error ?? '')))) logger.debug(fields, message);
      else if (level === KafkaLogLevel.ERROR) logger.error(fields, message);
      else if (level === KafkaLogLevel.WARN) logger.warn(fields, message);
      else if (level === KafkaLogLevel.INFO) logger.debug(fields, message);
      else logger.trace(fields, message);
    };
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
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

export class KafkaClient implements KafkaTopics {
  private readonly kafka: Kafka;
  private readonly producers: ProducerPool;
  private admin: Promise<Admin> | undefined;

  constructor(
    private readonly config: Config['kafka'],
    private readonly logger: Logger,
  ) {
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      logLevel: KafkaLogLevel.WARN,
      logCreator: pinoLogCreator(logger),
      // A few quick retries inside kafkajs; a broker that stays away longer fails the call, and the activity that
      // made it retries with backoff (a producer whose request failed is replaced, see ProducerPool).
      retry: { retries: 5, initialRetryTime: 100 },
    });
    this.producers = new ProducerPool(async () => {
      const producer = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect().catch((err: unknown) => {
        throw new KafkaUnavailableError(this.config.brokers, err);
      });
      return producer;
    }, PRODUCERS);
  }

  private getAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect().catch((err: unknown) => {
        this.admin = undefined;
        throw new KafkaUnavailableError(this.config.brokers, err);
      });
      return admin;
    })();
    return this.admin;
  }

  /** Runs an admin call; its failures come back classified (KafkaRefusedError or KafkaUnavailableError). */
  private async withAdmin<T>(call: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await call(await this.getAdmin());
    } catch (err) {
      throw classifyKafkaError(err, this.config.brokers);
    }
  }

  /** Asks the cluster for its brokers: whether Kafka answers now (a readiness check). */
  async ping(): Promise<void> {
    await this.withAdmin((admin) => admin.describeCluster());
  }

  /** Creates the topic if it does not exist (with these topic configs); returns its partition count. */
  async ensureTopic(topic: string, partitions: number, configs: Record<string, string> = {}): Promise<number> {
    return this.withAdmin(async (admin) => {
      if (!(await admin.listTopics()).includes(topic)) {
        const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
        // Another process may create it between our look and our create; kafkajs then reports "already exists".
        await admin
          .createTopics({
            topics: [{ topic, numPartitions: partitions, replicationFactor: this.config.replicationFactor, configEntries }],
            waitForLeaders: true,
          })
          .catch((err: { type?: string; errors?: { type?: string }[] }) => {
            const types = [err.type, ...(err.errors ?? []).map((e) => e.type)];
            if (!types.includes('TOPIC_ALREADY_EXISTS')) throw err;
          });
      }
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0]?.partitions.length ?? partitions;
    });
  }

  /** The names of every topic in the cluster. */
  async topicNames(): Promise<string[]> {
    return this.withAdmin((admin) => admin.listTopics());
  }

  /** Next offset to be written in each partition (the high watermark). */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    const offsets = await this.withAdmin((admin) => admin.fetchTopicOffsets(topic));
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }

  /** Every message in the topic now, from each partition's first offset to its end, in offset order. */
  async readAll(topic: string, opts: { timeoutMs?: number } = {}): Promise<ConsumedMessage[]> {
    const offsets = await this.withAdmin((admin) => admin.fetchTopicOffsets(topic));
    return this.readRanges(
      topic,
      offsets.map((o) => ({ partition: o.partition, from: Number(o.low), to: Number(o.high) })),
      opts,
    );
  }

  /** Per partition, the offset of the first message written at or after `timestampMs` (else the end offset). */
  async offsetsAt(topic: string, timestampMs: number): Promise<Map<number, number>> {
    const offsets = await this.withAdmin((admin) => admin.fetchTopicOffsetsByTimestamp(topic, timestampMs));
    return new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
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

  /** One request; kafkajs writes one record batch per partition, so each partition's messages are contiguous. */
  private async send(producer: Producer, topic: string, messages: OutgoingMessage[]): Promise<PartitionRange[]> {
    const results = await producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({ key: m.key, value: m.value, partition: m.partition, headers: m.headers })),
    });
    const counts = new Map<number, number>();
    for (const m of messages) counts.set(m.partition, (counts.get(m.partition) ?? 0) + 1);
    return results.map((r) => ({
      partition: r.partition,
      from: Number(r.baseOffset),
      to: Number(r.baseOffset) + (counts.get(r.partition) ?? 0),
    }));
  }

  /** Reads every message in the given offset ranges (optionally only those with `key`), then stops. */
  async readRanges(topic: string, ranges: PartitionRange[], opts: { key?: string; timeoutMs?: number } = {}): Promise<ConsumedMessage[]> {
    const pending = new Map(ranges.filter((r) => r.to > r.from).map((r) => [r.partition, r]));
    if (pending.size === 0) return [];
    const consumer = this.kafka.consumer({ groupId: `streamforge-reader-${crypto.randomUUID()}`, maxWaitTimeInMs: 100 });
    const out: ConsumedMessage[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const range = pending.get(batch.partition);
          if (!range) return;
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset < range.from || offset >= range.to) continue;
            const key = m.key?.toString() ?? null;
            if (opts.key === undefined || key === opts.key) {
              out.push({ partition: batch.partition, offset, key, value: m.value?.toString() ?? '', headers: headersToStrings(m.headers) });
            }
          }
          const last = Number(batch.lastOffset());
          if (last + 1 >= range.to) pending.delete(batch.partition);
          if (pending.size === 0) finish();
        },
      });
      for (const r of pending.values()) consumer.seek({ topic, partition: r.partition, offset: String(r.from) });
      const timeoutMs = opts.timeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `reading ${topic} ranges timed out after ${timeoutMs} ms; partitions still pending: ${[...pending.keys()].join(',')}`,
              ),
            ),
          timeoutMs,
        );
      });
      await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    } catch (err) {
      throw classifyKafkaError(err, this.config.brokers);
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  /**
   * Reads the topic from its beginning and then as messages arrive, calling `onMessages` with each batch, until
   * the returned `stop` is called. For readers that keep a view up to date (the stream CLI's aggregates).
   */
  async follow(topic: string, onMessages: (messages: ConsumedMessage[]) => void): Promise<{ stop(): Promise<void> }> {
    const consumer = this.kafka.consumer({ groupId: `streamforge-follower-${crypto.randomUUID()}`, maxWaitTimeInMs: 50 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          onMessages(
            batch.messages.map((m) => ({
              partition: batch.partition,
              offset: Number(m.offset),
              key: m.key?.toString() ?? null,
              value: m.value?.toString() ?? '',
              headers: headersToStrings(m.headers),
            })),
          );
        },
      });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw classifyKafkaError(err, this.config.brokers);
    }
    return { stop: () => consumer.disconnect() };
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await Promise.allSettled([this.producers.close(), admin?.then((a) => a.disconnect())]);
  }
}
