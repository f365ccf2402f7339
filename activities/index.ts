// Every activity the worker registers, built from the worker's shared dependencies.
import { createBenchmarkActivities } from './benchmark';
import { createDefinitionActivities } from './definitions';
import type { ActivityDeps } from './deps';
import { createIngestActivities } from './ingest';
import { createSparkJobActivities } from './spark-job';
import { createStackCheckActivities } from './stack-check';
import { createStreamingActivities } from './streaming';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createStackCheckActivities(deps),
    ...createDefinitionActivities(deps),
    ...createIngestActivities(deps),
    ...createSparkJobActivities(deps),
    ...createStreamingActivities(deps),
    ...createBenchmarkActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
