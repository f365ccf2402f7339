// Faults on the real stack, struck at the moment that matters, each answer held against the oracle: a worker
// process SIGKILLed during ingest, while submits wait for Spark, right after a shared execution started, and while
// its Spark job runs; a worker SIGTERMed (drained) mid-poll; a cancelled workflow; Spark's session closed; and the
// Spark Connect server SIGKILLed and restarted mid-run. Spark's own UI counts the executions; Kafka is read back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId as WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerDeps } from '../../apps/worker/deps';
import type { JobName } from '../../contracts/jobs';
import type { PipelineResult } from '../../contracts/pipeline';
import type { EmployeeRecord } from '../../contracts/records';
import { loadConfig } from '../../lib/config';
import { generateEmployees } from '../../lib/employee-generator';
import { recordKey, sparkOperationId } from '../../lib/idempotency';
import { createLogger } from '../../lib/logger';
import { SparkConnectClient } from '../../lib/spark-connect';
import { stackKill, stackUp } from '../../scripts/stack/stack';
import { JOB_GENERATIONS } from '../../spark/runtime/coalescing-scheduler';
import { pipelineWorkflow } from '../../workflows/pipeline';
import { referenceResult } from '../support/oracle';
import { recordsInMessages } from '../support/record-messages';
import { sparkExecutionsOf, sparkJobsOf } from '../support/spark-ui';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// Enough records that ingest takes a second and the Spark job a few: windows to strike in.
const RECORDS = [...generateEmployees(100_000, 7)];
const params = { referenceDate: '2026-01-15' };
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-faults-'));
const taskQueue = `faults-${Date.now()}`;
// Its own records topic, so that what the topic holds is this file's doing.
const workerEnv = { TEMPORAL_TASK_QUEUE: taskQueue, DATA_DIR: dataDir, KAFKA_RECORDS_TOPIC: `test.faults.${Date.now()}` };
// The same configuration as the workers': same task queue, hence the same shared Spark session.
const config = loadConfig({ ...process.env, ...workerEnv });
const deps = createWorkerDeps(config, createLogger('warn'));
const workers: WorkerProcess[] = [];
let client: Client;
let workerSeq = 0;

