// `npm run load [-- --wait none|1s] [--users 100] [--spawn-rate 10] [--run-time 1m]`: the old Flask service's
// load test (scripts/load/locustfile.py) against the running REST trigger, its totals printed next to the old service's
// published figures and saved as JSON under results/. Needs `npm start` (stack, worker, REST) running.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, PROJECT_ROOT } from '../../lib/config';
import { stackPaths } from '../stack/paths';
import { ensureLocust, LocustInstallError } from './install-locust';
import { durationSeconds, formatComparison, OLD_SERVICE, parseAggregatedStats, perRunTime, StatsCsvError } from './report';

const say = (line = '') => process.stdout.write(`${line}\n`);
const USAGE = 'usage: npm run load [-- --wait none|1s] [--users 100] [--spawn-rate 10] [--run-time 1m]';

class LoadError extends Error {
  override name = 'LoadError';
}

interface LoadOptions {
  wait: 'none' | '1s';
  users: number;
  spawnRate: number;
  runTime: string;
}

const FLAGS = {
  wait: { type: 'string', default: 'none' },
  users: { type: 'string', default: '100' },
  'spawn-rate': { type: 'string', default: '10' },
  'run-time': { type: 'string', default: '1m' },
} as const;

function parseOptions(argv: string[]): LoadOptions {
  const { values } = parseArgs({ args: argv, options: FLAGS });
  const { wait, users, 'spawn-rate': spawnRate, 'run-time': runTime } = values;
  if (wait !== 'none' && wait !== '1s') throw new LoadError(`--wait must be none or 1s, got ${wait}\n${USAGE}`);
  if (!/^[1-9]\d*$/.test(users)) throw new LoadError(`--users must be a positive whole number, got ${users}\n${USAGE}`);
  if (!(Number(spawnRate) > 0)) throw new LoadError(`--spawn-rate must be a positive number, got ${spawnRate}\n${USAGE}`);
  if (!/^(\d+[hms])+$/.test(runTime) || durationSeconds(runTime) === 0)
    throw new LoadError(`--run-time must look like 20s, 1m or 1m30s, got ${runTime}\n${USAGE}`);
  return { wait, users: Number(users), spawnRate: Number(spawnRate), runTime };
}

async function checkService(baseUrl: string): Promise<void> {
  const url = `${baseUrl}/healthz`;
  const ok = await fetch(url, { signal: AbortSignal.timeout(3_000) }).then(
    (r) => r.ok,
    () => false,
  );
  if (!ok)
    throw new LoadError(`the REST service does not answer on ${url} — run \`npm start\` first (it keeps the REST service up until Ctrl-C)`);
}

/** Runs locust to its end; its exit code is 1 when some requests failed, which the report shows, so only >1 is an error. */
function runLocust(locust: string, args: string[], wait: string, logFile: string): Promise<void> {
  const out = fs.openSync(logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(locust, args, { cwd: PROJECT_ROOT, stdio: ['ignore', out, out], env: { ...process.env, LOAD_WAIT: wait } });
    child.on('error', (err) => reject(new LoadError(`${locust} could not be run (${err.message})`)));
    child.on('exit', (code) =>
      code === 0 || code === 1 ? resolve() : reject(new LoadError(`locust failed (exit ${code}) — see ${logFile}`)),
    );
  }).finally(() => fs.closeSync(out));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const config = loadConfig();
  const baseUrl = `http://${config.http.host}:${config.http.port}`;
  await checkService(baseUrl);

  const paths = stackPaths(config);
  const { locust, installed } = await ensureLocust(paths.venvDir, path.join(paths.logDir, 'install.log'));
  if (installed) say(`Installed Locust into ${paths.venvDir}.`);

  const startedAt = new Date();
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const runDir = path.join(config.stackDir, 'load');
  fs.mkdirSync(runDir, { recursive: true });
  const csvPrefix = path.join(runDir, `run-${stamp}`);
  const logFile = `${csvPrefix}.log`;
  const { wait, users, spawnRate, runTime } = options;
  say(
    `POST ${baseUrl}/process: ${users} users (spawning ${spawnRate}/s) for ${runTime}, wait ${wait} — Locust log: ${path.relative(PROJECT_ROOT, logFile)}`,
  );
  await runLocust(
    locust,
    [
      '--headless',
      '--only-summary',
      '-f',
      'scripts/load/locustfile.py',
      '-H',
      baseUrl,
      '-u',
      String(users),
      '-r',
      String(spawnRate),
      '--run-time',
      runTime,
      '--csv',
      csvPrefix,
    ],
    wait,
    logFile,
  );

  const statsFile = `${csvPrefix}_stats.csv`;
  if (!fs.existsSync(statsFile)) throw new LoadError(`locust wrote no ${statsFile} — see ${logFile}`);
  const locustStats = parseAggregatedStats(fs.readFileSync(statsFile, 'utf8'));
  const stats = perRunTime(locustStats, durationSeconds(runTime));
  say();
  say(
    formatComparison(stats, OLD_SERVICE, [`streamforge (${users} users, ${runTime}, wait ${wait})`, 'old Flask service (100 users, 1m)']),
  );
  say();
  say('req/s = requests / run time, as for the old service (its published Locust run). Requests still in flight at the');
  say('end are not counted (Locust stops them); their runs still complete on the server.');

  const summaryFile = path.join(PROJECT_ROOT, 'results', `load-${wait}-${stamp}.json`);
  fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
  const summary = {
    startedAt: startedAt.toISOString(),
    target: `${baseUrl}/process`,
    options,
    stats,
    locustRequestsPerSecond: locustStats.requestsPerSecond,
    oldService: OLD_SERVICE,
    locustCsv: path.relative(PROJECT_ROOT, statsFile),
  };
  fs.writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  say(`Summary: ${path.relative(PROJECT_ROOT, summaryFile)}`);
}

main().catch((err: Error & { code?: string }) => {
  const usageError = err.code?.startsWith('ERR_PARSE_ARGS') ? `${err.message}\n${USAGE}` : undefined;
  const known = err instanceof LoadError || err instanceof LocustInstallError || err instanceof StatsCsvError;
  process.stderr.write(`${usageError ?? (known ? err.message : err.stack)}\n`);
  process.exit(1);
});
