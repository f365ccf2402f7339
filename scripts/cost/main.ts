// `npm run cost [-- --repeats 5 --seconds 20 --clients 50]`: measures what the work costs, so the design can follow
// the numbers (docs/cost-model.md reads them). Brings the stack up, runs a worker and a REST trigger as processes
// of their own (their own task queue and port), and measures, charging CPU to each process from /proc:
//   1. Spark: one execution as a function of its records (10 … 100,000), of the runs it coalesces (1 … 50 groups)
//      and of its job, through a Spark Connect session of its own;
//   2. Temporal: one pipeline run, sequential: wall time, history events, workflow and activity tasks, and each
//      process's CPU;
//   3. POST /process: one request alone, then `clients` clients at once for `seconds` (bodies of 2-200 records,
//      as the load test sends): rate, latency, requests per run, and each process's CPU per request, which gives the
//      rate at which the cores would all be busy.
// Prints the tables and writes results/cost-<time>.json.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { recordValues, toMessages } from '../../activities/ingest';
import type { JobName } from '../../contracts/jobs';
import type { EmployeeRecord } from '../../contracts/records';
import { summarize, type LatencyStats } from '../../contracts/stats';
import { loadConfig, PROJECT_ROOT, type Config } from '../../lib/config';
import { generateEmployees } from '../../lib/employee-generator';
import { recordKey } from '../../lib/idempotency';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import type { ExecutionSource } from '../../spark/runtime/job-runner';
import { pipelineWorkflow } from '../../workflows';
import { calibrate, formatCalibration } from '../bench/calibration';
import { startAppProcess, type AppProcess } from '../lib/app-process';
import { postProcess, processBody, ProcessRequestError } from '../lib/process-client';
import { cpuMeter } from '../lib/proc-usage';
import { ownSparkExecutor } from '../lib/spark-executor';
import { formatNumber, formatTable, type TableRow } from '../lib/text-table';
import { stackPaths } from '../stack/paths';
import { runningPid } from '../stack/processes';
import { stackUp } from '../stack/stack';
import { capacity, fitLine, median, type Capacity, type LinearCost } from './model';

const USAGE = 'usage: npm run cost [-- --repeats 5 --seconds 20 --clients 50]';
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
    },
  });
  const int = (name: keyof typeof values, min: number) => {
    const text = values[name];
    if (!/^\d+$/.test(text) || Number(text) < min) throw new CostError(`--${name} must be a whole number ≥ ${min}, got ${text}\n${USAGE}`);
    return Number(text);
  };
  return { repeats: int('repeats', 1), seconds: int('seconds', 1), clients: int('clients', 1) };
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
  const params = { referenceDate: new Date().toISOString().slice(0, 10) };
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
      await executor.start(operationId, job, params, source);
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
    const [worker, rest] = apps as [AppProcess, AppProcess];
    const stack = stackPgids(base);
    const pgids: Pgids = { worker: worker.pid, rest: rest.pid, ...stack };
    const client = new Client({ connection, namespace: base.temporal.namespace });
    const url = `http://127.0.0.1:${port}/process`;

    say('Warming up (20 requests, not counted)…');
    for (let i = 0; i < 20; i++) await postProcess(url, processBody(1_000_000 + i));

    say(`1. Spark executions (median of ${options.repeats} after one warm-up each):`);
    const spark = await measureSpark(base, stack.spark, options.repeats);
    say(
      `   Spark CPU per execution ≈ ${spark.perRecord.fixed.toFixed(0)} ms + ${(spark.perRecord.perUnit * 1000).toFixed(2)} ms per 1,000 records` +
        ` + ${spark.perGroup.perUnit.toFixed(2)} ms per coalesced group`,
    );

    const runs = 20;
    say(`2. ${runs} pipeline runs, one at a time (10 records, final_analysis)…`);
    const pipeline = await measurePipelineRuns(client, taskQueue, { worker: worker.pid, ...stack }, runs);
    say(
      `   wall p50 ${pipeline.wall.median?.toFixed(0)} ms; history ${pipeline.history.events} events, ${pipeline.history.workflowTasks} workflow tasks, ` +
        `${pipeline.history.activityTasks} activities, ${pipeline.history.localActivities} markers; CPU ms per run: ${formatCpu(pipeline.cpuMsPerRun)}`,
    );

    say('3. POST /process, one client…');
    const alone = await measureProcess(url, pgids, 1, Math.min(options.seconds, 10), calibration.cpus);
    say(`   ${describeLoad(alone)}`);
    say(`   POST /process, ${options.clients} clients for ${options.seconds} s…`);
    const loaded = await measureProcess(url, pgids, options.clients, options.seconds, calibration.cpus);
    say(`   ${describeLoad(loaded)}`);

    say();
    say(formatCostTable([alone, loaded]));
    const stamp = new Date()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replaceAll(':', '-');
    const file = path.join(PROJECT_ROOT, 'results', `cost-${stamp}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const machine = { ...calibration, totalMemoryBytes: os.totalmem(), node: process.version };
    fs.writeFileSync(
      file,
      `${JSON.stringify({ startedAt: stamp, machine, options, spark, pipeline, process: { alone, loaded } }, null, 2)}\n`,
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

main().then(
  () => process.exit(0),
  (err: Error & { code?: string }) => {
    const usage = err.code?.startsWith('ERR_PARSE_ARGS') ? `${err.message}\n${USAGE}` : undefined;
    process.stderr.write(`cost: ${usage ?? (err instanceof CostError || err instanceof ProcessRequestError ? err.message : err.stack)}\n`);
    process.exit(1);
  },
);
