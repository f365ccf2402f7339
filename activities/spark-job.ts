// The Spark steps of a pipeline run, each a separate durable activity: submit the job (idempotent: the operation
// id comes from the run), poll it until it ends (heartbeating, so a dead worker is noticed in seconds), collect its
// result, and release what Spark holds for the run. An execution that cannot give the run its result (Spark lost it
// in a restart or a closed session, let it go, or it failed) is run again for the run alone: results are a pure
// function of the run's records. Interrupting Spark is the workflow's decision (cancelSparkJobs), never a side
// effect of an activity being cancelled: a worker shutting down or a heartbeat timeout must not stop a job.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { bindParameters, jobPlan } from '../contracts/definitions';
import type { GroupedJobResult } from '../contracts/groups';
import type { JobName, JobResult } from '../contracts/jobs';
import type { CollectedResult, EarlierTries, JobTimings, SinkWritten, SparkJobHandle, SparkJobSpec } from '../contracts/pipeline';
import { ResourcePolicy, ResourceRefusal } from '../contracts/resource-policy';
import { isOperationGone, SparkConnectError } from '../lib/spark-connect';
import { SparkJobLostError } from '../spark/runtime/job-runner';
import { definitionOfEarlierRuns } from './definitions';
import { activityLogger, type ActivityDeps } from './deps';
import { earlierTriesSince } from './earlier-tries';
import { resolveDataFile } from './ingest';

export interface PollResult {
  state: 'finished';
  polls: number;
  resubmitted: boolean;
  /** The execution to collect from: the submitted one, or the run's own if it had to run again. */
  handle: SparkJobHandle;
}

export interface CollectResult {
  result: CollectedResult;
  /** The execution the result came from (the run's own if the polled one had to run again): the one to release. */
  handle: SparkJobHandle;
}

/** How long one wait for the job's end lasts before the poll heartbeats and waits again. */
const SETTLE_WAIT_MS = 1_000;
/** How often submit and collect heartbeat while they wait (their heartbeat timeouts are set in the workflow). */
const HEARTBEAT_INTERVAL_MS = 1_000;

/** Thrown into an activity that waits when its worker begins to shut down: another worker takes the step over. */
export function workerShutdownFailure(): ApplicationFailure {
  return ApplicationFailure.retryable('the worker is shutting down; another worker takes this step over', 'WorkerShutdown');
}

/** Turns Spark's verdict into Temporal's: a user error (bad plan, bad data) or a job Spark kept losing is final. */
function toFailure(err: unknown): unknown {
  if (err instanceof SparkJobLostError) return ApplicationFailure.nonRetryable(err.message, 'SparkJobLost');
  if (err instanceof SparkConnectError && err.isUserError) {
    return ApplicationFailure.nonRetryable(err.message, `SparkJobError${err.errorClass ? `:${err.errorClass}` : ''}`);
  }
  return err;
}

/**
 * Whether reading a result failed in a way that running the job again (alone) fixes: the execution is gone, it
 * was interrupted, or it failed inside Spark; a shared execution that failed for any reason, so that one member's
 * bad input fails that member only. Not: Spark unreachable (the activity retries), or a solo job's own user error.
 */
function needsRerun(err: unknown, handle: SparkJobHandle): boolean {
  if (isOperationGone(err)) return true;
  if (!(err instanceof SparkConnectError)) return false;
  if (err.kind === 'transient') return false;
  if (err.kind === 'user') return handle.shared !== undefined;
  return true;
}