beforeAll(async () => {
  fs.writeFileSync(path.join(dataDir, 'employees.jsonl'), RECORDS.map((r) => JSON.stringify(r)).join('\n'));
  client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
  await deps.kafka.ensureTopic(config.kafka.recordsTopic, config.kafka.recordsPartitions);
});
// Each test's workers go with it: a worker left running would take the next test's tasks.
afterEach(async () => {
  for (const w of workers.splice(0)) await w.kill('SIGTERM');
});
afterAll(async () => {
  await deps.close();
  await client?.connection.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function worker(): Promise<WorkerProcess & { identity: string }> {
  const identity = `faults-worker-${++workerSeq}`;
  const w = await startWorkerProcess({ ...workerEnv, TEMPORAL_WORKER_IDENTITY: identity }, path.join(dataDir, `${identity}.log`));
  workers.push(w);
  return Object.assign(w, { identity });
}

async function kill(w: WorkerProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  workers.splice(workers.indexOf(w), 1);
  await w.kill(signal);
}

let runSeq = 0;
const start = (args: Parameters<typeof pipelineWorkflow>[0]) =>
  client.workflow.start(pipelineWorkflow, {
    taskQueue,
    workflowId: `faults-${Date.now()}-${runSeq++}`,
    args: [{ referenceDate: params.referenceDate, ...args }],
  });
const bigRun = (job: JobName) => start({ file: 'employees.jsonl', jobs: [job] });

const runKeyOf = (handle: WorkflowHandle) => `${handle.workflowId}/${handle.firstExecutionRunId}`;
const until = async (what: string, condition: () => Promise<boolean>, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const totalEnd = async (topic: string) => [...(await deps.kafka.endOffsets(topic)).values()].reduce((a, b) => a + b, 0);

/**
 * Waits until Spark reports a running job for the run's execution. Spark is asked alone: waiting for the workflow
 * to also show the job as submitted could miss a job that ends before the workflow task recording its submit.
 */
async function waitForSparkJobRunning(handle: WorkflowHandle<typeof pipelineWorkflow>, job: JobName): Promise<string> {
  const { operationId } = deps.spark.handle(runKeyOf(handle), job);
  await until(`the Spark job of ${handle.workflowId} runs`, async () =>
    (await sparkJobsOf(operationId)).some((j) => j.status === 'RUNNING'),
  );
  return operationId;
}

/** Every root Spark execution that computed this run's job: under its own ids (all generations) and the one it answered from. */
async function executionsOfRun(result: PipelineResult, job: JobName): Promise<number> {
  const ids = new Set([
    result.spark[job]!.operationId,
    ...Array.from({ length: JOB_GENERATIONS }, (_, g) => sparkOperationId(result.runKey, job, g)),
  ]);
  let n = 0;
  for (const id of ids) n += await sparkExecutionsOf(id);
  return n;
}

/** The run's records in its ranges, by its key: each record exactly once. */
async function expectRecordsOnce(result: PipelineResult, n: number): Promise<void> {
  if (result.source.kind !== 'kafka') throw new Error('expected a Kafka source');
  const messages = await deps.kafka.readRanges(result.source.topic, result.source.ranges, {
    key: recordKey(result.runKey),
    timeoutMs: 60_000,
  });
  expect(new Set(messages.map((m) => m.headers.seq)).size).toBe(messages.length);
  expect(recordsInMessages(messages)).toHaveLength(n);
}

/** The attempt and worker of the last start of each activity, from the run's history. */
async function activityStarts(
  handle: WorkflowHandle,
  type: string,
): Promise<
  { identity?: string | null; attempt?: number | null; lastFailure?: { applicationFailureInfo?: { type?: string | null } | null } | null }[]
> {
  const events = (await handle.fetchHistory()).events!;
  const scheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type).map((e) => String(e.eventId)),
  );
  return events
    .filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
    .map((e) => e.activityTaskStartedEventAttributes!);
}

describe('faults', () => {
  it('a worker SIGKILLed during ingest: the next worker writes only what is missing, the topic holds every record once', async () => {
    const first = await worker();
    const before = await totalEnd(config.kafka.recordsTopic);
    const handle = await bigRun('count_gender');
    await until('ingest has written part of the batch', async () => (await totalEnd(config.kafka.recordsTopic)) > before);
    await kill(first, 'SIGKILL');
    const written = (await totalEnd(config.kafka.recordsTopic)) - before;
    expect(written).toBeLessThan(RECORDS.length); // struck mid-ingest

    const second = await worker();
    const result = await handle.result();
    expect(result.results.count_gender).toMatchObject({ inline: referenceResult('count_gender', RECORDS, params) });
    await expectRecordsOnce(result, RECORDS.length);
    expect(await activityStarts(handle, 'ingestRecords')).toEqual([expect.objectContaining({ identity: second.identity, attempt: 2 })]);
  });

  it('a worker SIGKILLed while its Spark job runs: another worker finishes, Spark ran it once, the topic holds the batch once', async () => {
    const first = await worker();
    const handle = await bigRun('final_analysis');
    const operationId = await waitForSparkJobRunning(handle, 'final_analysis');
    await kill(first, 'SIGKILL');
    expect(await deps.spark.status(deps.spark.handle(runKeyOf(handle), 'final_analysis'))).not.toBe('unknown');

    const second = await worker();
    const result = await handle.result();
    expect(result.results.final_analysis).toEqual(expect.objectContaining({ inline: referenceResult('final_analysis', RECORDS, params) }));
    expect(await sparkExecutionsOf(operationId)).toBe(1);
    await expectRecordsOnce(result, RECORDS.length);
    // The poll that the killed worker had started was retried, and finished, by the second worker.
    expect(await activityStarts(handle, 'pollSparkJob')).toEqual([expect.objectContaining({ identity: second.identity, attempt: 2 })]);
  });

  describe('a worker SIGKILLed during submit', () => {
    const small = (seed: number): EmployeeRecord[] => [...generateEmployees(40, seed)];

    it.each([
      ['while the submits wait for a Spark slot (each then runs alone)', 'queued'],
      ['right after the submits started one shared execution', 'shared'],
    ] as const)('%s: every run right, and computed by exactly one execution', async (_name, moment) => {
      const first = await worker();
      const big = await bigRun('final_analysis');
      await waitForSparkJobRunning(big, 'final_analysis'); // holds the worker's one Spark slot for a few seconds
      const batches = [small(11), small(12), small(13)];
      const topic = config.kafka.recordsTopic;
      const from = await deps.kafka.endOffsets(topic);
      const handles = await Promise.all(batches.map((records) => start({ records, jobs: ['count_gender'] })));
      if (moment === 'queued') {
        // Small runs: their one workflow task goes from the ingest straight to the submit (no progress query answers
        // until that task ends), so their records all in the topic means they wait in submit for the slot.
        await until('the small runs wait in submit', async () => {
          const ranges = [...(await deps.kafka.endOffsets(topic))].map(([partition, to]) => ({
            partition,
            from: from.get(partition) ?? 0,
            to,
          }));
          const written = await Promise.all(handles.map((h) => deps.kafka.readRanges(topic, ranges, { key: recordKey(runKeyOf(h)) })));
          return written.every((messages, i) => recordsInMessages(messages).length === batches[i]!.length);
        });
      } else {
        const journal = config.kafka.executionsTopic;
        await deps.kafka.ensureTopic(journal, 1);
        const before = await totalEnd(journal);
        await until('a shared execution is journaled', async () => (await totalEnd(journal)) > before);
      }
      await kill(first, 'SIGKILL');
      await worker();
      const results = await Promise.all(handles.map((h) => h.result()));
      for (const [i, result] of results.entries()) {
        expect(result.results.count_gender).toMatchObject({ inline: referenceResult('count_gender', batches[i]!, params) });
        expect(await executionsOfRun(result, 'count_gender')).toBe(1);
      }
      expect((await big.result()).results.final_analysis).toMatchObject({ inline: referenceResult('final_analysis', RECORDS, params) });
    });
  });

  it('a worker SIGTERMed mid-poll (a rolling restart) drains at once: no Spark job interrupted, the run completes on the next worker', async () => {
    const both = [await worker(), await worker()]; // the new one is up before the old one goes, as a rolling deploy does
    const handle = await bigRun('final_analysis');
    const operationId = await waitForSparkJobRunning(handle, 'final_analysis');
    let polling: string | undefined;
    await until('a worker polls the job', async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      polling = pending.find((a) => a.activityType?.name === 'pollSparkJob' && a.lastWorkerIdentity)?.lastWorkerIdentity ?? undefined;
      return polling !== undefined;
    });
    const [draining, next] = both[0]!.identity === polling ? [both[0]!, both[1]!] : [both[1]!, both[0]!];
    await kill(draining, 'SIGTERM');

    const result = await handle.result();
    expect(result.results.final_analysis).toMatchObject({ inline: referenceResult('final_analysis', RECORDS, params) });
    const jobs = await sparkJobsOf(operationId);
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.map((j) => j.status)).toEqual(jobs.map(() => 'SUCCEEDED'));
    expect(await sparkExecutionsOf(operationId)).toBe(1);
    const [poll] = await activityStarts(handle, 'pollSparkJob');
    expect(poll).toMatchObject({ identity: next.identity, attempt: 2 });
    // The first attempt handed over (its failure says so), instead of being cut off when the worker's grace period
    // ran out (a heartbeat timeout): what made the drain take that long before.
    expect(poll!.lastFailure?.applicationFailureInfo?.type).toBe('WorkerShutdown');
  });

  it('cancelling the workflow interrupts its Spark execution', async () => {
    await worker();
    const handle = await bigRun('final_analysis');
    const operationId = await waitForSparkJobRunning(handle, 'final_analysis');
    await handle.cancel();
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

    expect(await deps.spark.status(deps.spark.handle(runKeyOf(handle), 'final_analysis'))).toBe('canceled');
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

  it('Spark closed the session (as after an idle timeout): the workers move to the next session and answer as before', async () => {
    await worker();
    const records = [...generateEmployees(30, 21)];
    await (await start({ records, jobs: ['count_gender'] })).result();
    const spark = new SparkConnectClient({
      url: config.spark.connectUrl,
      descriptorSetPath: config.spark.descriptorSetPath,
      sessionId: config.spark.sessionId,
      keepAliveMs: 0,
    });
    try {
      await spark.ping(); // the session the workers agree on now
      const closed = spark.sessionId;
      await spark.closeSession();
      expect(await spark.probeSession(closed)).toBe('closed');

      const result = await (await start({ records, jobs: ['count_gender', 'final_analysis'] })).result();
      expect(result.results.count_gender).toMatchObject({ inline: referenceResult('count_gender', records, params) });
      expect(result.results.final_analysis).toMatchObject({ inline: referenceResult('final_analysis', records, params) });
      await spark.ping();
      expect(spark.sessionId).not.toBe(closed);
      expect(await spark.probeSession(spark.sessionId)).toBe('exists'); // the workers' new one
    } finally {
      spark.close();
    }
  });

  it('the Spark Connect server SIGKILLed and restarted mid-run: the run completes right', async () => {
    await worker();
    const handle = await bigRun('final_analysis');
    await waitForSparkJobRunning(handle, 'final_analysis');
    await stackKill(config, 'spark');
    await stackUp(config); // started again, and warmed up before it reports ready
    const result = await handle.result();
    expect(result.results.final_analysis).toMatchObject({ inline: referenceResult('final_analysis', RECORDS, params) });
    expect(await executionsOfRun(result, 'final_analysis')).toBe(1); // in the new server: the old one's is gone with it
    // And the worker's next run, in the new server's session, too.
    const records = [...generateEmployees(25, 22)];
    expect((await (await start({ records, jobs: ['count_gender'] })).result()).results.count_gender).toMatchObject({
      inline: referenceResult('count_gender', records, params),
    });
  }, 300_000);
});
