import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  encodeRecord,
  groupMessagesPerPartition,
  Kafka,
  kafkajsOriginal,
  produceRequestV3,
  requestQueueScheduler,
  scheduleCheckPendingRequests,
  type ProduceRequest,
  type ProduceRequestArgs,
  type RecordFields,
} from '../../../lib/kafkajs';

const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
const byKey = ({ message }: { message: { key?: unknown } }) => Number(String(message.key)) % 3;

describe('lib/kafkajs: linear grouping of a send by partition', () => {
  it('groups messages by partition, keeping their order within each partition', () => {
    const messages = [0, 1, 2, 3, 4, 5, 6].map((n) => ({ key: String(n), value: `v${n}` }));
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner: byKey });
    expect(grouped).toEqual({
      0: [messages[0], messages[3], messages[6]],
      1: [messages[1], messages[4]],
      2: [messages[2], messages[5]],
    });
    expect(grouped).toEqual(
      kafkajsOriginal('groupMessagesPerPartition')?.({ topic: 't', partitionMetadata, messages, partitioner: byKey }),
    );
  });

  it('returns no groups (and asks the partitioner nothing) when the topic has no partition metadata', () => {
    const partitioner = () => {
      throw new Error('not expected');
    };
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [{ value: 'x' }], partitioner })).toEqual({});
  });

  it('groups a 100,000-message send in one pass over it', () => {
    const messages = Array.from({ length: 100_000 }, (_, n) => ({ key: String(n), value: null }));
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner: byKey });
    expect(Object.values(grouped).map((group) => group.length)).toEqual([33_334, 33_333, 33_333]);
    expect(grouped[2]?.at(-1)).toBe(messages[99_998]);
  });
});

describe('lib/kafkajs: record encoding', () => {
  const cases: [string, RecordFields][] = [
    [
      'a record as ingest writes it',
      { offsetDelta: 3, key: 'run-key', value: '{"id":1,"gender":"F","salary":5000}', headers: { seq: '3' } },
    ],
    ['defaults only', {}],
    ['a null key and a Buffer value', { key: null, value: Buffer.from([0, 1, 2, 255]) }],
    ['UTF-8 beyond ASCII', { key: 'clé', value: 'Zoë 🚀 Ünïcode', headers: { 'h-ü': 'wert ö' } }],
    ['headers with Buffer and array values', { headers: { a: Buffer.from('x'), b: ['1', '22', '333'], c: '' } }],
    ['large offset deltas', { offsetDelta: 70_000, value: 'v' }],
    ['offset delta past 2^28', { offsetDelta: 2 ** 28 + 5, value: 'v' }],
    ['small timestamp deltas', { timestampDelta: 5, value: 'v' }],
    ['negative timestamp deltas', { timestampDelta: -5, value: 'v' }],
    ['timestamp deltas past 32 bits', { timestampDelta: 2 ** 31 + 7, value: 'v' }],
    ['epoch-millisecond timestamp deltas', { timestampDelta: 1_764_072_000_123, value: 'v' }],
    ['large negative timestamp deltas', { timestampDelta: -1_764_072_000_123, value: 'v' }],
    ['a value of 200 bytes (two-byte length)', { value: 'x'.repeat(200), key: 'k'.repeat(130) }],
    ['a value of 20,000 bytes (three-byte length)', { value: 'y'.repeat(20_000) }],
  ];
  it.each(cases)('writes the same bytes as kafkajs for %s', (_, fields) => {
    const original = kafkajsOriginal('encodeRecord');
    expect(original).toBeDefined();
    expect(encodeRecord(fields).buffer.toString('hex')).toBe(original!(fields).buffer.toString('hex'));
  });

  it('is what kafkajs producers use once kafkajs is loaded through lib/kafkajs', () => {
    expect(new Kafka({ brokers: ['127.0.0.1:1'] })).toBeDefined();
    expect(kafkajsOriginal('encodeRecord')).toBeDefined();
    expect(kafkajsOriginal('groupMessagesPerPartition')).toBeDefined();
    // kafkajs' produce request requires the record module by its own path: that must now give the replacement.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module by kafkajs' own path, as kafkajs loads it
    const inKafkajs = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as typeof encodeRecord;
    const fields = { key: 'k', value: 'v', headers: { seq: '1' } };
    expect(inKafkajs).not.toBe(kafkajsOriginal('encodeRecord'));
    expect(inKafkajs(fields).buffer).toEqual(encodeRecord(fields).buffer);
  });
});

