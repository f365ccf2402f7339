// Streams end to end on the real stack, through the REST routes (Fastify inject) and a worker with the real
// activities: POST /streams starts the supervising workflow and its Spark query; records through REST and a
// malformed one straight to Kafka; GET /streams/:name reads aggregates that account for exactly the records sent
// (per group and in total) and the rejected one; bad records get a 400 naming the field and nothing is written;
// DELETE stops the query (Spark lists no active query); started again, the stream resumes from its checkpoint;
// the Spark Connect server SIGKILLed mid-stream: the workflow restarts the query and the totals stay exact.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { buildApp } from '../../../apps/rest/app';
import { createWorkerDeps } from '../../../apps/worker/deps';
import type { EmployeeRecord } from '../../../contracts/records';
import { streamQueryName, streamTopic, type StreamAggregates, type StreamStatus } from '../../../contracts/streams';
import { loadConfig } from '../../../lib/config';
import { generateOrders } from '../../../lib/order-generator';
import { generateEmployees } from '../../../lib/employee-generator';
import { createLogger } from '../../../lib/logger';
import { SparkConnectClient, StreamingQueries } from '../../../lib/spark-connect';
import { stackKill, stackUp } from '../../../scripts/stack/stack';
import { expectedOrdersStream } from '../../support/orders-oracle';
import { streamSpec } from '../../support/plans';
import { expectedStreamCounts, streamMismatches } from '../../support/stream-oracle';
import { createTestEnv, startTestWorker, type TestWorker } from '../../support/temporal';
import { until } from '../../support/until';

