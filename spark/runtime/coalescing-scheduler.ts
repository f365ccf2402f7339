// SparkJobRunner that coalesces: runs whose jobs are submitted while this process's Spark executions are busy wait,
// and go together into ONE shared execution (adaptive gathering: under no load a run starts at once, alone; under
// load each execution takes everything that queued meanwhile, and while runs keep coming the next one waits a
// little longer for more: `gatherFactor`). One small execution costs Spark ~0.4-1 s of CPU whatever its size
// (docs/cost-model.md), so this is what lets many small concurrent runs through.
//
// Each run keeps its guarantees. Its records are picked out of the shared read by key and offset range, and its
// rows come back tagged (`<tag>` / `<tag>:<group>`) and split per run. A shared execution's id comes from its
// members, and its membership is journaled before it starts, so a retried submit finds the execution its run is
// part of (retries never coalesce). An execution that cannot give a run its result (lost, let go, failed) is run
// again for that run alone, under the run's own operation ids (one generation after another, lib/idempotency.ts).
//
// This file is the queue and its gathering, and the start of shared executions. The rest is in pieces of its own:
// run-executions.ts (a run's own operation ids, and what an earlier attempt started), shared-results.ts (one
// fetch of a shared result for all its members here, and its release), status-watch.ts (one GetStatus for every
// execution waited for).
import crypto from 'node:crypto';
import type { GroupedJobResult } from '../../contracts/groups';
import { planKey } from '../../contracts/definitions';
import type { JobName } from '../../contracts/jobs';
import { coveringRanges, rangeMessages, type PartitionRange } from '../../contracts/partition-ranges';
import type { SparkJobHandle, SparkJobSpec } from '../../contracts/pipeline';
import { sparkOperationId } from '../../lib/idempotency';
import type { ExecutionJournal, SharedExecution } from './execution-journal';
import type { SparkExecutor, SparkJobRunner, SparkJobState, SubmitOptions } from './job-runner';
import { RunExecutions } from './run-executions';
import { afterGrace, SharedResults } from './shared-results';
import { StatusWatch } from './status-watch';

export { JOB_GENERATIONS } from './run-executions';

export interface CoalescingOptions {
  /** Executions this process keeps running at once; further submits wait for a slot, then share one execution. */
  maxInFlight: number;
  /** Runs per shared execution. */
  maxMembers: number;
  /** A run whose offset ranges span more messages runs alone. */
  maxMemberMessages: number;
  /** A shared execution reads at most this many messages (its members' covering ranges, others' records included). */
  maxScanMessages: number;
  /** How often the states of watched executions are fetched (one GetStatus call for all of them). */
  statusIntervalMs: number;
  /**
   * How long Spark keeps what a run released. A small run releases in the workflow task that collected its
   * results; when that task's completion is lost (its worker died, Temporal's history service was away), the task
   * runs again and collects again: from the same executions while they are kept, else by running its jobs again.
   * 0: released at once.
   */
  releaseGraceMs: number;
  /**
   * Under load, how long the next execution gathers, as a multiple of the last one's duration. When runs queued
   * while an execution ran (at least GATHER_MIN_QUEUED, and still coming in during its second half: not one burst
   * at its start), the next starts only that much later: at most `maxGatherMs`, and at once if a full group
   * waits. An execution's fixed cost (planning, task shipping: docs/cost-model.md) is then paid for more runs, and
   * Spark takes about 1 / (1 + factor) of the time at most. A run that finds Spark idle starts at once. 0: the next
   * execution starts as soon as a slot frees.
   */
  gatherFactor: number;
  /**
   * The longest a gathering lasts. An execution can be slow for reasons other than its fixed cost (a Spark server
   * just restarted and cold, a million records): the runs after it must not wait as long again.
   */
  maxGatherMs: number;
  /**
   * Runs reach Spark over some seconds when many start at once (100 runs, each ingesting first, on two cores). The
   * next execution then gathers, up to `maxGatherMs`, while runs are on their way (`coming`: a small run is
   * ingesting) and, in a burst (BURST_ARRIVALS runs came in within `maxGatherMs`), while runs keep coming in, until
   * none has for this long. Such a burst then needs a few executions, not one per last execution's length.
   */
  gatherQuietMs: number;
  /**
   * How long a run announced as on its way (`coming`: its definition loaded, its ingest under way) is waited for.
   * When many runs start at once on a busy worker, a run takes seconds from its announcement to its submit; one
   * that has not come by then (its input failed its checks, its worker died) is not waited for any more. A gathering
   * itself still lasts at most `maxGatherMs`.
   */
  comingTimeoutMs: number;
}

