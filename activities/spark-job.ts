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
}

/** Turns Spark's verdict into Temporal's: a user error (bad plan, bad data) is not worth retrying. */
function toFailure(err: unknown): unknown {
  if (err instanceof SparkConnectError && err.nonRetryable && err.kind !== 'canceled') {
    return ApplicationFailure.nonRetryable(err.message, `SparkJobError${err.errorClass ? `:${err.errorClass}` : ''}`);
  }
  return err;
}

/** Status checks are cheap (a few ms): ask often while a job is young, then settle at one a second. */
export const pollDelay = (polls: number) => (polls < 40 ? 25 + 5 * polls : 1_000);

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
      try {
        const handle = await sparkBackend.submit(resolve(spec));
        log.info({ job: spec.job, operationId: handle.operationId }, 'spark job submitted');
        return handle;
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** Waits for the job to end. A job the server no longer knows (Spark restarted) is submitted again. */
    async pollSparkJob(spec: SparkJobSpec, handle: SparkJobHandle): Promise<PollResult> {
      const log = activityLogger(logger);
      const ctx = Context.current();
      let polls = 0;
      let resubmitted = false;
      try {
        for (;;) {
          const state = await sparkBackend.status(handle);
          ctx.heartbeat({ state, polls });
          if (state === 'finished') return { state, polls, resubmitted };
          if (state === 'canceled') throw ApplicationFailure.nonRetryable(`Spark job ${spec.job} (${handle.operationId}) was cancelled on the Spark side`, 'SparkJobCancelled');
          if (state === 'unknown') {
            // Results are a pure function of the run's input, so running the job again is safe.
            log.warn({ operationId: handle.operationId }, 'spark no longer knows the job; submitting it again');
            await sparkBackend.submit(resolve(spec));
            resubmitted = true;
          }
          await ctx.sleep(pollDelay(polls++)); // throws CancelledFailure when the workflow cancels us
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
        await sparkBackend.submit(resolve(spec));
        result = await sparkBackend.result(handle).catch((e: unknown) => Promise.reject(toFailure(e)));
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

    /** Frees what Spark keeps for the run (results, views); only after the results are stored in history. */
    async releaseSparkRun(runKey: string, jobs: JobName[]): Promise<void> {
      await sparkBackend.release(runKey, jobs.map((job) => sparkBackend.handle(runKey, job)));
    },

    /** Interrupts the run's Spark executions (workflow cancellation); jobs never submitted are left alone. */
    async cancelSparkJobs(runKey: string, jobs: JobName[]): Promise<void> {
      await Promise.all(jobs.map((job) => sparkBackend.cancel(sparkBackend.handle(runKey, job))));
    },
  };
}

export type SparkJobActivities = ReturnType<typeof createSparkJobActivities>;
