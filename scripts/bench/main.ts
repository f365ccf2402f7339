// `npm run bench [-- --runs 100 --records 10 --jobs count_gender --concurrency 100 --warmup 10 --skip-large]`:
// brings the stack up, starts a worker in this process on its own task queue, then times the same pipeline runs
// twice, from a plain script (bare path) and as benchmarkWorkflow, and once one large run of 1,000,000 records from
// a file. Prints both next to each other and to the targets; writes results/bench-<time>.json and .svg
// (and latest.json / latest.svg), after a short machine calibration (calibration.ts). Ctrl-C cancels what runs and stops cleanly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { createWorkerDeps } from '../../apps/worker/deps';
import { startWorker } from '../../apps/worker/main';
import { BenchmarkInputError, parseBenchmarkInput, type BenchmarkConfig, type BenchmarkResult } from '../../contracts/benchmark';
import { loadConfig, PROJECT_ROOT, type Config } from '../../lib/config';
import { createLogger, type Logger } from '../../lib/logger';
import { benchmarkProgressQuery, benchmarkWorkflow, pipelineWorkflow } from '../../workflows';
import { writeEmployees } from '../data/generate';
import { stackUp } from '../stack/stack';
import { runBarePath, type BarePathResult } from './bare-path';
import { calibrate, formatCalibration } from './calibration';
import { formatReport, progressBar, renderSvg, type BenchSummary, type LargeRunSummary, type PathSummary } from './report';

const USAGE =
  'usage: npm run bench [-- --runs 100 --records 10 --jobs count_gender[,count_month] --concurrency 100 --warmup 10 --large-records 1000000 --skip-large]';
const say = (line = '') => process.stdout.write(`${line}\n`);

class BenchError extends Error {
  override name = 'BenchError';
}
class Interrupted extends Error {
  override name = 'Interrupted';
}

/** Ctrl-C: stop starting runs, cancel the workflow in flight, then clean up; a second Ctrl-C exits at once. */
const abort = new AbortController();

interface BenchOptions {
  benchmark: BenchmarkConfig;
  warmup: number;
  largeRecords: number | undefined;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '100' },
      records: { type: 'string', default: '10' },
      jobs: { type: 'string', default: 'count_gender' },
      concurrency: { type: 'string' },
      seed: { type: 'string', default: '1' },
      warmup: { type: 'string', default: '10' },
      'large-records': { type: 'string', default: '1000000' },
      'skip-large': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string, min: number) => {
    if (!/^-?\d+$/.test(text) || Number(text) < min)
      throw new BenchError(`--${name} must be a whole number ≥ ${min}, got ${text}\n${USAGE}`);
    return Number(text);
  };
  const benchmark = parseBenchmarkInput({
    runs: int('runs', values.runs, 1),
    recordsPerRun: int('records', values.records, 1),
    jobs: values.jobs.split(',').map((j) => j.trim()) as BenchmarkConfig['jobs'],
    concurrency: values.concurrency === undefined ? undefined : int('concurrency', values.concurrency, 1),
    seed: int('seed', values.seed, -(2 ** 31)),
  });
  return {
    benchmark,
    warmup: int('warmup', values.warmup, 0),
    largeRecords: values['skip-large'] ? undefined : int('large-records', values['large-records'], 1),
  };
}

/** A progress bar redrawn in place on a terminal; into a log (CI), a line per tenth of the way. */
function progressLine(label: string) {
  let last = '';
  return {
    update(done: number, total: number) {
      const line = `${label} ${progressBar(done, total)}`;
      const key = process.stderr.isTTY ? line : String(total === 0 ? 10 : Math.floor((10 * done) / total));
      if (key !== last) process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
      last = key;
    },
    end() {
      if (process.stderr.isTTY && last) process.stderr.write('\n');
    },
  };
}

const toSummary = (r: BarePathResult | BenchmarkResult): PathSummary => ({
  overall: r.overall,
  steps: r.steps,
  wallMs: r.wallMs,
  latenciesMs: r.runs.flatMap((run) => (run.ok && run.latencyMs !== null ? [run.latencyMs] : [])),
});

