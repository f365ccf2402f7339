// streamingWorkflow: the supervisor of one named stream (workflow id `stream-<name>`). Spark runs the Structured
// Streaming query; this workflow starts it, polls its progress on a timer (a query and search attributes show it),
// starts it again from its checkpoint when it failed or disappeared (with backoff, counting restarts), stops it on
// the `stop` signal or on cancellation, and continues as new every `pollsPerRun` polls so its history stays bounded.
// Orchestration only: every look at Spark is an activity.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DefinitionActivities } from '../activities/definitions';
import type { StreamingActivities } from '../activities/streaming';
import { streamPlan, type StreamPlan } from '../contracts/definitions';
import {
  STREAM_BATCH_DURATION_MS,
  STREAM_INPUT_RATE,
  STREAM_LAG,
  STREAM_LAST_BATCH_ID,
  STREAM_PROCESSED_RATE,
  STREAM_STATE,
} from '../contracts/search-attributes';
import {
  parseStreamInput,
  STREAM_STATUS_QUERY,
  STREAM_STOP_SIGNAL,
  StreamInputError,
  type StreamInputSpec,
  type StreamObservation,
  type StreamSpec,
  type StreamStatus,
  type StreamingWorkflowInput,
} from '../contracts/streams';
import { rootCauseMessage } from './failures';

// Starting a query plans it on Spark (seconds); a Spark that is away is waited out by the supervision loop, not
// by one activity's retries, so the workflow keeps answering and counting while it is.
const { startStream, stopStream } = proxyActivities<StreamingActivities>({
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['StreamInputError'],
  },
});
// A look at the query is a few quick Spark Connect calls: a local activity, no task-queue round trip per poll.
const { observeStream } = proxyLocalActivities<StreamingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumAttempts: 3 },
});

// The stream's definition, read when the stream starts and recorded in history (a local activity's marker); its
// stream job's plan then goes along to every later run of the workflow, so an edited file never changes a stream
// that runs (a stream started again reads it anew).
const { loadPipelineDefinition } = proxyLocalActivities<DefinitionActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumAttempts: 5, nonRetryableErrorTypes: ['PipelineInputError'] },
});
/**
 * Streams started before stream jobs came from definitions replay without loading one; their activities read a
 * spec without a plan as the employees definition's stream job (activities/streaming.ts).
 */
const STREAM_DEFINITIONS = 'stream-definitions';

export const streamStatusQuery = defineQuery<StreamStatus>(STREAM_STATUS_QUERY);
export const stopSignal = defineSignal(STREAM_STOP_SIGNAL);

/** Backoff between restarts of a query that keeps failing: 1 s doubling to 1 min; a healthy poll resets it. */
const RESTART_BACKOFF_MS = { initial: 1_000, max: 60_000 };
/**
 * While Spark does not answer, it is most likely restarting: look every second rather than every `pollSeconds`, so
 * its return is seen within a second, and start the query it lost at once (it did not fail: no backoff).
 */
const AWAY_POLL_MS = 1_000;
/** Runs started before that change replay their restarts as they ran them (with the backoff timer). */
const RESTART_AT_ONCE_AFTER_SPARK_AWAY = 'restart-at-once-after-spark-away';

