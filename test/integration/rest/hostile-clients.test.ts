// Hostile clients on the real stack (Temporal, Kafka, Spark, a worker with the real activities on the task queue):
// every route and every workflow input × every field that names a resource × hostile values (streamforge's own
// topics, another token's streams and runs, `..` and absolute paths, NUL and control characters, over-long values,
// lookalike letters, SQL). Each REST request gets a 4xx that names the field; then nothing happened: every
// internal topic's end offsets unchanged, no workflow started, no Spark job run. The same inputs started as
// workflows (as the Temporal CLI would) fail with the same message, still without a write or a Spark job. Last, a
// retried submit works with foreign messages planted in the executions journal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActivityFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { recordValues, toMessages } from '../../../activities/ingest';
import { buildApp } from '../../../apps/rest/app';
import { sha256Hex } from '../../../apps/rest/tokens';
import { createWorkerDeps } from '../../../apps/worker/deps';
import type { SparkJobSpec } from '../../../contracts/pipeline';
import { loadConfig } from '../../../lib/config';
import { generateEmployees } from '../../../lib/employee-generator';
import { recordKey } from '../../../lib/idempotency';
import { createLogger } from '../../../lib/logger';
import { WORKER_METRIC_NAMES } from '../../../lib/metric-names';
import { referenceResult } from '../../support/oracle';
import { latestSparkJobId } from '../../support/spark-ui';
import { createTestEnv, startTestWorker, type TestWorker } from '../../support/temporal';
import { employeePlan } from '../../support/plans';

const base = loadConfig();
const taskQueue = `hostile-${Date.now()}`;
const tokensDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-tokens-'));
const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-0123456789', root: 'root-token-0123456789' };
fs.writeFileSync(
  path.join(tokensDir, 'tokens.json'),
  JSON.stringify({
    tokens: [
      { name: 'alice', sha256: sha256Hex(TOKENS.alice), topics: ['team.alice*'], streams: ['alice-*'], files: ['alice/*'] },
      { name: 'bob', sha256: sha256Hex(TOKENS.bob), topics: ['team.bob*'], streams: ['bob-*'], files: ['*'] },
      { name: 'root', sha256: sha256Hex(TOKENS.root), admin: true, topics: ['*'], streams: ['*'], files: ['*'] },
    ],
  }),
);
const config = {
  ...base,
  temporal: { ...base.temporal, taskQueue },
  http: { ...base.http, tokensFile: path.join(tokensDir, 'tokens.json') },
};
const logger = createLogger('silent');
const deps = createWorkerDeps(config, logger);
/** What the REST trigger logs, line by line. */
const restLog: string[] = [];
const restLogger = pino({ level: 'info' }, { write: (line: string) => void restLog.push(line) });
let env: TestWorkflowEnvironment;
let worker: TestWorker;
let app: FastifyInstance;

beforeAll(async () => {
  env = await createTestEnv();
  worker = await startTestWorker(env, taskQueue, createActivities(deps));
  app = await buildApp({ config, logger: restLogger, temporal: env.client, temporalConnection: env.connection, kafka: deps.kafka });
});
afterAll(async () => {
  await app?.close();
  await worker?.stop();
  await env?.teardown();
  await deps.close();
  fs.rmSync(tokensDir, { recursive: true, force: true });
});