/** The large run's input: generated once (to a temporary name, so an interrupted write is never mistaken for it). */
async function ensureLargeFile(dataDir: string, records: number): Promise<string> {
  const name = records === 1_000_000 ? 'employees-1m.jsonl' : `employees-${records}.jsonl`;
  const file = path.join(dataDir, name);
  if (fs.existsSync(file)) return name;
  fs.mkdirSync(dataDir, { recursive: true });
  say(`Generating ${records.toLocaleString('en')} records into ${path.relative(PROJECT_ROOT, file)} (once)…`);
  const tmp = `${file}.tmp`;
  const out = fs.createWriteStream(tmp);
  await writeEmployees(out, { count: records, seed: 42, format: 'jsonl' });
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  fs.renameSync(tmp, file);
  return name;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const loadAverageAtStart = os.loadavg(); // the CPU is shared: say how busy it was before we started
  const calibration = await calibrate();
  say(formatCalibration(calibration));
  const { benchmark } = options;
  const baseConfig = loadConfig();
  // Its own task queue: only this process's worker (this code, this data directory) serves the benchmark.
  const dataDir = path.join(baseConfig.stackDir, 'bench-data');
  const config: Config = {
    ...baseConfig,
    dataDir,
    temporal: { ...baseConfig.temporal, taskQueue: `${baseConfig.temporal.taskQueue}-bench` },
  };
  const logFile = path.join(config.stackDir, 'logs', 'bench-worker.log');
  const logger: Logger = createLogger(config.logLevel, 'streamforge-bench', logFile);

  let current: WorkflowHandle | undefined;
  process.on('SIGINT', () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('\nInterrupted: cancelling what runs (Ctrl-C again to quit at once)…\n');
    abort.abort();
    void current?.cancel().catch(() => undefined);
  });
  const checkAborted = () => {
    if (abort.signal.aborted) throw new Interrupted('interrupted');
  };

  say('Bringing the stack up…');
  await stackUp(config);
  checkAborted();
  const worker = await startWorker(config, logger, { shutdownSignals: [] });
  const deps = createWorkerDeps(config, logger);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  say(`Worker on task queue "${config.temporal.taskQueue}" (logs: ${path.relative(PROJECT_ROOT, logFile)}).`);
  const stamp = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');

  const bare = (runs: number, label: string, prefix: string) => {
    const bar = progressLine(label);
    return runBarePath(
      {
        kafka: deps.kafka,
        spark: deps.spark,
        topic: config.kafka.recordsTopic,
        partitions: config.kafka.recordsPartitions,
        definitionsDir: config.definitionsDir,
      },
      {
        ...benchmark,
        runs,
        concurrency: Math.min(benchmark.concurrency, runs),
        prefix,
        signal: abort.signal,
        onProgress: (done, total) => bar.update(done, total),
      },
    ).finally(() => bar.end());
  };
  const viaTemporal = async (runs: number, label: string, workflowId: string): Promise<BenchmarkResult> => {
    const bar = progressLine(label);
    const handle = await client.workflow.start(benchmarkWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ ...benchmark, runs, concurrency: Math.min(benchmark.concurrency, runs) }],
    });
    current = handle;
    const timer = setInterval(() => {
      handle.query(benchmarkProgressQuery).then(
        (p) => bar.update(p.completed + p.failed, p.total),
        () => undefined,
      );
    }, 250);
    try {
      const result = await handle.result();
      bar.update(result.runs.length, runs);
      return result;
    } finally {
      clearInterval(timer);
      bar.end();
      current = undefined;
    }
  };

  try {
    if (options.warmup > 0) {
      say(`Warming up both paths with ${options.warmup} runs each (not counted)…`);
      await bare(options.warmup, 'warm-up, bare    ', `bench-${stamp}-warmup-bare`);
      checkAborted();
      await viaTemporal(options.warmup, 'warm-up, temporal', `bench-${stamp}-warmup`);
      checkAborted();
    }
    say(`Bare path: ${benchmark.runs} runs × ${benchmark.recordsPerRun} records, ${benchmark.concurrency} at once…`);
    const bareResult = await bare(benchmark.runs, 'bare    ', `bench-${stamp}-bare`);
    checkAborted();
    const workflowId = `bench-${stamp}`;
    say(`Temporal path: benchmarkWorkflow ${workflowId}…`);
    const temporalResult = await viaTemporal(benchmark.runs, 'temporal', workflowId);
    checkAborted();

    let large: LargeRunSummary | undefined;
    if (options.largeRecords !== undefined) {
      const file = await ensureLargeFile(dataDir, options.largeRecords);
      checkAborted();
      say(`Large run: ${options.largeRecords.toLocaleString('en')} records from ${file}…`);
      const handle = await client.workflow.start(pipelineWorkflow, {
        taskQueue: config.temporal.taskQueue,
        workflowId: `bench-${stamp}-large`,
        args: [{ file, jobs: benchmark.jobs }],
      });
      current = handle;
      const { timings, recordCount } = await handle.result();
      current = undefined;
      const sparkMs = Math.max(...Object.values(timings.jobs).map((j) => j!.submitMs + j!.pollMs + j!.collectMs));
      large = {
        records: recordCount ?? options.largeRecords,
        jobs: benchmark.jobs,
        ingestMs: timings.ingestMs,
        sparkMs,
        totalMs: timings.totalMs,
      };
    }

    const summary: BenchSummary = { config: benchmark, bare: toSummary(bareResult), temporal: toSummary(temporalResult), large };
    say();
    say(formatReport(summary));

    const resultsDir = path.join(PROJECT_ROOT, 'results');
    fs.mkdirSync(resultsDir, { recursive: true });
    const machine = {
      calibration,
      totalMemoryBytes: os.totalmem(),
      loadAverageAtStart,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    };
    const json = `${JSON.stringify({ startedAt: stamp, config: { ...benchmark, warmup: options.warmup, largeRecords: options.largeRecords ?? null }, machine, summary, bare: bareResult, temporal: temporalResult }, null, 2)}\n`;
    const svg = renderSvg(summary);
    for (const [name, content] of [
      [`bench-${stamp}.json`, json],
      [`bench-${stamp}.svg`, svg],
      ['latest.json', json],
      ['latest.svg', svg],
    ] as const) {
      fs.writeFileSync(path.join(resultsDir, name), content);
    }
    say();
    say(
      `Results: results/bench-${stamp}.json and .svg (also latest.json, latest.svg). Runs in the Web UI: ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${workflowId}`,
    );
  } finally {
    await connection.close();
    await deps.close();
    await worker.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (err: Error & { code?: string }) => {
    if (err instanceof Interrupted || abort.signal.aborted) {
      process.stderr.write('bench: interrupted; nothing written.\n');
      process.exit(130);
    }
    const usage = err.code?.startsWith('ERR_PARSE_ARGS') ? `${err.message}\n${USAGE}` : undefined;
    const known = err instanceof BenchError || err instanceof BenchmarkInputError;
    process.stderr.write(`bench: ${usage ?? (known ? err.message : err.stack)}\n`);
    process.exit(1);
  },
);
