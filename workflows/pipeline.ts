// pipelineWorkflow: a batch of records goes into Kafka, Spark jobs run over exactly that batch, results come back.
// Orchestration only (deterministic, no I/O): every external step is an activity, every key comes from the run's identity.
import type { RetryPolicy, SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  TemporalFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DefinitionActivities } from '../activities/definitions';
import type { IngestActivities, IngestInput } from '../activities/ingest';
import type { CollectResult, SparkJobActivities } from '../activities/spark-job';
import { jobPlan, type Definition } from '../contracts/definitions';
import type { JobName } from '../contracts/jobs';
import {
  PIPELINE_PROGRESS_QUERY,
  type CollectedResult,
  type EarlierTries,
  type IngestResult,
  type JobProgress,
  type JobTimings,
  type PipelineMetricsSinks,
  type PipelineProgress,
  type PipelineResult,
  type PipelineStatus,
  type SparkJobHandle,
  type SparkJobSpec,
  type SparkSource,
} from '../contracts/pipeline';
import {
  parsePipelineInput,
  inlineRecordCount,
  PipelineInputError,
  pipelineSource,
  resolvePipelineInput,
  type ParsedPipelineInput,
  type PipelineInput,
  type ResolvedPipelineInput,
} from '../contracts/pipeline-input';
import { SMALL_RUN_MAX_RECORDS } from '../contracts/limits';
import { RecordValidationError } from '../contracts/records';
import { PIPELINE_DEFINITION, PIPELINE_JOBS, PIPELINE_STATUS, RECORD_COUNT } from '../contracts/search-attributes';
import { rootCause, rootCauseMessage } from './failures';

// Retries: transient faults (a broker or Spark restarting) clear within seconds to a minute; bad input never does.
const retry: RetryPolicy = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 20 };
const nonRetryableErrorTypes = ['PipelineInputError', 'RecordValidationError'];

// Short idempotent steps run as local activities: no task-queue round trip and no workflow task of their own,
// recorded as a marker in history when the workflow task that ran them completes.
const { planIngest } = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: '30s', retry });
const { loadPipelineDefinition } = proxyLocalActivities<DefinitionActivities>({
  startToCloseTimeout: '30s',
  retry: { ...retry, nonRetryableErrorTypes },
});
/**
 * Runs started before pipeline definitions replay without loading one: their first workflow task validated their
 * (employee) records already, and their Spark steps get specs without a plan, which the activities read as the
 * employees definition's job (activities/spark-job.ts).
 */
const PIPELINE_DEFINITIONS = 'pipeline-definitions';
// Releasing is cleanup (Spark drops what nobody releases after its detached timeout): a few tries, then a warning.
const { releaseSparkRun } = proxyLocalActivities<SparkJobActivities>({
  startToCloseTimeout: '30s',
  retry: { ...retry, maximumAttempts: 3 },
});
// Every step that waits heartbeats each second, so a dead worker is noticed within its heartbeat timeout and
// another worker takes the step over.
const { ingestRecords } = proxyActivities<IngestActivities>({
  startToCloseTimeout: '10m', // a 1,000,000-record file takes ~10-20 s
  heartbeatTimeout: '10s',
  retry: { ...retry, nonRetryableErrorTypes },
});
const { submitSparkJob, cancelSparkJobs } = proxyActivities<SparkJobActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '5s', // a submit may wait for a Spark slot (coalescing)
  retry: { ...retry, nonRetryableErrorTypes },
});
// Collect is a regular activity, not a local one: its result must be in history before release frees it on Spark.
// (As a local activity it ran in the same workflow task as the release; a task whose completion was lost replayed
// the collect after the release had run, against an execution Spark no longer had.)
const { collectSparkResult } = proxyActivities<SparkJobActivities>({
  startToCloseTimeout: '10m', // a job that must run again here takes the job's time
  heartbeatTimeout: '10s',
  retry: { ...retry, nonRetryableErrorTypes },
});
/** Runs started before that change replay collect as they ran it (patch COLLECT_AS_ACTIVITY). */
const { collectSparkResult: collectLocally } = proxyLocalActivities<SparkJobActivities>({
  startToCloseTimeout: '5m',
  retry: { ...retry, nonRetryableErrorTypes },
});
const COLLECT_AS_ACTIVITY = 'collect-as-activity';
// A sink writes a section again with Spark (a job's time): its retries replace what an earlier attempt wrote.
const { writeSinks } = proxyActivities<SparkJobActivities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '10s',
  retry: { ...retry, nonRetryableErrorTypes },
});
const { pollSparkJob } = proxyActivities<SparkJobActivities>({
  startToCloseTimeout: '2h',
  // Heartbeats come every poll (at most 1 s apart): a worker that dies mid-poll is noticed within 5 s, and
  // another worker picks the poll up.
  heartbeatTimeout: '5s',
  retry,
});

