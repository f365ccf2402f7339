// Pipeline definitions through the REST trigger, on the real stack (an ephemeral Temporal dev server, Kafka, Spark
// Connect for the analysis): a definitions directory of its own (a copy of definitions/employees and
// definitions/orders, and broken ones beside them: a misspelt column, unparsable YAML, a schema error, SQL Spark can
// run alone but not per run in a shared execution). GET /definitions lists the valid ones and the broken ones with
// their errors; GET /definitions/:name shows one with its files; POST /definitions/:name/check has Spark analyse the
// SQL (nothing runs); POST /pipelines checks a run's input against its definition (400 naming the problem) and a
// broken definition never hides the others. No worker serves the task queue: the runs started are terminated.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../apps/rest/app';
import { loadConfig } from '../../../lib/config';
import { generateEmployees } from '../../../lib/employee-generator';
import { KafkaClient } from '../../../lib/kafka';
import { createLogger } from '../../../lib/logger';
import { SparkConnectClient } from '../../../lib/spark-connect/client';
import { sqlRelation } from '../../../lib/spark-connect/relations';
import { createTestEnv } from '../../support/temporal';

const SOURCE_DIR = path.resolve(__dirname, '../../../definitions');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-definitions-'));
const taskQueue = `definitions-${Date.now()}`;
const config = (() => {
  const c = loadConfig({ ...process.env, DEFINITIONS_DIR: dir });
  return { ...c, temporal: { ...c.temporal, taskQueue } };
})();
const logger = createLogger('silent');
const kafka = new KafkaClient(config.kafka, logger);
const spark = new SparkConnectClient({ url: config.spark.connectUrl, descriptorSetPath: config.spark.descriptorSetPath, keepAliveMs: 0 });
let env: TestWorkflowEnvironment;
let app: FastifyInstance;
/** Runs this file started (nothing serves their task queue): terminated at the end. */
const started: string[] = [];

/** Writes `files` (name → text) under `<dir>/<sub>/`. */
function writeDefinition(sub: string, files: Record<string, string>) {
  fs.mkdirSync(path.join(dir, sub));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, sub, name), text);
}

const TYPO_YML = `name: typo
description: one SQL file selects a column the records do not have
records:
  fields:
    country: { type: string }
    amount: { type: double }
jobs:
  counts:
    sections:
      total: { sql: 'SELECT count(*) AS n FROM records', order_by: n }
      by_country: { file: by_country.sql, order_by: n }
  sums:
    sections:
      total: { sql: 'SELECT sum(amount) AS amount FROM records', order_by: amount }
`;
const TYPO_SQL = 'SELECT contry, count(*) AS n FROM records GROUP BY contry\n';

const STREAM_TYPO_YML = `name: streamtypo
records:
  fields:
    country: { type: string }
    amount: { type: double }
jobs:
  all:
    sections:
      rows: { sql: 'SELECT * FROM records', order_by: country, sink: { kafka: streamforge.results } }
streams:
  live:
    sections:
      by_country: { group_by: [country], measures: { n: count(*), total: sum(amount) } }
      misspelt: { group_by: { country: contry }, measures: { n: count(*) } }
      summed_text: { group_by: [], measures: { total: sum(country) } }
`;

const ROLLUP_YML = `name: rollup
records:
  fields:
    country: { type: string }
    amount: { type: double }
jobs:
  plain:
    sections:
      by_country: { sql: 'SELECT country, sum(amount) AS total FROM records GROUP BY country', order_by: country }
  totals:
    sections:
      by_country: { file: totals.sql, order_by: country }
`;
const ROLLUP_SQL = 'SELECT country, sum(amount) AS total FROM records GROUP BY ROLLUP(country);\n';

