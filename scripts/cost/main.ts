// `npm run cost [-- --repeats 5 --seconds 20 --clients 50]`: measures what the work costs, so the design can follow
// the numbers (docs/cost-model.md reads them). Brings the stack up, runs a worker and a REST trigger as processes
// of their own (their own task queue and port), and measures, charging CPU to each process from /proc:
//   1. Spark: one execution as a function of its records (10 … 100,000), of the runs it coalesces (1 … 50 groups)
//      and of its job, through a Spark Connect session of its own;
//   2. Temporal: one pipeline run, sequential: wall time, history events, workflow and activity tasks, and each
//      process's CPU;
//   3. POST /process: one request alone, then `clients` clients at once for `seconds` (bodies of 2-200 records,
//      as the load test sends): rate, latency, requests per run, and each process's CPU per request, which gives the
//      rate at which the cores would all be busy;
//   4. Temporal's floor: `concurrent` runs at once (the benchmark's 100) of a workflow that does nothing, of ones
//      that take a pipeline run's Temporal steps, or fewer, with no-op activities (scripts/cost/floor-workflows.ts,
//      on a worker process of its own), of the pipeline itself, and of the bare path (its work without Temporal):
//      wall time, latency, CPU per run, Spark executions.
// `--sections 3,4` runs only those (the stack, the worker and the REST trigger start either way).
// Prints the tables and writes results/cost-<time>.json.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { recordValues, toMessages } from '../../activities/ingest';
import { createWorkerDeps } from '../../apps/worker/deps';
import type { JobName } from '../../contracts/jobs';
import type { EmployeeRecord } from '../../contracts/records';
import { summarize, type LatencyStats } from '../../contracts/stats';
import { DEFAULT_PIPELINE } from '../../contracts/pipeline-input';
import { loadConfig, PROJECT_ROOT, type Config } from '../../lib/config';
import { loadJobPlan } from '../../lib/definitions';
import { generateEmployees } from '../../lib/employee-generator';
import { recordKey } from '../../lib/idempotency';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import type { ExecutionSource } from '../../spark/runtime/job-runner';
import { pipelineWorkflow } from '../../workflows';
import { runBarePath } from '../bench/bare-path';
import { calibrate, formatCalibration } from '../bench/calibration';
import { startAppProcess, type AppProcess } from '../lib/app-process';
import { postProcess, processBody, ProcessRequestError } from '../lib/process-client';
import { cpuMeter } from '../lib/proc-usage';
import { ownSparkExecutor } from '../lib/spark-executor';
import { newExecutions, sparkExecutionRoots } from '../lib/spark-ui';
import { formatNumber, formatTable, type TableRow } from '../lib/text-table';
import { stackPaths } from '../stack/paths';
import { runningPid } from '../stack/processes';
import { stackUp } from '../stack/stack';
import type { PipelineShape } from './floor-workflows';
import { capacity, fitLine, median, type Capacity, type LinearCost } from './model';

const USAGE = 'usage: npm run cost [-- --repeats 5 --seconds 20 --clients 50 --concurrent 100 --sections 1,2,3,4]';
const say = (line = '') => process.stdout.write(`${line}\n`);
const COST_TOPIC = 'streamforge.cost-model';

class CostError extends Error {
  override name = 'CostError';
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      repeats: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '20' },
      clients: { type: 'string', default: '50' },
      concurrent: { type: 'string', default: '100' },
      sections: { type: 'string', default: '1,2,3,4' },
    },
  });
  const int = (name: keyof typeof values, min: number) => {
    const text = values[name];
    if (!/^\d+$/.test(text) || Number(text) < min) throw new CostError(`--${name} must be a whole number ≥ ${min}, got ${text}\n${USAGE}`);
    return Number(text);
  };
  const sections = new Set(values.sections.split(',').map((s) => s.trim()));
  for (const s of sections)
    if (!['1', '2', '3', '4'].includes(s)) throw new CostError(`--sections takes numbers 1-4, got ${values.sections}\n${USAGE}`);
  return { repeats: int('repeats', 1), seconds: int('seconds', 1), clients: int('clients', 1), concurrent: int('concurrent', 1), sections };
}

