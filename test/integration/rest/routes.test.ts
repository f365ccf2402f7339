// The REST trigger's routes against real Temporal (ephemeral dev server), Kafka and Spark, through Fastify's
// inject: the success path, each class of error, 413, 503 while Temporal is down, and the bearer token.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { buildApp, type TemporalConnection } from '../../../apps/rest/app';
import { createWorkerDeps } from '../../../apps/worker/deps';
import type { EmployeeRecord } from '../../../contracts/records';
import { loadConfig, type Config } from '../../../lib/config';
import { createLogger } from '../../../lib/logger';
import { referenceResult } from '../../support/oracle';
import { createTestEnv, startTestWorker, type TestWorker } from '../../support/temporal';

const config = loadConfig();
const logger = createLogger('silent');
const records: EmployeeRecord[] = JSON.parse(fs.readFileSync(path.join(config.dataDir, 'emp_data.json'), 'utf8')).slice(0, 50);
const deps = createWorkerDeps(config, logger);
let env: TestWorkflowEnvironment;
let worker: TestWorker;
let app: FastifyInstance;

async function appWith(
  overrides: { config?: Partial<Config>; bodyLimit?: number; client?: Client; connection?: TemporalConnection; eagerStart?: boolean } = {},
) {
  return buildApp({
    config: { ...config, ...overrides.config, temporal: { ...config.temporal, taskQueue: 'rest-test' } },
    logger,
    temporal: overrides.client ?? env.client,
    temporalConnection: overrides.connection ?? env.connection,
    eagerStart: overrides.eagerStart,
    kafka: deps.kafka,
    spark: { ping: deps.ping.spark },
    bodyLimit: overrides.bodyLimit,
  });
}

beforeAll(async () => {
  env = await createTestEnv();
  worker = await startTestWorker(env, 'rest-test', createActivities(deps));
  app = await appWith();
});
afterAll(async () => {
  await app?.close();
  await worker?.stop();
  await deps.close();
  await env?.teardown();
});

