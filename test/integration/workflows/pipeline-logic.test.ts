// pipelineWorkflow's own logic, with fake activities (a real Temporal dev server, no Kafka or Spark): the progress
// it reports step by step, how a failure ends it (its root cause in the message, its status searchable), how a
// cancellation interrupts its Spark jobs, that cleanup failing never fails a finished run, and that a retried
// ingest makes Spark de-duplicate its records.
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { SMALL_RUN_MAX_RECORDS } from '../../../contracts/limits';
import type { IngestResult, PipelineProgress } from '../../../contracts/pipeline';
import { pipelineWorkflow, progressQuery } from '../../../workflows/pipeline';
import { FAKE_FILE_RECORDS, fakePipelineActivities, type Fakes } from '../../support/pipeline-fakes';
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

const record = { id: 1, gender: 'F', salary: 10 };
const inlineRecords = Array.from({ length: SMALL_RUN_MAX_RECORDS + 1 }, (_, i) => ({ ...record, id: i + 1 }));
/**
 * A small run (inline records, at most SMALL_RUN_MAX_RECORDS) takes its steps as local activities in one workflow
 * task; a larger one (a file) as activities of their own; a larger one with inline records ingests them as a local
 * activity, then takes its other steps as activities of their own.
 */
const RUNS = {
  small: { records: [record] },
  file: { file: 'emp_data.json' },
  inline: { records: inlineRecords },
};
type Size = keyof typeof RUNS;
const start = (
  taskQueue: string,
  jobs: ('count_gender' | 'final_analysis')[] = ['count_gender'],
  size: Size = 'small',
): Promise<WorkflowHandle<typeof pipelineWorkflow>> =>
  temporal.env.client.workflow.start(pipelineWorkflow, {
    taskQueue,
    workflowId: `logic-${Date.now()}-${seq++}`,
    args: [{ ...RUNS[size], jobs, referenceDate: '2026-01-15' }],
  });

/** Bytes of every binary field of a history: payloads (inputs, results, markers) and their metadata. */
function bytesIn(value: unknown): number {
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + bytesIn(v), 0);
  if (value && typeof value === 'object') return Object.values(value).reduce((n: number, v) => n + bytesIn(v), 0);
  return 0;
}

/** The run's history, event types only. */
async function eventTypes(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k] != null)!);
}

async function statusOf(handle: WorkflowHandle): Promise<string | undefined> {
  return (await handle.describe()).typedSearchAttributes.get({ name: 'PipelineStatus', type: 'KEYWORD' });
}

