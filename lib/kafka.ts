// Our one wrapper around kafkajs: the rest of the code asks for topics, produces a run's messages and reads
// offset ranges back, and never sees client details. kafkajs logs go to pino.
import crypto from 'node:crypto';
import { Kafka, Partitioners, logLevel as KafkaLogLevel, type Admin, type IHeaders, type LogEntry, type Producer } from './kafkajs';
import type { Config } from './config';
import type { Logger } from './logger';

/** Offsets a run wrote in one partition: from inclusive, to exclusive (Spark's startingOffsets/endingOffsets). */
export interface PartitionRange {
  partition: number;
  from: number;
  to: number;
}

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

export class KafkaUnavailableError extends Error {
  override name = 'KafkaUnavailableError';
  constructor(brokers: string[], cause: unknown) {
    super(`Kafka unreachable at ${brokers.join(',')} (${(cause as Error)?.message ?? cause}) — is \`npm run stack -- up\` running?`, { cause });
  }
}

// Messages kafkajs logs loudly that are expected here: the first idempotent send after a broker start meets a
// loading coordinator and retries; bounded producer retries are deliberate (the activity retries, ingest dedupes).
const EXPECTED_NOISE = [/coordinator is loading/, /coordinator is not available/, /Limiting retries for the idempotent producer/];

function pinoLogCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...extra } = log as { message: string; timestamp?: string; logger?: string; error?: string };
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

export class KafkaClient {
  private readonly kafka: Kafka;
  private producer: Promise<Producer> | undefined;
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
      retry: { retries: 5, initialRetryTime: 100 },
    });
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

  /** The idempotent producer: broker-side de-duplication of retried sends within this producer's session. */
  private getProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
      await producer.connect().catch((err: unknown) => {
        this.producer = undefined;
        throw new KafkaUnavailableError(this.config.brokers, err);
      });
      return producer;
    })();
    return this.producer;
  }

  /** Creates the topic if it does not exist; returns its partition count. */
  async ensureTopic(topic: string, partitions: number): Promise<number> {
    const admin = await this.getAdmin();
    if (!(await admin.listTopics()).includes(topic)) {
      // Another process may create it between our look and our create; kafkajs then reports "already exists".
      await admin
        .createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })
        .catch((err: { type?: string; errors?: { type?: string }[] }) => {
          const types = [err.type, ...(err.errors ?? []).map((e) => e.type)];
          if (!types.includes('TOPIC_ALREADY_EXISTS')) throw err;
        });
    }
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]?.partitions.length ?? partitions;
  }

  /** Next offset to be written in each partition (the high watermark). */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    const admin = await this.getAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }

  /** Per partition, the offset of the first message written at or after `timestampMs` (else the end offset). */
  async offsetsAt(topic: string, timestampMs: number): Promise<Map<number, number>> {
    const admin = await this.getAdmin();
    const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
    return new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
  }

  /** Writes the messages (each to its given partition) and returns the offset range written in each partition. */
  async produce(topic: string, messages: OutgoingMessage[]): Promise<PartitionRange[]> {
    const producer = await this.getProducer();
    const results = await producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({ key: m.key, value: m.value, partition: m.partition, headers: m.headers })),
    });
    const counts = new Map<number, number>();
    for (const m of messages) counts.set(m.partition, (counts.get(m.partition) ?? 0) + 1);
    // kafkajs writes one record batch per partition per send, so each partition's messages are contiguous.
    return results
      .map((r) => ({ partition: r.partition, from: Number(r.baseOffset), to: Number(r.baseOffset) + (counts.get(r.partition) ?? 0) }))
      .sort((a, b) => a.partition - b.partition);
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
        timer = setTimeout(() => reject(new Error(`reading ${topic} ranges timed out after ${timeoutMs} ms; partitions still pending: ${[...pending.keys()].join(',')}`)), timeoutMs);
      });
      await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  async close(): Promise<void> {
    const [producer, admin] = [this.producer, this.admin];
    this.producer = this.admin = undefined;
    await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())]);
  }
}