/** POSTs `body` as JSON to `url` of `target` (the shared app unless a test built its own). */
const post = (url: string, body: unknown, headers: Record<string, string> = {}, target: FastifyInstance = app) =>
  target.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /process', () => {
  it('answers with the analysis of the records, as Spark computed it', async () => {
    const res = await post('/process', records);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const expected = referenceResult('final_analysis', records, { referenceDate: new Date().toISOString().slice(0, 10) });
    expect(body.workflow_id).toMatch(/^process-/);
    // What the REST trigger knew of the run is given with its start (the run sets it again when it ends).
    const started = (await env.client.workflow.getHandle(body.workflow_id).fetchHistory()).events![0]!
      .workflowExecutionStartedEventAttributes!;
    const given = Object.fromEntries(
      Object.entries(started.searchAttributes?.indexedFields ?? {}).map(([key, payload]) => [
        key,
        defaultPayloadConverter.fromPayload(payload),
      ]),
    );
    expect(given).toEqual({ StreamforgePipeline: ['employees'], PipelineJobs: ['final_analysis'], RecordCount: 50 });
    expect(body.request_id).toMatch(/^req-/);
    expect(body.batch_requests).toBe(1);
    expect(body.record_count).toBe(50);
    expect(body.count_by_gender).toEqual(Object.fromEntries(expected.by_gender!.map((r) => [r.gender, r.count])));
    expect(body.count_by_month).toEqual(Object.fromEntries(expected.by_month!.map((r) => [r.month_name, r.count])));
    expect(body.salary).toEqual(expected.overview![0]);
    expect(body.salary_by_department).toEqual(expected.by_department);
    expect(Object.keys(body.timings_ms).sort()).toEqual(['collect', 'ingest', 'poll', 'submit', 'total']);
  });

  it('beside a worker in its process, starts a run eagerly: its first workflow task comes back with the start, to that worker', async () => {
    const beside = await appWith({
      client: new Client({ connection: env.nativeConnection }),
      connection: env.nativeConnection,
      eagerStart: true,
    });
    try {
      /** Whether the server accepted the run's start as eager, as its first event records it. */
      const eagerly = async (target: FastifyInstance) => {
        const res = await post('/process', records.slice(0, 5), {}, target);
        expect(res.statusCode).toBe(200);
        expect(res.json().record_count).toBe(5);
        const history = await env.client.workflow.getHandle(res.json().workflow_id).fetchHistory();
        return history.events![0]!.workflowExecutionStartedEventAttributes!.eagerExecutionAccepted === true;
      };
      expect(await eagerly(beside)).toBe(true);
      // Alone (its own connection), the usual way.
      expect(await eagerly(app)).toBe(false);
    } finally {
      await beside.close();
    }
  });

  it('coalesces concurrent requests into shared runs, and each request still gets the analysis of its own records', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => records.slice(i, i + 3 + i * 3));
    const answers = await Promise.all(bodies.map((body) => post('/process', body)));
    const referenceDate = new Date().toISOString().slice(0, 10);
    answers.forEach((res, i) => {
      expect(res.statusCode).toBe(200);
      const expected = referenceResult('final_analysis', bodies[i]!, { referenceDate });
      expect(res.json()).toMatchObject({
        record_count: bodies[i]!.length,
        salary: expected.overview![0],
        salary_by_gender: expected.by_gender,
        salary_by_department: expected.by_department,
        age_bands: expected.age_bands,
      });
    });
    const runs = new Set(answers.map((r) => r.json().workflow_id));
    expect(runs.size).toBeLessThan(12);
    expect(Math.max(...answers.map((r) => r.json().batch_requests))).toBeGreaterThan(1);
    expect(new Set(answers.map((r) => r.json().request_id)).size).toBe(12);
    const handle = env.client.workflow.getHandle([...runs][0]!);
    expect(((await handle.describe()).memo as { requestIds: string[] }).requestIds.length).toBeGreaterThan(0);
  });

  it.each<[string, unknown, RegExp]>([
    ['malformed JSON', '[{"id": 1,', /^body is not valid JSON/],
    ['a non-array', { id: 1 }, /records: must be a non-empty array/],
    ['an empty array', [], /records: must be a non-empty array/],
    ['a wrong type', [{ id: 1, gender: 'F', salary: 'high' }], /records\[0\]\.salary: expected a number, got "high"/],
    ['a missing field', [{ id: 1, salary: 10 }], /records\[0\]\.gender: is required/],
    ['an unknown field', [{ id: 1, gender: 'F', salary: 10, bonus: 5 }], /records\[0\]: unknown field\(s\) "bonus"/],
    [
      'too many records',
      Array.from({ length: 10_001 }, (_, i) => ({ id: i, gender: 'F', salary: 1 })),
      /at most 10000 records allowed, got 10001/,
    ],
  ])('rejects %s with a 400 that names the problem', async (_name, body, message) => {
    const res = await post('/process', body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'Bad Request', message: expect.stringMatching(message) });
  });

  it('rejects a body over the limit with 413, and a non-JSON body with 415', async () => {
    const small = await appWith({ bodyLimit: 1024 });
    const res = await post('/process', records, {}, small);
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toMatch(/larger than the limit of 1024 bytes/);
    await small.close();
    expect(
      (await app.inject({ method: 'POST', url: '/process', headers: { 'content-type': 'text/plain' }, payload: 'x' })).statusCode,
    ).toBe(415);
  });

  it('counts a body as in flight only until its answer: many answered requests never add up to over capacity', async () => {
    // Without Content-Length a body counts as the body limit (4 MiB), so 16 of them held forever would fill the
    // 64 MiB bound; forty in a row must all get their own answer, not 503.
    for (let i = 0; i < 40; i++) {
      const res = await app.inject({ method: 'POST', url: '/process', headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(400);
    }
  });

  it('keeps each run within what a workflow input can carry: requests too big together run apart, one too big alone gets 413', async () => {
    const thirty = records.slice(0, 30);
    const maxBytes = Buffer.byteLength(JSON.stringify(thirty)) + 100; // one 30-record request fits, two do not
    const tight = await appWith({ config: { processBatching: { ...config.processBatching, maxBytes } } });
    try {
      const [a, b] = await Promise.all([thirty, records.slice(20, 50)].map((body) => post('/process', body, {}, tight)));
      expect([a!.statusCode, b!.statusCode]).toEqual([200, 200]);
      expect(a!.json().workflow_id).not.toBe(b!.json().workflow_id);
      expect([a!.json().record_count, b!.json().record_count]).toEqual([30, 30]);
      const big = await post('/process', records, {}, tight);
      expect(big.statusCode).toBe(413);
      expect(big.json().message).toMatch(/more than the \d+ a pipeline run takes inline; send fewer records per request, or a file/);
    } finally {
      await tight.close();
    }
  });

  it('answers a valid request whose analysis is too large to return inline (stored in the results topic, read back)', async () => {
    // 8,000 records with a department each: the by_department section alone is ~1 MB, over the 256 KiB inline limit.
    const many = Array.from({ length: 8_000 }, (_, i) => ({
      id: i + 1,
      gender: i % 2 ? 'M' : 'F',
      salary: 1000 + i,
      department: `dept-${i}`,
    }));
    const res = await post('/process', many);
    expect(res.statusCode).toBe(200);
    const expected = referenceResult('final_analysis', many, { referenceDate: new Date().toISOString().slice(0, 10) });
    expect(res.json()).toMatchObject({ record_count: 8_000, salary: expected.overview![0], salary_by_department: expected.by_department });
    const run = await env.client.workflow.getHandle(res.json().workflow_id).result();
    expect(run.results.final_analysis).toHaveProperty('stored');
  });

  it("answers 413, not 500, when a pipeline's inline records exceed Temporal's blob size limit", async () => {
    const long = 'x'.repeat(250);
    const many = Array.from({ length: 9_000 }, (_, i) => ({ id: i + 1, gender: 'F', salary: 1000, name: long })); // ~2.4 MB
    const res = await app.inject({
      method: 'POST',
      url: '/pipelines',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ records: many }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toMatch(/larger than a pipeline run takes inline .*blob size limit.*a file through POST \/pipelines/);
  });

  it('answers 503 with Retry-After while Temporal is unreachable, and /readyz says so', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const down = await appWith({ client: new Client({ connection }), connection });
    const res = await down.inject({
      method: 'POST',
      url: '/process',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(records.slice(0, 2)),
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().message).toMatch(/Temporal is unreachable/);
    const notReady = await down.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({
      message: expect.stringMatching(/^Temporal \(.+\) unreachable$/),
      temporal: expect.stringMatching(/^unreachable: /),
      kafka: 'ok',
    });
    expect((await down.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await down.close();
  });
});

describe('asynchronous pipelines', () => {
  it('POST /pipelines starts a run, GET reports it, a retried POST with the same Idempotency-Key starts nothing new', async () => {
    const key = `k-${Date.now()}`;
    const first = await post('/pipelines', { records: records.slice(0, 5), jobs: ['count_gender'] }, { 'idempotency-key': key });
    expect(first.statusCode).toBe(202);
    const { id, runId, statusUrl } = first.json();
    expect(id).toBe(`pipeline-${key}`);
    expect(first.headers.location).toBe(statusUrl);
    const again = await post('/pipelines', { records: records.slice(0, 5), jobs: ['count_gender'] }, { 'idempotency-key': key });
    expect(again.json().runId).toBe(runId);

    let status = await app.inject({ method: 'GET', url: statusUrl });
    for (let i = 0; i < 100 && status.json().status === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await app.inject({ method: 'GET', url: statusUrl });
    }
    expect(status.json()).toMatchObject({ id, status: 'COMPLETED', progress: { status: 'completed', recordCount: 5 } });
    expect(status.json().result.results.count_gender.inline).toEqual(
      referenceResult('count_gender', records.slice(0, 5), { referenceDate: '2000-01-01' }),
    );
    expect((await app.inject({ method: 'DELETE', url: statusUrl })).statusCode).toBe(409);
  });

  it('an Idempotency-Key reused after its run completed answers with that run; with another body, 409', async () => {
    const key = `done-${Date.now()}`;
    const body = { records: records.slice(0, 3), jobs: ['count_gender'] };
    const first = await post('/pipelines', body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(202);
    await env.client.workflow.getHandle(first.json().id).result();
    const again = await post('/pipelines', body, { 'idempotency-key': key });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    const runs = await env.client.workflow.count(`WorkflowId = '${first.json().id}'`);
    expect(runs.count).toBe(1);
    const other = await post('/pipelines', { ...body, records: records.slice(3, 6) }, { 'idempotency-key': key });
    expect(other.statusCode).toBe(409);
    expect(other.json().message).toMatch(/was used for a run with a different body/);
  });

  it("refuses a topic input that names streamforge's own topics (they hold every client's records)", async () => {
    const res = await post('/pipelines', { topic: { name: config.kafka.recordsTopic, ranges: [{ partition: 0, from: 0, to: 10 }] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/one of streamforge's own topics/);
  });

  it('rejects bad pipeline input with 400 and unknown ids with 404', async () => {
    const bad = await post('/pipelines', { records: records.slice(0, 1), jobs: ['nope'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/jobs: "nope" not among employees's jobs/);
    expect((await app.inject({ method: 'GET', url: '/pipelines/does-not-exist' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/pipelines/does-not-exist' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/pipelines/bad%20id' })).statusCode).toBe(400);
  });

  it('DELETE /pipelines/:id cancels a running run', async () => {
    const started = await post('/pipelines', {
      file: 'emp_data.json',
      jobs: ['final_analysis', 'count_gender', 'count_month', 'read_records'],
    });
    const { statusUrl } = started.json();
    const cancel = await app.inject({ method: 'DELETE', url: statusUrl });
    expect(cancel.statusCode).toBe(202);
    let status = await app.inject({ method: 'GET', url: statusUrl });
    for (let i = 0; i < 100 && status.json().status === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await app.inject({ method: 'GET', url: statusUrl });
    }
    expect(status.json().status).toBe('CANCELLED');
  });
});

describe('benchmarks', () => {
  it('POST /benchmarks starts a benchmark of real pipeline runs; GET reports its statistics', async () => {
    const started = await post('/benchmarks', { runs: 3, recordsPerRun: 2, jobs: ['count_gender'], concurrency: 3 });
    expect(started.statusCode).toBe(202);
    const { statusUrl } = started.json();
    let status = await app.inject({ method: 'GET', url: statusUrl });
    for (let i = 0; i < 300 && status.json().status === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await app.inject({ method: 'GET', url: statusUrl });
    }
    expect(status.json()).toMatchObject({ status: 'COMPLETED', progress: { completed: 3, failed: 0, total: 3 } });
    const { overall, runs } = status.json().result;
    expect(overall).toMatchObject({ count: 3, errors: 0 });
    expect(overall.max).toBe(Math.max(...runs.map((r: { latencyMs: number }) => r.latencyMs)));
    const bad = await post('/benchmarks', { runs: 0 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^invalid benchmark input: runs/);
  });
});

describe('operations', () => {
  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', temporal: 'ok', kafka: 'ok', spark: 'ok' });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/streamforge_http_requests_total\{route="\/process",method="POST",status="200",client="anonymous"\} \d+/);
    expect(metrics).toMatch(/streamforge_pipelines_in_flight 0/);
    const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/process',
        '/pipelines',
        '/pipelines/{id}',
        '/benchmarks',
        '/benchmarks/{id}',
        '/definitions',
        '/definitions/{name}',
        '/definitions/{name}/check',
        '/healthz',
        '/readyz',
      ]),
    );
    const pipelineBody = openapi.paths['/pipelines'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(pipelineBody.properties)).toEqual(expect.arrayContaining(['pipeline', 'params', 'jobs', 'records']));
    expect(openapi.paths['/process'].post.requestBody.content['application/json'].schema.items.required).toEqual([
      'id',
      'gender',
      'salary',
    ]);
  });

  it('with API_TOKEN set, every route but the probes, metrics and docs needs the bearer token', async () => {
    const secured = await appWith({ config: { http: { ...config.http, apiToken: 'a-very-secret-token-123' } } });
    const noToken = await secured.inject({
      method: 'POST',
      url: '/process',
      headers: { 'content-type': 'application/json' },
      payload: '[]',
    });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.headers['www-authenticate']).toBe('Bearer');
    const wrong = await secured.inject({
      method: 'POST',
      url: '/process',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      payload: '[]',
    });
    expect(wrong.statusCode).toBe(401);
    const right = await secured.inject({
      method: 'POST',
      url: '/process',
      headers: { 'content-type': 'application/json', authorization: 'Bearer a-very-secret-token-123' },
      payload: '[]',
    });
    expect(right.statusCode).toBe(400); // past auth, stopped by validation
    expect((await secured.inject({ method: 'GET', url: '/pipelines/some-run' })).statusCode).toBe(401);
    expect((await secured.inject({ method: 'GET', url: '/benchmarks/some-run' })).statusCode).toBe(401);
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
      expect((await secured.inject({ method: 'GET', url })).statusCode).toBe(200);
    await secured.close();
  });
});
