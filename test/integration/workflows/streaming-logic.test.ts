// streamingWorkflow's supervision, with fake activities (a real Temporal dev server, no Kafka or Spark): it starts
// the query and reports each poll's progress (query and search attributes), starts a query that failed or
// vanished again with a visible restart count (at once when Spark lost it in a restart, looking every second while
// Spark is away), stops the query on the `stop` signal and on cancellation, continues as new every `pollsPerRun`
// polls carrying its counts and query, and fails at once when Spark refuses the query.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { DefinitionActivities } from '../../../activities/definitions';
import type { StreamingActivities } from '../../../activities/streaming';
import type { StreamObservation, StreamProgress, StreamQueryHandle, StreamStatus } from '../../../contracts/streams';
import { stopSignal, streamingWorkflow, streamStatusQuery } from '../../../workflows/streaming';
import { repositoryDefinition } from '../../support/plans';
import { workerPerTest } from '../../support/temporal';

const progress = (batchId: number): StreamProgress => ({
  batchId,
  timestamp: '2026-12-01T00:00:00.000Z',
  numInputRows: 10,
  inputRowsPerSecond: 100,
  processedRowsPerSecond: 200,
  records: 1000,
  inputRecordsPerSecond: 10_000,
  processedRecordsPerSecond: 20_000,
  batchDurationMs: 50,
  lag: 3,
  endOffsets: { '0': 10 },
  watermark: null,
  stateRows: 5,
  droppedLate: 0,
});

/** The definition the fake loader answers with (the repository's employees definition, as a run would record it). */
const employees = repositoryDefinition('employees');

type Fakes = StreamingActivities & DefinitionActivities;

/**
 * Fakes of the activities (the three of the stream, and the definition's loader); `observations` are answered in
 * turn (the last one from then on).
 */
function fakes(calls: string[], observations: StreamObservation[], overrides: Partial<Fakes> = {}): Fakes {
  let started = 0;
  let seen = 0;
  return {
    async loadPipelineDefinition(name: string) {
      calls.push(`load:${name}`);
      return employees;
    },
    async startStream(): Promise<StreamQueryHandle> {
      calls.push('start');
      return { id: 'query', runId: `run-${++started}` };
    },
    async observeStream(): Promise<StreamObservation> {
      calls.push('observe');
      return observations[Math.min(seen++, observations.length - 1)]!;
    },
    async stopStream(): Promise<StreamQueryHandle | null> {
      calls.push('stop');
      return { id: 'query', runId: 'run' };
    },
    ...overrides,
  };
}

const active = (batchId: number): StreamObservation => ({
  state: 'active',
  query: { id: 'query', runId: 'run-1' },
  progress: progress(batchId),
});

const temporal = workerPerTest();
let seq = 0;

async function run(activities: Fakes, input: Record<string, unknown> = {}): Promise<WorkflowHandle<typeof streamingWorkflow>> {
  const taskQueue = `streaming-logic-${seq}`;
  await temporal.start(taskQueue, activities);
  const name = `logic-${Date.now()}-${seq++}`;
  return temporal.env.client.workflow.start(streamingWorkflow, {
    taskQueue,
    workflowId: `stream-${name}`,
    args: [{ name, pollSeconds: 1, ...input }],
  });
}