/**
 * A small run (inline records, at most SMALL_RUN_MAX_RECORDS) takes its steps as local activities in one workflow
 * task: no task-queue round trip and no history events per step, one search-attribute update when it ends, and its
 * records once in history (a local activity's input is not recorded). The steps are idempotent, so a task that is
 * lost (its worker died) runs them again: each looks first for what the earlier try wrote or started (EarlierTries).
 * Runs started before this shape existed replay as they ran.
 */
const SMALL_RUNS = 'small-runs-in-one-task';
const small = proxyLocalActivities<IngestActivities & SparkJobActivities>({
  startToCloseTimeout: '10m', // a submit may wait for a Spark slot; a poll waits for the job (and a rerun after a Spark restart)
  retry: { ...retry, nonRetryableErrorTypes },
});

/**
 * Whether a local activity may follow a try of it that a lost workflow task started: then it looks first for what
 * that try wrote or started. Two ways a step follows a lost task:
 * - the run's first workflow task has 3 events before it (started, task scheduled, task started); a later task
 *   follows a lost one;
 * - the worker replays the run's history: it did not hold the run, so the worker that did is gone (or gave the run
 *   up). A step that is not in the history ran unrecorded there, maybe after the task was extended (a local activity
 *   past 80 % of the task's timeout records the steps that ended, and the history then still reads 3 events at the
 *   step's call).
 * A local activity's input is not recorded, so this does not touch the run's determinism: on replay a recorded step
 * is not run.
 */
function earlier(): EarlierTries {
  const info = workflowInfo();
  return info.historyLength > 3 || info.unsafe.isReplaying ? { since: info.runStartTime.getTime() } : {};
}

/** How a run takes its steps: as activities of their own (durable one by one), or a small run's local activities. */
interface RunShape {
  /** The run's definition and its input checked against it. */
  resolve(parsed: ParsedPipelineInput, runDate: string): Promise<{ definition?: Definition; resolved: ResolvedPipelineInput }>;
  ingest(input: Omit<IngestInput, 'plan' | 'earlier'>): Promise<IngestResult>;
  /** A job: submitted, waited for, collected. `step` hears of each part as it ends (the progress query). */
  runJob(
    spec: SparkJobSpec,
    step: (progress: JobProgress, handle: SparkJobHandle) => void,
  ): Promise<CollectResult & { timings: JobTimings }>;
  /** Search-attribute updates: each one an event at once, or (a small run) one update of them all when it ends. */
  upsert(pairs: SearchAttributeUpdatePair[]): void;
  /** Sends what `upsert` held back. */
  flush(): void;
}

/**
 * A run that is not small whose records are inline (10,001 to 100,000 of them) ingests them as a local activity, as
 * a small run does: a local activity's input is not recorded, so its records are in history once (the run's input),
 * not twice. Ingesting 100,000 records takes well under a second (a hundred to a message). Runs started before this
 * replay their ingest as the activity they scheduled.
 */
const INLINE_INGEST_LOCAL = 'inline-ingest-local';

/**
 * The steps of a run that is not small: each an activity of its own (heartbeating), the ingest plan a marker; inline
 * records are ingested by a local activity (INLINE_INGEST_LOCAL).
 */
const activityShape: RunShape = {
  resolve: resolveInput,
  ingest: async (input) =>
    input.file === undefined && patched(INLINE_INGEST_LOCAL)
      ? named('ingestRecords', small.ingestRecords({ ...input, earlier: earlier() }))
      : ingestRecords({ ...input, plan: await planIngest() }),
  async runJob(spec, step) {
    const t0 = Date.now();
    const submitted = await submitSparkJob(spec);
    step('submitted', submitted);
    const t1 = Date.now();
    // The job may have had to run again on its own (Spark restarted): collect from where it ran.
    const { handle } = await pollSparkJob(spec, submitted);
    step('collecting', handle);
    const t2 = Date.now();
    const collected = patched(COLLECT_AS_ACTIVITY)
      ? await collectSparkResult(spec, handle)
      : olderCollect(await collectLocally(spec, handle), handle);
    return { ...collected, timings: { submitMs: t1 - t0, pollMs: t2 - t1, collectMs: Date.now() - t2 } };
  },
  upsert: upsertSearchAttributes,
  flush: () => undefined,
};

/**
 * A small run's steps: local activities in the run's one workflow task. The ingest plans as it writes; a job is one
 * step (submit, wait, collect: activities/spark-job.ts runSparkJob). Its release runs in the same task as the
 * collect: when that task's completion is lost after the release (its worker died, Temporal's history was away), the
 * collect that runs again reads the execution Spark keeps for the release grace (releaseGraceMs, 2 minutes); a task
 * lost for longer computes the job again for the run alone (the same answer, one more execution).
 */
