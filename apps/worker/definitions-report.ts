// What the worker says of the pipeline definitions when it starts: each broken one with its error, and what Spark's
// analysis finds in each valid one's SQL. It never stops the worker: a broken definition fails its own runs only.
import type { Logger } from '../../lib/logger';
import { loadDefinitions } from '../../lib/definitions';
import { checkDefinition, type AnalyzeSql } from '../../spark/jobs/definition-check';

export async function reportDefinitions(dir: string, analyze: AnalyzeSql, logger: Logger): Promise<void> {
  const catalog = loadDefinitions(dir);
  for (const broken of catalog.broken)
    logger.error({ definition: broken.name ?? broken.directory, error: broken.error }, 'pipeline definition is broken');
  for (const definition of catalog.definitions.values()) {
    const log = logger.child({ definition: definition.name, version: definition.version });
    try {
      const { problems } = await checkDefinition(definition, analyze);
      if (problems.length === 0) log.info({ jobs: Object.keys(definition.jobs) }, 'pipeline definition checked by Spark');
      else for (const problem of problems) log.error({ problem }, 'pipeline definition does not pass Spark analysis');
    } catch (err) {
      log.warn({ err }, 'pipeline definition not checked: Spark did not answer (its runs are checked when they run)');
    }
  }
}
