// Installs Locust (scripts/stack/requirements-load.txt) into the stack's venv on first use of `npm run load`;
// a marker in the venv holding the requirements file's hash skips the install while nothing changed.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config';

export const LOAD_REQUIREMENTS = path.join(PROJECT_ROOT, 'scripts', 'stack', 'requirements-load.txt');

export class LocustInstallError extends Error {
  override name = 'LocustInstallError';
}

/** The locust executable in `venvDir`, installed if missing or installed from another requirements file. */
export async function ensureLocust(venvDir: string, logFile: string): Promise<{ locust: string; installed: boolean }> {
  const locust = path.join(venvDir, 'bin', 'locust');
  const pip = path.join(venvDir, 'bin', 'pip');
  // Inside the venv: a venv re-created by `stack up` drops the marker with the packages.
  const marker = path.join(venvDir, '.load-installed');
  const hash = crypto.createHash('sha256').update(fs.readFileSync(LOAD_REQUIREMENTS)).digest('hex');
  if (fs.existsSync(locust) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === hash) return { locust, installed: false };
  if (!fs.existsSync(pip))
    throw new LocustInstallError(`no Python venv at ${venvDir} — run \`npm run stack -- up\` (or \`npm start\`) first`);

  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(pip, ['install', '--disable-pip-version-check', '-r', LOAD_REQUIREMENTS], { stdio: ['ignore', out, out] });
    child.on('error', reject);
    child.on('exit', resolve);
  }).finally(() => fs.closeSync(out));
  if (code !== 0) throw new LocustInstallError(`pip install -r ${LOAD_REQUIREMENTS} failed (exit ${code}) — see ${logFile}`);
  fs.writeFileSync(marker, hash);
  return { locust, installed: true };
}
