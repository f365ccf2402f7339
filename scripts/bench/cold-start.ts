// `npm run bench:cold [-- --requests 30 --records 100]`: what a user's first request costs on a just-started stack.
// With the stack down, runs `npm start` as a user does (stack start and Spark warm-up, worker, stack check, the
// main job, the REST trigger), then sends one POST /process and times it, then `requests` more one after another;
// the first is compared with the warm median (the last two thirds). Prints the calibration, npm start's phases and
// the figures; writes results/cold-start-<time>.json. Stops `npm start` at the end; the stack keeps running.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { summarize } from '../../contracts/stats';
import { loadConfig, PROJECT_ROOT } from '../../lib/config';
import { postProcess, processBody, ProcessRequestError, type ProcessAnswer } from '../lib/process-client';
import { sleep } from '../stack/processes';
import { stackStatus } from '../stack/stack';
import { calibrate, formatCalibration } from './calibration';
import { parseStartOutput } from './start-phases';

const USAGE = 'usage: npm run bench:cold [-- --requests 30 --records 100]';
const say = (line = '') => process.stdout.write(`${line}\n`);
/** The first request may be at most this many times the warm median (issue 14). */
const TARGET_RATIO = 3;

class ColdStartError extends Error {
  override name = 'ColdStartError';
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { requests: { type: 'string', default: '30' }, records: { type: 'string', default: '100' } },
  });
  const int = (name: keyof typeof values, min: number) => {
    const text = values[name];
    if (!/^\d+$/.test(text) || Number(text) < min)
      throw new ColdStartError(`--${name} must be a whole number ≥ ${min}, got ${text}\n${USAGE}`);
    return Number(text);
  };
  return { requests: int('requests', 3), records: int('records', 1) };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const config = loadConfig();
  const running = (await stackStatus(config)).filter((s) => s.pid !== undefined).map((s) => s.name);
  if (running.length > 0)
    throw new ColdStartError(
      `this measures a just-started stack, but ${running.join(', ')} already run: stop them first (npm run stack -- down)`,
    );
  const url = `http://${config.http.host}:${config.http.port}`;
  if (
    await fetch(`${url}/healthz`).then(
      () => true,
      () => false,
    )
  )
    throw new ColdStartError(`something already answers on ${url}: stop it first (another npm start?)`);

  const calibration = await calibrate();
  say(formatCalibration(calibration));
  const stamp = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const logFile = path.join(config.stackDir, 'logs', `cold-start-${stamp}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  say(`Running npm start (output: ${path.relative(PROJECT_ROOT, logFile)})…`);
  const out = fs.openSync(logFile, 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/start/main.ts'], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  let exited = false;
  const done = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  try {
    while (!fs.readFileSync(logFile, 'utf8').includes('REST trigger on')) {
      if (exited) throw new ColdStartError(`npm start exited before its REST trigger was up; see ${logFile}`);
      await sleep(200);
    }
    const phases = parseStartOutput(fs.readFileSync(logFile, 'utf8'), (performance.now() - t0) / 1000);
    say(
      `npm start: stack ${phases.stackSeconds}s (Spark warm-up ${phases.sparkWarmSeconds}s), main job ${phases.mainJobMs} ms, ` +
        `REST up after ${phases.untilRestSeconds.toFixed(1)}s.`,
    );

    const requests: { ms: number; timings: ProcessAnswer['timings_ms'] }[] = [];
    for (let i = 0; i <= options.requests; i++) {
      const { ms, answer } = await postProcess(`${url}/process`, processBody(i + 1, options.records));
      requests.push({ ms, timings: answer.timings_ms });
      if (i === 0) say(`First POST /process (${options.records} records): ${ms.toFixed(0)} ms (${JSON.stringify(answer.timings_ms)})`);
    }
    const warm = requests.slice(1 + Math.floor(options.requests / 3)).map((r) => r.ms);
    const warmStats = summarize(warm, { wallMs: 0, errors: 0 });
    const first = requests[0]!.ms;
    const ratio = first / warmStats.median!;
    say(
      `Warm (requests ${requests.length - warm.length + 1}-${requests.length}): p50 ${warmStats.median!.toFixed(0)} ms, p95 ${warmStats.p95!.toFixed(0)} ms. ` +
        `First / warm p50 = ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? 'met' : 'not met'}).`,
    );
    const file = path.join(PROJECT_ROOT, 'results', `cold-start-${stamp}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const summary = {
      startedAt: stamp,
      calibration,
      options,
      phases,
      firstMs: first,
      warm: warmStats,
      ratio,
      targetRatio: TARGET_RATIO,
      requests,
    };
    fs.writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    say(`Results: ${path.relative(PROJECT_ROOT, file)}. The stack keeps running (npm run stack -- down stops it).`);
  } finally {
    if (!exited) process.kill(-child.pid!, 'SIGINT');
    await done;
  }
}

main().then(
  () => process.exit(0),
  (err: Error & { code?: string }) => {
    const usage = err.code?.startsWith('ERR_PARSE_ARGS') ? `${err.message}\n${USAGE}` : undefined;
    const known = err instanceof ColdStartError || err instanceof ProcessRequestError;
    process.stderr.write(`bench:cold: ${usage ?? (known ? err.message : err.stack)}\n`);
    process.exit(1);
  },
);
