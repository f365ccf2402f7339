// The Spark steps of a pipeline run, each a separate durable activity: submit the job (idempotent: the operation
// id comes from the run), poll it until it ends (heartbeating, so a dead worker is noticed in seconds and a
// cancelled workflow interrupts the Spark execution), collect its result, and release what Spark holds for the run.
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { SparkConnectError } from '../lib/spark-connect';
import type { GroupedJobResult, JobResult, SparkJobHandle, SparkJobSpec } from '../spark/backend';
import type { JobName } from '../spark/jobs';
import { resolveDataFile } from './ingest';
import { activityLogger, type ActivityDeps } from './deps';

/**
 * A collected result: inline when small, otherwise stored in the results topic and referenced. `inline` holds the
 * sections of an ordinary run; a run carrying several requests' records (groups) has them per group in `groups`.
 * Stored results are messages of `{ group?, section, rows }`.
 */
export type CollectedResult =
  | { inline: JobResult; groups?: Record<string, JobResult>; rows: number; bytes: number }
  | { stored: { topic: string; key: string; ranges: { partition: number; from: number; to: number }[] }; rows: number; bytes: number };

export interface PollResult {
  state: 'finished';
  polls: number;
  resubmitted: boolean;
  /** The execution to collect from: the submitted one, or the run's own if it had to run again. */
  handle: SparkJobHandle;
}

/** Turns Spark's verdict into Temporal's: a user error (bad plan, bad data) is not worth retrying. */
function toFailure(err: unknown): unknown {
  if (err instanceof SparkConnectError && err.nonRetryable && err.kind !== 'canceled') {
    return ApplicationFailure.nonRetryable(err.message, `SparkJobError${err.errorClass ? `:${err.errorClass}` : ''}`);
  }
  return err;
}

/** How long one wait for the job's end lasts before the poll heartbeats and waits again. */
const SETTLE_WAIT_MS = 1_000;

/** Splits a large result into messages of at most about `limit` bytes: one section's rows (of one group) or fewer. */
function resultChunks(result: GroupedJobResult, limit: number): string[] {
  const chunks: string[] = [];
  const parts: [string | undefined, JobResult][] = [[undefined, result.sections], ...Object.entries(result.groups)];
  for (const [group, sections] of parts) {
    for (const [section, rows] of Object.entries(sections)) {
      let current: unknown[] = [];
      let size = 0;
      const flush = () => chunks.push(JSON.stringify({ ...(group === undefined ? {} : { group }), section, rows: current }));
      for (const row of rows) {
        const rowSize = JSON.stringify(row).length + 1;
        if (current.length > 0 && size + rowSize > limit) {
          flush();
          current = [];
          size = 0;
        }
        current.push(row);
        size += rowSize;
      }
      flush();
    }
  }
  return chunks;
}

const countRows = (sections: JobResult) => Object.values(sections).reduce((n, r) => n + r.length, 0);

