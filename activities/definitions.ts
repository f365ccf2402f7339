// The pipeline definition a run starts with, read from the definitions directory when the run starts. The workflow
// records what this returns (the definition with its files' text and version), so a file edited while the run is
// in flight changes nothing for it, and its replays read the same definition.
import { ApplicationFailure } from '@temporalio/activity';
import type { Definition } from '../contracts/definitions';
import { DEFAULT_PIPELINE } from '../contracts/pipeline-input';
import { DefinitionsDirectory } from '../lib/definitions';
import type { ActivityDeps } from './deps';

/**
 * The named definition as its files are now (read each time: a handful of small files, so a definition edited a
 * moment ago is what the next run runs); an unknown or broken one fails the step with the reason.
 */
export function currentDefinition(definitionsDir: string, name: string): Definition {
  const found = new DefinitionsDirectory(definitionsDir, 0).get(name);
  if ('definition' in found) return found.definition;
  throw ApplicationFailure.nonRetryable(`invalid pipeline input: pipeline: ${found.error}`, 'PipelineInputError');
}

/**
 * What a step of a run from before pipeline definitions computes over: the employees definition (its steps carry no
 * definition: workflows/pipeline.ts, PIPELINE_DEFINITIONS).
 */
export const definitionOfEarlierRuns = (definitionsDir: string): Definition => currentDefinition(definitionsDir, DEFAULT_PIPELINE);

export function createDefinitionActivities({ config, spark }: Pick<ActivityDeps, 'config' | 'spark'>) {
  return {
    /**
     * `submitting`: a small run's key, whose Spark jobs follow in moments (its one workflow task goes on to ingest
     * and submit): Spark's next execution may wait a little for it, to share (spark/runtime/coalescing-scheduler.ts).
     */
    async loadPipelineDefinition(name: string, submitting?: string): Promise<Definition> {
      if (submitting !== undefined) spark.coming(submitting, true);
      return currentDefinition(config.definitionsDir, name);
    },
  };
}

export type DefinitionActivities = ReturnType<typeof createDefinitionActivities>;