/** Splits a large result into messages of at most about `limit` bytes: one section's rows (of one group) or fewer. */
function resultChunks(result: GroupedJobResult, limit: number): string[] {
  const chunks: string[] = [];
  const parts: [string | undefined, JobResult][] = [[undefined, result.sections], ...Object.entries(result.groups)];
  for (const [group, sections] of parts) {
    for (const [section, rows] of Object.entries(sections)) {
      let current: unknown[] = [];
      let size = 0;
      const flush = () =>
        chunks.push(JSON.stringify({ part: chunks.length, ...(group === undefined ? {} : { group }), section, rows: current }));
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

/** Heartbeats on a clock while `work` runs (a local activity has no heartbeats: its workflow task is its lease). */
async function heartbeating<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
  if (ctx.info.isLocal) return work();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createSparkJobActivities({ spark, sinks, kafka, config, logger, draining }: ActivityDeps) {
  const policy = new ResourcePolicy(config.resources);
  /**
   * A file source names a file under the data directory (Spark gets its absolute path); a topic read as it is (a
   * `topic` input, no run key) must be one clients may read. Both as the REST trigger checks them, for runs started
   * from the Temporal CLI.
   */
  const resolve = (recorded: SparkJobSpec): SparkJobSpec => {
    const spec = planned(recorded);
    const { source } = spec;
    try {
      if (source.kind === 'json-file') {
        policy.pipelineSource({ file: source.path });
        return { ...spec, source: { kind: 'json-file', path: resolveDataFile(config.dataDir, source.path) } };
      }
      if (source.recordKey === undefined) policy.pipelineSource({ topic: source.topic });
    } catch (err) {
      if (err instanceof ResourceRefusal) throw ApplicationFailure.nonRetryable(err.message, 'PipelineInputError');
      throw err;
    }
    return spec;
  };
  /**
   * A spec recorded by a run that started before pipeline definitions has a job and a reference date, not a plan:
   * the employees definition's job (workflows/pipeline.ts, PIPELINE_DEFINITIONS).
   */
  const planned = (spec: SparkJobSpec): SparkJobSpec => {
    if (spec.plan) return spec;
    const { params, ...rest } = spec as SparkJobSpec & { params: { referenceDate: string } };
    const definition = definitionOfEarlierRuns(config.definitionsDir);
    return {
      ...rest,
      plan: jobPlan(definition, spec.job, bindParameters(definition, { referenceDate: params.referenceDate }, params.referenceDate)),
    };
  };
  /**
   * A rerun waits for a Spark slot like a submit (so it leaves the queue if the step is cancelled or the worker
   * drains); in a later attempt of the step it first looks for the rerun an earlier attempt started.
   */
  const rerunOptions = (ctx: Context, earlier: EarlierTries) => {
    const signal = AbortSignal.any([ctx.cancellationSignal, draining]);
    const since = earlierTriesSince(ctx, earlier);
    return since === undefined ? { signal } : { signal, retryOfAttemptAt: since };
  };
  /** Rejects once the worker begins to shut down. */
  const shutdown = new Promise<never>((_, reject) =>
    draining.addEventListener('abort', () => reject(workerShutdownFailure()), { once: true }),
  );
  shutdown.catch(() => undefined);

  const activities = {
    async submitSparkJob(spec: SparkJobSpec, earlier: EarlierTries = {}): Promise<SparkJobHandle> {
      const log = activityLogger(logger);
      const ctx = Context.current();
      const since = earlierTriesSince(ctx, earlier);
      // A submit may wait for a slot (coalescing): cancelling the activity, or the worker shutting down, takes it
      // out of the queue before it starts anything.
      const signal = AbortSignal.any([ctx.cancellationSignal, draining]);
      try {
        // A retry may follow an attempt that started the execution before its worker died: find that one.
        const handle = await heartbeating(ctx, () =>
          spark.submit(resolve(spec), since === undefined ? { signal } : { retryOfAttemptAt: since, signal }),
        );
        log.info({ job: spec.job, operationId: handle.operationId, shared: handle.shared }, 'spark job submitted');
        return handle;
      } catch (err) {
        if (signal.aborted && !ctx.cancellationSignal.aborted) throw workerShutdownFailure();
        if (ctx.cancellationSignal.aborted) throw await ctx.cancelled.catch((cancelled: unknown) => cancelled);
        throw toFailure(err);
      }
    },

    /**
     * Waits for the job to end. A job Spark no longer holds (restarted, session closed, abandoned or interrupted)
     * is run again for this run alone. When the worker begins to shut down, the poll hands over at once (it holds
     * nothing: the job runs on in Spark, and the next attempt on another worker waits for it).
     */
    async pollSparkJob(spec: SparkJobSpec, submitted: SparkJobHandle, earlier: EarlierTries = {}): Promise<PollResult> {
      const log = activityLogger(logger);
      const ctx = Context.current();
      let handle = submitted;
      let polls = 0;
      let resubmitted = false;
      try {
        for (;;) {
          if (!ctx.info.isLocal) ctx.heartbeat({ polls, operationId: handle.operationId });
          const state = await Promise.race([spark.settled(handle, SETTLE_WAIT_MS), ctx.cancelled, shutdown]);
          polls++;
          if (state === 'finished') return { state, polls, resubmitted, handle };
          if (state === 'running') continue;
          log.warn({ operationId: handle.operationId, state }, 'spark does not hold the job any more; running it again for this run');
          handle = await spark.rerun(resolve(spec), handle, rerunOptions(ctx, earlier));
          resubmitted = true;
        }
      } catch (err) {
        throw toFailure(err);
      }
    },

    async collectSparkResult(spec: SparkJobSpec, polled: SparkJobHandle, earlier: EarlierTries = {}): Promise<CollectResult> {
      const log = activityLogger(logger);
      const ctx = Context.current();
      let handle = polled;
      const result = await heartbeating(ctx, async () => {
        for (;;) {
          try {
            return await spark.result(handle);
          } catch (err) {
            if (!needsRerun(err, handle)) throw toFailure(err);
            log.warn(
              { operationId: handle.operationId, error: (err as Error).message },
              'the execution cannot give this run its result; running the job again for it alone',
            );
            handle = await spark.rerun(resolve(spec), handle, rerunOptions(ctx, earlier)).catch((e: unknown) => {
              // Say what the last execution died of, not only that there were too many.
              const lost =
                e instanceof SparkJobLostError ? new SparkJobLostError(`${e.message}; the last one: ${(err as Error).message}`) : e;
              return Promise.reject(toFailure(lost));
            });
          }
        }
      });
      const rows = countRows(result.sections) + Object.values(result.groups).reduce((n, g) => n + countRows(g), 0);
      const bytes = Buffer.byteLength(JSON.stringify(result));
      if (bytes <= config.resultInlineLimitBytes) {
        const inline =
          Object.keys(result.groups).length > 0
            ? { inline: result.sections, groups: result.groups, rows, bytes }
            : { inline: result.sections, rows, bytes };
        return { result: inline, handle };
      }

      const topic = config.kafka.resultsTopic;
      const key = `${spec.runKey}:${spec.job}`;
      await kafka.ensureTopic(topic, 1);
      const chunks = resultChunks(result, Math.floor(config.resultInlineLimitBytes / 2));
      const ranges = await kafka.produce(
        topic,
        chunks.map((value) => ({ key, value, partition: 0 })),
      );
      log.info({ job: spec.job, bytes, rows, topic, ranges }, 'large result stored in the results topic');
      return { result: { stored: { topic, key, ranges }, rows, bytes }, handle };
    },

    /**
     * Writes each section of the job that declares a sink, computed by Spark from exactly the run's records: Parquet
     * under the warehouse at `<path>/run_id=<the run's first run id>` (replacing what is there), or messages to a
     * topic keyed by the run, the section and the row (the same keys again). So a retried attempt or a replayed run
     * leaves the same rows, never more.
     */
    async writeSinks(spec: SparkJobSpec): Promise<SinkWritten[]> {
      const log = activityLogger(logger);
      const ctx = Context.current();
      const resolved = resolve(spec);
      const runId = spec.runKey.slice(spec.runKey.lastIndexOf('/') + 1);
      const written: SinkWritten[] = [];
      for (const [section, s] of resolved.plan.sections) {
        if (!s.sink) continue;
        const field = `jobs.${spec.job}.sections.${section}.sink`;
        try {
          if (s.sink.parquet !== undefined) policy.warehousePath('invalid pipeline definition', `${field}.parquet`, s.sink.parquet);
          if (s.sink.kafka !== undefined) policy.topic('invalid pipeline definition', `${field}.kafka`, s.sink.kafka);
        } catch (err) {
          if (err instanceof ResourceRefusal) throw ApplicationFailure.nonRetryable(err.message, 'PipelineInputError');
          throw err;
        }
        if (s.sink.parquet !== undefined) {
          const path = `${config.warehouseDir}/${s.sink.parquet}/run_id=${runId}`;
          await heartbeating(ctx, () => sinks.writeParquet(resolved.plan, section, resolved.source, path)).catch((err: unknown) =>
            Promise.reject(toFailure(err)),
          );
          log.info({ job: spec.job, section, path }, 'section written to its sink');
          written.push({ section, format: 'parquet', path });
        } else if (s.sink.kafka !== undefined) {
          const topic = s.sink.kafka;
          const keyPrefix = `${runId}|${section}|`;
          // Spark's Kafka writer needs the topic; one partition keeps a run's rows in order (one the user made stays as it is).
          await kafka.ensureTopic(topic, 1);
          await heartbeating(ctx, () => sinks.writeKafka(resolved.plan, section, resolved.source, topic, keyPrefix)).catch((err: unknown) =>
            Promise.reject(toFailure(err)),
          );
          log.info({ job: spec.job, section, topic }, 'section written to its sink');
          written.push({ section, format: 'kafka', topic, keyPrefix });
        }
      }
      return written;
    },

    /**
     * Frees what Spark keeps for the run's jobs; only after their results are stored in history. `handles` are
     * those the run got back (a job without one is looked for under the run's own id).
     */
    async releaseSparkRun(runKey: string, jobs: JobName[], handles: Partial<Record<JobName, SparkJobHandle>> = {}): Promise<void> {
      await spark.release(
        runKey,
        jobs.map((job) => handles[job] ?? spark.handle(runKey, job)),
      );
    },

    /** Interrupts the run's Spark executions (workflow cancellation); jobs never submitted are left alone. */
    async cancelSparkJobs(runKey: string, jobs: JobName[], handles: Partial<Record<JobName, SparkJobHandle>> = {}): Promise<void> {
      await Promise.all(jobs.map((job) => spark.cancel(handles[job] ?? spark.handle(runKey, job))));
    },
  };
  return {
    ...activities,
    /**
     * A small run's job as one step (a local activity in the run's one workflow task): submit, wait for the end,
     * collect. Its retries, and its tries after a lost task (`earlier`), find what the earlier ones started.
     */
    async runSparkJob(spec: SparkJobSpec, earlier: EarlierTries = {}): Promise<CollectResult & { timings: JobTimings }> {
      const t0 = Date.now();
      const submitted = await activities.submitSparkJob(spec, earlier);
      const t1 = Date.now();
      const polled = await activities.pollSparkJob(spec, submitted, earlier);
      const t2 = Date.now();
      const collected = await activities.collectSparkResult(spec, polled.handle, earlier);
      return { ...collected, timings: { submitMs: t1 - t0, pollMs: t2 - t1, collectMs: Date.now() - t2 } };
    },
  };
}

export type SparkJobActivities = ReturnType<typeof createSparkJobActivities>;