describe('pipelineWorkflow with fake activities', () => {
  it("reports a file run's progress step by step: ingesting, each job submitted then collecting, completed", async () => {
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
    const handle = await start(taskQueue, ['count_gender'], 'file');
    /** The first progress answer that satisfies `ready` (queries race the workflow's steps; the test's timeout bounds it). */
    const progressWhen = async (ready: (p: PipelineProgress) => boolean): Promise<PipelineProgress> => {
      for (;;) {
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p && ready(p)) return p;
        await new Promise((resolve) => setTimeout(resolve, 20));
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
      recordCount: FAKE_FILE_RECORDS,
      jobs: { count_gender: 'submitted' },
    });
    expect(await statusOf(handle)).toBe('running');
    polling.open();
    const result = await handle.result();
    expect(await handle.query(progressQuery)).toMatchObject({ status: 'completed', jobs: { count_gender: 'done' } });
    expect(await statusOf(handle)).toBe('completed');
    expect(result.results.count_gender).toEqual({ inline: { by_gender: [{ gender: 'F', count: 1 }] }, rows: 1, bytes: 30 });
    expect(calls).toEqual(['planIngest', 'ingestRecords', 'submit:count_gender:dedup=false', 'poll', 'collect', 'release']);
    expect((await eventTypes(handle)).filter((t) => t === 'activityTaskScheduledEventAttributes')).toHaveLength(4);
  });

  it("takes a small run's steps in one workflow task, with one update of its search attributes when it ends", async () => {
    const calls: string[] = [];
    const handle = await start(await withWorker(fakePipelineActivities(calls)));
    const result = await handle.result();
    expect(result.results.count_gender).toEqual({ inline: { by_gender: [{ gender: 'F', count: 1 }] }, rows: 1, bytes: 30 });
    expect(calls).toEqual(['ingestRecords', 'submit:count_gender:dedup=false', 'poll', 'collect', 'release']);
    const events = await eventTypes(handle);
    expect(events.filter((t) => t === 'workflowTaskCompletedEventAttributes')).toHaveLength(1);
    expect(events.filter((t) => t === 'activityTaskScheduledEventAttributes')).toHaveLength(0);
    // The patch's TemporalChangeVersion, then the run's own: status, jobs, definition and record count at once.
    expect(events.filter((t) => t === 'upsertWorkflowSearchAttributesEventAttributes')).toHaveLength(2);
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get({ name: 'PipelineStatus', type: 'KEYWORD' })).toBe('completed');
    expect(attributes.get({ name: 'PipelineJobs', type: 'KEYWORD_LIST' })).toEqual(['count_gender']);
    expect(attributes.get({ name: 'RecordCount', type: 'INT' })).toBe(1);
    expect(await handle.query(progressQuery)).toMatchObject({ status: 'completed', recordCount: 1, jobs: { count_gender: 'done' } });
  });

  it("ingests a larger run's inline records as a local activity: its records once in history, its other steps activities", async () => {
    const calls: string[] = [];
    const handle = await start(await withWorker(fakePipelineActivities(calls)), ['count_gender'], 'inline');
    const result = await handle.result();
    expect(result.recordCount).toBe(inlineRecords.length);
    expect(calls).toEqual(['ingestRecords', 'submit:count_gender:dedup=false', 'poll', 'collect', 'release']);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : [],
    );
    expect(scheduled).toEqual(['submitSparkJob', 'pollSparkJob', 'collectSparkResult']);
    // The records' bytes are in history once (the run's input), not again as an activity's input.
    const inputBytes = Buffer.byteLength(JSON.stringify(inlineRecords));
    const historyBytes = bytesIn(history);
    expect(historyBytes).toBeGreaterThan(inputBytes);
    expect(historyBytes).toBeLessThan(1.5 * inputBytes);
  });

  it("runs a small run's steps again after its workflow task was lost, each looking first for what the lost try did", async () => {
    const calls: string[] = [];
    let tries = 0;
    const fakes = fakePipelineActivities(calls);
    const taskQueue = await withWorker({
      ...fakes,
      // The first try answers nothing the workflow can read: its task fails, and is lost as a task whose worker died.
      ingestRecords: async (input) => (++tries === 1 ? (null as unknown as IngestResult) : fakes.ingestRecords(input)),
    });
    const result = await (await start(taskQueue)).result();
    expect(result.results.count_gender).toBeDefined();
    expect(tries).toBe(2);
    // The failed task released what it held (nothing yet). Then the records the lost try may have written are
    // looked for and read de-duplicated, and so is the Spark job it may have started.
    expect(calls).toEqual([
      'release',
      'ingestRecords:since',
      'submit:count_gender:dedup=true:since',
      'poll:since',
      'collect:since',
      'release',
    ]);
  });

  it("a small run's job step that was in flight when its task was lost looks first for what the lost try started, also after the task was extended", async () => {
    // A local activity that runs past 80 % of the task's timeout extends the task: the server records the steps
    // that have ended (the ingest) and hands a new task to the same worker. When that worker then dies, another
    // replays the recorded steps and runs the job step again: it may follow a try that started a Spark execution.
    const calls: string[] = [];
    let tries = 0;
    const fakes = fakePipelineActivities(calls);
    const taskQueue = await withWorker({
      ...fakes,
      async runSparkJob(spec, earlier) {
        if (++tries > 1) return fakes.runSparkJob(spec, earlier);
        calls.push(`runSparkJob${earlier?.since === undefined ? '' : ':since'}`);
        await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the 1.6 s at which the 2 s task is extended
        return null as never; // an answer the workflow cannot read: its task fails, as one whose worker died
      },
    });
    const handle = await temporal.env.client.workflow.start(pipelineWorkflow, {
      taskQueue,
      workflowId: `logic-${Date.now()}-${seq++}`,
      args: [{ ...RUNS.small, jobs: ['count_gender'], referenceDate: '2026-01-15' }],
      workflowTaskTimeout: '2s',
    });
    expect((await handle.result()).results.count_gender).toBeDefined();
    // The ingest ended before the task was extended: recorded, not run again. The job step runs again told so.
    expect(calls).toEqual([
      'ingestRecords',
      'runSparkJob',
      'release',
      'submit:count_gender:dedup=false:since',
      'poll:since',
      'collect:since',
      'release',
    ]);
    expect((await eventTypes(handle)).filter((t) => t === 'workflowTaskCompletedEventAttributes').length).toBeGreaterThan(1);
  });

  it.each(['small', 'file'] as const)(
    '%s run: ' + 'fails with the root cause of a failed step, status failed, and still releases what it started',
    async (size) => {
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
      const handle = await start(taskQueue, ['count_gender'], size);
      const error = await handle.result().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      // The step that failed: a small run's job is one step (submit, poll, collect), a larger run's three.
      const step = size === 'small' ? 'runSparkJob' : 'collectSparkResult';
      expect((error as WorkflowFailedError).cause?.message).toBe(`${step}: [MALFORMED_RECORD_IN_PARSING] bad line 2`);
      expect(await statusOf(handle)).toBe('failed');
      expect(calls.filter((c) => c === 'collect')).toHaveLength(1); // non-retryable: tried once
      expect(calls.at(-1)).toBe('release');
    },
  );

  it.each(['small', 'file'] as const)(
    '%s run: ' + 'a cancelled run interrupts its Spark jobs, releases them, and ends CANCELLED with status cancelled',
    async (size) => {
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
      const handle = await start(taskQueue, ['count_gender', 'final_analysis'], size);
      await polling.opened;
      await handle.cancel();
      const error = await handle.result().catch((e: unknown) => e);
      expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(await statusOf(handle)).toBe('cancelled');
      expect(calls).toContain('cancel:count_gender,final_analysis');
      expect(calls.indexOf('release')).toBeGreaterThan(calls.indexOf('cancel:count_gender,final_analysis'));
    },
  );

  it.each(['small', 'file'] as const)('%s run: ' + 'a release that keeps failing does not fail a finished run', async (size) => {
    const calls: string[] = [];
    const taskQueue = await withWorker(
      fakePipelineActivities(calls, failing(calls, 'releaseSparkRun', 'release', new Error('Spark Connect unreachable'))),
    );
    const handle = await start(taskQueue, ['count_gender'], size);
    const result = await handle.result();
    expect(result.results.count_gender).toBeDefined();
    expect(await statusOf(handle)).toBe('completed');
    expect(calls.filter((c) => c === 'release')).toHaveLength(3); // bounded: a few tries, then a warning
  });

  it.each(['small', 'file', 'inline'] as const)(
    '%s run: ' + 'after a retried ingest, asks Spark to read the records de-duplicated',
    async (size) => {
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
      await (await start(taskQueue, ['count_gender'], size)).result();
      expect(attempts).toBe(2);
      expect(calls).toContain('submit:count_gender:dedup=true');
    },
  );
});
