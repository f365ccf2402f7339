// Specification of the Kafka wrapper's pure parts: how a write is cut into requests, how failures are classified
// (retry or give up), and how producers are lent out (one request each, never reused after a failure).
import { MultipleErrors, NetworkError, ProtocolError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { chunksOfBytes, classifyKafkaError, KafkaRefusedError, KafkaUnavailableError, ProducerPool } from '../../../lib/kafka';

describe('chunksOfBytes', () => {
  const message = (i: number, valueBytes: number) => ({
    key: 'k',
    value: 'v'.repeat(valueBytes),
    partition: 0,
    headers: { seq: String(i) },
  });

  it('cuts consecutive slices that stay under the byte bound, keeping every message once and in order', () => {
    const messages = Array.from({ length: 100 }, (_, i) => message(i, 1000));
    const chunks = chunksOfBytes(messages, 10_000);
    expect(chunks.flat()).toEqual(messages);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) {
      const bytes = chunk.reduce((n, m) => n + m.key.length + m.value.length + 64 + 3 + (m.headers?.seq ?? '').length, 0);
      expect(bytes).toBeLessThanOrEqual(10_000);
    }
  });

  it('puts a message larger than the bound in a chunk of its own', () => {
    expect(chunksOfBytes([message(0, 10), message(1, 50_000), message(2, 10)], 1000).map((c) => c.length)).toEqual([1, 1, 1]);
  });
});

describe('classifyKafkaError', () => {
  const brokers = ['127.0.0.1:9092'];
  // The client's own error classes, shaped as it throws them: a broker's answer is a ProtocolError (its Kafka code in
  // `apiId`), a request to several brokers fails with MultipleErrors, and retries spent wrap the last try's error.
  const protocolError = (code: string) => new ProtocolError(code);
  const retriesSpent = (cause: Error) => new MultipleErrors('Producing messages failed.', [cause]);

  it('a broker that stayed away longer than the client retries is transient', () => {
    const connection = new NetworkError('Connection to 127.0.0.1:9092 failed.', {
      cause: new Error('connect ECONNREFUSED 127.0.0.1:9092'),
    });
    const error = classifyKafkaError(retriesSpent(connection), brokers);
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect(error.message).toMatch(
      /^Kafka unavailable at 127\.0\.0\.1:9092 \(Producing messages failed\.: Connection to 127\.0\.0\.1:9092 failed\./,
    );
  });

  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'TOPIC_AUTHORIZATION_FAILED'])(
    '%s refuses the request for good, also when wrapped',
    (type) => {
      expect(classifyKafkaError(protocolError(type), brokers)).toEqual(expect.objectContaining({ name: 'KafkaRefusedError', type }));
      expect(classifyKafkaError(retriesSpent(protocolError(type)), brokers)).toBeInstanceOf(KafkaRefusedError);
      expect(classifyKafkaError(new Error('send failed', { cause: retriesSpent(protocolError(type)) }), brokers)).toBeInstanceOf(
        KafkaRefusedError,
      );
    },
  );

  it.each(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS'])(
    '%s is transient: a retry on a fresh producer can succeed',
    (type) => {
      expect(classifyKafkaError(protocolError(type), brokers)).toBeInstanceOf(KafkaUnavailableError);
      expect(classifyKafkaError(retriesSpent(protocolError(type)), brokers)).toBeInstanceOf(KafkaUnavailableError);
    },
  );
});

describe('ProducerPool', () => {
  class FakeProducer {
    closed = false;
    constructor(readonly id: number) {}
    async close() {
      this.closed = true;
    }
  }
  const pool = (max: number) => {
    const made: FakeProducer[] = [];
    const producers = new ProducerPool(async () => {
      const p = new FakeProducer(made.length);
      made.push(p);
      return p;
    }, max);
    return { producers, made };
  };
  const idOf = (p: FakeProducer) => p.id;

  it('lends each producer to one request at a time, and reuses it afterwards', async () => {
    const { producers, made } = pool(2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inUse = new Set<number>();
    const seen: number[] = [];
    const request = () =>
      producers.use(async (p) => {
        expect(inUse.has(idOf(p))).toBe(false);
        inUse.add(idOf(p));
        seen.push(idOf(p));
        await gate;
        inUse.delete(idOf(p));
      });
    const all = Promise.all([request(), request(), request(), request()]);
    await new Promise((r) => setTimeout(r, 10));
    expect(inUse.size).toBe(2); // the other two wait for a producer
    release();
    await all;
    expect(made).toHaveLength(2);
    expect(seen.sort()).toEqual([0, 0, 1, 1]);
  });

  it('drops a producer whose request failed: the next request gets a new one', async () => {
    const { producers, made } = pool(1);
    await expect(producers.use(async () => Promise.reject(new Error('in doubt')))).rejects.toThrow('in doubt');
    expect(made[0]!.closed).toBe(true);
    expect(await producers.use(async (p) => idOf(p))).toBe(1);
    expect(await producers.use(async (p) => idOf(p))).toBe(1);
  });

  it('a request waiting for a producer gets a new one when the busy one fails', async () => {
    const { producers } = pool(1);
    let fail!: (err: Error) => void;
    const first = producers.use(() => new Promise((_, reject) => (fail = reject)));
    const second = producers.use(async (p) => idOf(p));
    await new Promise((r) => setTimeout(r, 10));
    fail(new Error('broker restarted'));
    await expect(first).rejects.toThrow('broker restarted');
    expect(await second).toBe(1);
  });
});
