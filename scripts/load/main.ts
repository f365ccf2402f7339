// `npm run load [-- --target streamforge|old|both] [--wait none|1s] [--users 100] [--spawn-rate 10] [--run-time 1m] [--soak]`:
// the old Flask service's load test (scripts/load/locustfile.py) against streamforge's running REST trigger, the
// old service's reconstruction (scripts/old-service, started and stopped here), or both in one session, one after
// the other; totals side by side with the ratios, saved as JSON under results/. A run of 5 minutes or more (or
// --soak) also reports throughput and p95 per minute and every process's memory. Streamforge needs `npm start`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, PROJECT_ROOT, type Config } from '../../lib/config';
import { OLD_SERVICE, startOldService, stopOldService } from '../old-service/process';
import { stackPaths, type StackPaths } from '../stack/paths';
import { PipInstallError } from '../stack/pip-requirements';
import { runningPid, StackError } from '../stack/processes';
import { ensureLocust } from './install-locust';
import { groupProbe, pidListeningOn, processProbe, type MemoryProbe } from './process-memory';
import {
  durationSeconds,
  formatColumns,
  formatComparison,
  formatRatios,
  OLD_SERVICE as OLD_SERVICE_PUBLISHED,
  parseAggregatedStats,
  perRunTime,
  ratios,
  StatsCsvError,
  type LoadStats,
} from './report';
import { firstRequestStartS, formatSoak, parseRequestLog, RequestLogError, soakVerdict, type MemorySample, type SoakVerdict } from './soak';

const say = (line = '') => process.stdout.write(`${line}\n`);
const USAGE =
  'usage: npm run load [-- --target streamforge|old|both] [--wait none|1s] [--users 100] [--spawn-rate 10] [--run-time 1m] [--soak]';
const TARGETS = ['streamforge', 'old', 'both'] as const;
/** A run this long is a soak without asking. */
const SOAK_FROM_S = 300;
const MEMORY_SAMPLE_MS = 10_000;

class LoadError extends Error {
  override name = 'LoadError';
}

interface LoadOptions {
  target: (typeof TARGETS)[number];
  wait: 'none' | '1s';
  users: number;
  spawnRate: number;
  runTime: string;
  soak: boolean;
}

const FLAGS = {
  target: { type: 'string', default: 'streamforge' },
  wait: { type: 'string', default: 'none' },
  users: { type: 'string', default: '100' },
  'spawn-rate': { type: 'string', default: '10' },
  'run-time': { type: 'string', default: '1m' },
  soak: { type: 'boolean', default: false },
} as const;