/** What the scheduler tells the worker's metrics. */
export interface SchedulerObserver {
  /** One execution launched from the queue, serving `runs` runs. */
  executionLaunched(job: JobName, runs: number): void;
}

export const DEFAULT_COALESCING: CoalescingOptions = {
  maxInFlight: 1,
  maxMembers: 100,
  maxMemberMessages: 50_000,
  maxScanMessages: 200_000,
  statusIntervalMs: 20,
  releaseGraceMs: 2 * 60_000,
  gatherFactor: 1,
  maxGatherMs: 1_000,
  gatherQuietMs: 250,
  comingTimeoutMs: 5_000,
};

interface Waiting {
  spec: SparkJobSpec;
  /** Runs with the same key can share an execution; undefined: this one runs alone. */
  key: string | undefined;
  ranges: PartitionRange[];
  /** A rerun: the execution that could not give the run its result (never to be attached to again). */
  unusable?: string;
  resolve(handle: SparkJobHandle): void;
  reject(err: unknown): void;
}

/** Runs that must have come in within `maxGatherMs` for the scheduler to see a burst (gatherQuietMs). */
const BURST_ARRIVALS = 8;

/**
 * Runs that must have queued during an execution for the next one to gather. One alone is most often a closed
 * loop's next run (POST /process keeps two runs in flight and sends its next batch only when one ends): waiting
 * would delay it and bring nobody. Several are runs coming in on their own (a benchmark, clients of their own).
 */
const GATHER_MIN_QUEUED = 2;

export class CoalescingScheduler implements SparkJobRunner {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  /**
   * Until when (performance.now()) the next execution gathers, at least and (while runs keep coming) at most, and
   * the timer that starts it then.
   */
  private gatherUntil = 0;
  private gatherLimit = 0;
  private gatherTimer: NodeJS.Timeout | undefined;
  /** When (performance.now()) the newest run came in, and the BURST_ARRIVALS newest. */
  private lastArrival = 0;
  private readonly arrivals: number[] = [];
  /** Runs on their way to a submit (`coming`), and since when (performance.now()). */
  private readonly onTheirWay = new Map<string, number>();
  private readonly runs: RunExecutions;
  private readonly shared: SharedResults;
  private readonly watch: StatusWatch;

  constructor(
    private readonly executor: SparkExecutor,
    private readonly journal: ExecutionJournal,
    private readonly options: CoalescingOptions = DEFAULT_COALESCING,
    private readonly observer: SchedulerObserver = { executionLaunched: () => undefined },
  ) {
    this.runs = new RunExecutions(executor, journal);
    this.shared = new SharedResults(executor, options.releaseGraceMs);
    this.watch = new StatusWatch(executor, options.statusIntervalMs);
  }

  /** Runs waiting for a slot (to join the next execution). */
  get queued(): number {
    return this.waiting.length;
  }

  handle(runKey: string, job: JobName): SparkJobHandle {
    return this.runs.handle(runKey, job);
  }

