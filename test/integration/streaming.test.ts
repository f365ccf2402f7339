// The streaming job through our Spark Connect client, on the real stack (Kafka, Spark Connect), driven by the
// runtime the activities use (SparkStreamRunner): a query started over a Kafka topic counts every record exactly
// once per group and in total, a batch sent twice under the same keys once, a message of one record as well as an
// array of them, malformed records as rejected (and it keeps running); stop stops it (Spark lists no such active query); started again, it resumes from its
// checkpoint (neither from the start of the topic nor from its end). And a stream job of another definition: the
// orders definition's `live_revenue` computes every section's measures exactly (against
// test/support/orders-oracle.ts, which shares nothing with production) and counts every record that breaks one of
// the declared fields' rules as rejected.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmployeeRecord } from '../../contracts/records';
import { streamQueryName, type StreamAggregates, type StreamSpec } from '../../contracts/streams';
import { loadConfig } from '../../lib/config';
import { generateEmployees } from '../../lib/employee-generator';
import { generateOrders } from '../../lib/order-generator';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { SparkConnectClient, StreamingQueries } from '../../lib/spark-connect';
import { readStreamAggregates, streamRecordMessages } from '../../lib/streams';
import { SparkStreamRunner } from '../../spark/runtime/stream-runner';
import { expectedOrdersStream, type ExpectedStreamRow } from '../support/orders-oracle';
import { expectedStreamCounts, streamMismatches } from '../support/stream-oracle';
import { streamSpec } from '../support/plans';
import { until } from '../support/until';

const config = loadConfig();
const kafka = new KafkaClient(config.kafka, createLogger('warn'));
const client = new SparkConnectClient({
  url: config.spark.connectUrl,
  descriptorSetPath: config.spark.descriptorSetPath,
  sessionId: randomUUID(),
});
const queries = new StreamingQueries(client);
const checkpointDir = mkdtempSync(join(tmpdir(), 'streamforge-checkpoints-'));
const runner = new SparkStreamRunner(queries, kafka, { kafkaBootstrapServers: config.spark.kafkaBootstrapServers, checkpointDir });
const spec: StreamSpec = streamSpec({ name: `it-${Date.now()}`, windowSeconds: 5, watermarkSeconds: 60, triggerMs: 500 });
const ordersSpec = streamSpec({
  name: `orders-it-${Date.now()}`,
  pipeline: 'orders',
  windowSeconds: 5,
  watermarkSeconds: 60,
  triggerMs: 500,
});

async function send(records: EmployeeRecord[], batchKey: string = randomUUID()): Promise<void> {
  await kafka.produce(spec.topic, streamRecordMessages(records, batchKey, spec.partitions));
}

/** Polls the results topic until `done` holds; fails with the last aggregates read. */
async function aggregatesWhen(done: (a: StreamAggregates) => boolean, ms = 120_000): Promise<StreamAggregates> {
  const until = Date.now() + ms;
  let last: StreamAggregates | null = null;
  while (Date.now() < until) {
    last = await readStreamAggregates(kafka, spec);
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`the aggregates never matched; last read: ${JSON.stringify(last)}`);
}

function expectExact(aggregates: StreamAggregates, records: EmployeeRecord[]): void {
  expect(streamMismatches(aggregates, expectedStreamCounts(records))).toEqual([]);
}

/** A valid order to break one rule of at a time. */
const valid = { order_id: 1, country: 'DE', channel: 'web', product: 'Mouse', quantity: 2, unit_price: 10, ts: '2025-03-01T10:00:00Z' };
const BROKEN: [string, unknown][] = [
  ['a country longer than max_length', { ...valid, country: 'DEU' }],
  ['a channel not in values', { ...valid, channel: 'fax' }],
  ['a quantity below min', { ...valid, quantity: 0 }],
  ['a quantity above max', { ...valid, quantity: 1001 }],
  ['a negative unit price', { ...valid, unit_price: -1 }],
  ['a timestamp without a zone', { ...valid, ts: '2025-03-01T10:00:00' }],
  ['not a timestamp', { ...valid, ts: 'yesterday' }],
  ['a fractional order id', { ...valid, order_id: 1.5 }],
  ['a quantity given as text', { ...valid, quantity: 'two' }],
  ['a required field missing', (({ product: _p, ...rest }) => rest)(valid)],
  ['a not-nullable field null', { ...valid, product: null }],
  ['an unknown field', { ...valid, discount: 3 }],
  ['an array in the message’s array of records, not an object', [[valid]]],
  ['a number, not an object', 7],
];

/** Rows of a section by their group column's value. */
const byGroup = (a: StreamAggregates, section: string, column: string) =>
  Object.fromEntries((a.sections[section] ?? []).map((row) => [String(row[column]), row]));

function mismatches(got: Record<string, Record<string, unknown>>, want: Record<string, ExpectedStreamRow>): string[] {
  const out: string[] = [];
  for (const group of new Set([...Object.keys(got), ...Object.keys(want)])) {
    const row = got[group];
    const expected = want[group];
    if (!row || !expected) {
      out.push(`${group}: ${row ? 'counted, not sent' : 'sent, not counted'}`);
      continue;
    }
    for (const [measure, value] of Object.entries(expected)) {
      const actual = measure === 'last_order_at' ? Date.parse(String(row[measure])) : row[measure];
      const close = typeof actual === 'number' && Math.abs(actual - value) <= 1e-9 * Math.max(1, Math.abs(value));
      if (!close) out.push(`${group}.${measure}: ${String(row[measure])}, expected ${value}`);
    }
  }
  return out;
}

