// The faults `npm run chaos` injects, one scenario each, under the steady load the runner keeps up (scenario.ts
// only decides what to break and when, and what else to check).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { PROJECT_ROOT } from '../../lib/config';
import { SparkConnectClient } from '../../lib/spark-connect';
import { pipelineWorkflow } from '../../workflows';
import { generateEmployees } from '../../lib/employee-generator';
import { RECORDS_PER_MESSAGE } from '../../lib/json-arrays';
import { referenceResult } from '../../test/support/oracle';
import { countRecords } from './check';
import { SESSION_TIMEOUT_S, type ChaosCluster, type Service } from './cluster';
import { utcDay } from './expected';
import type { Answer, ProcessClients } from './load';
import type { Check, FaultWindow } from './report';

export interface ScenarioContext {
  cluster: ChaosCluster;
  /** Starts more /process clients, stopped (and their answers counted) at the end. */
  clients(count: number, options?: { disconnect?: boolean; retryOverCapacity?: boolean; pauseMs?: number }): ProcessClients;
  /** Answers got elsewhere (the flood's own process), counted with the scenario's. */
  answers(answers: Answer[]): void;
  /** Stops the steady clients (they start again with `resumeLoad`). */
  pauseLoad(): Promise<void>;
  resumeLoad(): void;
  /** Resolves when the benchmark's runs have all ended. */
  benchmarkDone(): Promise<void>;
  fault(window: FaultWindow): void;
  check(check: Check): void;
  extra(name: string, value: number | string): void;
  sleep(ms: number): Promise<void>;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  description: string;
  /** Workers the scenario starts with, and their environment. */
  workers: number;
  workerEnv?: Record<string, string>;
  run(ctx: ScenarioContext): Promise<void>;
}

/** Load before a fault, to measure throughput against. */
const BEFORE_MS = 10_000;
/** Load after a fault cleared. */
const AFTER_MS = 30_000;

/** Runs `clients` flooding clients for `seconds` in a process of their own (flood-process.ts); their answers. */
function runFlood(baseUrl: string, clients: number, seconds: number): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(__dirname, 'flood-process.ts'),
        baseUrl,
        String(clients),
        String(seconds),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Answer[]) : reject(new Error(`the flood process exited with ${code}`)),
    );
  });
}

/** A scenario's run: load, then the fault (from `inject` starting until it returns: the component is back), then load again. */
function withFault(inject: (ctx: ScenarioContext) => Promise<void>): (ctx: ScenarioContext) => Promise<void> {
  return async (ctx) => {
    await ctx.sleep(BEFORE_MS);
    const startedAt = Date.now();
    await inject(ctx);
    ctx.fault({ startedAt, clearedAt: Date.now() });
    await ctx.sleep(AFTER_MS);
  };
}

