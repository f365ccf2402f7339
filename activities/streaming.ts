// Activities of a stream's workflow, one Spark effect each: start the stream's query (idempotent: the running one
// is found by its name first, and a new one resumes from the stream's checkpoint), look at it, stop it.
import { ApplicationFailure } from '@temporalio/activity';
import { ResourcePolicy, ResourceRefusal } from '../contracts/resource-policy';
import { streamPlan } from '../contracts/definitions';
import type { StreamObservation, StreamQueryHandle, StreamSpec } from '../contracts/streams';
import { SparkConnectError } from '../lib/spark-connect';
import { definitionOfEarlierRuns } from './definitions';
import { activityLogger, type ActivityDeps } from './deps';

/** A query Spark refuses to plan (bad SQL, a missing connector) fails the same way every time. */
function toFailure(err: unknown): unknown {
  if (err instanceof SparkConnectError && err.isUserError) {
    return ApplicationFailure.nonRetryable(err.message, `StreamQueryError${err.errorClass ? `:${err.errorClass}` : ''}`);
  }
  return err;
}

export function createStreamingActivities({ streams, logger, config }: Pick<ActivityDeps, 'streams' | 'logger' | 'config'>) {
  const policy = new ResourcePolicy(config.resources);
  /** A stream started before stream jobs came from definitions computes the employees definition's stream job. */
  const withPlan = (spec: StreamSpec): StreamSpec =>
    spec.plan ? spec : { ...spec, plan: streamPlan(definitionOfEarlierRuns(config.definitionsDir)) };
  return {
    async startStream(given: StreamSpec): Promise<StreamQueryHandle> {
      const spec = withPlan(given);
      const log = activityLogger(logger);
      // The source as the REST trigger checks it, for streams started from the Temporal CLI: the stream fails.
      try {
        policy.stream(spec);
      } catch (err) {
        if (err instanceof ResourceRefusal) throw ApplicationFailure.nonRetryable(err.message, 'StreamInputError');
        throw err;
      }
      try {
        const { query, started } = await streams.start(spec);
        log.info(
          { stream: spec.name, queryId: query.id, queryRunId: query.runId, started },
          started ? 'stream query started' : 'stream query already running',
        );
        return query;
      } catch (err) {
        log.warn({ stream: spec.name, err }, 'could not start the stream query');
        throw toFailure(err);
      }
    },

    async observeStream(spec: StreamSpec, last: StreamQueryHandle | null): Promise<StreamObservation> {
      const observation = await streams.observe(withPlan(spec), last).catch((err: unknown) => {
        throw toFailure(err);
      });
      if (observation.state !== 'active') activityLogger(logger).warn({ stream: spec.name, observation }, 'stream query not active');
      return observation;
    },

    async stopStream(spec: StreamSpec): Promise<StreamQueryHandle | null> {
      const stopped = await streams.stop(withPlan(spec));
      activityLogger(logger).info(
        { stream: spec.name, queryId: stopped?.id ?? null },
        stopped ? 'stream query stopped' : 'no stream query was running',
      );
      return stopped;
    },
  };
}

export type StreamingActivities = ReturnType<typeof createStreamingActivities>;
