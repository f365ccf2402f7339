// `npm run chaos [-- --scenarios spark-restart,worker-kill] [--clients 20] [--runs 100]`: brings up a stack of its
// own (other ports, state under .stack/chaos, Spark with a short idle-session timeout), a REST trigger and workers
// as processes, and for each scenario keeps a steady load of /process clients, a benchmark of pipeline runs and runs of
// the orders example definition going while it injects the fault; every answer is checked against its oracle, then Spark's executions and
// Kafka's records of every run. Prints a table, writes JSON under results/, exits 1 if a scenario failed.
// `--topology cluster` runs it on the cluster topology (state under .stack/chaos-cluster) with the scenarios only a
// cluster has: a broker, a partition leader mid-ingest, a Spark worker, the master, Temporal's history, PostgreSQL.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../lib/config';
import { countExecutions, countRecords, runResults, sharedExecutionsByMember } from './check';
import { ChaosCluster, type Topology } from './cluster';
import { ProcessClients, startBenchmark, startOrders, type Answer, type BenchmarkLoad } from './load';
import { formatChaosTable, summarize, type Check, type FaultWindow, type ScenarioReport } from './report';
import { CLUSTER_SCENARIOS, SCENARIOS, type Scenario, type ScenarioContext } from './scenarios';

const say = (line = '') => process.stdout.write(`${line}\n`);
const USAGE = [
  `usage: npm run chaos [-- --scenarios ${SCENARIOS.map((s) => s.name).join(',')}] [--clients 20] [--runs 100]`,
  `       npm run chaos -- --topology cluster [--scenarios baseline,${CLUSTER_SCENARIOS.map((s) => s.name).join(',')},…]`,
].join('\n');

interface Options {
  topology: Topology;
  scenarios: Scenario[];
  clients: number;
  runs: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      topology: { type: 'string', default: 'single' },
      scenarios: { type: 'string' },
      clients: { type: 'string', default: '20' },
      runs: { type: 'string', default: '100' },
    },
  });
  if (values.topology !== 'single' && values.topology !== 'cluster') throw new Error(`--topology is single or cluster\n${USAGE}`);
  const topology: Topology = values.topology;
  // The cluster's own scenarios only make sense on it; the single stack's run on both.
  const known = topology === 'cluster' ? [...SCENARIOS, ...CLUSTER_SCENARIOS] : SCENARIOS;
  const defaults = topology === 'cluster' ? [SCENARIOS[0]!, ...CLUSTER_SCENARIOS] : SCENARIOS;
  const names = values.scenarios?.split(',').map((s) => s.trim()) ?? defaults.map((s) => s.name);
  const unknown = names.filter((n) => !known.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')} on the ${topology} topology\n${USAGE}`);
  const clients = Number(values.clients);
  const runs = Number(values.runs);
  if (!Number.isInteger(clients) || clients < 1 || !Number.isInteger(runs) || runs < 1)
    throw new Error(`--clients and --runs are whole numbers ≥ 1\n${USAGE}`);
  return { topology, scenarios: names.map((n) => known.find((s) => s.name === n)!), clients, runs };
}

/** Workers as the scenario wants them: the same number, with its environment (fresh ones if it has one). */
async function prepareWorkers(cluster: ChaosCluster, scenario: Scenario, previous: Scenario | undefined): Promise<void> {
  const envChanged = JSON.stringify(scenario.workerEnv ?? {}) !== JSON.stringify(previous?.workerEnv ?? {});
  if (envChanged) for (const w of [...cluster.workers]) await cluster.stopWorker(w, 'SIGTERM');
  while (cluster.workers.length > scenario.workers) await cluster.stopWorker(cluster.workers.at(-1)!, 'SIGTERM');
  while (cluster.workers.length < scenario.workers) await cluster.startWorker(scenario.workerEnv);
}

