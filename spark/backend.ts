// What the activities see of Spark: submit a job over a run's records, ask its state, fetch its result, free it,
// cancel it. No activity knows which backend runs the job (today Spark Connect; a spark-submit or Kubernetes
// SparkApplication backend would implement the same interface).
import type { PartitionRange } from '../lib/kafka';
import type { JobName, JobParams } from './jobs';
import type { JobResult } from './reference';

export type { JobResult };

/** A job's result: its sections over the records without a group, and per group for grouped records. */
export interface GroupedJobResult {
  sections: JobResult;
  groups: Record<string, JobResult>;
}

/** Where a job's records come from. */
export type SparkSource =
  /** An offset range of a topic; with `recordKey`, only the messages of that key (one run's records). */
  | { kind: 'kafka'; topic: string; ranges: PartitionRange[]; recordKey?: string }
  /** A file of records (`.json`: one JSON array; other names: JSON lines) read by Spark's own JSON reader. */
  | { kind: 'json-file'; path: string };

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
  operationId: string;
}

/** `finished` covers success and failure alike: `result` returns the rows or throws the job's error. */
export type SparkJobState = 'running' | 'finished' | 'canceled' | 'unknown';

export interface SparkBackend {
  /** The handle of a run's job, known before (and whether or not) it was submitted. */
  handle(runKey: string, job: JobName): SparkJobHandle;
  submit(spec: SparkJobSpec): Promise<SparkJobHandle>;
  status(handle: SparkJobHandle): Promise<SparkJobState>;
  result(handle: SparkJobHandle): Promise<GroupedJobResult>;
  /** Frees what the backend keeps for the run's jobs (results, views); safe to call more than once. */
  release(runKey: string, handles: SparkJobHandle[]): Promise<void>;
  cancel(handle: SparkJobHandle): Promise<void>;
}
