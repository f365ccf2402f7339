// A stream job of a definition other than the employees one, on the real stack (Kafka, Spark Connect), through the
// runtime the activities use: the orders definition's `live_revenue` counts valid orders into its sections exactly
// (checked against test/support/orders-oracle.ts, which shares nothing with production), and every record that
// breaks one of the declared fields' rules (a value out of range or not allowed, a bad timestamp, a missing,
// null or unknown field, not JSON) as rejected, while the stream runs on.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamAggregates } from '../../contracts/streams';
import { loadConfig } from '../../lib/config';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { generateOrders } from '../../lib/order-generator';
import { SparkConnectClient, StreamingQueries } from '../../lib/spark-connect';
import { readStreamAggregates, streamRecordMessages } from '../../lib/streams';
import { SparkStreamRunner } from '../../spark/runtime/stream-runner';
import { expectedOrdersStream, type ExpectedStreamRow } from '../support/orders-oracle';
import { streamSpec } from '../support/plans';

const config = loadConfig();
const kafka = new KafkaClient(config.kafka, createLogger('warn'));
const client = new SparkConnectClient({
  url: config.spark.connectUrl,
  descriptorSetPath: config.spark.descriptorSetPath,
  sessionId: randomUUID(),
});
const checkpointDir = mkdtempSync(join(tmpdir(), 'streamforge-checkpoints-'));
const runner = new SparkStreamRunner(new StreamingQueries(client), kafka, {
  kafkaBootstrapServers: config.spark.kafkaBootstrapServers,
  checkpointDir,
});
const spec = streamSpec({ name: `orders-it-${Date.now()}`, pipeline: 'orders', windowSeconds: 5, watermarkSeconds: 60, triggerMs: 500 });

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
  ['an array, not an object', [valid]],
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
  client.close();
  await kafka.close();
  rmSync(checkpointDir, { recursive: true, force: true });
});

describe('the orders definition’s stream job on Spark Connect', () => {
  it('computes every section’s measures exactly, and counts each record breaking a declared rule as rejected', async () => {
    expect(spec.plan).toMatchObject({ definition: 'orders', job: 'live_revenue' });
    await runner.start(spec);
    const orders = [...generateOrders(2000, 77)];
    await kafka.produce(spec.topic, streamRecordMessages(orders, randomUUID(), spec.partitions));
    await kafka.produce(spec.topic, [
      ...BROKEN.map(([, record], i) => ({ key: randomUUID(), value: JSON.stringify(record), partition: i % spec.partitions })),
      { key: randomUUID(), value: '{"order_id": ', partition: 0 },
    ]);
    let last: StreamAggregates | null = null;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      last = await readStreamAggregates(kafka, spec);
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
