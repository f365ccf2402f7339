// The pipeline definition a run starts with, read from the definitions directory when the run starts. The workflow
// records what this returns (the definition with its files' text and version), so a file edited while the run is
// in flight changes nothing for it, and its replays read the same definition.
import { ApplicationFailure } from '@temporalio/activity';
import type { Definition } from '../contracts/definitions';
import { DefinitionsDirectory } from '../lib/definitions';
import type { ActivityDeps } from './deps';

export function createDefinitionActivities({ config }: Pick<ActivityDeps, 'config'>) {
  // Read when each run starts (a handful of small files): a definition edited a moment ago is what the next run runs.
  const directory = new DefinitionsDirectory(config.definitionsDir, 0);
  return {
    /** The named definition as its files are now; an unknown or broken one fails the run with the reason. */
    async loadPipelineDefinition(name: string): Promise<Definition> {
      const found = directory.get(name);
      if ('definition' in found) return found.definition;
      throw ApplicationFailure.nonRetryable(`invalid pipeline input: pipeline: ${found.error}`, 'PipelineInputError');
    },
  };
}

export type DefinitionActivities = ReturnType<typeof createDefinitionActivities>;