/** One measured Spark execution shape: the median of its repeats. */
interface SparkPoint {
  job: JobName;
  records: number;
  groups: number;
  wallMs: number;
  sparkCpuMs: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

function stackPgids(config: Config): Record<'temporal' | 'kafka' | 'spark', number> {
  const { runDir } = stackPaths(config);
  const pid = (name: 'temporal' | 'kafka' | 'spark') => {
    const found = runningPid(runDir, name);
    if (found === undefined) throw new CostError(`the stack's ${name} is not running (npm run stack -- up)`);
    return found;
  };
  return { temporal: pid('temporal'), kafka: pid('kafka'), spark: pid('spark') };
}

/** Spark alone: executions over Kafka records through a session of this script's own. */
async function measureSpark(
  config: Config,
  sparkPgid: number,
  repeats: number,
): Promise<{ points: SparkPoint[]; perRecord: LinearCost; perGroup: LinearCost }> {
  const kafka = new KafkaClient(config.kafka, createLogger('silent'));
  const { client, executor } = ownSparkExecutor(config);
  const meter = cpuMeter({ spark: sparkPgid });
  const write = async (records: EmployeeRecord[], groups?: string[]) => {
    const runKey = `cost-${crypto.randomUUID()}`;
    const ranges = await kafka.produce(COST_TOPIC, toMessages(runKey, recordValues(records, groups), 1));
    return { runKey, ranges };
  };
  const time = async (job: JobName, source: ExecutionSource, records: number, groups: number): Promise<SparkPoint> => {
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i <= repeats; i++) {
      const operationId = crypto.randomUUID();
      meter.restart();
      const t0 = performance.now();
      await executor.start(operationId, loadJobPlan(config.definitionsDir, DEFAULT_PIPELINE, job), source);
      await executor.result(operationId);
      const wall = performance.now() - t0;
      const cpu = meter.elapsed().spark!;
      await executor.release(operationId);
      if (i > 0) {
        // the first of each shape is its warm-up (code generation for the plan): not counted
        walls.push(wall);
        cpus.push(cpu);
      }
    }
    return { job, records, groups, wallMs: median(walls), sparkCpuMs: median(cpus) };
  };
  try {
    await kafka.ensureTopic(COST_TOPIC, 1);
    const points: SparkPoint[] = [];
    for (const n of [10, 1_000, 10_000, 100_000]) {
      const { runKey, ranges } = await write([...generateEmployees(n, n)]);
      const source: ExecutionSource = { kind: 'kafka', topic: COST_TOPIC, ranges, recordKey: recordKey(runKey) };
      for (const job of ['count_gender', 'final_analysis'] as const) {
        points.push(await time(job, source, n, 1));
        say(`  spark ${job.padEnd(14)} ${formatNumber(n).padStart(7)} records, 1 group: ${describePoint(points.at(-1)!)}`);
      }
    }
    for (const m of [10, 50]) {
      const members = await Promise.all(
        Array.from({ length: m }, async (_, i) => {
          const { runKey, ranges } = await write([...generateEmployees(10, i)], Array(10).fill('g0'));
          return { tag: String(i), recordKey: recordKey(runKey), ranges };
        }),
      );
      const source: ExecutionSource = { kind: 'kafka-members', topic: COST_TOPIC, members };
      points.push(await time('final_analysis', source, 10 * m, m));
      say(`  spark final_analysis ${formatNumber(10 * m).padStart(7)} records, ${m} groups: ${describePoint(points.at(-1)!)}`);
    }
    const single = points.filter((p) => p.job === 'final_analysis' && p.groups === 1);
    const perRecord = fitLine(single.map((p) => ({ size: p.records, cost: p.sparkCpuMs })));
    // Groups at 10 records each: take the records' share out, what is left is the groups'.
    const grouped = points.filter((p) => p.job === 'final_analysis' && p.records <= 1_000);
    const perGroup = fitLine(grouped.map((p) => ({ size: p.groups, cost: p.sparkCpuMs - perRecord.perUnit * p.records })));
    return { points, perRecord, perGroup };
  } finally {
    client.close();
    await kafka.close();
  }
}

