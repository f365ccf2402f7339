// A stream under faults on the real stack (the stack's Temporal, Kafka and Spark Connect, workers as OS processes):
// continue-as-new every few polls while records flow leaves the query running (same Spark run, no start in the
// new runs) and the totals exact; a worker SIGKILLed mid-stream costs nothing (Spark runs the query; the next worker
// supervises it, no restart), and a Kafka broker restart mid-stream leaves the totals exact. (A Spark Connect
// SIGKILL: test/integration/rest/streams.test.ts.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmployeeRecord } from '../../contracts/records';
import { type StreamAggregates, type StreamSpec, type StreamStatus } from '../../contracts/streams';
import { loadConfig } from '../../lib/config';
import { generateEmployees } from '../../lib/employee-generator';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { readStreamAggregates, streamRecordMessages } from '../../lib/streams';
import { stackKill, stackUp } from '../../scripts/stack/stack';
import { stopSignal, streamingWorkflow, streamStatusQuery } from '../../workflows/streaming';
import { streamSpec } from '../support/plans';
import { expectedStreamCounts, streamMismatches } from '../support/stream-oracle';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { until } from '../support/until';

const taskQueue = `stream-faults-${Date.now()}`;
const workerEnv = { TEMPORAL_TASK_QUEUE: taskQueue, WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0' };
const config = loadConfig({ ...process.env, ...workerEnv });
const kafka = new KafkaClient(config.kafka, createLogger('silent'));
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-stream-faults-'));
const input = { name: `faults-${Date.now()}`, windowSeconds: 5, watermarkSeconds: 60, triggerMs: 500, pollSeconds: 1 };
const spec = streamSpec(input);
const sent: EmployeeRecord[] = [];
// A second stream that continues as new every 3 polls (~4 s): records flow before, during and after its runs change.
const chainInput = { ...input, name: `chain-${Date.now()}`, pollsPerRun: 3 };
const chainSpec = streamSpec(chainInput);
const chainSent: EmployeeRecord[] = [];
const workers: WorkerProcess[] = [];
let client: Client;
let handle: WorkflowHandle<typeof streamingWorkflow>;
let chain: WorkflowHandle<typeof streamingWorkflow> | undefined;
let seed = 40;

const worker = async (n: number) => {
  const w = await startWorkerProcess(
    { ...workerEnv, TEMPORAL_WORKER_IDENTITY: `stream-faults-${n}` },
    path.join(logDir, `worker-${n}.log`),
  );
  workers.push(w);
  return w;
};

async function send(n: number, to = spec, into = sent): Promise<void> {
  const records = [...generateEmployees(n, seed++)];
  await kafka.produce(to.topic, streamRecordMessages(records, `batch-${seed}`, to.partitions));
  into.push(...records);
}

const status = () => handle.query(streamStatusQuery);
const aggregatesOf = (s: StreamSpec) => () => readStreamAggregates(kafka, s) as Promise<StreamAggregates>;

async function expectAllCounted(of = spec, records = sent): Promise<void> {
  const aggregates = aggregatesOf(of);
  await until(aggregates, (a) => a.total >= records.length, `${records.length} records counted`);
  await new Promise((r) => setTimeout(r, 3000)); // a replayed batch would show by now
  expect(streamMismatches(await aggregates(), expectedStreamCounts(records))).toEqual([]);
}

beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
  await worker(1);
  handle = await client.workflow.start(streamingWorkflow, { taskQueue, workflowId: `stream-${input.name}`, args: [input] });
  await until(status, (s: StreamStatus) => s.state === 'running', 'the stream running');
}, 300_000);

afterAll(async () => {
  for (const h of [chain, handle]) {
    await h?.signal(stopSignal).catch(() => undefined);
    await Promise.race([h?.result().catch(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
  }
  for (const w of workers) await w.kill('SIGTERM').catch(() => undefined);
  await kafka.close();
  await client?.connection.close();
  fs.rmSync(logDir, { recursive: true, force: true });
});

describe('a stream across continue-as-new', () => {
  it('continues as new while records flow: a new run of the same workflow, the same Spark query run, totals exact', async () => {
    const workflowId = `stream-${chainInput.name}`;
    chain = await client.workflow.start(streamingWorkflow, { taskQueue, workflowId, args: [chainInput] });
    const chainStatus = () => chain!.query(streamStatusQuery);
    const first = await until(chainStatus, (s) => s.state === 'running' && s.query !== null, 'the chained stream running');
    const firstRunId = (await chain.describe()).runId;
    expect(first.workflowRuns).toBe(1);

    await send(1000, chainSpec, chainSent); // before
    // During: small batches every 200 ms until the workflow has continued as new twice.
    let runs = first.workflowRuns;
    const deadline = Date.now() + 90_000;
    while (runs < 3 && Date.now() < deadline) {
      await send(50, chainSpec, chainSent);
      await new Promise((r) => setTimeout(r, 200));
      runs = (await chainStatus().catch(() => undefined))?.workflowRuns ?? runs;
    }
    await send(1000, chainSpec, chainSent); // after

    const now = await chainStatus();
    expect(now.workflowRuns).toBeGreaterThanOrEqual(3);
    const latest = await chain.describe();
    expect(latest.workflowId).toBe(workflowId);
    expect(latest.runId).not.toBe(firstRunId);
    expect(latest.status.name).toBe('RUNNING');
    const firstRun = await client.workflow.getHandle(workflowId, firstRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    // The query was taken over, not started again: Spark's run of it is the first one, and the latest workflow
    // run scheduled no startStream.
    expect(now.restarts).toBe(0);
    expect(now.query).toEqual(first.query);
    const events = (await client.workflow.getHandle(workflowId, latest.runId).fetchHistory()).events ?? [];
    const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled).not.toContain('startStream');

    await expectAllCounted(chainSpec, chainSent);
    // The status shows the progress last polled; Spark reports a batch's progress after its sink wrote it.
    const after = await until(chainStatus, (s) => s.progress?.lag === 0, 'the progress of the last batch');
    expect(after.query).toEqual(first.query);
    expect(after.progress?.lag).toBe(0);
  }, 300_000);
});

describe('a stream under faults', () => {
  it('a worker SIGKILLed mid-stream: the query runs on in Spark, the next worker supervises it, totals exact', async () => {
    await send(2000);
    const before = await status();
    await workers[0]!.kill('SIGKILL');
    await send(2000); // no worker at all meanwhile: Spark counts on
    await worker(2);
    const after = await until(status, (s) => s.polls > before.polls + 2, 'polls on the new worker');
    expect(after.restarts).toBe(before.restarts);
    expect(after.query?.id).toBe(before.query?.id);
    await expectAllCounted();
  }, 300_000);

  it('Kafka restarted mid-stream: the totals stay exact', async () => {
    await send(1000);
    await stackKill(config, 'kafka');
    await stackUp(config);
    await send(1000);
    await expectAllCounted();
    expect((await status()).state).toBe('running');
  }, 400_000);
});