function parseOptions(argv: string[]): LoadOptions {
  const { values } = parseArgs({ args: argv, options: FLAGS });
  const { target, wait, users, 'spawn-rate': spawnRate, 'run-time': runTime, soak } = values;
  if (!(TARGETS as readonly string[]).includes(target))
    throw new LoadError(`--target must be one of ${TARGETS.join(', ')}, got ${target}\n${USAGE}`);
  if (wait !== 'none' && wait !== '1s') throw new LoadError(`--wait must be none or 1s, got ${wait}\n${USAGE}`);
  if (!/^[1-9]\d*$/.test(users)) throw new LoadError(`--users must be a positive whole number, got ${users}\n${USAGE}`);
  if (!(Number(spawnRate) > 0)) throw new LoadError(`--spawn-rate must be a positive number, got ${spawnRate}\n${USAGE}`);
  if (!/^(\d+[hms])+$/.test(runTime) || durationSeconds(runTime) === 0)
    throw new LoadError(`--run-time must look like 20s, 1m or 1m30s, got ${runTime}\n${USAGE}`);
  return {
    target: target as LoadOptions['target'],
    wait,
    users: Number(users),
    spawnRate: Number(spawnRate),
    runTime,
    soak: soak || durationSeconds(runTime) >= SOAK_FROM_S,
  };
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
function runLocust(locust: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const out = fs.openSync(logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(locust, args, { cwd: PROJECT_ROOT, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    child.on('error', (err) => reject(new LoadError(`${locust} could not be run (${err.message})`)));
    child.on('exit', (code) =>
      code === 0 || code === 1 ? resolve() : reject(new LoadError(`locust failed (exit ${code}) — see ${logFile}`)),
    );
  }).finally(() => fs.closeSync(out));
}

/** The stack's services (by pid file, with their process groups) and the processes of the service under load. */
function memoryProbes(config: Config, p: StackPaths, target: 'streamforge' | 'old'): MemoryProbe[] {
  const stack = ['temporal', 'kafka', 'spark'].map((name) => groupProbe(name, () => runningPid(p.runDir, name)));
  if (target === 'old') return [...stack, groupProbe('old-service (Flask + its Spark JVM)', () => runningPid(p.runDir, OLD_SERVICE))];
  // `npm start` runs the REST trigger and the worker in one process; `npm run rest` + `npm run worker`, in two.
  const rest = pidListeningOn(config.http.port);
  const worker = config.worker.metricsPort === 0 ? undefined : pidListeningOn(config.worker.metricsPort);
  if (rest !== undefined && rest === worker) return [...stack, processProbe('streamforge (REST + worker)', () => rest)];
  return [
    ...stack,
    processProbe('streamforge REST', () => rest),
    ...(worker === undefined ? [] : [processProbe('streamforge worker', () => worker)]),
  ];
}

interface TargetRun {
  target: string;
  stats: LoadStats;
  locustRequestsPerSecond: number;
  locustCsv: string;
  soak?: SoakVerdict & { memorySamples: MemorySample[]; requestLog: string };
}

async function loadTarget(
  name: 'streamforge' | 'old',
  baseUrl: string,
  run: { locust: string; options: LoadOptions; runDir: string; stamp: string; probes: MemoryProbe[] },
): Promise<TargetRun> {
  const { users, spawnRate, runTime, wait, soak } = run.options;
  const csvPrefix = path.join(run.runDir, `run-${run.stamp}-${name}`);
  const logFile = `${csvPrefix}.log`;
  const requestLog = `${csvPrefix}-requests.csv`;
  say(
    `POST ${baseUrl}/process (${name}): ${users} users (spawning ${spawnRate}/s) for ${runTime}, wait ${wait}${soak ? ', soak' : ''} — Locust log: ${path.relative(PROJECT_ROOT, logFile)}`,
  );
  const samples: MemorySample[] = [];
  const t0 = Date.now();
  const sample = () =>
    samples.push({
      atS: (Date.now() - t0) / 1000,
      rssMb: Object.fromEntries(run.probes.map((p) => [p.name, p.rssMb() ?? null])),
    });
  const sampler = soak ? setInterval(sample, MEMORY_SAMPLE_MS) : undefined;
  if (soak) sample();
  try {
    await runLocust(
      run.locust,
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
      ].concat(['--run-time', runTime, '--csv', csvPrefix]),
      { LOAD_WAIT: wait, ...(soak ? { LOAD_REQUEST_LOG: requestLog } : {}) },
      logFile,
    );
  } finally {
    clearInterval(sampler);
  }
  const statsFile = `${csvPrefix}_stats.csv`;
  if (!fs.existsSync(statsFile)) throw new LoadError(`locust wrote no ${statsFile} — see ${logFile}`);
  const locustStats = parseAggregatedStats(fs.readFileSync(statsFile, 'utf8'));
  const result: TargetRun = {
    target: `${baseUrl}/process`,
    stats: perRunTime(locustStats, durationSeconds(runTime)),
    locustRequestsPerSecond: locustStats.requestsPerSecond,
    locustCsv: path.relative(PROJECT_ROOT, statsFile),
  };
  if (soak) {
    const requests = fs.existsSync(requestLog) ? parseRequestLog(fs.readFileSync(requestLog, 'utf8')) : [];
    // The test starts with its first request (Locust takes a moment to start); memory is timed from the spawn.
    const startS = firstRequestStartS(requests, t0 / 1000);
    const verdict = soakVerdict(requests, samples, { startS, runSeconds: durationSeconds(runTime) });
    result.soak = { ...verdict, memorySamples: samples, requestLog: path.relative(PROJECT_ROOT, requestLog) };
  }
  return result;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const config = loadConfig();
  const paths = stackPaths(config);
  const ourUrl = `http://${config.http.host}:${config.http.port}`;
  const wants = (t: 'streamforge' | 'old') => options.target === t || options.target === 'both';
  if (wants('streamforge')) await checkService(ourUrl);

  const { locust, installed } = await ensureLocust(paths.venvDir, path.join(paths.logDir, 'install.log'));
  if (installed) say(`Installed Locust into ${paths.venvDir}.`);

  const startedAt = new Date();
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const runDir = path.join(paths.state, 'load');
  fs.mkdirSync(runDir, { recursive: true });
  const common = { locust, options, runDir, stamp };
  const loadAverage = { atStart: os.loadavg(), atEnd: [] as number[] };

  const runs: Partial<Record<'streamforge' | 'old', TargetRun>> = {};
  if (wants('streamforge'))
    runs.streamforge = await loadTarget('streamforge', ourUrl, { ...common, probes: memoryProbes(config, paths, 'streamforge') });
  if (wants('old')) {
    say(`Starting the old service's reconstruction on 127.0.0.1:${config.oldServicePort} (Flask + PySpark; a minute or two)…`);
    // Ctrl-C must not leave the old service (and its JVM) running: it is detached, in a process group of its own.
    const stopOnSignal = () => void stopOldService(paths).finally(() => process.exit(130));
    process.once('SIGINT', stopOnSignal).once('SIGTERM', stopOnSignal);
    try {
      const old = await startOldService(config, paths);
      say(`Old service ready (log: ${path.relative(PROJECT_ROOT, old.logFile)}).`);
      runs.old = await loadTarget('old', old.url, { ...common, probes: memoryProbes(config, paths, 'old') });
    } finally {
      await stopOldService(paths);
      process.off('SIGINT', stopOnSignal).off('SIGTERM', stopOnSignal);
      say('Old service stopped.');
    }
  }
  loadAverage.atEnd = os.loadavg();

  const setting = `${options.users} users, ${options.runTime}, wait ${options.wait}`;
  const published = { heading: 'old, published (100 users, 1m)', stats: OLD_SERVICE_PUBLISHED };
  say();
  let ratioSummary;
  if (runs.streamforge && runs.old) {
    ratioSummary = ratios(runs.streamforge.stats, runs.old.stats);
    say(`Same session, same machine, same Locust profile (${setting}):`);
    say(
      formatColumns([
        { heading: 'streamforge', stats: runs.streamforge.stats },
        { heading: 'old service (reconstruction)', stats: runs.old.stats },
        published,
      ]),
    );
    say(formatRatios(ratioSummary, runs.old.stats.requests));
  } else {
    const [name, run] = runs.streamforge ? ['streamforge', runs.streamforge] : ['old service (reconstruction)', runs.old!];
    say(formatComparison(run.stats, published.stats, [`${name} (${setting})`, published.heading]));
  }
  say();
  say('req/s = requests / run time, as for the old service (its published Locust run). Requests still in flight at the');
  say('end are not counted (Locust stops them). The ratios compare runs of this session; the published column is context.');
  for (const [name, run] of Object.entries(runs)) {
    if (!run.soak) continue;
    say();
    say(`Soak, ${name}:`);
    say(formatSoak(run.soak));
  }

  const summaryFile = path.join(PROJECT_ROOT, 'results', `load-${options.target}-${options.wait}-${stamp}.json`);
  fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
  const summary = {
    startedAt: startedAt.toISOString(),
    options,
    machine: { cpus: os.cpus().length, loadAverage },
    runs,
    ratios: ratioSummary,
    oldServicePublished: OLD_SERVICE_PUBLISHED,
  };
  fs.writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  say(`Summary: ${path.relative(PROJECT_ROOT, summaryFile)}`);
}

main().catch((err: Error & { code?: string }) => {
  const usageError = err.code?.startsWith('ERR_PARSE_ARGS') ? `${err.message}\n${USAGE}` : undefined;
  const known = [LoadError, PipInstallError, StatsCsvError, RequestLogError, StackError].some((k) => err instanceof k);
  process.stderr.write(`${usageError ?? (known ? err.message : err.stack)}\n`);
  process.exit(1);
});
