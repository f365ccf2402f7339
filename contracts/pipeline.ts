// What one pipeline run passes across its boundaries: between the workflow and its activities (a job's source,
// spec and handle, what ingest wrote, a collected result), and from the workflow to its callers (progress and the
// result, and what it reports to the worker's metrics). Types only.
import type { Sinks } from '@temporalio/workflow';
import type { JobPlan } from './definitions';
import type { JobName, JobResult } from './jobs';
import type { PartitionRange } from './partition-ranges';

/** Where a job's records come from. */
export type SparkSource =
  /**
   * An offset range of a topic; with `recordKey`, only the messages of that key (one run's records), and with
   * `deduplicate` each of them once by its `seq` header (more than one ingest attempt may have written them).
   */
  | {
      kind: 'kafka';
      topic: string;
      ranges: PartitionRange[];
      recordKey?: string;
      deduplicate?: boolean;
      /** With `recordKey`: the groups the run's records carry (a grouped run); none: they carry no group. */
      groups?: string[];
    }
  /** A file of records (`.json`: one JSON array; other names: JSON lines) read by Spark's own JSON reader. */
  | { kind: 'json-file'; path: string };

export interface SparkJobSpec {
  /** The run's identity: every key of the job is derived from it, so submitting twice starts one execution. */
  runKey: string;
  job: JobName;
  source: SparkSource;
  /** What the job computes: its definition's SQL and the run's parameters (recorded with the run). */
  plan: JobPlan;
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
 * Given to a small run's local activities (workflows/pipeline.ts): `since`, the run's start, when an earlier try of
 * the step may have run in a workflow task that was lost (its worker died before the task completed), so the step
 * first looks for what that try wrote or started. A regular activity's retries know it from their attempt number.
 */
export interface EarlierTries {
  since?: number;
}

export interface IngestResult {
  topic: string;
  /** The Kafka key of the run's records (lib/idempotency.ts recordKey): how readers pick them out of the topic. */
  recordKey: string;
  ranges: PartitionRange[];
  recordCount: number;
  /** Records this attempt wrote; the rest were found already written by an earlier attempt. */
  written: number;
  /**
   * The attempt that wrote them. Above 1, an earlier attempt may have written some records too, and may still be
   * writing (a zombie that lost its lease), so readers take each (key, seq) once. An attempt 1 whose result is
   * recorded had no predecessor: Temporal takes the result of the latest attempt only.
   */
  attempt: number;
  /**
   * A small run's ingest that ran again after the workflow task holding it was lost: it looked for what the try
   * before it wrote, which may still be writing, so readers take each (key, seq) once, as after attempt 1.
   */
  resumed?: true;
}

/**
 * A collected result: inline when small, otherwise stored in the results topic and referenced. `inline` holds the
 * sections of an ordinary run; a run carrying several requests' records (groups) has them per group in `groups`.
 * Stored results are messages of `{ part, group?, section, rows }`: `part` numbers them in order (a large result is
 * written by several requests at once, which the topic may hold in another order).
 */
export type CollectedResult =
  | { inline: JobResult; groups?: Record<string, JobResult>; rows: number; bytes: number }
  | { stored: { topic: string; key: string; ranges: PartitionRange[] }; rows: number; bytes: number };

export type PipelineStatus = 'ingesting' | 'running' | 'completed' | 'failed' | 'cancelled';
export type JobProgress = 'pending' | 'submitted' | 'collecting' | 'done';

/** The query that answers a running pipeline's PipelineProgress. */
export const PIPELINE_PROGRESS_QUERY = 'progress';

export interface PipelineProgress {
  status: PipelineStatus;
  recordCount: number | undefined;
  ingest: IngestResult | undefined;
  jobs: Record<string, JobProgress>;
}

export interface JobTimings {
  submitMs: number;
  pollMs: number;
  collectMs: number;
}

export interface PipelineResult {
  runKey: string;
  recordCount: number | undefined;
  /** Where the records were read from: for ingested runs, the topic and each partition's offset range. */
  source: SparkSource;
  results: Partial<Record<JobName, CollectedResult>>;
  /** Where each job's sinks wrote their sections (jobs whose definition declares sinks). */
  sinks?: Partial<Record<JobName, SinkWritten[]>>;
  /** The Spark execution that computed each job: the run's own, or one it shared with other runs (`shared`). */
  spark: Partial<Record<JobName, SparkJobHandle>>;
  timings: { ingestMs: number; jobs: Partial<Record<JobName, JobTimings>>; totalMs: number };
}

/**
 * What a pipeline run reports to its worker's metrics, from inside the sandbox: a sink, called once per run (not on
 * replay), so a run resumed by another worker is counted once.
 */
export interface PipelineMetricsSinks extends Sinks {
  pipelineMetrics: {
    runStarted(jobs: JobName[]): void;
    runEnded(jobs: JobName[], outcome: 'completed' | 'failed' | 'cancelled', timings: PipelineResult['timings'] | undefined): void;
  };
}

/** A section written by a sink: where its rows are now. */
export type SinkWritten =
  | { section: string; format: 'parquet'; path: string }
  /** One message per row, keyed `<keyPrefix><row number>`. */
  | { section: string; format: 'kafka'; topic: string; keyPrefix: string };
