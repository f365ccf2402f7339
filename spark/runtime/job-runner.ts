// What the activities see of Spark (SparkJobRunner): submit a job over a run's records, ask its state, fetch its
// result, free it, cancel it; and the executor beneath (SparkExecutor), one Spark execution per call. No activity
// knows what runs the job (today the coalescing scheduler over Spark Connect; a spark-submit or Kubernetes
// SparkApplication executor would implement the same interface).
import type { GroupedJobResult } from '../../contracts/groups';
import type { JobPlan } from '../../contracts/definitions';
import type { JobName } from '../../contracts/jobs';
import type { SparkJobHandle, SparkJobSpec, SparkSource } from '../../contracts/pipeline';
import type { SourceMember } from '../jobs/sql';

/** What one Spark execution reads: one run's source, or the records of several runs in one pass (coalesced). */
export type ExecutionSource = SparkSource | { kind: 'kafka-members'; topic: string; members: SourceMember[] };

/**
 * What Spark says of an execution:
 * - `running`;
 * - `finished`: ended and held, `result` returns its rows or throws its error (an interrupted one too);
 * - `released`: ended and let go, by us or by Spark (its detached timeout abandons an execution nobody attached
 *   to for long): its result is gone and its id cannot be started again;
 * - `canceled`: interrupted, and let go;
 * - `unknown`: never started in this session, or lost with it (an idle timeout, a server restart).
 */
export type SparkJobState = 'running' | 'finished' | 'released' | 'canceled' | 'unknown';

export interface SubmitOptions {
  /**
   * This submit retries one that may have started an execution: look for that execution first (never start a
   * second one for the run while the first is known), and do not coalesce. The first attempt's start time.
   */
  retryOfAttemptAt?: number;
  /** Aborting a submit that waits for a slot takes it out of the queue; the submit rejects with the reason. */
  signal?: AbortSignal;
}

/** The run's job could not be run to a result under any of its operation ids (Spark let every one go). */
export class SparkJobLostError extends Error {
  override name = 'SparkJobLostError';
}

export interface SparkJobRunner {
  /** The handle of a run's job run on its own, known before (and whether or not) it was submitted. */
  handle(runKey: string, job: JobName): SparkJobHandle;
  submit(spec: SparkJobSpec, options?: SubmitOptions): Promise<SparkJobHandle>;
  status(handle: SparkJobHandle): Promise<SparkJobState>;
  /** The state once the job is no longer running, or `running` after `timeoutMs`. */
  settled(handle: SparkJobHandle, timeoutMs: number): Promise<SparkJobState>;
  /** The run's part of the result. */
  result(handle: SparkJobHandle): Promise<GroupedJobResult>;
  /**
   * The execution behind `unusable` cannot give the run its result (Spark lost it or let it go, it was
   * interrupted, or it failed): runs the run's job again, waiting for a slot and perhaps sharing an execution with
   * others like a submit; alone, under the first of the run's own operation ids Spark still lets it use. With
   * `retryOfAttemptAt`, first looks for the execution an earlier attempt's rerun started. Throws SparkJobLostError
   * when no operation id is left.
   */
  rerun(spec: SparkJobSpec, unusable: SparkJobHandle, options?: SubmitOptions): Promise<SparkJobHandle>;
  /** Frees what the runner keeps for the run's jobs (results); safe to call more than once. */
  release(runKey: string, handles: SparkJobHandle[]): Promise<void>;
  /** Interrupts the run's execution (one shared with other runs is left to them). */
  cancel(handle: SparkJobHandle): Promise<void>;
  /**
   * The run's submit follows in moments (a small run is ingesting its records), or (`false`) it does not after all:
   * the next execution may wait a little for it, to share.
   */
  coming(runKey: string, coming: boolean): void;
}

/** One Spark execution per call, by operation id: what a SparkJobRunner builds on. */
export interface SparkExecutor {
  /**
   * Starts the execution unless the server holds the id already (then it starts nothing). Resolves false when
   * the server refuses the id for good (it held an execution under it once and let it go).
   */
  start(operationId: string, plan: JobPlan, source: ExecutionSource): Promise<boolean>;
  states(operationIds: string[]): Promise<Map<string, SparkJobState>>;
  /** All of the execution's rows, by group (raw group names). */
  result(operationId: string): Promise<GroupedJobResult>;
  release(operationId: string): Promise<void>;
  interrupt(operationId: string): Promise<void>;
}

/** Writes one section's rows of a run somewhere besides its result (a definition's sink). */
export interface SectionSinks {
  /**
   * The section's rows over exactly the run's records, computed by Spark, replacing whatever is at `path` (a
   * retried or replayed run writes the same rows again, never more).
   */
  writeParquet(plan: JobPlan, section: string, source: SparkSource, path: string): Promise<void>;
  /**
   * The section's rows as JSON messages to `topic`, keyed `<keyPrefix><row number>` (numbered in the section's
   * order): written again, the same keys.
   */
  writeKafka(plan: JobPlan, section: string, source: SparkSource, topic: string, keyPrefix: string): Promise<void>;
}