beforeAll(async () => {
  for (const name of ['employees', 'orders']) fs.cpSync(path.join(SOURCE_DIR, name), path.join(dir, name), { recursive: true });
  writeDefinition('typo', { 'pipeline.yml': TYPO_YML, 'by_country.sql': TYPO_SQL });
  writeDefinition('badyaml', { 'pipeline.yml': 'name: badyaml\nrecords:\n  fields: [id: { type: long }\n' });
  writeDefinition('nofields', {
    'pipeline.yml': `name: nofields
records:
  fields:
    id: { type: long }
    price: { type: money }
jobs:
  all:
    sections:
      rows: { sql: 'SELECT * FROM records', order_by: id }
`,
  });
  writeDefinition('rollup', { 'pipeline.yml': ROLLUP_YML, 'totals.sql': ROLLUP_SQL });
  writeDefinition('streamtypo', { 'pipeline.yml': STREAM_TYPO_YML });
  env = await createTestEnv();
  app = await buildApp({
    config,
    logger,
    temporal: env.client,
    temporalConnection: env.connection,
    kafka,
    analyze: (sql, params) => spark.schema({ root: sqlRelation(sql, params) }),
  });
});
afterAll(async () => {
  await app?.close();
  for (const id of started)
    await env?.client.workflow
      .getHandle(id)
      .terminate('definitions.test.ts is done')
      .catch(() => undefined);
  await env?.teardown();
  spark.close();
  await kafka.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = (url: string) => app.inject({ method: 'GET', url });
const post = (url: string, body?: unknown) =>
  app.inject({
    method: 'POST',
    url,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }),
  });

/** A request with its target exactly as given (no dot segments resolved), as `curl --path-as-is` sends it. */
function rawRequest(base: string, method: string, target: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path: target }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A definition's files as they are on disk (name → text). */
const filesOf = (sub: string) =>
  Object.fromEntries(fs.readdirSync(path.join(dir, sub)).map((f) => [f, fs.readFileSync(path.join(dir, sub, f), 'utf8')]));

/** What the version is documented to be: sha256 of the files (names and texts, in name order), 12 hex digits. */
function expectedVersion(sub: string): string {
  const files = filesOf(sub);
  const hash = crypto.createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
  return hash.digest('hex').slice(0, 12);
}

const ORDERS = [
  { order_id: 1, country: 'US', channel: 'web', product: 'Mouse', quantity: 2, unit_price: 19.5, ts: '2025-03-01T09:15:00Z' },
  {
    order_id: 2,
    country: 'DE',
    channel: 'store',
    product: 'Monitor',
    quantity: 1,
    unit_price: 240,
    ts: '2025-03-01T10:40:00+01:00',
    coupon: 'VIP20',
  },
  {
    order_id: 3,
    country: 'GB',
    channel: 'phone',
    product: 'Notebook',
    quantity: 3,
    unit_price: 2.5,
    ts: '2025-03-02T23:59:59.5Z',
    coupon: null,
  },
];