describe('lib/kafkajs: the produce request in one buffer', () => {
  const Long = createRequire(__filename)('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown };
  const original = () => kafkajsOriginal('produceRequestV3')!;
  const encoded = async (request: ProduceRequest) => (await request.encode()).buffer.toString('hex');
  afterEach(() => vi.useRealTimers());

  const messages = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({
      key: `run-${from}`,
      value: JSON.stringify({ id: from + i, name: 'Zoë ✓' }),
      headers: { seq: String(from + i) },
    }));
  const cases: [string, ProduceRequestArgs][] = [
    [
      'one partition, as the ingest sends it',
      { acks: -1, timeout: 30_000, topicData: [{ topic: 'records', partitions: [{ partition: 0, messages: messages(3) }] }] },
    ],
    [
      'an idempotent producer: id, epoch and each partition’s first sequence',
      {
        acks: -1,
        timeout: 30_000,
        producerId: Long.fromValue(4_000_000_007),
        producerEpoch: 3,
        topicData: [
          {
            topic: 'records',
            partitions: [
              { partition: 0, firstSequence: 12, messages: messages(200) },
              { partition: 1, firstSequence: 0, messages: messages(150, 200) },
            ],
          },
        ],
      },
    ],
    [
      'two topics, a transactional id, null and Buffer keys and values, header arrays',
      {
        acks: 1,
        timeout: 5_000,
        transactionalId: 'tx-é',
        topicData: [
          {
            topic: 'a',
            partitions: [
              { partition: 2, messages: [{ key: null, value: Buffer.from([0, 1, 255]), headers: { h: ['x', 'y'], z: Buffer.from('b') } }] },
            ],
          },
          {
            topic: 'b-topic',
            partitions: [{ partition: 0, messages: [{ value: null }, { key: Buffer.alloc(300, 7), value: 'v'.repeat(20_000) }] }],
          },
        ],
      },
    ],
  ];
  it.each(cases)('writes the same bytes as kafkajs for %s', async (_, args) => {
    vi.useFakeTimers({ now: 1_764_072_000_123 });
    expect(await encoded(produceRequestV3(args))).toBe(await encoded(original()(args)));
    expect(produceRequestV3(args)).toMatchObject({ apiKey: 0, apiVersion: 3, apiName: 'Produce' });
    expect(produceRequestV3(args).expectResponse()).toBe(original()(args).expectResponse());
  });

  it('leaves compressed batches and messages with timestamps to kafkajs', async () => {
    vi.useFakeTimers({ now: 1_764_072_000_123 });
    const timestamped = {
      acks: -1,
      timeout: 1,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v', timestamp: 5 }] }] }],
    };
    const gzip = { ...cases[0]![1], compression: 1 };
    for (const args of [timestamped, gzip]) expect(await encoded(produceRequestV3(args))).toBe(await encoded(original()(args)));
  });

  it('is the produce request kafkajs sends (v3, and v4-v7, which build on it)', () => {
    const load = createRequire(__filename);
    expect(original()).toBeDefined();
    expect(load('kafkajs/src/protocol/requests/produce/v3/request.js')).not.toBe(original());
    vi.useFakeTimers({ now: 1 });
    const args = cases[0]![1];
    const v7 = load('kafkajs/src/protocol/requests/produce/v7/request.js') as (a: ProduceRequestArgs) => ProduceRequest;
    return Promise.all([encoded(v7(args)), encoded(produceRequestV3(args))]).then(([a, b]) => expect(a).toBe(b));
  });
});

describe('lib/kafkajs: a broker connection arms no timer while nothing waits', () => {
  // kafkajs' own class, as its connections create it (lib/kafkajs.ts has replaced its method by then).
  const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue/index.js') as new (options: object) => {
    pending: unknown[];
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    checkPendingRequests(): void;
  };
  const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const queue = () => new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, clientId: 'c', broker: 'b', logger });
  afterEach(() => vi.useRealTimers());

  it('is what kafkajs connections use', () => {
    expect(requestQueueScheduler()).toBe(scheduleCheckPendingRequests);
  });

  it('after a check with nothing pending and no throttle: no timer (kafkajs re-armed one every millisecond)', () => {
    const q = queue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('with a request waiting, looks again in 10 ms; throttled, when the throttle ends', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const waiting = { pending: [{}], throttledUntil: -1, throttleCheckTimeoutId: null, checkPendingRequests: vi.fn() };
    scheduleCheckPendingRequests.call(waiting);
    vi.advanceTimersByTime(9);
    expect(waiting.checkPendingRequests).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(waiting.checkPendingRequests).toHaveBeenCalledOnce();
    expect(waiting.throttleCheckTimeoutId).toBeNull();

    const throttled = { pending: [], throttledUntil: 1_000_000 + 50, throttleCheckTimeoutId: null, checkPendingRequests: vi.fn() };
    scheduleCheckPendingRequests.call(throttled);
    vi.advanceTimersByTime(50);
    expect(throttled.checkPendingRequests).toHaveBeenCalledOnce();
  });
});