/** Queries the status until `done` holds (or fails after `ms`). */
async function statusWhen(handle: WorkflowHandle, done: (s: StreamStatus) => boolean, ms = 30_000): Promise<StreamStatus> {
  const until = Date.now() + ms;
  for (;;) {
    const status = await handle.query(streamStatusQuery).catch(() => undefined);
    if (status && done(status)) return status;
    if (Date.now() > until) throw new Error(`status never matched; last: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('streamingWorkflow with fake activities', () => {
  it('starts the query, and shows each poll’s progress in its status query and search attributes', async () => {
    const calls: string[] = [];
    const handle = await run(fakes(calls, [active(1), active(2)]));
    const status = await statusWhen(handle, (s) => s.progress?.batchId === 2);
    expect(status).toMatchObject({ state: 'running', restarts: 0, query: { id: 'query', runId: 'run-1' }, workflowRuns: 1 });
    expect(calls.slice(0, 2)).toEqual(['load:employees', 'start']);
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get({ name: 'StreamState', type: 'KEYWORD' })).toBe('running');
    expect(attributes.get({ name: 'StreamLastBatchId', type: 'INT' })).toBe(2);
    expect(attributes.get({ name: 'StreamLag', type: 'INT' })).toBe(3);
    expect(attributes.get({ name: 'StreamProcessedRate', type: 'DOUBLE' })).toBe(20_000); // records, not messages
    await handle.signal(stopSignal);
    await handle.result();
  });

  it('starts a query that failed or disappeared again, counting restarts, and runs on', async () => {
    const calls: string[] = [];
    const handle = await run(fakes(calls, [active(1), { state: 'failed', error: 'boom' }, { state: 'gone' }, active(2)]));
    const status = await statusWhen(handle, (s) => s.progress?.batchId === 2, 60_000);
    expect(status.restarts).toBe(2);
    expect(status.state).toBe('running');
    expect(status.lastError).toBe('the query disappeared (Spark restarted or lost the session)');
    expect(calls.filter((c) => c === 'start')).toHaveLength(3);
    await handle.signal(stopSignal);
    await handle.result();
  });

  it('waits out a Spark that does not answer without restarting anything', async () => {
    const calls: string[] = [];
    const handle = await run(
      fakes(calls, [{ state: 'unreachable', error: 'UNAVAILABLE' }, { state: 'unreachable', error: 'UNAVAILABLE' }, active(4)]),
    );
    const status = await statusWhen(handle, (s) => s.progress?.batchId === 4);
    expect(status.restarts).toBe(0);
    expect(calls.filter((c) => c === 'start')).toHaveLength(1);
    await handle.signal(stopSignal);
    await handle.result();
  });

  it('looks every second while Spark does not answer, and starts the query Spark lost at once when it is back', async () => {
    const calls: string[] = [];
    const observations: StreamObservation[] = [
      active(1),
      { state: 'unreachable', error: 'UNAVAILABLE' },
      { state: 'unreachable', error: 'UNAVAILABLE' },
      { state: 'gone' },
      active(2),
    ];
    let seen = 0;
    let started = 0;
    const handle = await run(
      fakes(calls, observations, {
        async observeStream() {
          return observations[Math.min(seen++, observations.length - 1)]!;
        },
        async startStream() {
          calls.push('start');
          return { id: 'query', runId: `run-${++started}` };
        },
      }),
      { pollSeconds: 10 },
    );
    const status = await statusWhen(handle, (s) => s.restarts === 1 && s.state === 'running', 90_000);
    expect(status.query).toEqual({ id: 'query', runId: 'run-2' });
    // The workflow's own clock, from its history: the waits between the first start and the second. Two polls
    // pollSeconds apart (active, then unreachable), two 1 s looks while Spark is away (unreachable, then gone), and
    // the start at once, with no backoff timer. Looking every pollSeconds and backing off first took 10+10+1 s more.
    const events = (await handle.fetchHistory()).events ?? [];
    const starts = events.flatMap((e, i) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'startStream' ? [i] : []));
    const waits = events.slice(starts[0], starts[1]).flatMap((e) => {
      const timeout = e.timerStartedEventAttributes?.startToFireTimeout;
      return timeout ? [Number(timeout.seconds ?? 0) + (timeout.nanos ?? 0) / 1e9] : [];
    });
    expect(waits).toEqual([10, 10, 1, 1]);
    await handle.signal(stopSignal);
    await handle.result();
  });

  it('stops the query on the stop signal and ends with the stream stopped', async () => {
    const calls: string[] = [];
    const handle = await run(fakes(calls, [active(1)]));
    await statusWhen(handle, (s) => s.progress?.batchId === 1);
    await handle.signal(stopSignal);
    const result = await handle.result();
    expect(result.state).toBe('stopped');
    expect(calls.at(-1)).toBe('stop');
    expect((await handle.describe()).typedSearchAttributes.get({ name: 'StreamState', type: 'KEYWORD' })).toBe('stopped');
  });

  it('stops the query when cancelled', async () => {
    const calls: string[] = [];
    const handle = await run(fakes(calls, [active(1)]));
    await statusWhen(handle, (s) => s.progress?.batchId === 1);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect(calls.at(-1)).toBe('stop');
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('continues as new every pollsPerRun polls, carrying its query, counts and progress, without starting the query again', async () => {
    const calls: string[] = [];
    const handle = await run(fakes(calls, [active(1), { state: 'gone' }, active(2), active(3), active(4), active(5)]), { pollsPerRun: 2 });
    const status = await statusWhen(handle, (s) => s.workflowRuns >= 3, 60_000);
    expect(status.restarts).toBe(1);
    expect(status.polls).toBeGreaterThanOrEqual(4);
    expect(status.query).toEqual({ id: 'query', runId: 'run-1' });
    // one start, one restart after "gone"; the new runs take the query over
    expect(calls.filter((c) => c === 'start')).toHaveLength(2);
    // the definition was read once, when the stream started: the later runs carry its plan (an edited file changes
    // nothing for a stream that runs)
    expect(calls.filter((c) => c.startsWith('load:'))).toEqual(['load:employees']);
    expect(status.spec.plan).toMatchObject({ definition: 'employees', version: employees.version, job: 'aggregates' });
    await handle.signal(stopSignal);
    expect((await handle.result()).state).toBe('stopped');
  });

  it('fails at once, before starting any query, when the definition has no such stream job', async () => {
    const calls: string[] = [];
    const handle = await run(fakes(calls, [active(1)]), { job: 'no_such_job' });
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(String((error as WorkflowFailedError).cause?.message)).toMatch(/no stream job "no_such_job" \(it has: aggregates\)/);
    expect(calls).toEqual(['load:employees']);
  });

  it('fails at once when Spark refuses the query itself', async () => {
    const calls: string[] = [];
    const handle = await run(
      fakes(calls, [active(1)], {
        async startStream() {
          calls.push('start');
          throw ApplicationFailure.nonRetryable('[UNRESOLVED_COLUMN] no such column', 'StreamQueryError');
        },
      }),
    );
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(calls).toEqual(['load:employees', 'start']);
  });
});