describe('GET /definitions', () => {
  it('lists employees and orders as valid, with their schema, parameters and jobs in declared order, and the broken ones with their errors', async () => {
    const res = await get('/definitions');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const byName = Object.fromEntries(body.definitions.map((d: { name: string }) => [d.name, d]));
    // typo and rollup are valid files (only Spark's check finds their problems).
    expect(Object.keys(byName).sort()).toEqual(['employees', 'orders', 'rollup', 'streamtypo', 'typo']);

    const employees = byName.employees;
    expect(employees).toMatchObject({ name: 'employees', valid: true, records: { key: 'id' }, defaultJobs: ['final_analysis'] });
    expect(employees.version).toMatch(/^[0-9a-f]{12}$/);
    expect(employees.version).toBe(expectedVersion('employees'));
    expect(Object.keys(employees.records.fields)).toEqual(['id', 'name', 'gender', 'salary', 'birth_date', 'department']);
    expect(employees.records.fields.name).toEqual({ type: 'string', required: false, nullable: false });
    expect(employees.records.fields.salary).toEqual({ type: 'double', required: true, nullable: false, min: 0 });
    expect(employees.parameters).toEqual({ referenceDate: { type: 'date', default: 'today', description: expect.any(String) } });
    expect(Object.keys(employees.jobs)).toEqual(['count_gender', 'count_month', 'final_analysis', 'read_records']);
    expect(employees.jobs.count_gender.sections).toEqual(['by_gender']);
    expect(employees.jobs.count_month.sections).toEqual(['by_month']);
    expect(employees.jobs.final_analysis.sections).toEqual(['overview', 'by_gender', 'by_department', 'by_month', 'age_bands']);
    expect(employees.jobs.read_records.sections).toEqual(['records']);

    const orders = byName.orders;
    expect(orders).toMatchObject({ name: 'orders', valid: true, records: { key: 'order_id' }, defaultJobs: ['revenue', 'top_products'] });
    expect(orders.version).toMatch(/^[0-9a-f]{12}$/);
    expect(orders.version).toBe(expectedVersion('orders'));
    expect(orders.version).not.toBe(employees.version);
    expect(Object.keys(orders.records.fields)).toEqual([
      'order_id',
      'country',
      'channel',
      'product',
      'quantity',
      'unit_price',
      'ts',
      'coupon',
    ]);
    expect(orders.records.fields.channel).toEqual({ type: 'string', required: true, nullable: false, values: ['web', 'store', 'phone'] });
    expect(orders.records.fields.coupon).toEqual({ type: 'string', required: false, nullable: true });
    expect(orders.parameters).toEqual({
      min_total: { type: 'double', default: 0, description: expect.any(String) },
      top_n: { type: 'long', default: 3, description: expect.any(String) },
    });
    expect(Object.keys(orders.jobs)).toEqual(['revenue', 'top_products']);
    expect(orders.jobs.revenue.sections).toEqual(['by_country', 'by_hour', 'by_channel']);
    expect(orders.jobs.top_products.sections).toEqual(['top']);
    // The summary, not the files: those are GET /definitions/:name's.
    expect(orders).not.toHaveProperty('files');

    expect(body.broken.map((b: { directory: string }) => b.directory).sort()).toEqual(['badyaml', 'nofields']);
    const broken = Object.fromEntries(body.broken.map((b: { directory: string }) => [b.directory, b]));
    // Unparsable YAML: no name can be read from it.
    expect(broken.badyaml).toEqual({
      directory: 'badyaml',
      valid: false,
      error: expect.stringMatching(/^badyaml\/pipeline\.yml: not valid YAML: \S/),
    });
    expect(broken.nofields).toEqual({
      directory: 'nofields',
      name: 'nofields',
      valid: false,
      error: expect.stringMatching(/^nofields\/pipeline\.yml: records\.fields\.price\.type: expected one of string, long/),
    });
  });
});