  submit(spec: SparkJobSpec, options: SubmitOptions = {}): Promise<SparkJobHandle> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (options.retryOfAttemptAt !== undefined) return this.runs.resubmit(spec, options.retryOfAttemptAt, undefined, options.signal);
    return this.enqueue(spec, undefined, options.signal);
  }

  /**
   * Reruns wait for a slot like submits, and coalesce like them: after a Spark restart every run in flight reruns
   * at once, and one shared execution serves them instead of one execution each on a cold server.
   */
  async rerun(spec: SparkJobSpec, unusable: SparkJobHandle, options: SubmitOptions = {}): Promise<SparkJobHandle> {
    if (!unusable.shared) await this.executor.release(unusable.operationId).catch(() => undefined); // free a failed one
    if (options.retryOfAttemptAt !== undefined)
      return this.runs.resubmit(spec, options.retryOfAttemptAt, unusable.operationId, options.signal);
    return this.enqueue(spec, unusable.operationId, options.signal);
  }

  coming(runKey: string, coming: boolean): void {
    if (coming) this.onTheirWay.set(runKey, performance.now());
    else if (this.onTheirWay.delete(runKey)) this.pump();
  }

  /** Whether runs are on their way; one that has not come within `comingTimeoutMs` is not waited for any more. */
  private runsOnTheirWay(now: number): boolean {
    for (const [runKey, since] of this.onTheirWay) if (now - since > this.options.comingTimeoutMs) this.onTheirWay.delete(runKey);
    return this.onTheirWay.size > 0;
  }

  private enqueue(spec: SparkJobSpec, unusable: string | undefined, signal: AbortSignal | undefined): Promise<SparkJobHandle> {
    this.onTheirWay.delete(spec.runKey);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const ranges = spec.source.kind === 'kafka' ? spec.source.ranges : [];
      // A run whose records need de-duplicating (its ingest was retried: rare) runs alone, so the shared read stays plain.
      const coalescable =
        spec.source.kind === 'kafka' &&
        spec.source.recordKey !== undefined &&
        !spec.source.deduplicate &&
        rangeMessages(ranges) <= this.options.maxMemberMessages;
      // Only runs of the same definition version, job and parameters share an execution: it computes one plan.
      const key = coalescable ? JSON.stringify([planKey(spec.plan), (spec.source as { topic: string }).topic]) : undefined;
      const waiting: Waiting = { spec, key, ranges, ...(unusable ? { unusable } : {}), resolve, reject };
      this.waiting.push(waiting);
      this.lastArrival = performance.now();
      this.arrivals.push(this.lastArrival);
      if (this.arrivals.length > BURST_ARRIVALS) this.arrivals.shift();
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(waiting);
          if (at < 0) return; // already taken into an execution: the submit completes
          this.waiting.splice(at, 1);
          reject(signal.reason);
        },
        { once: true },
      );
      this.pump();
    });
  }

  async status(handle: SparkJobHandle): Promise<SparkJobState> {
    return (await this.executor.states([handle.operationId])).get(handle.operationId) ?? 'unknown';
  }

  settled(handle: SparkJobHandle, timeoutMs: number): Promise<SparkJobState> {
    return this.watch.settled(handle.operationId, timeoutMs);
  }

  async result(handle: SparkJobHandle): Promise<GroupedJobResult> {
    return handle.shared ? this.shared.result(handle.operationId, handle.shared) : this.executor.result(handle.operationId);
  }

  async release(_runKey: string, handles: SparkJobHandle[]): Promise<void> {
    for (const handle of handles) {
      if (handle.shared) await this.shared.release(handle.operationId, handle.shared);
      else await afterGrace(this.options.releaseGraceMs, () => this.executor.release(handle.operationId));
    }
  }

  async cancel(handle: SparkJobHandle): Promise<void> {
    if (handle.shared && handle.shared.members > 1) return; // the other runs still need it
    // An interrupt that arrives before Spark has scheduled the job's tasks marks the operation cancelled while the
    // job may still start; interrupt again while the server reports it running.
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.executor.interrupt(handle.operationId);
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      if ((await this.status(handle)) !== 'running') return;
    }
  }

  /** Starts waiting runs while slots are free: each start takes the first waiting run and those that can join it. */
  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const now = performance.now();
      // With runs on their way, or in a burst, a gathering begins once a slot is free (or Spark idle) and runs wait.
      const onTheirWay = this.runsOnTheirWay(now);
      const burst = this.arrivals.length === BURST_ARRIVALS && now - this.arrivals[0]! <= this.options.maxGatherMs;
      if ((onTheirWay || burst) && this.gatherLimit === 0 && this.options.gatherFactor > 0)
        this.gatherLimit = now + this.options.maxGatherMs;
      let until = 0;
      if (this.gatherLimit > 0 && onTheirWay) until = this.gatherLimit;
      else if (this.gatherLimit > 0 && burst && now - this.lastArrival < this.options.gatherQuietMs)
        until = Math.min(this.lastArrival + this.options.gatherQuietMs, this.gatherLimit);
      const gathering = Math.max(this.gatherUntil, until) - now;
      if (gathering > 0 && this.waiting.length < this.options.maxMembers) {
        clearTimeout(this.gatherTimer);
        this.gatherTimer = setTimeout(() => {
          this.gatherTimer = undefined;
          this.pump();
        }, gathering);
        return;
      }
      const group = this.takeGroup();
      this.gatherLimit = 0; // a gathering is for one execution
      this.inFlight++;
      const started = performance.now();
      void this.launch(group).finally(() => {
        this.inFlight--;
        // Runs still coming in while it ran: the load is on, so the next execution gathers for a while. A burst
        // that came all at once (at its start) has nobody left to wait for.
        const ranMs = performance.now() - started;
        const stillComing = performance.now() - this.lastArrival < ranMs / 2;
        if (this.waiting.length >= GATHER_MIN_QUEUED && stillComing) {
          this.gatherUntil = performance.now() + Math.min(ranMs * this.options.gatherFactor, this.options.maxGatherMs);
        }
        this.pump();
      });
    }
  }

  private takeGroup(): Waiting[] {
    const first = this.waiting.shift()!;
    const group = [first];
    if (first.key === undefined) return group;
    let covering = coveringRanges(first.ranges);
    for (let i = 0; i < this.waiting.length && group.length < this.options.maxMembers;) {
      const next = this.waiting[i]!;
      const joined = next.key === first.key ? coveringRanges([...covering, ...next.ranges]) : undefined;
      if (joined && rangeMessages(joined) <= this.options.maxScanMessages) {
        group.push(next);
        covering = joined;
        this.waiting.splice(i, 1);
      } else {
        i++;
      }
    }
    return group;
  }

  /** Starts the group's execution, answers its submits, and holds the slot until the execution ends. */
  private async launch(group: Waiting[]): Promise<void> {
    let operationId: string;
    try {
      if (group.length === 1) {
        const [{ spec, unusable, resolve }] = group as [Waiting];
        const handle = unusable === undefined ? await this.runs.startOwn(spec) : await this.runs.startAlone(spec, unusable);
        resolve(handle);
        operationId = handle.operationId;
      } else {
        operationId = await this.startShared(group);
      }
    } catch (err) {
      for (const waiting of group) waiting.reject(err);
      return;
    }
    this.observer.executionLaunched(group[0]!.spec.job, group.length);
    await this.watch.settled(operationId, Infinity);
  }

  private async startShared(group: Waiting[]): Promise<string> {
    const { job, plan, source } = group[0]!.spec;
    const topic = (source as { topic: string }).topic;
    const byMember = new Map(group.map((w) => [sparkOperationId(w.spec.runKey, w.spec.job), w]));
    const members = [...byMember.keys()].sort().map((id, i) => {
      const { spec, ranges } = byMember.get(id)!;
      const { recordKey, groups } = spec.source as { recordKey: string; groups?: string[] };
      return { operationId: id, runKey: spec.runKey, tag: String(i), recordKey, ranges, ...(groups?.length ? { groups } : {}) };
    });
    const execution: SharedExecution = {
      // New every time (the journal, written first, is how a retry finds it): the same runs may share again after
      // a rerun, and Spark refuses or still holds the id of their earlier execution.
      operationId: crypto.randomUUID(),
      job,
      plan: planKey(plan),
      topic,
      members,
    };
    await this.journal.record(execution);
    await this.executor.start(execution.operationId, plan, { kind: 'kafka-members', topic, members });
    this.shared.started(execution.operationId, members.length);
    for (const member of members) {
      byMember.get(member.operationId)!.resolve({
        runKey: member.runKey,
        job,
        operationId: execution.operationId,
        shared: { tag: member.tag, members: members.length },
      });
    }
    return execution.operationId;
  }
}