export function createSparkJobActivities({ sparkBackend, kafka, config, logger }: ActivityDeps) {
  /** A file source names a file under the data directory; Spark gets its absolute path. */
  const resolve = (spec: SparkJobSpec): SparkJobSpec =>
    spec.source.kind === 'json-file' ? { ...spec, source: { kind: 'json-file', path: resolveDataFile(config.dataDir, spec.source.path) } } : spec;

  return {
    async submitSparkJob(spec: SparkJobSpec): Promise<SparkJobHandle> {
      const log = activityLogger(logger);
      const { attempt, scheduledTimestampMs } = Context.current().info;
      try {
        // A retry may follow an attempt that started the execution before its worker died: find that one.
        const handle = await sparkBackend.submit(resolve(spec), attempt > 1 ? { retryOfAttemptAt: scheduledTimestampMs } : {});
        log.info({ job: spec.job, operationId: handle.operationId, shared: handle.shared }, 'spark job submitted');
        return handle;
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** Waits for the job to end. A job the server no longer knows (Spark restarted) is submitted again, alone. */
    async pollSparkJob(spec: SparkJobSpec, submitted: SparkJobHandle): Promise<PollResult> {
      const log = activityLogger(logger);
      const ctx = Context.current();
      let handle = submitted;
      let polls = 0;
      let resubmitted = false;
      try {
        for (;;) {
          ctx.heartbeat({ polls });
          const state = await Promise.race([sparkBackend.settled(handle, SETTLE_WAIT_MS), ctx.cancelled]);
          polls++;
          if (state === 'finished') return { state, polls, resubmitted, handle };
          if (state === 'canceled') throw ApplicationFailure.nonRetryable(`Spark job ${spec.job} (${handle.operationId}) was cancelled on the Spark side`, 'SparkJobCancelled');
          if (state === 'unknown') {
            // Results are a pure function of the run's input, so running the job again is safe.
            log.warn({ operationId: handle.operationId }, 'spark no longer knows the job; submitting it again');
            handle = await sparkBackend.submit(resolve(spec), { alone: true });
            resubmitted = true;
          }
        }
      } catch (err) {
        if (err instanceof CancelledFailure) {
          log.info({ operationId: handle.operationId }, 'poll cancelled; interrupting the spark job');
          await sparkBackend.cancel(handle);
        }
        throw toFailure(err);
      }
    },

    async collectSparkResult(spec: SparkJobSpec, handle: SparkJobHandle): Promise<CollectedResult> {
      const log = activityLogger(logger);
      let result: GroupedJobResult;
      try {
        result = await sparkBackend.result(handle);
      } catch (err) {
        if (!(err instanceof SparkConnectError && err.errorClass === 'INVALID_HANDLE.OPERATION_NOT_FOUND')) throw toFailure(err);
        log.warn({ operationId: handle.operationId }, 'spark no longer holds the result; running the job again');
        const own = await sparkBackend.submit(resolve(spec), { alone: true });
        result = await sparkBackend.result(own).catch((e: unknown) => Promise.reject(toFailure(e)));
      }
      const rows = countRows(result.sections) + Object.values(result.groups).reduce((n, g) => n + countRows(g), 0);
      const bytes = Buffer.byteLength(JSON.stringify(result));
      if (bytes <= config.resultInlineLimitBytes) {
        return Object.keys(result.groups).length > 0 ? { inline: result.sections, groups: result.groups, rows, bytes } : { inline: result.sections, rows, bytes };
      }

      const topic = config.kafka.resultsTopic;
      const key = `${spec.runKey}:${spec.job}`;
      await kafka.ensureTopic(topic, 1);
      const chunks = resultChunks(result, Math.floor(config.resultInlineLimitBytes / 2));
      const ranges = await kafka.produce(topic, chunks.map((value) => ({ key, value, partition: 0 })));
      log.info({ job: spec.job, bytes, rows, topic, ranges }, 'large result stored in the results topic');
      return { stored: { topic, key, ranges }, rows, bytes };
    },

    /**
     * Frees what Spark keeps for the run's jobs; only after their results are stored in history. `handles` are
     * those the run got back (a job without one is looked for under the run's own id).
     */
    async releaseSparkRun(runKey: string, jobs: JobName[], handles: Partial<Record<JobName, SparkJobHandle>> = {}): Promise<void> {
      await sparkBackend.release(runKey, jobs.map((job) => handles[job] ?? sparkBackend.handle(runKey, job)));
    },

    /** Interrupts the run's Spark executions (workflow cancellation); jobs never submitted are left alone. */
    async cancelSparkJobs(runKey: string, jobs: JobName[], handles: Partial<Record<JobName, SparkJobHandle>> = {}): Promise<void> {
      await Promise.all(jobs.map((job) => sparkBackend.cancel(handles[job] ?? sparkBackend.handle(runKey, job))));
    },
  };
}

export type SparkJobActivities = ReturnType<typeof createSparkJobActivities>;
