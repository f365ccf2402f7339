// Faults on the real stack: a worker process SIGKILLed while its Spark job runs (another worker finishes the run,
// Spark ran the job once, the topic holds the batch once), and a cancelled workflow interrupting its Spark job.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId as WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivityDeps } from '../../activities/deps';
import { generateEmployees } from '../../data/generate';
import { recordKey } from '../../lib/idempotency';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { referenceResult } from '../support/oracle';
import { pipelineWorkflow, progressQuery } from '../../workflows/pipeline';
import { sparkExecutionsOf, sparkJobsOf } from '../support/spark-ui';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// Enough records that the Spark job runs for a few seconds on this machine: a window to strike in.
const RECORDS = [...generateEmployees(100_000, 7)];
const params = { referenceDate: '2026-01-15' };
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-faults-'));
const taskQueue = `faults-${Date.now()}`;
const workerEnv = { TEMPORAL_TASK_QUEUE: taskQueue, DATA_DIR: dataDir };
// The same configuration as the workers': same task queue, hence the same shared Spark session.
const config = loadConfig({ ...process.env, ...workerEnv });
const deps = createActivityDeps(config, createLogger('warn'));
const workers: WorkerProcess[] = [];
let client: Client;

beforeAll(async () => {
  fs.writeFileSync(path.join(dataDir, 'employees.jsonl'), RECORDS.map((r) => JSON.stringify(r)).join('\n'));
  client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
});
afterAll(async () => {
  for (const w of workers) await w.kill('SIGTERM');
  await deps.close();
  await client?.connection.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function worker(name: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({ ...workerEnv, TEMPORAL_WORKER_IDENTITY: name }, path.join(dataDir, `${name}.log`));
  workers.push(w);
  return w;
}

const runKeyOf = (handle: WorkflowHandle) => `${handle.workflowId}/${handle.firstExecutionRunId}`;

/**
 * Waits until Spark reports a running job for the run's execution. Spark is asked alone: waiting for the workflow
 * to also show the job as submitted could miss a job that ends before the workflow task recording its submit
 * (seen on a busy machine). Killed at that point, the worker may or may not have reported the submit; either way
 * the next worker must not start a second execution.
 */
async function waitForSparkJobRunning(handle: WorkflowHandle<typeof pipelineWorkflow>, job: 'final_analysis'): Promise<string> {
  const { operationId } = deps.sparkBackend.handle(runKeyOf(handle), job);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if ((await sparkJobsOf(operationId)).some((j) => j.status === 'RUNNING')) return operationId;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the Spark job of ${handle.workflowId} never ran (last progress: ${JSON.stringify(await handle.query(progressQuery).catch(() => null))})`);
}

describe('faults', () => {
  it('a worker SIGKILLed while the Spark job runs: another worker finishes, Spark ran it once, the topic holds the batch once', async () => {
    const first = await worker('worker-1');
    const handle = await client.workflow.start(pipelineWorkflow, {
      taskQueue,
      workflowId: `crash-test-${Date.now()}`,
      args: [{ file: 'employees.jsonl', jobs: ['final_analysis'], referenceDate: params.referenceDate }],
    });
    const operationId = await waitForSparkJobRunning(handle, 'final_analysis');
    await first.kill('SIGKILL');
    expect(await deps.sparkBackend.status(deps.sparkBackend.handle(runKeyOf(handle), 'final_analysis'))).not.toBe('unknown');

    await worker('worker-2');
    const result = await handle.result();

    expect(result.results.final_analysis).toEqual(expect.objectContaining({ inline: referenceResult('final_analysis', RECORDS, params) }));
    expect(await sparkExecutionsOf(operationId)).toBe(1);
    if (result.source.kind !== 'kafka') throw new Error('expected a Kafka source');
    const messages = await deps.kafka.readRanges(result.source.topic, result.source.ranges, { key: recordKey(result.runKey), timeoutMs: 60_000 });
    expect(messages).toHaveLength(RECORDS.length);
    expect(new Set(messages.map((m) => m.headers.seq)).size).toBe(RECORDS.length);

    // The poll that the killed worker had started was retried, and finished, by the second worker.
    const events = (await handle.fetchHistory()).events!;
    const pollScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'pollSparkJob')!;
    const pollStarted = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(pollScheduled.eventId))!;
    expect(pollStarted.activityTaskStartedEventAttributes).toMatchObject({ identity: 'worker-2', attempt: 2 });
  });

  it('cancelling the workflow interrupts its Spark execution', async () => {
    await worker('worker-3');
    const handle = await client.workflow.start(pipelineWorkflow, {
      taskQueue,
      workflowId: `cancel-test-${Date.now()}`,
      args: [{ file: 'employees.jsonl', jobs: ['final_analysis'], referenceDate: params.referenceDate }],
    });
    const operationId = await waitForSparkJobRunning(handle, 'final_analysis');
    await handle.cancel();
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

    expect(await deps.sparkBackend.status(deps.sparkBackend.handle(runKeyOf(handle), 'final_analysis'))).toBe('canceled');
    // Spark itself stopped the job: none of the operation's Spark jobs succeeded or is still running.
    let jobs = await sparkJobsOf(operationId);
    for (let i = 0; i < 50 && jobs.some((j) => j.status === 'RUNNING'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      jobs = await sparkJobsOf(operationId);
    }
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.map((j) => j.status)).not.toContain('SUCCEEDED');
    expect(jobs.map((j) => j.status)).not.toContain('RUNNING');
    expect((await handle.describe()).typedSearchAttributes.get({ name: 'PipelineStatus', type: 'KEYWORD' })).toBe('cancelled');
  });
});
