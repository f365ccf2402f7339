// Pipelines from definitions, end to end on the real stack (Kafka, Spark Connect) with an ephemeral Temporal server:
// the orders example answers exactly as an independent TypeScript computation does (several parameters, concurrent
// runs sharing executions only when their parameters agree), a broken definition fails its own runs with its error
// and nothing else, and a definition edited while a run is in flight changes nothing for that run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../activities';
import type { IngestInput } from '../../../activities/ingest';
import { createWorkerDeps } from '../../../apps/worker/deps';
import { bindParameters, jobPlan } from '../../../contracts/definitions';
import type { CollectedResult, PipelineResult, SparkJobSpec } from '../../../contracts/pipeline';
import type { PipelineInput } from '../../../contracts/pipeline-input';
import { PIPELINE_DEFINITION } from '../../../contracts/search-attributes';
import { loadConfig } from '../../../lib/config';
import { loadDefinitions } from '../../../lib/definitions';
import { createLogger } from '../../../lib/logger';
import { generateOrders } from '../../../lib/order-generator';
import { SparkConnectClient } from '../../../lib/spark-connect/client';
import { pipelineWorkflow } from '../../../workflows/pipeline';
import { expectedOrders, type OracleOrder } from '../../support/orders-oracle';
import { DEFINITIONS_DIR } from '../../support/plans';
import { createTestEnv, startTestWorker, type TestWorker } from '../../support/temporal';

const TASK_QUEUE = 'definitions-test';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-definitions-'));
for (const name of ['employees', 'orders']) fs.cpSync(path.join(DEFINITIONS_DIR, name), path.join(dir, name), { recursive: true });
// The orders copy writes revenue.by_channel to a topic as well (a Kafka sink).
const SINK_TOPIC = `it.orders.by-channel.${Date.now()}`;
{
  const file = path.join(dir, 'orders', 'pipeline.yml');
  const text = fs.readFileSync(file, 'utf8');
  const withSink = text.replace(/(\n {8}order_by: channel\n)/, `$1        sink: { kafka: ${SINK_TOPIC} }\n`);
  if (withSink === text) throw new Error('the orders definition changed: by_channel not found where this test adds its sink');
  fs.writeFileSync(file, withSink);
}
// Broken in two ways: not YAML at all, and a definition whose SQL file is missing.
fs.mkdirSync(path.join(dir, 'badyaml'));
fs.writeFileSync(path.join(dir, 'badyaml', 'pipeline.yml'), 'name: badyaml\njobs: [unclosed\n');
fs.mkdirSync(path.join(dir, 'nosql'));
fs.writeFileSync(
  path.join(dir, 'nosql', 'pipeline.yml'),
  'name: nosql\nrecords:\n  fields:\n    id: { type: long }\njobs:\n  j:\n    sections:\n      s: { file: missing.sql, order_by: id }\n',
);

const warehouse = path.join(dir, 'warehouse');
const config = loadConfig({ ...process.env, DEFINITIONS_DIR: dir, WAREHOUSE_DIR: warehouse });
const spark = new SparkConnectClient({ url: config.spark.connectUrl, descriptorSetPath: config.spark.descriptorSetPath, keepAliveMs: 0 });
const deps = createWorkerDeps(config, createLogger('warn'));
const orders: OracleOrder[] = [...generateOrders(400, 11)];

/** Called by the ingest step before it writes (after the run loaded its definition, before any Spark step). */
let beforeIngest: (input: IngestInput) => void = () => undefined;

let env: TestWorkflowEnvironment;
let worker: TestWorker;

