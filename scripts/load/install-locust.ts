// Installs Locust (scripts/stack/requirements-load.txt) into the stack's venv on first use of `npm run load`.
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config';
import { ensurePipRequirements } from '../stack/pip-requirements';

export const LOAD_REQUIREMENTS = path.join(PROJECT_ROOT, 'scripts', 'stack', 'requirements-load.txt');

/** The locust executable in `venvDir`, installed if missing or installed from another requirements file. */
export async function ensureLocust(venvDir: string, logFile: string): Promise<{ locust: string; installed: boolean }> {
  const locust = path.join(venvDir, 'bin', 'locust');
  // The marker name predates the shared helper: `load` keeps existing installs recognised.
  const installed = await ensurePipRequirements({ name: 'load', venvDir, requirementsFile: LOAD_REQUIREMENTS, probe: locust, logFile });
  return { locust, installed };
}