const describePoint = (p: SparkPoint) => `${p.wallMs.toFixed(0)} ms wall, ${p.sparkCpuMs.toFixed(0)} ms Spark CPU`;

interface HistoryCounts {
  events: number;
  workflowTasks: number;
  activityTasks: number;
  localActivities: number;
}

async function historyCounts(client: Client, workflowId: string): Promise<HistoryCounts> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const count = (key: string) => events.filter((e) => (e as Record<string, unknown>)[key] != null).length;
  return {
    events: events.length,
    workflowTasks: count('workflowTaskCompletedEventAttributes'),
    activityTasks: count('activityTaskScheduledEventAttributes'),
    localActivities: count('markerRecordedEventAttributes'),
  };
}

type Pgids = Record<string, number>;

/** One pipeline run at a time, started from this script: what Temporal and each process spend on one run. */
async function measurePipelineRuns(client: Client, taskQueue: string, pgids: Pgids, runs: number) {
  const meter = cpuMeter(pgids);
  const walls: number[] = [];
  const counts: HistoryCounts[] = [];
  const stamp = Date.now();
  const run = async (i: number) => {
    const workflowId = `cost-${stamp}-run-${i}`;
    const t0 = performance.now();
    await client.workflow.execute(pipelineWorkflow, {
      taskQueue,
      workflowId,
      args: [{ records: [...generateEmployees(10, i)], jobs: ['final_analysis'] }],
    });
    return { workflowId, wallMs: performance.now() - t0 };
  };
  await run(-1); // warm-up
  meter.restart();
  for (let i = 0; i < runs; i++) {
    const { workflowId, wallMs } = await run(i);
    walls.push(wallMs);
    counts.push(await historyCounts(client, workflowId));
  }
  const cpu = meter.elapsed();
  return {
    runs,
    wall: summarize(walls, { wallMs: 0, errors: 0 }),
    history: counts[0]!,
    cpuMsPerRun: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, ms / runs])),
  };
}

interface ConcurrentRuns {
  kind: string;
  runs: number;
  wallMs: number;
  /** Each run from its start request to its result. */
  latency: LatencyStats;
  cpuMsPerRun: Record<string, number>;
  history: HistoryCounts;
  /** Spark executions the runs took, as Spark's UI lists them. */
  sparkExecutions: number;
}

/**
 * `runs` workflows started at once and awaited, after `runs / 10` of them as a warm-up: the benchmark's shape,
 * without a parent workflow. `start(i)` starts run i and returns its workflow id.
 */
async function measureConcurrentRuns(
  client: Client,
  sparkUiUrl: string,
  kind: string,
  runs: number,
  pgids: Pgids,
  start: (i: number) => Promise<string>,
): Promise<ConcurrentRuns> {
  const runAll = async (from: number, count: number) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const t0 = performance.now();
        const workflowId = await start(from + i);
        await client.workflow.getHandle(workflowId).result();
        return { workflowId, ms: performance.now() - t0 };
      }),
    );
  await runAll(-Math.max(1, Math.round(runs / 10)), Math.max(1, Math.round(runs / 10)));
  const executionsBefore = await sparkExecutionRoots(sparkUiUrl);
  const meter = cpuMeter(pgids);
  const t0 = performance.now();
  const done = await runAll(0, runs);
  const wallMs = performance.now() - t0;
  const cpu = meter.elapsed();
  return {
    sparkExecutions: newExecutions(executionsBefore, await sparkExecutionRoots(sparkUiUrl)),
    kind,
    runs,
    wallMs,
    latency: summarize(
      done.map((d) => d.ms),
      { wallMs, errors: 0 },
    ),
    cpuMsPerRun: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, ms / runs])),
    history: await historyCounts(client, done[0]!.workflowId),
  };
}

/**
 * The reference: the same Kafka and Spark work as the pipeline row, `runs` runs at once from this script without
 * Temporal (`npm run bench`'s bare path), after a tenth of them as a warm-up. This script's CPU is its "worker".
 */