beforeAll(async () => {
  env = await createTestEnv();
  const activities = createActivities(deps);
  worker = await startTestWorker(env, TASK_QUEUE, {
    ...activities,
    async ingestRecords(input: IngestInput) {
      beforeIngest(input);
      return activities.ingestRecords(input);
    },
  });
});
afterAll(async () => {
  await worker?.stop();
  await deps.close();
  spark.close();
  await env?.teardown();
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(input: PipelineInput) {
  return env.client.workflow.start(pipelineWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: `definitions-test-${crypto.randomUUID()}`,
    args: [input],
  });
}

const inline = (r: CollectedResult | undefined) => {
  if (!r || !('inline' in r)) throw new Error('expected an inline result');
  return r.inline;
};

describe('the orders definition', () => {
  it('answers every job exactly as the oracle does, for default and given parameters, four runs at once (two alike)', async () => {
    const inputs = [
      { params: {} },
      { params: { min_total: 100 } },
      { params: { min_total: 100 } },
      { params: { min_total: 250.5, top_n: 5 } },
    ].map((p, i) => ({ pipeline: 'orders', records: orders.slice(i * 50, i * 50 + 200), jobs: ['revenue', 'top_products'], ...p }));
    const results = await Promise.all(inputs.map(async (input) => (await run(input)).result()));
    results.forEach((result, i) => {
      const { records, params } = inputs[i]!;
      expect(inline(result.results.revenue)).toEqual(expectedOrders('revenue', records, params));
      expect(inline(result.results.top_products)).toEqual(expectedOrders('top_products', records, params));
      expect(result.recordCount).toBe(200);
    });
  });

  it('records the definition it ran (name and version) in a search attribute', async () => {
    const handle = await run({ pipeline: 'orders', records: orders.slice(0, 20), jobs: ['revenue'] });
    await handle.result();
    const version = (await handle.describe()).typedSearchAttributes.get(PIPELINE_DEFINITION);
    expect(version).toEqual(['orders', expect.stringMatching(/^orders@[0-9a-f]{12}$/)]);
  });
});

describe("the orders definition's sink", () => {
  /** The rows of the Parquet files at `path`, as Spark reads them, sorted by country. */
  const parquetRows = async (at: string) =>
    (await spark.sql(`SELECT * FROM parquet.\`${at}\` ORDER BY country`)).map((row) => ({ ...row }));

  /** The sink topic's rows of one run: the latest message of each of its keys, in row-number order. */
  const topicRows = async (runId: string) => {
    const latest = new Map<number, unknown>();
    for (const m of await deps.kafka.readAll(SINK_TOPIC)) {
      const prefix = `${runId}|by_channel|`;
      if (m.key?.startsWith(prefix)) latest.set(Number(m.key.slice(prefix.length)), JSON.parse(m.value));
    }
    return [...latest].sort(([a], [b]) => a - b).map(([, row]) => row);
  };

  it('writes revenue.by_country as Parquet and revenue.by_channel to a topic, the same rows as the result; a retried write replaces them', async () => {
    const records = orders.slice(200, 330);
    const result = await (await run({ pipeline: 'orders', records, jobs: ['revenue'], params: { min_total: 10 } })).result();
    const runId = result.runKey.slice(result.runKey.lastIndexOf('/') + 1);
    const at = path.join(warehouse, 'orders', 'revenue_by_country', `run_id=${runId}`);
    expect(result.sinks).toEqual({
      revenue: [
        { section: 'by_country', format: 'parquet', path: at },
        { section: 'by_channel', format: 'kafka', topic: SINK_TOPIC, keyPrefix: `${runId}|by_channel|` },
      ],
    });
    const expected = expectedOrders('revenue', records, { min_total: 10 }).by_country!;
    expect(await parquetRows(at)).toEqual(expected);
    const expectedByChannel = expectedOrders('revenue', records, { min_total: 10 }).by_channel!;
    // The other runs of this file write their by_channel rows to the topic too, under their own run's keys.
    const ofThisRun = async () => (await deps.kafka.readAll(SINK_TOPIC)).filter((m) => m.key?.startsWith(`${runId}|by_channel|`));
    expect(await ofThisRun()).toHaveLength(expectedByChannel.length);
    expect(await topicRows(runId)).toEqual(expectedByChannel);

    // The step again, as a retry or a replayed run would run it: the files hold the same rows, not twice as many.
    const definition = loadDefinitions(dir).definitions.get('orders')!;
    const spec: SparkJobSpec = {
      runKey: result.runKey,
      job: 'revenue',
      source: result.source,
      plan: jobPlan(definition, 'revenue', bindParameters(definition, { min_total: 10 }, '2026-01-01')),
    };
    await new MockActivityEnvironment().run(createActivities(deps).writeSinks, spec);
    expect(await parquetRows(at)).toEqual(expected);
    // The topic got the rows again under the same keys: the latest of each key is each row once.
    expect(await ofThisRun()).toHaveLength(2 * expectedByChannel.length);
    expect(await topicRows(runId)).toEqual(expectedByChannel);
  });
});

describe('a broken definition', () => {
  it.each([
    ['badyaml', /definition "badyaml" is broken: badyaml\/pipeline\.yml: not valid YAML/],
    ['nosql', /definition "nosql" is broken: nosql\/pipeline\.yml: file "missing\.sql" cannot be read \(ENOENT\)/],
  ])('fails its own runs with its error (%s), while the others run', async (pipeline, message) => {
    const broken = await run({ pipeline, records: [{ id: 1 }] });
    const failure = await broken.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(message);
    const fine = await (await run({ pipeline: 'orders', records: orders.slice(0, 30), jobs: ['revenue'] })).result();
    expect(inline(fine.results.revenue)).toEqual(expectedOrders('revenue', orders.slice(0, 30)));
  });
});

describe('a definition edited while a run is in flight', () => {
  it('changes nothing for that run; the next run reads the edited files', async () => {
    const sqlFile = path.join(dir, 'orders', 'revenue_by_country.sql');
    const original = fs.readFileSync(sqlFile, 'utf8');
    const records = orders.slice(100, 160);
    // The edit lands after the run loaded its definition and before any of its Spark steps: revenue doubled.
    let edited = false;
    beforeIngest = () => {
      if (edited) return;
      fs.writeFileSync(
        sqlFile,
        original.replace('round(sum(quantity * unit_price), 2) AS revenue', 'round(2 * sum(quantity * unit_price), 2) AS revenue'),
      );
      edited = true;
    };
    try {
      const inFlight: PipelineResult = await (await run({ pipeline: 'orders', records, jobs: ['revenue'] })).result();
      expect(edited).toBe(true);
      expect(inline(inFlight.results.revenue)).toEqual(expectedOrders('revenue', records));

      const next = await (await run({ pipeline: 'orders', records, jobs: ['revenue'] })).result();
      const expected = expectedOrders('revenue', records).by_country!;
      const byCountry = inline(next.results.revenue).by_country!;
      expect(byCountry).toEqual(expected.map((row) => ({ ...row, revenue: expect.any(Number) })));
      // Twice the sum, rounded once: within a cent of twice the rounded sum.
      byCountry.forEach((row, i) =>
        expect(Math.abs((row.revenue as number) - 2 * (expected[i]!.revenue as number))).toBeLessThanOrEqual(0.011),
      );
    } finally {
      beforeIngest = () => undefined;
      fs.writeFileSync(sqlFile, original);
    }
  });
});