/** SIGKILL of a stack service (`what` names it for the table), started again `downMs` later. */
function restartScenario(
  service: Service,
  downMs: number,
  what = service === 'spark' ? 'Spark Connect server' : service === 'kafka' ? 'Kafka broker' : 'Temporal dev server',
  name = `${service}-restart`,
): Scenario {
  return {
    name,
    description: `SIGKILL of the ${what}, started again ${downMs / 1000} s later`,
    workers: 1,
    run: withFault(async (ctx) => {
      const t0 = Date.now();
      ctx.log(`SIGKILL ${service}`);
      await ctx.cluster.kill(service);
      await ctx.sleep(downMs);
      await ctx.cluster.restart();
      ctx.log(`${service} back (ready) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }),
  };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'baseline',
    description: 'no fault: the reference for the others',
    workers: 1,
    async run(ctx) {
      await ctx.sleep(20_000);
    },
  },
  {
    name: 'session-expiry',
    description: `workers without keep-alive; an idle gap of ${2 * SESSION_TIMEOUT_S + 10} s, longer than twice Spark's ${SESSION_TIMEOUT_S} s session timeout`,
    workers: 1,
    workerEnv: { SPARK_SESSION_KEEPALIVE_MS: '0' },
    async run(ctx) {
      await ctx.sleep(BEFORE_MS);
      await ctx.pauseLoad();
      await ctx.benchmarkDone();
      // The session the workers work in now (a probe of it would keep it open, so only before the gap).
      const spark = new SparkConnectClient({
        url: ctx.cluster.config.spark.connectUrl,
        descriptorSetPath: ctx.cluster.config.spark.descriptorSetPath,
        sessionId: ctx.cluster.config.spark.sessionId,
        keepAliveMs: 0,
      });
      try {
        await spark.ping();
        const session = spark.sessionId;
        ctx.log(`idle for ${2 * SESSION_TIMEOUT_S + 10} s (session ${session})`);
        await ctx.sleep((2 * SESSION_TIMEOUT_S + 10) * 1000);
        const state = await spark.probeSession(session);
        ctx.check({ name: 'the session expired during the gap', ok: state === 'closed', detail: `Spark says the session is ${state}` });
      } finally {
        spark.close();
      }
      const first = ctx.clients(1);
      await ctx.sleep(100);
      await first.stop();
      const [answer] = first.answers;
      const ms = answer ? answer.answeredAt - answer.startedAt : undefined;
      ctx.extra('first answer after the gap (ms)', ms ?? 'none');
      ctx.check({
        name: 'the first request after the gap is answered right, as usual (< 3 s)',
        ok: answer?.outcome === 'right' && ms !== undefined && ms < 3_000,
        detail: `${answer?.outcome ?? 'no answer'} in ${ms} ms`,
      });
      ctx.resumeLoad();
      await ctx.sleep(15_000);
    },
  },
  restartScenario('spark', 0),
  restartScenario('kafka', 5_000),
  restartScenario('temporal', 5_000),
  {
    name: 'worker-kill',
    description: 'SIGKILL of one of two workers at a random moment, three times, each replaced 2 s later',
    workers: 2,
    run: withFault(async (ctx) => {
      for (let i = 0; i < 3; i++) {
        const victim = ctx.cluster.workers[Math.floor(Math.random() * ctx.cluster.workers.length)]!;
        ctx.log(`SIGKILL ${victim.name}`);
        await ctx.cluster.stopWorker(victim, 'SIGKILL');
        await ctx.sleep(2_000);
        await ctx.cluster.startWorker();
        if (i < 2) await ctx.sleep(3_000 + Math.random() * 4_000);
      }
    }),
  },
  {
    name: 'worker-sigterm',
    description: 'a rolling restart: each of two workers replaced, the new one started before the old one gets SIGTERM',
    workers: 2,
    run: withFault(async (ctx) => {
      for (const old of [...ctx.cluster.workers]) {
        await ctx.cluster.startWorker();
        ctx.log(`SIGTERM ${old.name}`);
        const t0 = Date.now();
        await ctx.cluster.stopWorker(old, 'SIGTERM');
        ctx.log(`${old.name} drained and exited in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        await ctx.sleep(3_000);
      }
    }),
  },
  {
    name: 'three-workers',
    description: 'three workers on one task queue, one of them SIGKILLed and not replaced',
    workers: 3,
    run: withFault(async (ctx) => {
      const victim = ctx.cluster.workers[1]!;
      ctx.log(`SIGKILL ${victim.name}`);
      await ctx.cluster.stopWorker(victim, 'SIGKILL');
    }),
  },
  {
    name: 'poisoned-job',
    description: 'a run over a file Spark cannot parse (FAILFAST), amid the load',
    workers: 1,
    async run(ctx) {
      await ctx.sleep(BEFORE_MS);
      const { config, temporal, baseUrl } = { config: ctx.cluster.config, temporal: ctx.cluster.temporal, baseUrl: ctx.cluster.baseUrl };
      fs.mkdirSync(config.dataDir, { recursive: true });
      fs.writeFileSync(
        path.join(config.dataDir, 'poison.jsonl'),
        '{"id": 1, "gender": "F", "salary": 10}\n{"id": 2, "gender": "M", "salary": }\n',
      );
      const workflowId = `chaos-poison-${Date.now()}`;
      const handle = await temporal.workflow.start(pipelineWorkflow, {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [{ file: 'poison.jsonl', ingest: false, jobs: ['count_gender'] }],
      });
      const error = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      const message = error instanceof WorkflowFailedError ? (error.cause?.message ?? '') : String(error);
      ctx.check({
        name: 'the poisoned run fails, saying why',
        ok: error instanceof WorkflowFailedError && /malformed|MALFORMED/i.test(message),
        detail: message.slice(0, 160),
      });
      const attempts = ((await handle.fetchHistory()).events ?? [])
        .filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => Number(e.activityTaskStartedEventAttributes?.attempt ?? 1));
      ctx.check({
        name: 'with bounded retries (no step tried more than twice)',
        ok: attempts.length > 0 && Math.max(...attempts) <= 2,
        detail: `activity attempts: ${attempts.join(', ')}`,
      });
      const res = await fetch(`${baseUrl}/pipelines/${workflowId}`);
      const body = (await res.json()) as { status?: string; error?: string };
      ctx.check({
        name: 'GET /pipelines/:id shows the failure',
        ok: body.status === 'FAILED' && /malformed/i.test(body.error ?? ''),
        detail: `${body.status}: ${(body.error ?? '').slice(0, 120)}`,
      });
      await ctx.sleep(10_000);
    },
  },
  {
    name: 'client-disconnects',
    description: '20 more clients that go away 20-300 ms into each request',
    workers: 1,
    run: withFault(async (ctx) => {
      const leaving = ctx.clients(20, { disconnect: true });
      await ctx.sleep(20_000);
      await leaving.stop();
      ctx.extra('requests abandoned by their clients', leaving.abandoned);
      const health = await fetch(`${ctx.cluster.baseUrl}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      ctx.check({ name: 'the REST trigger stays up', ok: health === 200, detail: `/healthz ${health}` });
    }),
  },
  {
    name: 'flood',
    description: '500 more clients (5x the load test), retrying a 503 after 100 ms instead of its Retry-After',
    workers: 1,
    run: withFault(async (ctx) => {
      const rest = ctx.cluster.rest!;
      let maxRss = rest.rssMb() ?? 0;
      const sampler = setInterval(() => (maxRss = Math.max(maxRss, rest.rssMb() ?? 0)), 250);
      // Probes: ten more clients, each back 200 ms after its answer, as clients the flood finds in the way. Their
      // latency is the service's; the flood's own clients, 500 in one process on two shared cores, mostly
      // measure that process's event loop (reported, not judged).
      const probe = ctx.clients(10, { retryOverCapacity: false, pauseMs: 200 });
      const answers = await runFlood(ctx.cluster.baseUrl, 500, 20);
      await probe.stop();
      clearInterval(sampler);
      ctx.answers(answers);
      const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;
      const latency = (a: Answer) => a.answeredAt - a.startedAt;
      const refused = answers.filter((a) => a.outcome === 'refused');
      const probed = probe.answers.filter((a) => a.outcome === 'refused');
      const accepted = answers.filter((a) => a.outcome !== 'refused');
      ctx.extra('flood requests refused (503)', refused.length);
      ctx.extra('flood requests accepted', accepted.length);
      ctx.extra("flood clients' own 503 latency p99 (ms)", p99(refused.map(latency)));
      ctx.extra('REST trigger max RSS (MB)', maxRss);
      ctx.check({
        name: 'the excess gets 503 within 1 s',
        ok: probed.length > 0 && p99(probed.map(latency)) <= 1_000,
        detail: `probe: ${probed.length} of ${probe.answers.length} refused, p99 ${p99(probed.map(latency))} ms; the flood: ${refused.length} refused`,
      });
      ctx.check({
        name: 'every accepted flood request is right',
        ok: accepted.every((a) => a.outcome === 'right'),
        detail: `${accepted.filter((a) => a.outcome === 'right').length}/${accepted.length} right`,
      });
      ctx.check({ name: 'the REST trigger stays within 600 MB', ok: maxRss <= 600, detail: `max RSS ${maxRss} MB` });
    }),
  },
];

/**
 * Records of the large run whose ingest loses a partition's leader, and the messages they make (a hundred records
 * a message): enough that the produce lasts long enough to be caught in the middle (~1 s here).
 */
const LEADER_KILL_RECORDS = 1_000_000;
const LEADER_KILL_MESSAGES = Math.ceil(LEADER_KILL_RECORDS / RECORDS_PER_MESSAGE);

/**
 * The scenarios only the cluster topology has (`npm run chaos -- --topology cluster`): a Kafka broker, a partition
 * leader in the middle of an ingest, a Spark worker and the master, Temporal's history service, PostgreSQL.
 */
export const CLUSTER_SCENARIOS: Scenario[] = [
  restartScenario('kafka-2', 5_000, 'second of three Kafka brokers', 'broker-kill'),
  {
    name: 'leader-kill',
    description: `SIGKILL of the leader of a records partition in the middle of a ${LEADER_KILL_RECORDS.toLocaleString('en-US')}-record ingest, back 5 s later`,
    workers: 1,
    run: withFault(async (ctx) => {
      const { config, temporal, kafka } = ctx.cluster;
      const records = [...generateEmployees(LEADER_KILL_RECORDS, 7)].map((r, i) => ({ ...r, id: i + 1 }));
      fs.mkdirSync(config.dataDir, { recursive: true });
      fs.writeFileSync(path.join(config.dataDir, 'leader-kill.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const topic = config.kafka.recordsTopic;
      const total = async () => [...(await kafka.endOffsets(topic)).values()].reduce((a, b) => a + b, 0);
      const before = await total();
      const referenceDate = utcDay(Date.now());
      const handle = await temporal.workflow.start(pipelineWorkflow, {
        taskQueue: config.temporal.taskQueue,
        workflowId: `chaos-leader-kill-${Date.now()}`,
        args: [{ file: 'leader-kill.jsonl', jobs: ['count_gender'], referenceDate }],
      });
      const t0 = Date.now();
      // A tenth of the run's messages written (the other runs' few among them): the ingest is under way.
      while ((await total()) - before < LEADER_KILL_MESSAGES / 10 && Date.now() - t0 < 120_000) await ctx.sleep(20);
      const written = (await total()) - before;
      const leader = (await kafka.leaders(topic)).get(0);
      ctx.log(`SIGKILL kafka-${leader}, leader of ${topic}-0, ${written} messages into the ingest`);
      await ctx.cluster.kill(`kafka-${leader}`);
      await ctx.sleep(5_000);
      await ctx.cluster.restart();
      const result = await handle.result();
      const afterKill = (await total()) - before;
      ctx.extra('messages written when the leader was killed', written);
      ctx.check({
        name: 'the leader was killed in the middle of the ingest',
        ok: written > 0 && written < LEADER_KILL_MESSAGES && afterKill >= LEADER_KILL_MESSAGES,
        detail: `${written} of the run's ${LEADER_KILL_MESSAGES} messages written at the kill`,
      });
      const expected = referenceResult('count_gender', records, { referenceDate });
      const collected = result.results.count_gender;
      const got = collected && 'inline' in collected ? collected.inline : collected;
      ctx.check({
        name: 'the large run is right (against the oracle)',
        ok: JSON.stringify(got) === JSON.stringify(expected),
        detail: `${JSON.stringify(got).slice(0, 120)} (expected ${JSON.stringify(expected).slice(0, 120)})`,
      });
      const counted = await countRecords(kafka, [result]);
      ctx.check({
        name: "the large run's records in Kafka: every one, none missing",
        ok: counted.runs === 1 && counted.missing === 0,
        detail: `${counted.missing} runs missing records, ${counted.withDuplicates} with a record twice (readers de-duplicate)`,
      });
      ctx.extra('large run (s)', ((Date.now() - t0) / 1000).toFixed(1));
    }),
  },
  restartScenario('spark-worker-1', 5_000, 'first of two Spark workers (and its executor)', 'spark-worker-kill'),
  restartScenario('spark-master', 5_000, 'Spark standalone master', 'spark-master-restart'),
  restartScenario('temporal-history', 5_000, 'history service of Temporal', 'history-kill'),
  restartScenario('postgres', 5_000, 'PostgreSQL under Temporal', 'postgres-restart'),
];
