// The coalescing scheduler over a fake executor: which runs share an execution, how results split back, what a
// retried submit finds, when a shared execution is released. The real executor is covered by the integration tests.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { splitMemberGroup, type GroupedJobResult } from '../../../../contracts/groups';
import type { SparkJobSpec } from '../../../../contracts/pipeline';
import { sparkOperationId } from '../../../../lib/idempotency';
import { membersFromKafkaSql } from '../../../../spark/jobs/sql';
import {
  CoalescingScheduler,
  DEFAULT_COALESCING,
  JOB_GENERATIONS,
  type CoalescingOptions,
} from '../../../../spark/runtime/coalescing-scheduler';
import type { ExecutionJournal, SharedExecution } from '../../../../spark/runtime/execution-journal';
import { SparkJobLostError, type ExecutionSource, type SparkExecutor, type SparkJobState } from '../../../../spark/runtime/job-runner';
import type { JobPlan } from '../../../../contracts/definitions';

/** Executions that run until `finish(id)`; each returns one row per member tag (or for the single run). */
class FakeExecutor implements SparkExecutor {
  readonly started: { operationId: string; source: ExecutionSource }[] = [];
  readonly states_ = new Map<string, SparkJobState>();
  readonly released: string[] = [];
  readonly interrupted: string[] = [];
  /** Ids Spark refuses to start (it let their executions go long ago). */
  readonly refused = new Set<string>();
  resultCalls = 0;

  async start(operationId: string, _plan: unknown, source: ExecutionSource): Promise<boolean> {
    if (this.refused.has(operationId)) return false;
    if (this.states_.has(operationId)) return true;
    this.started.push({ operationId, source });
    this.states_.set(operationId, 'running');
    return true;
  }
  async states(ids: string[]) {
    return new Map(ids.map((id) => [id, this.states_.get(id) ?? ('unknown' as const)]));
  }
  async result(operationId: string): Promise<GroupedJobResult> {
    this.resultCalls++;
    const { source } = this.started.find((s) => s.operationId === operationId)!;
    if (source.kind !== 'kafka-members') return { sections: { by_gender: [{ run: 'alone' }] }, groups: {} };
    const groups: GroupedJobResult['groups'] = {};
    for (const m of source.members) {
      groups[m.tag] = { by_gender: [{ run: m.recordKey }] };
      groups[`${m.tag}:req-1`] = { by_gender: [{ run: m.recordKey, group: 'req-1' }] };
    }
    return { sections: {}, groups };
  }
  async release(operationId: string) {
    this.released.push(operationId);
    if (this.states_.has(operationId)) this.states_.set(operationId, 'released');
  }
  async interrupt(operationId: string) {
    this.interrupted.push(operationId);
    this.states_.set(operationId, 'canceled');
  }
  finish(operationId: string) {
    this.states_.set(operationId, 'finished');
  }
}

class FakeJournal implements ExecutionJournal {
  readonly entries: SharedExecution[] = [];
  async record(execution: SharedExecution) {
    this.entries.push(execution);
  }
  async find(memberOperationId: string) {
    return this.entries.filter((e) => e.members.some((m) => m.operationId === memberOperationId)).reverse();
  }
}

/** What a run of count_gender computes (the fake executor runs nothing: only its identity matters here). */
const PLAN: JobPlan = {
  definition: 'employees',
  version: '0123456789ab',
  job: 'count_gender',
  fields: 'id BIGINT, gender STRING',
  columns: ['id', 'gender'],
  sections: [['by_gender', { kind: 'query', sql: 'SELECT gender, count(*) AS count FROM records GROUP BY gender', orderBy: 'gender' }]],
  params: { referenceDate: { type: 'date', value: '2026-11-25' } },
};

const spec = (i: number, ranges = [{ partition: 0, from: i * 10, to: i * 10 + 10 }]): SparkJobSpec => ({
  runKey: `run-${i}`,
  job: 'count_gender',
  plan: PLAN,
  source: { kind: 'kafka', topic: 'records', ranges, recordKey: `key-${i}` },
});