export async function streamingWorkflow(input: StreamingWorkflowInput): Promise<StreamStatus> {
  const settings = parseOrFail(input);
  const carry = input.carry;
  const status: StreamStatus = {
    name: settings.name,
    state: carry?.query ? 'running' : 'starting',
    spec: { ...settings, ...(carry?.plan ? { plan: carry.plan } : {}) },
    query: carry?.query ?? null,
    restarts: carry?.restarts ?? 0,
    lastError: carry?.lastError ?? null,
    progress: carry?.progress ?? null,
    polls: carry?.polls ?? 0,
    workflowRuns: (carry?.workflowRuns ?? 0) + 1,
  };
  let stopRequested = false;
  setHandler(streamStatusQuery, () => status);
  setHandler(stopSignal, () => void (stopRequested = true));
  // The status answers while the definition loads (its spec without a plan until then).
  const plan = carry?.plan ?? (patched(STREAM_DEFINITIONS) ? await loadPlan(settings) : undefined);
  const spec = (plan ? { ...settings, plan } : settings) as StreamSpec;
  status.spec = spec;

  let shownBatch: number | undefined;
  let shownState: StreamStatus['state'] | undefined;
  /** Search attributes when something changed (each update is an event in history). */
  const show = () => {
    const p = status.progress;
    if (status.state === shownState && p?.batchId === shownBatch) return;
    const pairs: SearchAttributeUpdatePair[] = [{ key: STREAM_STATE, value: status.state }];
    if (p) {
      pairs.push(
        { key: STREAM_LAST_BATCH_ID, value: p.batchId },
        // In records; a progress recorded before the query counted records (a replayed history) has message rates only.
        { key: STREAM_INPUT_RATE, value: p.inputRecordsPerSecond ?? p.inputRowsPerSecond },
        { key: STREAM_PROCESSED_RATE, value: p.processedRecordsPerSecond ?? p.processedRowsPerSecond },
        { key: STREAM_BATCH_DURATION_MS, value: p.batchDurationMs },
      );
      if (p.lag !== null) pairs.push({ key: STREAM_LAG, value: p.lag });
    }
    upsertSearchAttributes(pairs);
    shownState = status.state;
    shownBatch = p?.batchId;
  };

  /** Starts the query (or finds it running); a failure is noted and left to the loop to retry. Returns whether it runs. */
  const start = async (): Promise<boolean> => {
    try {
      status.query = await startStream(spec);
      status.state = 'running';
      return true;
    } catch (err) {
      if (isCancellation(err) || isFinal(err)) throw err;
      status.state = 'restarting';
      status.lastError = `could not start the query: ${rootCauseMessage(err)}`;
      status.query = null;
      return false;
    }
  };

  try {
    if (!status.query) await start();
    show();
    let failuresInARow = status.state === 'restarting' ? 1 : 0;
    /** Whether the last look found Spark not answering. */
    let sparkAway = false;
    for (let polls = 0; ;) {
      const pollMs = sparkAway ? Math.min(AWAY_POLL_MS, spec.pollSeconds * 1000) : spec.pollSeconds * 1000;
      if (await condition(() => stopRequested, pollMs)) break;
      const seen = await observe(spec, status.query);
      status.polls++;
      polls++;
      const wasAway = sparkAway;
      sparkAway = seen.state === 'unreachable';
      if (seen.state === 'active') {
        status.state = 'running';
        status.query = seen.query;
        if (seen.progress) status.progress = seen.progress;
        failuresInARow = 0;
      } else if (seen.state === 'unreachable') {
        status.lastError = `Spark did not answer: ${seen.error}`;
      } else {
        // It failed, ended or vanished (Spark restarted), or the last start failed: start it again from its
        // checkpoint, after a backoff that grows while it keeps failing.
        if (status.state !== 'restarting') {
          status.state = 'restarting';
          status.lastError =
            seen.error ?? `the query ${seen.state === 'gone' ? 'disappeared (Spark restarted or lost the session)' : 'ended'}`;
          log.warn('stream query not running; restarting it from its checkpoint', { stream: spec.name, error: status.lastError });
          show();
        }
        // Spark came back without the query: it restarted and lost it, the query did not fail. Start it at once.
        const lostInARestart = wasAway && seen.state === 'gone' && patched(RESTART_AT_ONCE_AFTER_SPARK_AWAY);
        if (!lostInARestart) {
          const backoff = Math.min(RESTART_BACKOFF_MS.initial * 2 ** failuresInARow, RESTART_BACKOFF_MS.max);
          failuresInARow++;
          if (await condition(() => stopRequested, backoff)) break;
        }
        if (await start()) status.restarts++;
      }
      show();
      if (polls >= spec.pollsPerRun || workflowInfo().continueAsNewSuggested) {
        // The memo (what POST /streams compares a new start against) goes along explicitly.
        await makeContinueAsNewFunc<typeof streamingWorkflow>({ memo: workflowInfo().memo ?? {} })({
          ...input,
          carry: {
            restarts: status.restarts,
            polls: status.polls,
            workflowRuns: status.workflowRuns,
            query: status.query,
            lastError: status.lastError,
            progress: status.progress,
            ...(plan ? { plan } : {}),
          },
        });
      }
    }
    status.state = 'stopping';
    show();
    await stopStream(spec);
    status.state = 'stopped';
    show();
    return status;
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        log.info('stream cancelled: stopping its query', { stream: spec.name });
        status.state = 'stopping';
        await stopStream(spec);
        status.state = 'stopped';
        show();
      });
    }
    throw err;
  }
}

/** One look at the query; a look that fails (the worker could not ask) counts as "Spark did not answer". */
async function observe(spec: StreamSpec, query: StreamStatus['query']): Promise<StreamObservation> {
  try {
    return await observeStream(spec, query);
  } catch (err) {
    if (isCancellation(err) || isFinal(err)) throw err;
    return { state: 'unreachable', error: rootCauseMessage(err) };
  }
}

/** A failure no retry can fix (Spark refuses the query itself): the stream fails with it. */
function isFinal(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable === true;
}

/** The stream job the input names, from its definition as its files are now; an unknown one fails the stream. */
async function loadPlan(settings: StreamInputSpec): Promise<StreamPlan> {
  const definition = await loadPipelineDefinition(settings.pipeline);
  try {
    return streamPlan(definition, settings.job);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`invalid stream input: job: ${(err as Error).message}`, 'StreamInputError');
  }
}

function parseOrFail(input: StreamingWorkflowInput): StreamInputSpec {
  const { carry: _carry, ...streamInput } = input;
  try {
    return parseStreamInput(streamInput);
  } catch (err) {
    if (err instanceof StreamInputError) throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
}
