// pipelineWorkflow's own logic, with fake activities (a real Temporal dev server, no Kafka or Spark): the progress
// it reports step by step, how a failure ends it (its root cause in the message, its status searchable), how a
// cancellation interrupts its Spark jobs, that cleanup failing never fails a finished run, and that a retried
// ingest makes Spark de-duplicate its records.
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { PipelineProgress } from '../../../contracts/pipeline';
import { pipelineWorkflow, progressQuery } from '../../../workflows/pipeline';
import { fakePipelineActivities, type Fakes } from '../../support/pipeline-fakes';
import { workerPerTest } from '../../support/temporal';

/** A gate a fake activity waits at until the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const temporal = workerPerTest();
let seq = 0;

/** An override of one activity that records `label` in `calls` and throws `error`, every attempt. */
function failing(calls: string[], activity: keyof Fakes, label: string, error: Error): Partial<Fakes> {
  return {
    [activity]: async () => {
      calls.push(label);
      throw error;
    },
  };
}

async function withWorker(activities: Fakes): Promise<string> {
  const taskQueue = `pipeline-logic-${seq++}`;
  await temporal.start(taskQueue, activities);
  return taskQueue;
}

const records = [{ id: 1, gender: 'F', salary: 10 }];
const start = (
  taskQueue: string,
  jobs: ('count_gender' | 'final_analysis')[] = ['count_gender'],
): Promise<WorkflowHandle<typeof pipelineWorkflow>> =>
  temporal.env.client.workflow.start(pipelineWorkflow, {
    taskQueue,
    workflowId: `logic-${Date.now()}-${seq++}`,
    args: [{ records, jobs, referenceDate: '2026-01-15' }],
  });

async function statusOf(handle: WorkflowHandle): Promise<string | undefined> {
  return (await handle.describe()).typedSearchAttributes.get({ name: 'PipelineStatus', type: 'KEYWORD' });
}

describe('pipelineWorkflow with fake activities', () => {
  it('reports its progress step by step: ingesting, each job submitted then collecting, completed', async () => {
    const calls: string[] = [];
    const ingesting = gate();
    const polling = gate();
    const taskQueue = await withWorker(
      fakePipelineActivities(calls, {
        async ingestRecords(input) {
          await ingesting.opened;
          return fakePipelineActivities(calls).ingestRecords(input);
        },
        async pollSparkJob(spec, handle) {
          await polling.opened;
          return fakePipelineActivities(calls).pollSparkJob(spec, handle);
        },
      }),
    );
    const handle = await start(taskQueue);
    /** The first progress answer that satisfies `ready` (queries race the workflow's steps; the test's timeout bounds it). */
    const progressWhen = async (ready: (p: PipelineProgress) => boolean): Promise<PipelineProgress> => {
      for (;;) {
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p && ready(p)) return p;
      }
    };
    // Until the run's definition has loaded (a local activity) its jobs are not known: { status: 'ingesting', jobs: {} }.
    // Then each requested job is pending while the records are ingested.
    expect(await progressWhen(() => true)).toMatchObject({ status: 'ingesting' });
    expect(await progressWhen((p) => p.jobs.count_gender !== undefined)).toMatchObject({
      status: 'ingesting',
      jobs: { count_gender: 'pending' },
    });
    ingesting.open();
    expect(await progressWhen((p) => p.jobs.count_gender === 'submitted')).toMatchObject({
      status: 'running',
      recordCount: 1,
      jobs: { count_gender: 'submitted' },
    });
    expect(await statusOf(handle)).toBe('running');
    polling.open();
    const result = await handle.result();
    expect(await handle.query(progressQuery)).toMatchObject({ status: 'completed', jobs: { count_gender: 'done' } });
    expect(await statusOf(handle)).toBe('completed');
    expect(result.results.count_gender).toEqual({ inline: { by_gender: [{ gender: 'F', count: 1 }] }, rows: 1, bytes: 30 });
    expect(calls).toEqual(['planIngest', 'ingestRecords', 'submit:count_gender:dedup=false', 'poll', 'collect', 'release']);
  });

  it('fails with the root cause of a failed step, status failed, and still releases what it started', async () => {
    const calls: string[] = [];
    const taskQueue = await withWorker(
      fakePipelineActivities(
        calls,
        failing(
          calls,
          'collectSparkResult',
          'collect',
          ApplicationFailure.nonRetryable('[MALFORMED_RECORD_IN_PARSING] bad line 2', 'SparkJobError'),
        ),
      ),
    );
    const handle = await start(taskQueue);
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.message).toBe('collectSparkResult: [MALFORMED_RECORD_IN_PARSING] bad line 2');
    expect(await statusOf(handle)).toBe('failed');
    expect(calls.filter((c) => c === 'collect')).toHaveLength(1); // non-retryable: tried once
    expect(calls.at(-1)).toBe('release');
  });

  it('a cancelled run interrupts its Spark jobs, releases them, and ends CANCELLED with status cancelled', async () => {
    const calls: string[] = [];
    const polling = gate();
    const taskQueue = await withWorker(
      fakePipelineActivities(calls, {
        async pollSparkJob() {
          calls.push('poll');
          polling.open();
          const ctx = Context.current();
          const beat = setInterval(() => ctx.heartbeat(), 100); // a cancellation reaches an activity with its heartbeat
          try {
            return await ctx.cancelled;
          } finally {
            clearInterval(beat);
          }
        },
      }),
    );
    const handle = await start(taskQueue, ['count_gender', 'final_analysis']);
    await polling.opened;
    await handle.cancel();
    const error = await handle.result().catch((e: unknown) => e);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(await statusOf(handle)).toBe('cancelled');
    expect(calls).toContain('cancel:count_gender,final_analysis');
    expect(calls.indexOf('release')).toBeGreaterThan(calls.indexOf('cancel:count_gender,final_analysis'));
  });

  it('a release that keeps failing does not fail a finished run', async () => {
    const calls: string[] = [];
    const taskQueue = await withWorker(
      fakePipelineActivities(calls, failing(calls, 'releaseSparkRun', 'release', new Error('Spark Connect unreachable'))),
    );
    const handle = await start(taskQueue);
    const result = await handle.result();
    expect(result.results.count_gender).toBeDefined();
    expect(await statusOf(handle)).toBe('completed');
    expect(calls.filter((c) => c === 'release')).toHaveLength(3); // bounded: a few tries, then a warning
  });

  it('after a retried ingest, asks Spark to read the records de-duplicated', async () => {
    const calls: string[] = [];
    let attempts = 0;
    const taskQueue = await withWorker(
      fakePipelineActivities(calls, {
        async ingestRecords(input) {
          if (++attempts === 1) throw new Error('Kafka unavailable (broker restarting)');
          return fakePipelineActivities([]).ingestRecords(input);
        },
      }),
    );
    await (await start(taskQueue)).result();
    expect(attempts).toBe(2);
    expect(calls).toContain('submit:count_gender:dedup=true');
  });
});
