// The streaming job through our Spark Connect client, on the real stack (Kafka, Spark Connect), driven by the
// runtime the activities use (SparkStreamRunner): a query started over a Kafka topic counts every record exactly
// once per group and in total, a record sent twice under the same key once, malformed records as rejected (and
// it keeps running); stop stops it (Spark lists no such active query); started again, it resumes from its
// checkpoint (neither from the start of the topic nor from its end).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmployeeRecord } from '../../contracts/records';
import { streamQueryName, type StreamAggregates, type StreamSpec } from '../../contracts/streams';
import { loadConfig } from '../../lib/config';
import { generateEmployees } from '../../lib/employee-generator';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { SparkConnectClient, StreamingQueries } from '../../lib/spark-connect';
import { readStreamAggregates, streamRecordMessages } from '../../lib/streams';
import { SparkStreamRunner } from '../../spark/runtime/stream-runner';
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

beforeAll(async () => {
  await client.ping();
}, 60_000);

afterAll(async () => {
  await runner.stop(spec).catch(() => undefined);
  client.close();
  await kafka.close();
  rmSync(checkpointDir, { recursive: true, force: true });
});

describe('the streaming job on Spark Connect', () => {
  const first = [...generateEmployees(1000, 12)];
  const duplicated = [...generateEmployees(10, 13)];
  let queryId: string;

  it('counts N records exactly, a record sent twice under the same key once, and malformed ones as rejected', async () => {
    const { query, started } = await runner.start(spec);
    expect(started).toBe(true);
    queryId = query.id;
    // Starting it again finds it running: one query per stream.
    expect(await runner.start(spec)).toEqual({ query, started: false });
    expect((await queries.active()).filter((q) => q.name === streamQueryName(spec.name))).toHaveLength(1);

    await send(first);
    await send(duplicated, 'retried-batch');
    await send(duplicated, 'retried-batch'); // a producer's retry: same keys
    await kafka.produce(spec.topic, [
      { key: randomUUID(), value: 'not json at all', partition: 0 },
      { key: randomUUID(), value: JSON.stringify({ id: 1, salary: 10 }), partition: 1 }, // no gender
      { key: randomUUID(), value: JSON.stringify({ id: 2, gender: 'F', salary: 10, bonus: 3 }), partition: 0 }, // unknown field
      { key: randomUUID(), value: JSON.stringify({ id: 3, gender: 'F', salary: 10, birth_date: '2001-02-30' }), partition: 1 }, // no such day
    ]);
    const all = [...first, ...duplicated];
    const aggregates = await aggregatesWhen((a) => a.total >= all.length && a.rejected >= 4);
    expectExact(aggregates, all);
    expect(aggregates.rejected).toBe(4);

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
    const all = [...first, ...duplicated, ...meanwhile, ...later];
    const aggregates = await aggregatesWhen((a) => a.total >= all.length);
    // Give a re-read of old offsets the chance to show (it would push the totals past N).
    await new Promise((r) => setTimeout(r, 3000));
    expectExact(await aggregatesWhen(() => true), all);
    expect(aggregates.rejected).toBe(4);
  });
});