beforeAll(async () => {
  await client.ping();
}, 60_000);

afterAll(async () => {
  await runner.stop(spec).catch(() => undefined);
  await runner.stop(ordersSpec).catch(() => undefined);
  client.close();
  await kafka.close();
  rmSync(checkpointDir, { recursive: true, force: true });
});

describe('the streaming job on Spark Connect', () => {
  const first = [...generateEmployees(1000, 12)];
  const duplicated = [...generateEmployees(250, 13)]; // three messages
  const REJECTED = 7;
  const [alone, inArray] = [...generateEmployees(2, 16)];
  let queryId: string;

  it('counts N records exactly, a batch sent twice under the same keys once, and malformed ones as rejected', async () => {
    const { query, started } = await runner.start(spec);
    expect(started).toBe(true);
    queryId = query.id;
    // Starting it again finds it running: one query per stream.
    expect(await runner.start(spec)).toEqual({ query, started: false });
    expect((await queries.active()).filter((q) => q.name === streamQueryName(spec.name))).toHaveLength(1);

    await send(first);
    await send(duplicated, 'retried-batch');
    await send(duplicated, 'retried-batch'); // a producer's retry: same keys
    // Messages as any producer writes them: one record each, or an array of records.
    await kafka.produce(spec.topic, [
      { key: randomUUID(), value: 'not json at all', partition: 0 },
      { key: randomUUID(), value: JSON.stringify({ id: 1, salary: 10 }), partition: 1 }, // no gender
      { key: randomUUID(), value: JSON.stringify({ id: 2, gender: 'F', salary: 10, bonus: 3 }), partition: 0 }, // unknown field
      { key: randomUUID(), value: JSON.stringify({ id: 3, gender: 'F', salary: 10, birth_date: '2001-02-30' }), partition: 1 }, // no such day
      { key: randomUUID(), value: JSON.stringify(alone), partition: 0 },
      { key: randomUUID(), value: `[${JSON.stringify(inArray)}, 7, {"id": 4}]`, partition: 1 }, // one record and two rejected
      { key: randomUUID(), value: '[{"id": 5, "gender": ', partition: 0 }, // an array that does not parse: one rejected
    ]);
    const all = [...first, ...duplicated, alone!, inArray!];
    const aggregates = await aggregatesWhen((a) => a.total >= all.length && a.rejected >= REJECTED);
    expectExact(aggregates, all);
    expect(aggregates.rejected).toBe(REJECTED);

    // Spark reports a micro-batch's progress only after its sink wrote it: the aggregates can be whole first.
    const seen = await until(
      () => runner.observe(spec, query),
      (s) => s.state !== 'active' || s.progress?.lag === 0,
      'the progress of the last batch',
    );
    expect(seen.state).toBe('active');
    if (seen.state !== 'active') return;
    expect(seen.progress?.batchId).toBeGreaterThanOrEqual(0);
    expect(seen.progress?.lag).toBe(0);
    // The query counts the records in its messages (Spark's own figures count messages).
    expect(seen.progress?.records).toEqual(expect.any(Number));
  });

  it('stops: Spark lists no active query of the stream', async () => {
    const stopped = await runner.stop(spec);
    expect(stopped?.id).toBe(queryId);
    expect((await queries.active()).map((q) => q.name)).not.toContain(streamQueryName(spec.name));
    expect((await runner.observe(spec, stopped)).state).toBe('terminated');
  });

  it('started again, resumes from its checkpoint: what came meanwhile counts once, nothing before it again', async () => {
    const meanwhile = [...generateEmployees(300, 14)];
    await send(meanwhile);
    const { query, started } = await runner.start(spec);
    expect(started).toBe(true);
    expect(query.id).toBe(queryId); // the same query, from its checkpoint
    const later = [...generateEmployees(200, 15)];
    await send(later);
    const all = [...first, ...duplicated, alone!, inArray!, ...meanwhile, ...later];
    const aggregates = await aggregatesWhen((a) => a.total >= all.length);
    // Give a re-read of old offsets the chance to show (it would push the totals past N).
    await new Promise((r) => setTimeout(r, 3000));
    expectExact(await aggregatesWhen(() => true), all);
    expect(aggregates.rejected).toBe(REJECTED);
  });
});

describe('the orders definition’s stream job on Spark Connect', () => {
  it('computes every section’s measures exactly, and counts each record breaking a declared rule as rejected', async () => {
    expect(ordersSpec.plan).toMatchObject({ definition: 'orders', job: 'live_revenue' });
    await runner.start(ordersSpec);
    const orders = [...generateOrders(2000, 77)];
    await kafka.produce(ordersSpec.topic, streamRecordMessages(orders, randomUUID(), ordersSpec.partitions));
    await kafka.produce(ordersSpec.topic, [
      ...BROKEN.map(([, record], i) => ({ key: randomUUID(), value: JSON.stringify(record), partition: i % ordersSpec.partitions })),
      { key: randomUUID(), value: '{"order_id": ', partition: 0 },
    ]);
    let last: StreamAggregates | null = null;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      last = await readStreamAggregates(kafka, ordersSpec);
      if (last && last.total >= orders.length && last.rejected >= BROKEN.length + 1) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(last?.total).toBe(orders.length);
    expect(last?.rejected).toBe(BROKEN.length + 1);
    expect(last?.consistent).toBe(true);
    const expected = expectedOrdersStream(orders);
    expect(mismatches(byGroup(last!, 'by_country', 'country'), expected.by_country)).toEqual([]);
    expect(mismatches(byGroup(last!, 'by_channel', 'channel'), expected.by_channel)).toEqual([]);
  });
});