/** A scheduler over fakes; the next execution starts as soon as a slot frees unless `gatherFactor` says otherwise. */
function setup(options: Partial<CoalescingOptions> = {}) {
  const executor = new FakeExecutor();
  const journal = new FakeJournal();
  const scheduler = new CoalescingScheduler(executor, journal, {
    ...DEFAULT_COALESCING,
    statusIntervalMs: 1,
    gatherFactor: 0,
    releaseGraceMs: 0,
    ...options,
  });
  return { executor, journal, scheduler };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Runs 2 and 3 submitted while run 1 holds the one slot: they share the next execution, whose handles come back. */
async function sharedPair(executor: ReturnType<typeof setup>['executor'], scheduler: ReturnType<typeof setup>['scheduler']) {
  const first = await scheduler.submit(spec(1));
  const waiting = [2, 3].map((i) => scheduler.submit(spec(i)));
  executor.finish(first.operationId);
  return Promise.all(waiting);
}

describe('CoalescingScheduler', () => {
  it('runs a job at once and alone under its own operation id when nothing else runs', async () => {
    const { executor, journal, scheduler } = setup();
    const handle = await scheduler.submit(spec(1));
    expect(handle).toEqual({ runKey: 'run-1', job: 'count_gender', operationId: sparkOperationId('run-1', 'count_gender') });
    expect(handle.shared).toBeUndefined();
    expect(executor.started).toHaveLength(1);
    expect(journal.entries).toHaveLength(0);
  });

  it('puts the runs submitted while an execution runs into ONE shared execution once it ends', async () => {
    const { executor, journal, scheduler } = setup();
    const first = await scheduler.submit(spec(1));
    const waiting = [2, 3, 4].map((i) => scheduler.submit(spec(i)));
    await tick();
    expect(executor.started).toHaveLength(1); // the slot is taken: the others wait
    executor.finish(first.operationId);
    const handles = await Promise.all(waiting);

    expect(executor.started).toHaveLength(2);
    const shared = executor.started[1]!;
    expect(new Set(handles.map((h) => h.operationId))).toEqual(new Set([shared.operationId]));
    expect(handles.map((h) => h.shared!.members)).toEqual([3, 3, 3]);
    expect(new Set(handles.map((h) => h.shared!.tag)).size).toBe(3);
    // journaled before it started, with every member's own operation id, key and ranges
    expect(journal.entries).toHaveLength(1);
    expect(journal.entries[0]!.operationId).toBe(shared.operationId);
    expect(journal.entries[0]!.members.map((m) => m.operationId).sort()).toEqual(
      [2, 3, 4].map((i) => sparkOperationId(`run-${i}`, 'count_gender')).sort(),
    );
    expect(shared.source.kind === 'kafka-members' && shared.source.members.map((m) => m.recordKey).sort()).toEqual([
      'key-2',
      'key-3',
      'key-4',
    ]);
  });

  it('gives each shared execution an id of its own, even when the same runs share again (after a rerun)', async () => {
    const { executor, journal, scheduler } = setup();
    const [a, b] = await sharedPair(executor, scheduler);
    executor.finish(a!.operationId);
    await scheduler.release('run-2', [a!]);
    await scheduler.release('run-3', [b!]); // say Spark lost it: both members run again, together
    const blocker = await scheduler.submit(spec(9));
    const again = [scheduler.rerun(spec(2), a!), scheduler.rerun(spec(3), b!)];
    executor.finish(blocker.operationId);
    const [a2, b2] = await Promise.all(again);
    expect(a2!.operationId).toBe(b2!.operationId);
    expect(a2!.operationId).not.toBe(a!.operationId);
    expect(journal.entries.map((e) => e.operationId)).toEqual([a!.operationId, a2!.operationId]);
  });

  it('gives each run its own part of a shared result, its groups included, reading Spark once', async () => {
    const { executor, scheduler } = setup();
    const [a, b] = await sharedPair(executor, scheduler);
    executor.finish(a!.operationId);
    const [ra, rb] = await Promise.all([scheduler.result(a!), scheduler.result(b!)]);
    expect(ra).toEqual({
      sections: { by_gender: [{ run: 'key-2' }] },
      groups: { 'req-1': { by_gender: [{ run: 'key-2', group: 'req-1' }] } },
    });
    expect(rb.sections).toEqual({ by_gender: [{ run: 'key-3' }] });
    expect(executor.resultCalls).toBe(1);
  });

  it('keeps what runs released for the release grace: a run that collects again reads it, then Spark frees it', async () => {
    const { executor, scheduler } = setup({ releaseGraceMs: 60_000 });
    const [a, b] = await sharedPair(executor, scheduler);
    executor.finish(a!.operationId);
    await Promise.all([scheduler.result(a!), scheduler.result(b!)]);
    const own = await scheduler.submit(spec(7));
    executor.finish(own.operationId);
    vi.useFakeTimers();
    try {
      await scheduler.release('run-2', [a!]);
      await scheduler.release('run-3', [b!]);
      await scheduler.release('run-7', [own]);
      expect(executor.released).toEqual([]);
      // Run 3's task was lost after its release (Temporal's history away when it completed): it collects again.
      expect((await scheduler.result(b!)).sections).toEqual({ by_gender: [{ run: 'key-3' }] });
      expect(executor.resultCalls).toBe(1);
      expect(await scheduler.status(own)).toBe('finished');
      await scheduler.release('run-3', [b!]);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(executor.released.sort()).toEqual([a!.operationId, own.operationId].sort());
    } finally {
      vi.useRealTimers();
    }
  });

  it('releases a shared execution once every member has released it, and not twice for one member', async () => {
    const { executor, scheduler } = setup();
    const [a, b] = await sharedPair(executor, scheduler);
    await scheduler.release('run-2', [a!]);
    await scheduler.release('run-2', [a!]);
    expect(executor.released).toEqual([]);
    await scheduler.release('run-3', [b!]);
    expect(executor.released).toEqual([a!.operationId]);
  });

  it('shares an execution only among runs of the same definition version, job and parameters', async () => {
    const { executor, scheduler } = setup();
    await scheduler.submit(spec(1)); // takes the one slot: the others queue behind it
    const otherDate = { ...PLAN, params: { referenceDate: { type: 'date' as const, value: '2026-11-26' } } };
    const otherVersion = { ...PLAN, version: 'ba9876543210' };
    const waiting = [
      scheduler.submit(spec(2)),
      scheduler.submit(spec(3)),
      scheduler.submit({ ...spec(4), plan: otherDate }),
      scheduler.submit({ ...spec(5), plan: otherDate }),
      scheduler.submit({ ...spec(6), plan: otherVersion }),
    ];
    await tick();
    for (let round = 0; round < 3; round++) {
      executor.finish(executor.started.at(-1)!.operationId);
      await tick();
    }
    const handles = await Promise.all(waiting);
    const executionOf = (i: number) => handles[i]!.operationId;
    expect(executionOf(0)).toBe(executionOf(1));
    expect(executionOf(2)).toBe(executionOf(3));
    expect(new Set([executionOf(0), executionOf(2), executionOf(4)]).size).toBe(3);
    expect(executor.started).toHaveLength(4);
  });

  it('does not coalesce large runs, other jobs, or reads that would scan too far', async () => {
    const { executor, scheduler } = setup({ maxMemberMessages: 100, maxScanMessages: 1_000 });
    const first = await scheduler.submit(spec(1));
    const waiting = [
      scheduler.submit(spec(2)),
      scheduler.submit({ ...spec(3), job: 'count_month', plan: { ...PLAN, job: 'count_month' } }),
      scheduler.submit(spec(4, [{ partition: 0, from: 0, to: 500 }])), // too large to share
      scheduler.submit(spec(5, [{ partition: 0, from: 5_000, to: 5_010 }])), // too far from run 2's offsets
    ];
    await tick();
    for (let round = 0; round < 4; round++) {
      executor.finish(executor.started.at(-1)!.operationId);
      await tick();
    }
    const handles = await Promise.all(waiting);
    expect(handles.every((h) => h.shared === undefined)).toBe(true);
    expect(executor.started).toHaveLength(5);
    expect(first.shared).toBeUndefined();
  });

  describe('under load, the next execution gathers (gatherFactor)', () => {
    // The scheduler's clock (performance.now, setTimeout) is vitest's: each case sets the moments and asserts when
    // the next execution starts on that clock, so it proves the rule whatever the machine's speed.
    beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
    afterEach(() => void vi.useRealTimers());
    const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
    /** Advances the clock 1 ms at a time until the `n`th execution starts; returns how long that took. */
    async function msUntilStarted(executor: FakeExecutor, n: number, limitMs = 5_000): Promise<number> {
      for (let ms = 0; ms <= limitMs; ms++) {
        if (executor.started.length >= n) return ms;
        await advance(1);
      }
      throw new Error(`execution ${n} did not start within ${limitMs} ms`);
    }

    it('for as long as the last one ran when runs queued meanwhile; what comes in that time joins it', async () => {
      const { executor, scheduler } = setup({ gatherFactor: 1 });
      const first = await scheduler.submit(spec(1));
      await advance(150);
      const queued = [2, 3].map((i) => scheduler.submit(spec(i))); // still coming in, late in the execution
      await advance(50);
      executor.finish(first.operationId); // it ran 200 ms
      await advance(100);
      expect(executor.started).toHaveLength(1); // gathering
      const fourth = scheduler.submit(spec(4));
      const waited = 100 + (await msUntilStarted(executor, 2));
      expect(waited).toBeGreaterThanOrEqual(200); // as long as the last one ran…
      expect(waited).toBeLessThanOrEqual(200 + 2); // …and then at once (the status is polled every 1 ms)
      const handles = await Promise.all([...queued, fourth]);
      expect(new Set(handles.map((h) => h.operationId))).toEqual(new Set([executor.started[1]!.operationId]));
      expect(handles.map((h) => h.shared?.members)).toEqual([3, 3, 3]);
    });

    it('longer while runs keep coming in, until they pause for gatherQuietMs, and at most maxGatherMs', async () => {
      const { executor, scheduler } = setup({ gatherFactor: 1, gatherQuietMs: 50, maxGatherMs: 1_000, maxMembers: 1_000 });
      const first = await scheduler.submit(spec(1));
      await advance(150);
      const queued = [2, 3].map((i) => scheduler.submit(spec(i)));
      await advance(50);
      executor.finish(first.operationId); // it ran 200 ms: the gathering lasts 200 ms at least
      // A run every 40 ms for 400 ms, as a burst of runs reaches Spark over some seconds.
      for (let i = 4; i < 14; i++) {
        await advance(40);
        queued.push(scheduler.submit(spec(i)));
      }
      expect(executor.started).toHaveLength(1); // still gathering at 400 ms: runs keep coming
      const waited = 400 + (await msUntilStarted(executor, 2));
      expect(waited).toBeGreaterThanOrEqual(400 + 50); // the last one came at 400 ms: 50 ms without another…
      expect(waited).toBeLessThanOrEqual(400 + 50 + 2); // …and then at once
      const handles = await Promise.all(queued);
      expect(new Set(handles.map((h) => h.operationId))).toEqual(new Set([executor.started[1]!.operationId]));

      // Runs that never pause: the gathering ends maxGatherMs after it began.
      const second = executor.started[1]!.operationId;
      const more = [20, 21].map((i) => scheduler.submit(spec(i)));
      await advance(100);
      executor.finish(second); // it ran 100 ms (and runs queued meanwhile)
      let started = 0;
      for (let ms = 0; executor.started.length < 3; ms += 10) {
        if (ms > 2_000) throw new Error('the third execution did not start within 2 s');
        more.push(scheduler.submit(spec(22 + ms / 10)));
        await advance(10);
        started = ms + 10;
      }
      expect(started).toBeGreaterThanOrEqual(1_000);
      expect(started).toBeLessThanOrEqual(1_000 + 10);
      await Promise.all(more);
    });

    it('for the runs on their way (ingesting), even when Spark is idle, and no longer than maxGatherMs for one that never comes', async () => {
      const { executor, scheduler } = setup({ gatherFactor: 1, maxGatherMs: 1_000 });
      scheduler.coming(spec(2).runKey, true);
      scheduler.coming(spec(3).runKey, true);
      const first = scheduler.submit(spec(1));
      await advance(30);
      expect(executor.started).toHaveLength(0); // Spark is idle, but runs 2 and 3 are on their way
      const second = scheduler.submit(spec(2));
      await advance(30);
      scheduler.coming(spec(3).runKey, false); // its ingest failed: it is not coming after all
      expect(await msUntilStarted(executor, 1)).toBeLessThanOrEqual(2); // nobody else on the way: at once
      const handles = await Promise.all([first, second]);
      expect(handles.map((h) => h.shared?.members)).toEqual([2, 2]);
      executor.finish(executor.started[0]!.operationId);

      scheduler.coming(spec(5).runKey, true); // never comes
      const fourth = scheduler.submit(spec(4));
      const waited = await msUntilStarted(executor, 2);
      expect(waited).toBeGreaterThanOrEqual(1_000 - 2);
      expect(waited).toBeLessThanOrEqual(1_000 + 2);
      await fourth;
    });

    it('for a run announced longer ago than maxGatherMs that has not come yet, until comingTimeoutMs', async () => {
      const { executor, scheduler } = setup({ gatherFactor: 1, maxGatherMs: 1_000, comingTimeoutMs: 5_000 });
      scheduler.coming(spec(2).runKey, true);
      await advance(3_000); // a busy worker: three seconds after its definition loaded, run 2 is still ingesting
      const first = scheduler.submit(spec(1));
      await advance(30);
      expect(executor.started).toHaveLength(0); // the execution gathers for run 2
      const second = scheduler.submit(spec(2));
      expect(await msUntilStarted(executor, 1)).toBeLessThanOrEqual(2);
      expect((await Promise.all([first, second])).map((h) => h.shared?.members)).toEqual([2, 2]);
      executor.finish(executor.started[0]!.operationId);

      scheduler.coming(spec(4).runKey, true);
      await advance(5_001); // run 4 has not come within comingTimeoutMs (its input failed its checks, its worker died)
      const third = scheduler.submit(spec(3));
      expect(await msUntilStarted(executor, 2)).toBeLessThanOrEqual(2); // not waited for any more
      await third;
    });

    it('at most maxGatherMs after a slow execution (a cold Spark, a large run)', async () => {
      const { executor, scheduler } = setup({ gatherFactor: 1, maxGatherMs: 100 });
      const first = await scheduler.submit(spec(1));
      await advance(900);
      const queued = [2, 3].map((i) => scheduler.submit(spec(i)));
      await advance(100);
      executor.finish(first.operationId); // it ran 1,000 ms
      const waited = await msUntilStarted(executor, 2);
      expect(waited).toBeGreaterThanOrEqual(100);
      expect(waited).toBeLessThanOrEqual(100 + 2);
      await Promise.all(queued);
    });

    it('not after a burst that came all at once: nobody is left to wait for', async () => {
      const { executor, scheduler } = setup({ gatherFactor: 10 });
      const first = await scheduler.submit(spec(1));
      const burst = [2, 3, 4].map((i) => scheduler.submit(spec(i)));
      await advance(200);
      executor.finish(first.operationId);
      expect(await msUntilStarted(executor, 2)).toBeLessThanOrEqual(2); // not 10 × 200 ms (at most maxGatherMs)
      await Promise.all(burst);
    });

    it("not for one run alone (a closed loop's next run, which nobody would join)", async () => {
      const { executor, scheduler } = setup({ gatherFactor: 10 });
      const first = await scheduler.submit(spec(1));
      await advance(80);
      const second = scheduler.submit(spec(2)); // late in the execution: only its being alone keeps it from waiting
      await advance(20);
      executor.finish(first.operationId);
      expect(await msUntilStarted(executor, 2)).toBeLessThanOrEqual(2); // not 10 × 100 ms
      await second;
    });

    it('not when nothing queued: a run that finds Spark idle starts at once', async () => {
      const { executor, scheduler } = setup({ gatherFactor: 10 });
      const first = await scheduler.submit(spec(1));
      await advance(100);
      executor.finish(first.operationId);
      await advance(20);
      const second = scheduler.submit(spec(2));
      expect(await msUntilStarted(executor, 2)).toBe(0); // not 10 × 100 ms
      await second;
    });

    it('not when a full group waits', async () => {
      const { executor, scheduler } = setup({ gatherFactor: 10, maxMembers: 2 });
      const first = await scheduler.submit(spec(1));
      await advance(80);
      const waiting = [2, 3].map((i) => scheduler.submit(spec(i))); // late in the execution, as under load
      const later = scheduler.submit(spec(4));
      await advance(20);
      executor.finish(first.operationId);
      expect(await msUntilStarted(executor, 2)).toBeLessThanOrEqual(2); // not 10 × 100 ms
      const handles = await Promise.all(waiting);
      expect(handles.map((h) => h.shared?.members)).toEqual([2, 2]);
      executor.finish(executor.started[1]!.operationId);
      await msUntilStarted(executor, 3);
      await later;
    });
  });

  it('on a retried submit returns the shared execution the journal lists the run in, and starts nothing', async () => {
    const { executor, scheduler } = setup();
    const [a] = await sharedPair(executor, scheduler);
    const started = executor.started.length;
    const again = await scheduler.submit(spec(2), { retryOfAttemptAt: Date.now() - 1_000 });
    expect(again).toEqual(a);
    expect(executor.started).toHaveLength(started);
  });

  it("on a retried submit returns the run's own execution if Spark holds it, else starts it alone", async () => {
    const { executor, scheduler } = setup();
    const own = await scheduler.submit(spec(1));
    expect(await scheduler.submit(spec(1), { retryOfAttemptAt: 0 })).toEqual(own);
    expect(executor.started).toHaveLength(1);
    const fresh = await scheduler.submit(spec(9), { retryOfAttemptAt: 0 });
    expect(fresh.operationId).toBe(sparkOperationId('run-9', 'count_gender'));
    expect(executor.started).toHaveLength(2);
  });

  it('reports an execution settled as soon as it ends, or running after the wait', async () => {
    const { executor, scheduler } = setup();
    const handle = await scheduler.submit(spec(1));
    expect(await scheduler.settled(handle, 20)).toBe('running');
    setTimeout(() => executor.finish(handle.operationId), 10);
    expect(await scheduler.settled(handle, 5_000)).toBe('finished');
  });

  it('does not interrupt an execution other runs share, but does one of its own', async () => {
    const { executor, scheduler } = setup();
    const first = await scheduler.submit(spec(1));
    const waiting = [2, 3].map((i) => scheduler.submit(spec(i)));
    await scheduler.cancel(first);
    const [a] = await Promise.all(waiting);
    await scheduler.cancel(a!);
    expect(executor.interrupted).toEqual([first.operationId]);
  });

  it('fails every waiting submit of a group whose start fails, and goes on with the next', async () => {
    const { executor, scheduler } = setup();
    const first = await scheduler.submit(spec(1));
    const waiting = [2, 3].map((i) =>
      scheduler.submit(spec(i)).then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    );
    const start = executor.start.bind(executor);
    executor.start = async () => Promise.reject(new Error('spark down'));
    executor.finish(first.operationId);
    expect(await Promise.all(waiting)).toEqual(['spark down', 'spark down']);
    executor.start = start;
    expect((await scheduler.submit(spec(4))).shared).toBeUndefined();
  });
});

describe('CoalescingScheduler: running a job again', () => {
  it('reruns a run alone under its next operation id once Spark let the first one go, and finds it again on a retry', async () => {
    const { executor, scheduler } = setup();
    const own = await scheduler.submit(spec(1));
    executor.finish(own.operationId);
    await scheduler.release('run-1', [own]); // e.g. abandoned by Spark
    const again = await scheduler.rerun(spec(1), own);
    expect(again.operationId).toBe(sparkOperationId('run-1', 'count_gender', 1));
    // Another attempt of the same step (its worker died after the rerun started): no third execution.
    expect(await scheduler.rerun(spec(1), own, { retryOfAttemptAt: 0 })).toEqual(again);
    expect(executor.started.map((s) => s.operationId)).toEqual([own.operationId, again.operationId]);
  });

  it('reruns a member of a shared execution alone, under its own operation id', async () => {
    const { executor, scheduler } = setup();
    const [a] = await sharedPair(executor, scheduler);
    executor.finish(a!.operationId); // say it failed inside Spark
    const alone = await scheduler.rerun(spec(2), a!);
    expect(alone).toEqual({ runKey: 'run-2', job: 'count_gender', operationId: sparkOperationId('run-2', 'count_gender') });
    expect(executor.released).not.toContain(a!.operationId); // the other member still needs it
  });

  it('releases a failed execution of its own before running the next, and skips ids Spark refuses', async () => {
    const { executor, scheduler } = setup();
    const own = await scheduler.submit(spec(1));
    executor.finish(own.operationId); // ended with an error, say
    executor.refused.add(sparkOperationId('run-1', 'count_gender', 1));
    const again = await scheduler.rerun(spec(1), own);
    expect(executor.released).toEqual([own.operationId]);
    expect(again.operationId).toBe(sparkOperationId('run-1', 'count_gender', 2));
  });

  it('gives up with SparkJobLostError when every generation is used up', async () => {
    const { executor, scheduler } = setup();
    for (let g = 0; g < JOB_GENERATIONS; g++) executor.refused.add(sparkOperationId('run-1', 'count_gender', g));
    await expect(scheduler.submit(spec(1))).rejects.toBeInstanceOf(SparkJobLostError);
  });

  it('takes a waiting submit out of the queue when it is aborted, without starting it', async () => {
    const { executor, scheduler } = setup();
    const first = await scheduler.submit(spec(1));
    const abort = new AbortController();
    const waiting = scheduler.submit(spec(2), { signal: abort.signal });
    abort.abort(new Error('worker shutting down'));
    await expect(waiting).rejects.toThrow('worker shutting down');
    executor.finish(first.operationId);
    await tick();
    expect(executor.started).toHaveLength(1);
  });
});

describe('membersFromKafkaSql / splitMemberGroup', () => {
  it("joins the source to a table of the members' keys and ranges (no offsets in the predicate)", () => {
    const sql = membersFromKafkaSql(
      'source_x',
      'id BIGINT',
      ['id'],
      [
        {
          tag: '0',
          recordKey: 'k',
          ranges: [
            { partition: 0, from: 5, to: 9 },
            { partition: 1, from: 3, to: 3 },
          ],
        },
        { tag: '1', recordKey: 'j', ranges: [{ partition: 1, from: 7, to: 8 }] },
      ],
    );
    expect(sql).toContain("VALUES (X'6b', 0, 5L, 9L, '0'), (X'6a', 1, 7L, 8L, '1')");
    expect(sql).toContain('s.offset >= m.from_offset AND s.offset < m.to_offset');
    expect(() => membersFromKafkaSql('source_x', 'id BIGINT', ['id'], [{ tag: "x'", recordKey: 'k', ranges: [] }])).toThrow(/member tag/);
    expect(() =>
      membersFromKafkaSql('bad name', 'id BIGINT', ['id'], [{ tag: '0', recordKey: 'k', ranges: [{ partition: 0, from: 0, to: 1 }] }]),
    ).toThrow(/plain identifier/);
  });

  it("splits a coalesced group name back into the run's tag and the record's own group", () => {
    expect(splitMemberGroup('3')).toEqual({ tag: '3', group: null });
    expect(splitMemberGroup('3:req:7')).toEqual({ tag: '3', group: 'req:7' });
  });
});