async function measureBarePath(config: Config, runs: number, stack: Pgids): Promise<ConcurrentRuns> {
  const deps = createWorkerDeps(config, createLogger('silent'));
  const stamp = Date.now();
  const bare = (count: number, prefix: string) =>
    runBarePath(
      {
        kafka: deps.kafka,
        spark: deps.spark,
        topic: config.kafka.recordsTopic,
        partitions: config.kafka.recordsPartitions,
        definitionsDir: config.definitionsDir,
      },
      { runs: count, recordsPerRun: 10, jobs: ['count_gender'], concurrency: count, seed: 3_000_000, prefix },
    );
  try {
    await bare(Math.max(1, Math.round(runs / 10)), `cost-${stamp}-bare-warmup`);
    const executionsBefore = await sparkExecutionRoots(config.spark.uiUrl);
    const meter = cpuMeter(stack);
    const own = process.cpuUsage();
    const result = await bare(runs, `cost-${stamp}-bare`);
    const { user, system } = process.cpuUsage(own);
    const cpu = { ...meter.elapsed(), worker: (user + system) / 1000 };
    const sparkExecutions = newExecutions(executionsBefore, await sparkExecutionRoots(config.spark.uiUrl));
    if (result.runs.some((r) => !r.ok)) throw new CostError(`the bare path failed: ${result.runs.find((r) => !r.ok)?.error}`);
    return {
      kind: 'bare path, no Temporal (the same Kafka and Spark work)',
      runs,
      wallMs: result.wallMs,
      latency: result.overall,
      cpuMsPerRun: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, ms / runs])),
      history: { events: 0, workflowTasks: 0, activityTasks: 0, localActivities: 0 },
      sparkExecutions,
    };
  } finally {
    await deps.close();
  }
}

const describeConcurrent = (r: ConcurrentRuns) =>
  `${r.kind}: ${r.runs} runs in ${(r.wallMs / 1000).toFixed(2)} s, p50 ${r.latency.median?.toFixed(0)} ms, p95 ${r.latency.p95?.toFixed(0)} ms, ` +
  `${r.history.events} events, ${r.history.workflowTasks} workflow tasks, ${r.sparkExecutions} Spark executions; CPU ms per run: ${formatCpu(r.cpuMsPerRun)}`;

interface ProcessLoad {
  clients: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latency: LatencyStats;
  meanRequestsPerRun: number;
  cost: Capacity;
}