function smallRunShape(runKey: string): RunShape {
  const held = new Map<string, SearchAttributeUpdatePair>();
  return {
    async resolve(parsed, runDate) {
      const definition = await loadPipelineDefinition(parsed.pipeline, runKey);
      return { definition, resolved: orFail(() => resolvePipelineInput(parsed, definition, runDate)) };
    },
    ingest: (input) => named('ingestRecords', small.ingestRecords({ ...input, earlier: earlier() })),
    runJob: (spec) => named('runSparkJob', small.runSparkJob(spec, earlier())),
    upsert: (pairs) => pairs.forEach((pair) => held.set(pair.key.name, pair)),
    flush() {
      if (held.size > 0) upsertSearchAttributes([...held.values()]);
      held.clear();
    },
  };
}

/**
 * A local activity's failure comes without the ActivityFailure around it that names the activity: the run fails
 * saying which step failed and why, as a regular activity's failure does (withRootCause).
 */
async function named<T>(activity: string, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (err) {
    if (isCancellation(err) || !(err instanceof TemporalFailure)) throw err;
    throw stepFailure(activity, err);
  }
}

/** Whether a run is small: its records inline, at most SMALL_RUN_MAX_RECORDS of them. */
function isSmall({ input }: ParsedPipelineInput): boolean {
  const records = inlineRecordCount(input);
  return records !== undefined && records <= SMALL_RUN_MAX_RECORDS;
}

export const progressQuery = defineQuery<PipelineProgress>(PIPELINE_PROGRESS_QUERY);

/** Run counts and step timings for the worker's /metrics (not called on replay). */
const { pipelineMetrics } = proxySinks<PipelineMetricsSinks>();

/** Validation errors become non-retryable failures that fail the run at once with the message. */
function orFail<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof PipelineInputError || err instanceof RecordValidationError)
      throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
}

/** The run's input checked against its definition (recorded in history by the local activity that loads it). */
async function resolveInput(
  parsed: ParsedPipelineInput,
  runDate: string,
): Promise<{ definition?: Definition; resolved: ResolvedPipelineInput }> {
  if (patched(PIPELINE_DEFINITIONS)) {
    const definition = await loadPipelineDefinition(parsed.pipeline);
    return { definition, resolved: orFail(() => resolvePipelineInput(parsed, definition, runDate)) };
  }
  const { input } = parsed;
  const source = pipelineSource(parsed, undefined);
  const referenceDate = input.referenceDate ?? runDate;
  return {
    resolved: {
      source,
      jobs: [...new Set(input.jobs ?? ['final_analysis'])],
      params: { referenceDate: { type: 'date', value: referenceDate } },
    },
  };
}