describe('GET /definitions/:name', () => {
  it('shows a definition with its files', async () => {
    const res = await get('/definitions/orders');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      name: 'orders',
      valid: true,
      version: expectedVersion('orders'),
      defaultJobs: ['revenue', 'top_products'],
    });
    expect(Object.keys(body.files).sort()).toEqual(['pipeline.yml', 'revenue_by_country.sql', 'revenue_by_hour.sql', 'top_products.sql']);
    expect(body.files).toEqual(filesOf('orders'));
    expect(body.files['top_products.sql']).toContain('WHERE rank <= :top_n');
  });

  it('answers 404 for a definition that does not exist', async () => {
    const res = await get('/definitions/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not Found', message: 'name: no definition "nope"' });
  });

  it('shows a broken definition as not valid, with its error', async () => {
    const res = await get('/definitions/badyaml');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      name: 'badyaml',
      valid: false,
      directory: 'badyaml',
      error: expect.stringMatching(/^badyaml\/pipeline\.yml: not valid YAML: \S/),
    });
    const nofields = await get('/definitions/nofields');
    expect(nofields.statusCode).toBe(200);
    expect(nofields.json()).toMatchObject({ valid: false, error: expect.stringContaining('records.fields.price.type') });
  });

  const BAD_NAME = 'invalid request: name: expected a definition name (lowercase letters, digits, _ or -)';
  it.each([
    ['a name with a space and capitals', encodeURIComponent('Bad Name')],
    ['capitals', 'Orders'],
    ['an encoded ../orders', encodeURIComponent('../orders')],
    ['an encoded /', 'a%2Fb'],
    ['a name too long', `a${'b'.repeat(63)}`],
  ])('answers 400 for %s', async (_what, segment) => {
    const res = await get(`/definitions/${segment}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Bad Request', message: BAD_NAME });
  });

  it('answers 400 for .. as a client sends it (over HTTP: inject would normalise the URL before routing)', async () => {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const [method, target] of [
      ['GET', '/definitions/..'],
      ['GET', '/definitions/%2E%2E'],
      ['POST', '/definitions/../check'],
    ] as const) {
      const res = await rawRequest(url, method, target);
      expect(res.status, `${method} ${target}`).toBe(400);
      expect(JSON.parse(res.body), `${method} ${target}`).toEqual({ error: 'Bad Request', message: BAD_NAME });
    }
  });
});

describe('POST /definitions/:name/check', () => {
  it.each(['employees', 'orders'])('finds nothing wrong with %s (Spark analyses every section and every job)', async (name) => {
    const res = await post(`/definitions/${name}/check`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name, version: expectedVersion(name), valid: true, problems: [] });
  });

  it('names the file, the job and section, and the misspelt column', async () => {
    const res = await post('/definitions/typo/check');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ name: 'typo', version: expectedVersion('typo'), valid: false });
    // One problem: the other section and the other job are fine.
    expect(body.problems).toHaveLength(1);
    expect(body.problems[0]).toMatch(/^typo\/by_country\.sql: jobs\.counts\.sections\.by_country: .*UNRESOLVED_COLUMN/);
    expect(body.problems[0]).toMatch(/`contry`/);
    expect(body.problems[0]).toMatch(/`country`/); // Spark's suggestion
  });

  it('reports a job whose SQL Spark runs alone but not per run in a shared execution (ROLLUP in a LATERAL subquery)', async () => {
    const res = await post('/definitions/rollup/check');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ name: 'rollup', version: expectedVersion('rollup'), valid: false });
    // Alone, the section is analysed without complaint: the problem is the job's, as runs sharing an execution
    // compute it; the plain job beside it is fine.
    expect(body.problems).toHaveLength(1);
    expect(body.problems[0]).toMatch(
      /^rollup: jobs\.totals: Spark cannot run this job's SQL per run when runs share an execution \(a LATERAL subquery over each run's records\): \[UNSUPPORTED_SUBQUERY_EXPRESSION_CATEGORY/,
    );
    expect(body.problems[0]).not.toMatch(/sections\./);
  });

  it('names the stream job and section of a misspelt column and of a measure Spark cannot compute', async () => {
    const res = await post('/definitions/streamtypo/check');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ name: 'streamtypo', valid: false });
    // Two problems: the section beside them and the batch job are fine.
    expect(body.problems).toHaveLength(2);
    expect(body.problems[0]).toMatch(/^streamtypo\/pipeline\.yml: streams\.live\.sections\.misspelt: .*UNRESOLVED_COLUMN.*`contry`/);
    expect(body.problems[1]).toBe(
      'streamtypo/pipeline.yml: streams.live.sections.summed_text: measures.total: sum needs a number, and country is string',
    );
  });

  it('refuses a run whose sink writes to one of streamforge’s own topics, with a 400 naming the sink', async () => {
    const res = await post('/pipelines', { pipeline: 'streamtypo', records: [{ country: 'DE', amount: 1 }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(
      /^invalid pipeline input: pipeline streamtypo: jobs\.all\.sections\.rows\.sink\.kafka: topic "streamforge\.results" is one of streamforge's own topics/,
    );
  });

  it('reports a broken definition as not valid without asking Spark', async () => {
    const res = await post('/definitions/badyaml/check');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      name: 'badyaml',
      valid: false,
      problems: [expect.stringMatching(/^definition "badyaml" is broken: badyaml\/pipeline\.yml: not valid YAML: /)],
    });
  });

  it('answers 404 for a definition that does not exist, and 400 for a malformed name', async () => {
    const res = await post('/definitions/nope/check');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: 'Not Found',
      message: 'name: no definition "nope" (there are: employees, orders, rollup, streamtypo, typo)',
    });
    const bad = await post(`/definitions/${encodeURIComponent('Bad Name')}/check`);
    expect(bad.statusCode).toBe(400);
  });
});

describe('POST /definitions/:name/check without Spark', () => {
  /** An app whose analysis goes to `analyze` (none: Spark not configured). */
  async function appAnalysingWith(analyze?: Parameters<typeof buildApp>[0]['analyze']) {
    return buildApp({ config, logger, temporal: env.client, temporalConnection: env.connection, kafka, ...(analyze ? { analyze } : {}) });
  }

  it('answers 503 when the service has no Spark to ask', async () => {
    const noSpark = await appAnalysingWith();
    try {
      const res = await noSpark.inject({ method: 'POST', url: '/definitions/orders/check' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        error: 'Service Unavailable',
        message: 'Spark is not configured for this service: definitions cannot be checked here',
      });
    } finally {
      await noSpark.close();
    }
  });

  it('answers 503 when Spark cannot be reached, not that the SQL is wrong', async () => {
    const unreachable = new SparkConnectClient({
      url: 'sc://127.0.0.1:1',
      descriptorSetPath: config.spark.descriptorSetPath,
      keepAliveMs: 0,
      retry: { attempts: 1, initialBackoffMs: 10 },
    });
    const down = await appAnalysingWith((sql, params) => unreachable.schema({ root: sqlRelation(sql, params) }));
    try {
      const res = await down.inject({ method: 'POST', url: '/definitions/orders/check' });
      // Before: 200 { valid: false, problems: [one per section, each "Spark Connect unreachable..."] }.
      expect(res.json()).not.toHaveProperty('problems');
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toMatch(/Spark/);
    } finally {
      await down.close();
      unreachable.close();
    }
  });
});

/** The run `id` started, as Temporal holds it: its status and the input it was started with. */
async function startedRun(id: string): Promise<{ status: string; taskQueue: string; input: Record<string, unknown> }> {
  const handle = env.client.workflow.getHandle(id);
  const description = await handle.describe();
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  if (!payload) throw new Error(`run ${id} has no input in its history`);
  return { status: description.status.name, taskQueue: description.taskQueue, input: JSON.parse(Buffer.from(payload).toString('utf8')) };
}

describe('POST /pipelines with a definition', () => {
  it('starts a run of orders with its records, a job and a parameter', async () => {
    const body = { pipeline: 'orders', records: ORDERS, jobs: ['revenue'], params: { min_total: 5 } };
    const res = await post('/pipelines', body);
    expect(res.statusCode).toBe(202);
    const { id, statusUrl } = res.json();
    started.push(id);
    expect(id).toMatch(/^pipeline-/);
    expect(statusUrl).toBe(`/pipelines/${id}`);
    const run = await startedRun(id);
    expect(run).toMatchObject({ status: 'RUNNING', taskQueue });
    expect(run.input).toEqual(body);
  });

  const order = ORDERS[0]!;
  it.each<[string, Record<string, unknown>, string | RegExp]>([
    [
      'an unknown pipeline (naming the ones there are)',
      { pipeline: 'nope', records: ORDERS },
      'invalid pipeline input: pipeline: no definition "nope" (there are: employees, orders, rollup, streamtypo, typo)',
    ],
    [
      'a broken pipeline (naming its error)',
      { pipeline: 'nofields', records: [{ id: 1, price: 2 }] },
      /^invalid pipeline input: pipeline: definition "nofields" is broken: nofields\/pipeline\.yml: records\.fields\.price\.type: /,
    ],
    [
      'a pipeline whose YAML cannot be parsed',
      { pipeline: 'badyaml', records: ORDERS },
      /^invalid pipeline input: pipeline: definition "badyaml" is broken: badyaml\/pipeline\.yml: not valid YAML: /,
    ],
    [
      'a job orders does not have',
      { pipeline: 'orders', records: ORDERS, jobs: ['revenue', 'final_analysis'] },
      `invalid pipeline input: jobs: "final_analysis" not among orders's jobs (revenue, top_products)`,
    ],
    [
      // Names every object has (Object.prototype's) are not jobs of a definition either.
      'a job named like a property of every object',
      { pipeline: 'orders', records: ORDERS, jobs: ['toString'] },
      `invalid pipeline input: jobs: "toString" not among orders's jobs (revenue, top_products)`,
    ],
    [
      'an unknown parameter',
      { pipeline: 'orders', records: ORDERS, params: { min_totl: 5 } },
      'invalid pipeline input: params.min_totl: unknown parameter (orders declares min_total, top_n)',
    ],
    [
      'an unknown parameter named like a property of every object',
      { pipeline: 'orders', records: ORDERS, params: { constructor: 5 } },
      'invalid pipeline input: params.constructor: unknown parameter (orders declares min_total, top_n)',
    ],
    [
      'a mistyped parameter',
      { pipeline: 'orders', records: ORDERS, params: { min_total: 'five' } },
      'invalid pipeline input: params.min_total: expected a number, got "five"',
    ],
    [
      'a channel not among the declared values',
      { pipeline: 'orders', records: [{ ...order, channel: 'fax' }] },
      'invalid records: records[0].channel: must be one of "web", "store", "phone", got "fax"',
    ],
    [
      'a record without its ts',
      { pipeline: 'orders', records: [ORDERS[1], Object.fromEntries(Object.entries(order).filter(([k]) => k !== 'ts'))] },
      'invalid records: records[1].ts: is required',
    ],
    [
      'a duplicate order_id',
      { pipeline: 'orders', records: [...ORDERS, { ...ORDERS[2], order_id: 2 }] },
      'invalid records: records[3].order_id: duplicate order_id 2 (first at records[1])',
    ],
    [
      'a ts without a zone',
      { pipeline: 'orders', records: [{ ...order, ts: '2025-03-01T09:15:00' }] },
      'invalid records: records[0].ts: must be a date-time as ISO 8601 with a zone (e.g. 2026-01-31T09:30:00Z), got "2025-03-01T09:15:00"',
    ],
    [
      'employee records for orders',
      { pipeline: 'orders', records: [...generateEmployees(1, 3)] },
      /^invalid records: records\[0\]\.order_id: is required; /,
    ],
  ])('rejects %s with a 400 that names it, and starts nothing', async (_what, body, message) => {
    const before = (await env.client.workflow.count(`TaskQueue = '${taskQueue}'`)).count;
    const res = await post('/pipelines', body);
    if (res.statusCode === 202) started.push(res.json().id);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'Bad Request',
      message: typeof message === 'string' ? message : expect.stringMatching(message),
    });
    expect((await env.client.workflow.count(`TaskQueue = '${taskQueue}'`)).count).toBe(before);
  });
});