const config = loadConfig();
const logger = createLogger('silent');
const taskQueue = 'streams-test';
const deps = createWorkerDeps(config, logger);
// Spark as the workers see it: the same shared session, where the stream's query lives.
const spark = new SparkConnectClient({
  url: config.spark.connectUrl,
  descriptorSetPath: config.spark.descriptorSetPath,
  sessionId: config.spark.sessionId,
});
const queries = new StreamingQueries(spark);
const name = `rest-${Date.now()}`;
const input = { name, windowSeconds: 5, watermarkSeconds: 60, triggerMs: 500, pollSeconds: 1 };
const ordersName = `rest-orders-${Date.now()}`;
const ordersInput = { ...input, name: ordersName, pipeline: 'orders' };
let env: TestWorkflowEnvironment;
let app: FastifyInstance;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  env = await createTestEnv();
  // Whatever happens, the stream's Spark query does not outlive the file.
  cleanups.push(
    () => env.teardown(),
    () => deps.close(),
    () => deps.streams.stop(streamSpec(input)).catch(() => undefined),
  );
  const worker: TestWorker = await startTestWorker(env, taskQueue, createActivities(deps));
  cleanups.push(() => worker.stop());
  const restConfig = { ...config, temporal: { ...config.temporal, taskQueue } };
  app = await buildApp({ config: restConfig, logger, temporal: env.client, temporalConnection: env.connection, kafka: deps.kafka });
  cleanups.push(
    () => app.close(),
    () => app.inject({ method: 'DELETE', url: `/streams/${name}` }).catch(() => undefined),
    () => app.inject({ method: 'DELETE', url: `/streams/${ordersName}` }).catch(() => undefined),
    () => deps.streams.stop(streamSpec(ordersInput)).catch(() => undefined),
  );
});
afterAll(async () => {
  spark.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

async function get(): Promise<{ status: StreamStatus; aggregates: StreamAggregates | null; workflowStatus: string }> {
  const res = await app.inject({ method: 'GET', url: `/streams/${name}` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

const running = () => until(get, (s) => s.status.state === 'running' && s.status.query !== null, 'the stream running');
const activeNames = async () => (await queries.active()).map((q) => q.name);
const counted = (total: number, rejected = 1) =>
  until(get, (s) => (s.aggregates?.total ?? 0) >= total && (s.aggregates?.rejected ?? 0) >= rejected, `${total} records counted`);

describe('streams through REST', () => {
  const sent: EmployeeRecord[] = [];
  let queryId: string;

  it('starts a stream, counts the records sent exactly (and a malformed one as rejected), and shows its progress', async () => {
    const res = await post('/streams', input);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ name, workflowId: `stream-${name}`, topic: streamTopic(name) });
    // Starting it again with the same input answers with the same stream; with another input, 409.
    expect((await post('/streams', input)).json().runId).toBe(res.json().runId);
    expect((await post('/streams', { ...input, windowSeconds: 7 })).statusCode).toBe(409);
    queryId = (await running()).status.query!.id;

    const batch = [...generateEmployees(500, 31)];
    expect((await post(`/streams/${name}/records`, batch, { 'idempotency-key': 'batch-1' })).statusCode).toBe(202);
    // The client retries the same request: counted once.
    expect((await post(`/streams/${name}/records`, batch, { 'idempotency-key': 'batch-1' })).statusCode).toBe(202);
    sent.push(...batch);
    await deps.kafka.produce(streamTopic(name), [{ key: randomUUID(), value: '{"id": 1, "gender": ', partition: 0 }]);

    const { aggregates } = await counted(sent.length);
    expect(streamMismatches(aggregates!, expectedStreamCounts(sent))).toEqual([]);
    expect(aggregates!.rejected).toBe(1);
    // The status shows the progress the workflow last polled (every pollSeconds), and Spark reports a micro-batch's
    // progress only after its sink wrote it: the aggregates can be whole before the status shows the batch.
    const { status } = await until(get, (s) => s.status.progress?.lag === 0, 'the progress of the last batch');
    expect(status.progress!.batchId).toBeGreaterThanOrEqual(0);
    const listed = (await app.inject({ method: 'GET', url: '/streams' })).json().streams;
    expect(listed.map((s: { name: string }) => s.name)).toContain(name);
  });

  it('refuses bad records with a 400 naming the field, and writes none of the batch', async () => {
    const before = await deps.kafka.endOffsets(streamTopic(name));
    const res = await post(`/streams/${name}/records`, [
      { id: 1, gender: 'F', salary: 5 },
      { id: 2, gender: 'M', salary: 'lots' },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('records[1].salary');
    expect(await deps.kafka.endOffsets(streamTopic(name))).toEqual(before);
    expect((await app.inject({ method: 'GET', url: '/streams/no-such-stream' })).statusCode).toBe(404);
  });

  it('stops on DELETE: the workflow ends and Spark lists no active query of the stream', async () => {
    expect((await app.inject({ method: 'DELETE', url: `/streams/${name}` })).statusCode).toBe(202);
    const { status } = await until(get, (s) => s.workflowStatus === 'COMPLETED', 'the stream stopped', 60_000);
    expect(status.state).toBe('stopped');
    expect(await activeNames()).not.toContain(streamQueryName(name));
  });

  it('started again, resumes from its checkpoint: records sent while it was stopped count once, nothing twice', async () => {
    const meanwhile = [...generateEmployees(200, 32)];
    const res = await post('/streams', input);
    expect(res.statusCode).toBe(202);
    // Records may arrive before the query runs: they wait in the topic.
    expect((await post(`/streams/${name}/records`, meanwhile)).statusCode).toBe(202);
    sent.push(...meanwhile);
    const { status } = await running();
    expect(status.query!.id).toBe(queryId); // the same query, from its checkpoint
    const { aggregates } = await counted(sent.length);
    expect(streamMismatches(aggregates!, expectedStreamCounts(sent))).toEqual([]);
  });

  it('Spark Connect SIGKILLed mid-stream: the workflow restarts the query from its checkpoint and the totals stay exact', async () => {
    const before = (await get()).status.restarts;
    const first = [...generateEmployees(300, 33)];
    expect((await post(`/streams/${name}/records`, first)).statusCode).toBe(202);
    sent.push(...first);
    await stackKill(config, 'spark');
    await stackUp(config);
    const after = [...generateEmployees(300, 34)];
    expect((await post(`/streams/${name}/records`, after)).statusCode).toBe(202);
    sent.push(...after);
    const { status } = await until(get, (s) => s.status.restarts > before && s.status.state === 'running', 'the query restarted', 180_000);
    expect(status.query!.id).toBe(queryId);
    const { aggregates } = await counted(sent.length);
    // Give a batch Spark replays after the restart the chance to show.
    await new Promise((r) => setTimeout(r, 3000));
    expect(streamMismatches((await get()).aggregates!, expectedStreamCounts(sent))).toEqual([]);
    expect(aggregates!.rejected).toBe(1);
  }, 400_000);
});

describe('a stream of another definition through REST', () => {
  const getOrders = async () => (await app.inject({ method: 'GET', url: `/streams/${ordersName}` })).json();

  it('refuses an unknown definition or stream job with a 400 naming it, and starts nothing', async () => {
    const unknown = await post('/streams', { ...ordersInput, pipeline: 'nope' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/^invalid stream input: pipeline: no definition "nope" \(there are: .*orders/);
    const job = await post('/streams', { ...ordersInput, job: 'by_hour' });
    expect(job.statusCode).toBe(400);
    expect(job.json().message).toBe('invalid stream input: job: pipeline orders has no stream job "by_hour" (it has: live_revenue)');
    expect((await app.inject({ method: 'GET', url: `/streams/${ordersName}` })).statusCode).toBe(404);
  });

  it('runs the orders stream job: records checked against its fields, its sections exact', async () => {
    expect((await post('/streams', ordersInput)).statusCode).toBe(202);
    await until(getOrders, (s) => s.status?.state === 'running', 'the orders stream running');
    const bad = await post(`/streams/${ordersName}/records`, [
      { order_id: 1, country: 'DE', channel: 'fax', product: 'x', quantity: 1, unit_price: 1, ts: '2025-03-01T10:00:00Z' },
    ]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('records[0].channel');
    const orders = [...generateOrders(500, 35)];
    expect((await post(`/streams/${ordersName}/records`, orders)).statusCode).toBe(202);
    const { status, aggregates } = await until(getOrders, (s) => (s.aggregates?.total ?? 0) >= orders.length, 'the orders counted');
    expect(status.spec.plan).toMatchObject({ definition: 'orders', job: 'live_revenue' });
    expect(aggregates.total).toBe(orders.length);
    expect(aggregates.rejected).toBe(0);
    const expected = expectedOrdersStream(orders);
    const rows = Object.fromEntries(aggregates.sections.by_country.map((r: { country: string }) => [r.country, r]));
    expect(Object.keys(rows).sort()).toEqual(Object.keys(expected.by_country).sort());
    for (const [country, want] of Object.entries(expected.by_country)) {
      expect(rows[country].orders).toBe(want.orders);
      expect(rows[country].revenue).toBeCloseTo(want.revenue!, 6);
      expect(rows[country].largest_order).toBeCloseTo(want.largest_order!, 9);
    }
    expect((await app.inject({ method: 'DELETE', url: `/streams/${ordersName}` })).statusCode).toBe(202);
  });
});
