// A stream under faults on the real stack (the stack's Temporal, Kafka and Spark Connect, workers as OS processes):
// a worker SIGKILLed mid-stream costs nothing (Spark runs the query; the next worker supervises it, no restart), and
// a Kafka broker restart mid-stream leaves the totals exact. (A Spark Connect SIGKILL: test/integration/rest/streams.test.ts.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmployeeRecord } from '../../contracts/records';
import { parseStreamInput, type StreamAggregates, type StreamStatus } from '../../contracts/streams';
import { loadConfig } from '../../lib/config';
import { generateEmployees } from '../../lib/employee-generator';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { readStreamAggregates, streamRecordMessages } from '../../lib/streams';
import { stackKill, stackUp } from '../../scripts/stack/stack';
import { stopSignal, streamingWorkflow, streamStatusQuery } from '../../workflows/streaming';
import { expectedStreamCounts, streamMismatches } from '../support/stream-oracle';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { until } from '../support/until';

const taskQueue = `stream-faults-${Date.now()}`;
const workerEnv = { TEMPORAL_TASK_QUEUE: taskQueue, WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0' };
const config = loadConfig({ ...process.env, ...workerEnv });
const kafka = new KafkaClient(config.kafka, createLogger('silent'));
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-stream-faults-'));
const input = { name: `faults-${Date.now()}`, windowSeconds: 5, watermarkSeconds: 60, triggerMs: 500, pollSeconds: 1 };
const spec = parseStreamInput(input);
const sent: EmployeeRecord[] = [];
const workers: WorkerProcess[] = [];
let client: Client;
let handle: WorkflowHandle<typeof streamingWorkflow>;
let seed = 40;

const worker = async (n: number) => {
  const w = await startWorkerProcess(
    { ...workerEnv, TEMPORAL_WORKER_IDENTITY: `stream-faults-${n}` },
    path.join(logDir, `worker-${n}.log`),
  );
  workers.push(w);
  return w;
};

async function send(n: number): Promise<void> {
  const records = [...generateEmployees(n, seed++)];
  await kafka.produce(spec.topic, streamRecordMessages(records, `batch-${seed}`, spec.partitions));
  sent.push(...records);
}

const status = () => handle.query(streamStatusQuery);
const aggregates = () => readStreamAggregates(kafka, spec.resultsTopic) as Promise<StreamAggregates>;

async function expectAllCounted(): Promise<void> {
  await until(aggregates, (a) => a.total >= sent.length, `${sent.length} records counted`);
  await new Promise((r) => setTimeout(r, 3000)); // a replayed batch would show by now
  expect(streamMismatches(await aggregates(), expectedStreamCounts(sent))).toEqual([]);
}

beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
  await worker(1);
  handle = await client.workflow.start(streamingWorkflow, { taskQueue, workflowId: `stream-${input.name}`, args: [input] });
  await until(status, (s: StreamStatus) => s.state === 'running', 'the stream running');
}, 300_000);

afterAll(async () => {
  await handle?.signal(stopSignal).catch(() => undefined);
  await Promise.race([handle?.result().catch(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
  for (const w of workers) await w.kill('SIGTERM').catch(() => undefined);
  await kafka.close();
  await client?.connection.close();
  fs.rmSync(logDir, { recursive: true, force: true });
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