async function measureProcess(url: string, pgids: Pgids, clients: number, seconds: number, cores: number): Promise<ProcessLoad> {
  const meter = cpuMeter(pgids);
  const latencies: number[] = [];
  let perRun = 0;
  let seq = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const { ms, answer } = await postProcess(url, processBody(seq++));
        latencies.push(ms);
        perRun += 1 / (answer.batch_requests ?? 1);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = meter.elapsed();
  return {
    clients,
    seconds,
    requests: latencies.length,
    requestsPerSecond: (latencies.length * 1000) / wallMs,
    latency: summarize(latencies, { wallMs, errors: 0 }),
    meanRequestsPerRun: latencies.length / perRun,
    cost: capacity(cpu, latencies.length, cores),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const base = loadConfig();
  const calibration = await calibrate();
  say(formatCalibration(calibration));
  say('Bringing the stack up…');
  await stackUp(base);
  const taskQueue = `${base.temporal.taskQueue}-cost`;
  const port = await freePort();
  const logDir = path.join(base.stackStateDir, 'logs');
  const env = { TEMPORAL_TASK_QUEUE: taskQueue, PORT: String(port) };
  const apps: AppProcess[] = [];
  const connection = await Connection.connect({ address: base.temporal.address });
  try {
    apps.push(await startAppProcess('cost-worker', 'worker', env, path.join(logDir, 'cost-worker.log')));
    apps.push(await startAppProcess('cost-rest', 'rest', env, path.join(logDir, 'cost-rest.log')));
    const floorQueue = `${base.temporal.taskQueue}-cost-floor`;
    apps.push(
      await startAppProcess(
        'cost-floor-worker',
        'floor-worker',
        { TEMPORAL_TASK_QUEUE: floorQueue },
        path.join(logDir, 'cost-floor-worker.log'),
      ),
    );
    const [worker, rest, floorWorker] = apps as [AppProcess, AppProcess, AppProcess];
    const stack = stackPgids(base);
    const pgids: Pgids = { worker: worker.pid, rest: rest.pid, ...stack };
    const client = new Client({ connection, namespace: base.temporal.namespace });
    const url = `http://127.0.0.1:${port}/process`;

    if (options.sections.has('1') || options.sections.has('2') || options.sections.has('3')) {
      say('Warming up (20 requests, not counted)…');
      for (let i = 0; i < 20; i++) await postProcess(url, processBody(1_000_000 + i));
    }

    const on = (section: string) => options.sections.has(section);
    let spark: Awaited<ReturnType<typeof measureSpark>> | undefined;
    if (on('1')) {
      say(`1. Spark executions (median of ${options.repeats} after one warm-up each):`);
      spark = await measureSpark(base, stack.spark, options.repeats);
      say(
        `   Spark CPU per execution ≈ ${spark.perRecord.fixed.toFixed(0)} ms + ${(spark.perRecord.perUnit * 1000).toFixed(2)} ms per 1,000 records` +
          ` + ${spark.perGroup.perUnit.toFixed(2)} ms per coalesced group`,
      );
    }

    let pipeline: Awaited<ReturnType<typeof measurePipelineRuns>> | undefined;
    if (on('2')) {
      const runs = 20;
      say(`2. ${runs} pipeline runs, one at a time (10 records, final_analysis)…`);
      pipeline = await measurePipelineRuns(client, taskQueue, { worker: worker.pid, ...stack }, runs);
      say(
        `   wall p50 ${pipeline.wall.median?.toFixed(0)} ms; history ${pipeline.history.events} events, ${pipeline.history.workflowTasks} workflow tasks, ` +
          `${pipeline.history.activityTasks} activities, ${pipeline.history.localActivities} markers; CPU ms per run: ${formatCpu(pipeline.cpuMsPerRun)}`,
      );
    }

    const loads: ProcessLoad[] = [];
    if (on('3')) {
      say('3. POST /process, one client…');
      loads.push(await measureProcess(url, pgids, 1, Math.min(options.seconds, 10), calibration.cpus));
      say(`   ${describeLoad(loads[0]!)}`);
      say(`   POST /process, ${options.clients} clients for ${options.seconds} s…`);
      loads.push(await measureProcess(url, pgids, options.clients, options.seconds, calibration.cpus));
      say(`   ${describeLoad(loads[1]!)}`);
    }

    const floor: ConcurrentRuns[] = [];
    if (on('4')) {
      const n = options.concurrent;
      say(`4. Temporal's floor: ${n} runs at once of each kind…`);
      const floorPgids: Pgids = { worker: floorWorker.pid, temporal: stack.temporal };
      const runStamp = Date.now();
      const shapes: [string, 'emptyWorkflow' | 'pipelineShapeWorkflow', PipelineShape?][] = [
        ['empty workflow', 'emptyWorkflow'],
        ['the whole run as one no-op activity', 'pipelineShapeWorkflow', { searchAttributes: false, steps: 'one activity' }],
        [
          "a small run's steps, no-op (local activities, one task)",
          'pipelineShapeWorkflow',
          { searchAttributes: true, steps: 'small run' },
        ],
        ["a larger run's steps, no-op (activities)", 'pipelineShapeWorkflow', { searchAttributes: true, steps: 'pipeline' }],
        ['… without search-attribute updates', 'pipelineShapeWorkflow', { searchAttributes: false, steps: 'pipeline' }],
        ['… submit, poll, collect as one activity', 'pipelineShapeWorkflow', { searchAttributes: true, steps: 'one job activity' }],
      ];
      for (const [kind, type, shape] of shapes) {
        const start = async (i: number) =>
          (
            await client.workflow.start(type, {
              taskQueue: floorQueue,
              workflowId: `cost-${runStamp}-${floor.length}-${i}`,
              args: shape ? [shape] : [],
            })
          ).workflowId;
        floor.push(await measureConcurrentRuns(client, base.spark.uiUrl, kind, n, floorPgids, start));
        say(`   ${describeConcurrent(floor.at(-1)!)}`);
      }
      const startPipeline = async (i: number) =>
        (
          await client.workflow.start(pipelineWorkflow, {
            taskQueue,
            workflowId: `cost-${runStamp}-pipeline-${i}`,
            args: [{ records: [...generateEmployees(10, 2_000_000 + i)], jobs: ['count_gender'] }],
          })
        ).workflowId;
      floor.push(
        await measureConcurrentRuns(
          client,
          base.spark.uiUrl,
          'pipeline run (10 records, count_gender)',
          n,
          { worker: worker.pid, ...stack },
          startPipeline,
        ),
      );
      say(`   ${describeConcurrent(floor.at(-1)!)}`);
      floor.push(await measureBarePath(base, n, stack));
      say(`   ${describeConcurrent(floor.at(-1)!)}`);
    }

    if (loads.length) say(`\n${formatCostTable(loads)}`);
    if (floor.length) say(`\n${formatFloorTable(floor)}`);
    const stamp = new Date()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replaceAll(':', '-');
    const file = path.join(PROJECT_ROOT, 'results', `cost-${stamp}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const machine = { ...calibration, totalMemoryBytes: os.totalmem(), node: process.version };
    fs.writeFileSync(
      file,
      `${JSON.stringify({ startedAt: stamp, machine, options: { ...options, sections: [...options.sections] }, spark, pipeline, process: loads.length ? { alone: loads[0], loaded: loads[1] } : undefined, floor }, null, 2)}\n`,
    );
    say();
    say(`Results: ${path.relative(PROJECT_ROOT, file)}`);
  } finally {
    await Promise.all(apps.map((app) => app.kill('SIGTERM')));
    await connection.close();
  }
}

const formatCpu = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
    .join(', ');

const describeLoad = (l: ProcessLoad) =>
  `${l.requests} requests, ${l.requestsPerSecond.toFixed(1)}/s, p50 ${l.latency.median?.toFixed(0)} ms, p95 ${l.latency.p95?.toFixed(0)} ms, ` +
  `${l.meanRequestsPerRun.toFixed(1)} requests per run; CPU ms per request: ${formatCpu(l.cost.cpuMsPerRequest)}`;

function formatCostTable(loads: ProcessLoad[]): string {
  const heading = (l: ProcessLoad) => `${l.clients} client${l.clients > 1 ? 's' : ''}`;
  const row = (name: string, value: (l: ProcessLoad) => number): TableRow => ({
    'per POST /process': name,
    ...Object.fromEntries(loads.map((l) => [heading(l), Math.round(value(l) * 10) / 10])),
  });
  return formatTable([
    ...Object.keys(loads[0]!.cost.cpuMsPerRequest).map((name) => row(`${name} CPU ms`, (l) => l.cost.cpuMsPerRequest[name]!)),
    row('total CPU ms', (l) => l.cost.totalCpuMsPerRequest),
    row('requests per run', (l) => l.meanRequestsPerRun),
    row('measured requests/s', (l) => l.requestsPerSecond),
    row('requests/s with every core busy', (l) => l.cost.cpuBoundRequestsPerSecond),
  ]);
}

function formatFloorTable(rows: ConcurrentRuns[]): string {
  const cpu = (r: ConcurrentRuns, name: string) => Math.round(r.cpuMsPerRun[name] ?? 0);
  return formatTable(
    rows.map((r) => ({
      [`${r.runs} runs at once`]: r.kind,
      'wall s': Math.round(r.wallMs / 10) / 100,
      'p50 ms': Math.round(r.latency.median ?? 0),
      'p95 ms': Math.round(r.latency.p95 ?? 0),
      events: r.history.events,
      'workflow tasks': r.history.workflowTasks,
      'Temporal CPU ms/run': cpu(r, 'temporal'),
      'worker (bare: script) CPU ms/run': cpu(r, 'worker'),
      'Kafka + Spark CPU ms/run': cpu(r, 'kafka') + cpu(r, 'spark'),
      'Spark executions': r.sparkExecutions,
    })),
  );
}

main().then(
  () => process.exit(0),
  (err: Error & { code?: string }) => {
    const usage = err.code?.startsWith('ERR_PARSE_ARGS') ? `${err.message}\n${USAGE}` : undefined;
    process.stderr.write(`cost: ${usage ?? (err instanceof CostError || err instanceof ProcessRequestError ? err.message : err.stack)}\n`);
    process.exit(1);
  },
);