type Who = keyof typeof TOKENS;
const call = (who: Who, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${TOKENS[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });

/** End offsets of every topic that is streamforge's or Kafka's own, and of the topics a hostile value names. */
async function internalOffsets(): Promise<Record<string, number>> {
  const own = new Set([config.kafka.recordsTopic, config.kafka.resultsTopic, config.kafka.executionsTopic]);
  const topics = (await deps.kafka.topicNames()).filter((t) => own.has(t) || t.startsWith('streamforge.') || t.startsWith('__')).sort();
  const out: Record<string, number> = {};
  for (const topic of topics) {
    for (const [partition, end] of await deps.kafka.endOffsets(topic)) out[`${topic}/${partition}`] = end;
  }
  return out;
}

const workflowCount = async () => (await env.client.workflow.count(`TaskQueue = '${taskQueue}'`)).count;

// ---- The hostile values ----
const INTERNAL_TOPICS = [
  base.kafka.recordsTopic,
  base.kafka.resultsTopic,
  base.kafka.executionsTopic,
  'streamforge.stack-check',
  'streamforge.stack-check.warmup',
  'streamforge.stream.bob-s',
  'streamforge.stream.bob-s.results',
  '__consumer_offsets',
];
/** Values no field takes: traversal, absolute, NUL and control characters, over-long, a lookalike letter, SQL, empty. */
const MALFORMED = [
  '..',
  '../package.json',
  './../README.md',
  '/etc/passwd',
  'a\u0000b',
  'a\u0007b',
  'x'.repeat(300),
  'ѕtream',
  "a'; DROP TABLE records;--",
  '',
];
/** The same, in a URL path segment. */
const MALFORMED_IN_URL = [
  '..%2F..',
  '%2Fetc%2Fpasswd',
  'a%00b',
  'a%07b',
  'x'.repeat(300),
  encodeURIComponent('ѕtream'),
  encodeURIComponent("a'; DROP TABLE records;--"),
];

interface Probe {
  what: string;
  send: () => ReturnType<typeof call>;
  /** The field the answer must name. */
  field: RegExp;
  status?: number;
}

let bobRun: string;
const BOB_KEY = `bob-key-${Date.now()}`;

function probes(): Probe[] {
  const out: Probe[] = [];
  const records = [...generateEmployees(3, 7)];
  const pipeline = (extra: object) => ({ jobs: ['count_gender'], ...extra });
  for (const file of [...MALFORMED, 'emp_data.json' /* not among alice's files */]) {
    out.push({
      what: `POST /pipelines file ${JSON.stringify(file)}`,
      send: () => call('alice', 'POST', '/pipelines', pipeline({ file })),
      field: /\bfile\b/,
    });
  }
  for (const name of [...INTERNAL_TOPICS, ...MALFORMED, 'team.bob.orders' /* bob's */]) {
    const topic = { name, ranges: [{ partition: 0, from: 0, to: 10 }] };
    out.push({
      what: `POST /pipelines topic ${JSON.stringify(name)}`,
      send: () => call('alice', 'POST', '/pipelines', pipeline({ topic })),
      field: /topic\.name/,
    });
  }
  for (const name of [...MALFORMED, 'bob-s' /* bob's */]) {
    out.push({
      what: `POST /streams name ${JSON.stringify(name)}`,
      send: () => call('alice', 'POST', '/streams', { name }),
      field: /\bname\b/,
    });
  }
  for (const topic of [...INTERNAL_TOPICS, 'streamforge.stream.alice-s.results', ...MALFORMED, 'team.bob.orders']) {
    out.push({
      what: `POST /streams topic ${JSON.stringify(topic)}`,
      send: () => call('alice', 'POST', '/streams', { name: 'alice-s', topic }),
      field: /\btopic\b/,
    });
  }
  // The definition and stream job a stream computes: no such definition, nothing that is one (inherited names too).
  for (const pipeline of [...MALFORMED, 'nope', '__proto__', 'constructor']) {
    out.push({
      what: `POST /streams pipeline ${JSON.stringify(pipeline)}`,
      send: () => call('alice', 'POST', '/streams', { name: 'alice-s', pipeline }),
      field: /\bpipeline\b/,
    });
  }
  for (const job of [...MALFORMED, 'nope', '__proto__', 'constructor', 'toString']) {
    out.push({
      what: `POST /streams job ${JSON.stringify(job)}`,
      send: () => call('alice', 'POST', '/streams', { name: 'alice-s', job }),
      field: /\bjob\b/,
    });
  }
  for (const name of ['bob-s', ...MALFORMED_IN_URL]) {
    out.push(
      { what: `GET /streams/${name.slice(0, 40)}`, send: () => call('alice', 'GET', `/streams/${name}`), field: /\bname\b/ },
      {
        what: `POST /streams/${name.slice(0, 40)}/records`,
        send: () => call('alice', 'POST', `/streams/${name}/records`, records),
        field: /\bname\b/,
      },
      { what: `DELETE /streams/${name.slice(0, 40)}`, send: () => call('alice', 'DELETE', `/streams/${name}`), field: /\bname\b/ },
    );
  }
  for (const id of [bobRun, 'cli-pipeline-1764900000', ...MALFORMED_IN_URL]) {
    out.push(
      { what: `GET /pipelines/${id.slice(0, 40)}`, send: () => call('alice', 'GET', `/pipelines/${id}`), field: /\bid\b/ },
      { what: `DELETE /pipelines/${id.slice(0, 40)}`, send: () => call('alice', 'DELETE', `/pipelines/${id}`), field: /\bid\b/ },
      { what: `GET /benchmarks/${id.slice(0, 40)}`, send: () => call('alice', 'GET', `/benchmarks/${id}`), field: /\bid\b/ },
    );
  }
  out.push({
    what: "POST /pipelines with bob's Idempotency-Key",
    send: () => call('alice', 'POST', '/pipelines', { records, jobs: ['count_gender'] }, { 'idempotency-key': BOB_KEY }),
    field: /Idempotency-Key/,
    status: 409,
  });
  return out;
}

describe('hostile clients', () => {
  it("bob's own run: bob and an admin token read it", async () => {
    const records = [...generateEmployees(10, 3)];
    const started = await call('bob', 'POST', '/pipelines', { records, jobs: ['count_gender'] }, { 'idempotency-key': BOB_KEY });
    expect(started.statusCode).toBe(202);
    bobRun = started.json().id;
    await env.client.workflow.getHandle(bobRun).result();
    for (const who of ['bob', 'root'] as const) {
      const res = await call(who, 'GET', `/pipelines/${bobRun}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().result.results.count_gender.inline).toEqual(
        referenceResult('count_gender', records, { referenceDate: '2000-01-01' }),
      );
    }
  });

  it('every REST route × every field that names a resource × hostile values: a 4xx naming the field, and nothing happened', async () => {
    const offsets = await internalOffsets();
    const workflows = await workflowCount();
    const sparkJob = await latestSparkJobId();
    const answers: string[] = [];
    for (const probe of probes()) {
      const res = await probe.send();
      const message: string = res.json().message ?? '';
      answers.push(`${res.statusCode} ${probe.what}: ${message.slice(0, 160)}`);
      expect(res.statusCode, probe.what).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, probe.what).toBeLessThan(500);
      if (probe.status) expect(res.statusCode, probe.what).toBe(probe.status);
      expect(message, probe.what).toMatch(probe.field);
      expect(message, `${probe.what}: a printable message`).not.toMatch(/\p{Cc}/u);
    }
    expect(answers.length).toBeGreaterThan(100);
    expect(await internalOffsets()).toEqual(offsets);
    expect(await workflowCount()).toBe(workflows);
    expect(await latestSparkJobId()).toBe(sparkJob);
  });

  it('the same inputs as workflows (the Temporal CLI path): each run fails with the message REST gives, nothing written, no Spark job', async () => {
    const offsets = await internalOffsets();
    const sparkJob = await latestSparkJobId();
    const range = [{ partition: 0, from: 0, to: 10 }];
    const cases: [string, unknown, RegExp][] = [
      ...['../package.json', '/etc/passwd', 'a\u0000b'].map(
        (file) => ['pipelineWorkflow', { file, jobs: ['count_gender'] }, /invalid pipeline input: file: /] as [string, unknown, RegExp],
      ),
      ...[base.kafka.recordsTopic, base.kafka.executionsTopic, 'streamforge.stream.bob-s.results'].map(
        (name) =>
          [
            'pipelineWorkflow',
            { topic: { name, ranges: range }, jobs: ['count_gender'] },
            /invalid pipeline input: topic\.name: topic ".*" is one of streamforge's own topics/,
          ] as [string, unknown, RegExp],
      ),
      ...[base.kafka.recordsTopic, base.kafka.executionsTopic, 'streamforge.stream.bob-s.results', 'streamforge.stream.bob-s'].map(
        (topic, i) =>
          [
            'streamingWorkflow',
            { name: `cli-leak-${i}`, topic },
            /invalid stream input: topic: topic ".*" is one of streamforge's own topics/,
          ] as [string, unknown, RegExp],
      ),
    ];
    for (const [type, input, message] of cases) {
      const handle = await env.client.workflow.start(type, {
        taskQueue,
        workflowId: `cli-hostile-${Date.now()}-${Math.random()}`,
        args: [input],
      });
      const error = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(input)).toBeInstanceOf(WorkflowFailedError);
      // The workflow's own failure, or the failure of the activity that refused (an ActivityFailure wraps it).
      const cause = (error as WorkflowFailedError).cause;
      const root = cause instanceof ActivityFailure ? cause.cause : cause;
      expect(root?.message, JSON.stringify(input)).toMatch(message);
    }
    expect(await internalOffsets()).toEqual(offsets);
    expect(await latestSparkJobId()).toBe(sparkJob);
  });

  it('every log line of a request names its token (never the token itself)', () => {
    const lines = restLog.map((line) => JSON.parse(line) as { reqId?: string; client?: string });
    const ofRequests = lines.filter((l) => l.reqId !== undefined);
    expect(ofRequests.length).toBeGreaterThan(100);
    for (const line of ofRequests) expect(['alice', 'bob', 'root'], JSON.stringify(line)).toContain(line.client);
    for (const token of Object.values(TOKENS)) expect(restLog.join('\n')).not.toContain(token);
  });

  it('a retried submit works with foreign messages planted in the executions journal: skipped, counted, the answer right', async () => {
    const journal = config.kafka.executionsTopic;
    await deps.kafka.ensureTopic(journal, 1);
    const plantedAt = Date.now();
    await deps.kafka.produce(journal, [
      { key: 'x', partition: 0, value: JSON.stringify({ id: 1, gender: 'F', salary: 100 }) },
      { key: 'x', partition: 0, value: 'not json' },
      { key: 'x', partition: 0, value: JSON.stringify({ version: 7, members: [] }) },
    ]);
    // A run's records, keyed and numbered as ingest writes them; then its submit as a second attempt would make it.
    const runKey = `hostile-journal-${plantedAt}/run`;
    const records = [...generateEmployees(25, 11)];
    const partitions = await deps.kafka.ensureTopic(config.kafka.recordsTopic, config.kafka.recordsPartitions);
    const ranges = await deps.kafka.produce(config.kafka.recordsTopic, toMessages(runKey, recordValues(records), partitions));
    const params = { referenceDate: '2026-12-05' };
    const spec: SparkJobSpec = {
      runKey,
      job: 'count_gender',
      source: { kind: 'kafka', topic: config.kafka.recordsTopic, ranges, recordKey: recordKey(runKey), deduplicate: true },
      plan: employeePlan('count_gender', params),
    };
    const handle = await deps.spark.submit(spec, { retryOfAttemptAt: plantedAt - 1000 });
    expect(await deps.spark.settled(handle, 60_000)).toBe('finished');
    const result = await deps.spark.result(handle);
    await deps.spark.release(runKey, [handle]);
    expect(result).toMatchObject({ sections: referenceResult('count_gender', records, params) });
    const metrics = await deps.metrics.registry.metrics();
    const skipped = Number(new RegExp(`^${WORKER_METRIC_NAMES.journalMessagesSkipped} (\\d+)`, 'm').exec(metrics)?.[1]);
    expect(skipped).toBeGreaterThanOrEqual(3);
  });
});