async function runScenario(cluster: ChaosCluster, scenario: Scenario, options: Options): Promise<ScenarioReport> {
  await cluster.collectSparkJobs().catch(() => undefined);
  const journal = cluster.config.kafka.executionsTopic;
  await cluster.kafka.ensureTopic(journal, 1);
  const journalFrom = await cluster.kafka.endOffsets(journal);
  const jobsBefore = new Map([...cluster.sparkJobs].map(([app, jobs]) => [app, new Set(jobs.keys())]));
  const begin = Date.now();
  let fault: FaultWindow | undefined;
  const checks: Check[] = [];
  const extra: Record<string, number | string> = {};
  const finished: ProcessClients[] = [];
  let steady = new ProcessClients(options.clients, { baseUrl: cluster.baseUrl, retryOverCapacity: true });
  const more: ProcessClients[] = [];
  const elsewhere: Answer[] = [];
  const benchmark: BenchmarkLoad = startBenchmark(
    cluster.temporal,
    cluster.config.temporal.taskQueue,
    `chaos-${scenario.name}-${begin}`,
    options.runs,
    5,
  );
  const orders = startOrders(
    cluster.temporal,
    cluster.config.temporal.taskQueue,
    `chaos-${scenario.name}-${begin}`,
    Math.ceil(options.runs / 2),
  );
  const ctx: ScenarioContext = {
    cluster,
    clients(count, o = {}) {
      const c = new ProcessClients(count, {
        baseUrl: cluster.baseUrl,
        retryOverCapacity: o.retryOverCapacity ?? true,
        disconnect: o.disconnect ?? false,
        ...(o.pauseMs ? { pauseMs: o.pauseMs } : {}),
      });
      more.push(c);
      return c;
    },
    answers: (got) => void elsewhere.push(...got),
    async pauseLoad() {
      await steady.stop();
      finished.push(steady);
    },
    resumeLoad() {
      steady = new ProcessClients(options.clients, { baseUrl: cluster.baseUrl, retryOverCapacity: true });
    },
    benchmarkDone: async () => void (await benchmark.done),
    fault: (window) => (fault = window),
    check: (c) => checks.push(c),
    extra: (name, value) => (extra[name] = value),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    log: (line) => say(`  ${((Date.now() - begin) / 1000).toFixed(1).padStart(5)} s  ${line}`),
  };
  await scenario.run(ctx);
  ctx.log('stopping the load; waiting for every answer');
  await steady.stop();
  finished.push(steady);
  for (const c of more) await c.stop();
  const benchmarkAnswers = await benchmark.done;
  const ordersAnswers = await orders.done;
  const end = Date.now();
  const answers: Answer[] = [...finished, ...more].flatMap((c) => c.answers).concat(elsewhere, benchmarkAnswers, ordersAnswers);

  ctx.log(`checking Spark executions and Kafka records of ${new Set(answers.map((a) => a.workflowId).filter(Boolean)).size} runs`);
  await cluster.collectSparkJobs().catch(() => undefined);
  const results = await runResults(
    cluster.temporal,
    answers.flatMap((a) => (a.workflowId ? [a.workflowId] : [])),
  );
  const shared = await sharedExecutionsByMember(cluster.kafka, journal, journalFrom).catch(() => new Map<string, string[]>());
  const executions = countExecutions(cluster, results.values(), cluster.killedSparkApps, shared);
  const sample = [...results.values()].sort(() => Math.random() - 0.5).slice(0, 200);
  const kafka = await countRecords(cluster.kafka, sample);
  // Spark jobs of this scenario that failed or were interrupted (jobs ids grow; those seen before are left out).
  const failedSparkJobs = [...cluster.sparkJobs.entries()]
    .flatMap(([app, jobs]) => [...jobs.values()].filter((j) => !jobsBefore.get(app)?.has(j.jobId)))
    .filter((j) => j.status === 'FAILED').length;
  extra['Spark jobs FAILED or interrupted'] = failedSparkJobs;
  if (scenario.name === 'worker-sigterm') {
    checks.push({
      name: 'no Spark job interrupted by the rolling restart',
      ok: failedSparkJobs === 0,
      detail: `${failedSparkJobs} Spark jobs failed or were interrupted`,
    });
  }
  return summarize(scenario.name, scenario.description, answers, { begin, fault, end, executions, kafka, extra, extraChecks: checks });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cluster = new ChaosCluster({}, options.topology);
  say(
    `chaos (${options.topology} topology): stack on Temporal ${cluster.config.temporal.address}, Kafka ${cluster.config.kafka.brokers.join(',')}, Spark ${cluster.config.spark.connectUrl} (logs: ${cluster.logDir})`,
  );
  await cluster.up();
  await cluster.startRest();
  const reports: ScenarioReport[] = [];
  let previous: Scenario | undefined;
  try {
    // A warm-up, so the first scenario does not measure a cold JVM.
    await prepareWorkers(cluster, SCENARIOS[0]!, undefined);
    const warm = new ProcessClients(options.clients, { baseUrl: cluster.baseUrl, retryOverCapacity: true });
    await new Promise((r) => setTimeout(r, 15_000));
    await warm.stop();
    for (const scenario of options.scenarios) {
      say(`\n${scenario.name}: ${scenario.description}`);
      await cluster.restart();
      if (!cluster.rest || cluster.rest.rssMb() === undefined) await cluster.startRest();
      await prepareWorkers(cluster, scenario, previous);
      previous = scenario;
      const report = await runScenario(cluster, scenario, options);
      reports.push(report);
      for (const c of report.checks) say(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
      for (const s of report.samples) say(`       ${s}`);
    }
  } finally {
    await cluster.down();
  }
  say('');
  say(formatChaosTable(reports));
  const outDir = path.join(PROJECT_ROOT, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const json = JSON.stringify(
    { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, at: new Date().toISOString(), reports },
    null,
    2,
  );
  fs.writeFileSync(path.join(outDir, `chaos-${stamp}Z.json`), json);
  fs.writeFileSync(path.join(outDir, 'chaos-latest.json'), json);
  say(`\n${reports.filter((r) => r.pass).length}/${reports.length} scenarios passed; results/chaos-latest.json`);
  process.exitCode = reports.every((r) => r.pass) ? 0 : 1;
}

// Exits when done, as bench and cost do: something below the clients (not a JS handle) kept the process alive
// after the report, so the command never returned.
main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`chaos: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  },
);
