// Job and stream plans for tests that drive the Spark side directly (no workflow): a definition's job or stream job,
// as a run would record it, read from the repository's definitions directory.
import path from 'node:path';
import { recordShape, streamPlan, type Definition, type JobPlan } from '../../contracts/definitions';
import type { RecordShape } from '../../contracts/records';
import { parseStreamInput, type StreamSpec } from '../../contracts/streams';
import { DefinitionsDirectory, loadJobPlan } from '../../lib/definitions';

export const DEFINITIONS_DIR = path.resolve(__dirname, '../../definitions');

export function employeePlan(job: string, params: { referenceDate: string }): JobPlan {
  return loadJobPlan(DEFINITIONS_DIR, 'employees', job, params);
}

/** A definition of this repository, as a run records it. */
export function repositoryDefinition(name: string): Definition {
  const found = new DefinitionsDirectory(DEFINITIONS_DIR, 0).get(name);
  if (!('definition' in found)) throw new Error(found.error);
  return found.definition;
}

/** A stream as its workflow runs it: the input's settings and the named definition's stream job, from this repository. */
export function streamSpec(input: Record<string, unknown>): StreamSpec {
  const settings = parseStreamInput(input);
  return { ...settings, plan: streamPlan(repositoryDefinition(settings.pipeline), settings.job) };
}

/** The employees definition's record shape (what /process checks records against), from this repository. */
export function employeeRecordShape(): RecordShape {
  return recordShape(repositoryDefinition('employees'));
}
