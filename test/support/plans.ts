// Job plans for tests that drive the Spark side directly (no workflow): the employees definition's job, as a run
// would record it, read from the repository's definitions directory.
import path from 'node:path';
import type { JobPlan } from '../../contracts/definitions';
import { loadJobPlan } from '../../lib/definitions';

export const DEFINITIONS_DIR = path.resolve(__dirname, '../../definitions');

export function employeePlan(job: string, params: { referenceDate: string }): JobPlan {
  return loadJobPlan(DEFINITIONS_DIR, 'employees', job, params);
}
