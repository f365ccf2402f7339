// Installing a pinned requirements file into the stack's venv on first use (Locust for `npm run load`, the old
// service's Flask and kafka-python): a marker in the venv holding the file's hash skips the install while nothing
// changed. Inside the venv, so a venv re-created by `stack up` drops the marker with the packages.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class PipInstallError extends Error {
  override name = 'PipInstallError';
}

/**
 * Installs `requirementsFile` into `venvDir` unless the marker `.<name>-installed` says it already is and `probe`
 * (a file the install puts there) exists. Resolves true when it installed, false when nothing was to do.
 */
export async function ensurePipRequirements(opts: {
  name: string;
  venvDir: string;
  requirementsFile: string;
  probe: string;
  logFile: string;
}): Promise<boolean> {
  const pip = path.join(opts.venvDir, 'bin', 'pip');
  const marker = path.join(opts.venvDir, `.${opts.name}-installed`);
  const hash = crypto.createHash('sha256').update(fs.readFileSync(opts.requirementsFile)).digest('hex');
  if (fs.existsSync(opts.probe) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === hash) return false;
  if (!fs.existsSync(pip))
    throw new PipInstallError(`no Python venv at ${opts.venvDir} — run \`npm run stack -- up\` (or \`npm start\`) first`);

  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const out = fs.openSync(opts.logFile, 'a');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(pip, ['install', '--disable-pip-version-check', '-r', opts.requirementsFile], { stdio: ['ignore', out, out] });
    child.on('error', reject);
    child.on('exit', resolve);
  }).finally(() => fs.closeSync(out));
  if (code !== 0) throw new PipInstallError(`pip install -r ${opts.requirementsFile} failed (exit ${code}) — see ${opts.logFile}`);
  fs.writeFileSync(marker, hash);
  return true;
}