export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineResult> {
  const started = Date.now();
  const parsed = orFail(() => parsePipelineInput(input));
  // The run's identity: workflowId names the run, firstExecutionRunId tells apart two runs that reuse a
  // workflowId after the first one closed (its Spark operations are released and cannot be started again).
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const runKey = `${workflowId}/${firstExecutionRunId}`;
  const shape = isSmall(parsed) && patched(SMALL_RUNS) ? smallRunShape(runKey) : activityShape;
  const progress: PipelineProgress = { status: 'ingesting', recordCount: undefined, ingest: undefined, jobs: {} };
  setHandler(progressQuery, () => progress);
  /** The status, for the progress query and the Web UI (a small run's updates go out together when it ends). */
  const setStatus = (status: PipelineStatus, more: SearchAttributeUpdatePair[] = []) => {
    progress.status = status;
    shape.upsert([{ key: PIPELINE_STATUS, value: status }, ...more]);
  };

  const runDate = workflowInfo().startTime.toISOString().slice(0, 10);
  const { definition, resolved } = await shape.resolve(parsed, runDate);
  const { jobs, params } = resolved;
  for (const job of jobs) progress.jobs[job] = 'pending';
  pipelineMetrics.runStarted(jobs);
  setStatus('ingesting', [
    { key: PIPELINE_JOBS, value: jobs },
    ...(definition ? [{ key: PIPELINE_DEFINITION, value: [definition.name, `${definition.name}@${definition.version}`] }] : []),
  ]);
  /** What each job computes: its definition's SQL with the run's parameters; a run from before definitions has none. */
  const specOf = (job: JobName, source: SparkSource): SparkJobSpec =>
    definition
      ? { runKey, job, source, plan: jobPlan(definition, job, params) }
      : ({ runKey, job, source, params: { referenceDate: params.referenceDate!.value } } as unknown as SparkJobSpec);
  /** Each job's Spark execution, once submitted: the run's own, or one it shares with other runs. */
  const handles: Partial<Record<JobName, SparkJobHandle>> = {};

  try {
    // 1. Ingest: records (inline, in groups, or from a file) into the records topic, unless Spark reads the source.
    let source: SparkSource;
    const { source: input_ } = resolved;
    if (input_.kind === 'records' || input_.kind === 'groups' || (input_.kind === 'file' && input_.ingest)) {
      const ingest = await shape.ingest(
        input_.kind === 'records'
          ? { runKey, records: input_.records }
          : input_.kind === 'groups'
            ? { runKey, groups: input_.groups }
            : { runKey, file: input_.path, ...(definition ? { fields: { fields: definition.fields, key: definition.key } } : {}) },
      );
      progress.ingest = ingest;
      progress.recordCount = ingest.recordCount;
      source = {
        kind: 'kafka',
        topic: ingest.topic,
        ranges: ingest.ranges,
        recordKey: ingest.recordKey,
        deduplicate: ingest.attempt > 1 || ingest.resumed === true,
        ...(input_.kind === 'groups' ? { groups: input_.groups.map((g) => g.id) } : {}),
      };
    } else if (input_.kind === 'file') {
      source = { kind: 'json-file', path: input_.path };
    } else {
      source = { kind: 'kafka', topic: input_.topic, ranges: input_.ranges };
    }
    const ingestMs = Date.now() - started;
    setStatus('running', progress.recordCount === undefined ? [] : [{ key: RECORD_COUNT, value: progress.recordCount }]);

    // 2-4. Each job: submit, poll until it ends, collect. Jobs run side by side.
    const timings: Partial<Record<JobName, JobTimings>> = {};
    const results: Partial<Record<JobName, CollectedResult>> = {};
    const sinks: NonNullable<PipelineResult['sinks']> = {};
    await Promise.all(
      jobs.map(async (job) => {
        const spec = specOf(job, source);
        const collected = await shape.runJob(spec, (step, handle) => {
          progress.jobs[job] = step;
          handles[job] = handle;
        });
        handles[job] = collected.handle;
        results[job] = collected.result;
        progress.jobs[job] = 'done';
        timings[job] = collected.timings;
        // Only jobs whose definition declares sinks have this step (runs recorded without one replay as they ran).
        if (spec.plan?.sections.some(([, section]) => section.sink)) sinks[job] = await writeSinks(spec);
      }),
    );
    await releaseSparkRun(runKey, jobs, handles).catch((e: unknown) =>
      log.warn('could not release the run on Spark', { error: String(e) }),
    );
    setStatus('completed');
    shape.flush();
    const runTimings = { ingestMs, jobs: timings, totalMs: Date.now() - started };
    pipelineMetrics.runEnded(jobs, 'completed', runTimings);
    return {
      runKey,
      recordCount: progress.recordCount,
      source,
      results,
      ...(Object.keys(sinks).length > 0 ? { sinks } : {}),
      spark: handles,
      timings: runTimings,
    };
  } catch (err) {
    await CancellationScope.nonCancellable(async () => {
      if (isCancellation(err)) {
        log.info('pipeline cancelled: interrupting its Spark jobs');
        await cancelSparkJobs(runKey, jobs, handles);
      }
      await releaseSparkRun(runKey, jobs, handles).catch((e: unknown) =>
        log.warn('could not release the run on Spark', { error: String(e) }),
      );
      setStatus(isCancellation(err) ? 'cancelled' : 'failed');
      shape.flush();
      pipelineMetrics.runEnded(jobs, isCancellation(err) ? 'cancelled' : 'failed', undefined);
    });
    throw isCancellation(err) ? err : withRootCause(err);
  }
}

/** A local collect recorded by the earlier code returned the result alone. */
function olderCollect(collected: CollectResult | CollectedResult, handle: SparkJobHandle): CollectResult {
  return 'handle' in collected && 'result' in collected ? collected : { result: collected, handle };
}

/** Fails the run with the message of what actually went wrong, not just "Activity task failed". */
function withRootCause(err: unknown): unknown {
  return err instanceof ActivityFailure ? stepFailure(err.activityType, err) : err;
}

/** `<activity>: <root cause's message>`, with the root cause's type: final. */
function stepFailure(activity: string, err: TemporalFailure): ApplicationFailure {
  const root = rootCause(err);
  const type = root instanceof ApplicationFailure ? (root.type ?? undefined) : undefined;
  return ApplicationFailure.create({ message: `${activity}: ${rootCauseMessage(err)}`, type, nonRetryable: true, cause: err });
}
