// `node scripts/with-node.mjs <command> [args…]`: runs the command on the Node.js streamforge runs on (24, as the
// container image). The machine's own Node when it is that new; otherwise Node 24 from the npm registry (the
// package node-<platform>-<arch>, the same binaries as nodejs.org's), installed once under .stack/node24 and put
// first on the command's PATH (then the project's node_modules/.bin), so that `tsx`, vitest and every process they
// start run on it.
// Plain JavaScript that the machine's Node runs (20.19 or newer: what npm and the lint need anyway).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Node this project runs on: the Dockerfile's `node:24-slim` line. */
const NODE_MAJOR = 24;
const NODE_VERSION = '24.22.3';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`with-node: ${message}`);
  process.exit(1);
}

/** The directory of a `node` binary of NODE_MAJOR: the running one's, or one installed from the npm registry. */
function nodeBinDir() {
  if (Number(process.versions.node.split('.')[0]) >= NODE_MAJOR) return path.dirname(process.execPath);
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = path.join(root, '.stack', 'node24');
  const bin = path.join(prefix, 'node_modules', pkg, 'bin');
  const installed = spawnSync(path.join(bin, 'node'), ['--version'], { encoding: 'utf8' });
  if (installed.status === 0 && installed.stdout.trim() === `v${NODE_VERSION}`) return bin;
  console.error(
    `with-node: streamforge runs on Node ${NODE_MAJOR} and this machine's is ${process.version}; installing Node ${NODE_VERSION} from the npm registry (${pkg}) under .stack/node24`,
  );
  fs.mkdirSync(prefix, { recursive: true });
  const npm = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `${pkg}@${NODE_VERSION}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (npm.status !== 0) fail(`could not install ${pkg}@${NODE_VERSION} from the npm registry; install Node ${NODE_MAJOR} and run again`);
  return bin;
}

const [command, ...args] = process.argv.slice(2);
if (!command) fail('usage: node scripts/with-node.mjs <command> [args…]');
const bin = nodeBinDir();
const child = spawn(command, args, {
  stdio: 'inherit',
  env: { ...process.env, PATH: [bin, path.join(root, 'node_modules', '.bin'), process.env.PATH ?? ''].join(path.delimiter) },
});
// A terminal's Ctrl-C reaches the command itself (same process group): this process only waits for it to stop.
// A SIGTERM or SIGHUP sent to this process alone (by CI, by npm) is passed on.
process.on('SIGINT', () => undefined);
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => fail(`${command}: ${err.message}`));
child.on('exit', (code, signal) => {
  process.exit(signal ? 128 + os.constants.signals[signal] : (code ?? 1));
});
