// What the activities see of Spark: submit a job over a run's records, ask its state, fetch its result, free it,
// cancel it; and the executor beneath, one Spark execution per call. No activity knows which backend runs the job
// (today Spark Connect; a spark-submit or Kubernetes SparkApplication executor would implement the same interface).
import type { PartitionRange } from '../../contracts/partition-ranges';
import type { JobName, JobParams, SourceMember } from '../jobs/sql';

/** One row of a job's section, as Spark returns it (JSON values). */
export type Row = Record<string, string | number | null>;
/** Section name → rows. */
export type JobResult = Record<string, Row[]>;

/** A job's result: its sections over the records without a group, and per group for grouped records. */
export interface GroupedJobResult {
  sections: JobResult;
  groups: Record<string, JobResult>;
}

/** Where a job's records come from. */
export type SparkSource =
  /**
   * An offset range of a topic; with `recordKey`, only the messages of that key (one run's records), and with
   * `deduplicate` each of them once by its `seq` header (more than one ingest attempt may have written them).
   */
  | { kind: 'kafka'; topic: string; ranges: PartitionRange[]; recordKey?: string; deduplicate?: boolean }
  /** A file of records (`.json`: one JSON array; other names: JSON lines) read by Spark's own JSON reader. */
  | { kind: 'json-file'; path: string };

/** What one Spark execution reads: one run's source, or the records of several runs in one pass (coalesced). */
export type ExecutionSource = SparkSource | { kind: 'kafka-members'; topic: string; members: SourceMember[] };

export interface SparkJobSpec {
  /** The run's identity: every key of the job is derived from it, so submitting twice starts one execution. */
  runKey: string;
  job: JobName;
  source: SparkSource;
  params: JobParams;
}

export interface SparkJobHandle {
  runKey: string;
  job: JobName;
  /** The execution that computes the job for this run. */
  operationId: string;
  /**
   * Set when the execution is shared with other runs (coalesced): this run's tag in it (its rows' groups are
   * `<tag>` or `<tag>:<group>`) and how many runs share it.
   */
  shared?: { tag: string; members: number };
}

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

export interface SparkBackend {
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
  /** Frees what the backend keeps for the run's jobs (results); safe to call more than once. */
  release(runKey: string, handles: SparkJobHandle[]): Promise<void>;
  /** Interrupts the run's execution (one shared with other runs is left to them). */
  cancel(handle: SparkJobHandle): Promise<void>;
}

/** One Spark execution per call, by operation id: what SparkBackend implementations build on. */
export interface SparkExecutor {
  /**
   * Starts the execution unless the server holds the id already (then it starts nothing). Resolves false when
   * the server refuses the id for good (it held an execution under it once and let it go).
   */
  start(operationId: string, job: JobName, params: JobParams, source: ExecutionSource): Promise<boolean>;
  states(operationIds: string[]): Promise<Map<string, SparkJobState>>;
  /** All of the execution's rows, by group (raw group names). */
  result(operationId: string): Promise<GroupedJobResult>;
  release(operationId: string): Promise<void>;
  interrupt(operationId: string): Promise<void>;
}