describe('a broken definition never hides the others', () => {
  it('starts runs of employees (named, and by default) while typo, badyaml, nofields and rollup sit beside it', async () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['badyaml', 'employees', 'nofields', 'orders', 'rollup', 'streamtypo', 'typo']);
    const records = [...generateEmployees(5, 11)];
    for (const body of [{ pipeline: 'employees', records, jobs: ['count_gender'] }, { records }]) {
      const res = await post('/pipelines', body);
      expect(res.statusCode).toBe(202);
      const { id } = res.json();
      started.push(id);
      const run = await startedRun(id);
      expect(run).toMatchObject({ status: 'RUNNING', taskQueue });
      expect(run.input).toEqual(JSON.parse(JSON.stringify(body)));
    }
  });

  it('starts runs of employees beside an entry that cannot even be looked at (a dangling symlink)', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-definitions-'));
    fs.cpSync(path.join(SOURCE_DIR, 'employees'), path.join(other, 'employees'), { recursive: true });
    fs.symlinkSync(path.join(other, 'gone'), path.join(other, 'linked'));
    const otherApp = await buildApp({
      config: { ...config, definitionsDir: other },
      logger,
      temporal: env.client,
      temporalConnection: env.connection,
      kafka,
    });
    try {
      const list = await otherApp.inject({ method: 'GET', url: '/definitions' });
      expect(list.statusCode).toBe(200);
      expect(list.json().definitions.map((d: { name: string }) => d.name)).toEqual(['employees']);
      const res = await otherApp.inject({
        method: 'POST',
        url: '/pipelines',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ pipeline: 'employees', records: [...generateEmployees(3, 5)] }),
      });
      if (res.statusCode === 202) started.push(res.json().id);
      expect(res.statusCode).toBe(202);
    } finally {
      await otherApp.close();
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
