// `npm run stream -- --kill-spark-at <s>`: SIGKILLs the stack's Spark Connect server mid-stream, starts it again
// with the stack's own code (`stackUp`: start, then warm-up), and times the recovery against the target "after a
// Spark Connect restart, the query is running again within 30 s": (a) kill → Spark Connect answering again,
// (b) Spark answering → the workflow's streamStatus shows the query running as a new run (restarted from its
// checkpoint), and → the first micro-batch of that run.
import type { StreamStatus } from '../../contracts/streams';
import type { Config } from '../../lib/config';
import { SparkConnectClient } from '../../lib/spark-connect';
import { sleep } from '../stack/processes';
import { stackKill, stackUp } from '../stack/stack';

export interface SparkRecovery {
  /** Seconds into the feed when Spark was killed. */
  killedAtS: number;
  /** Kill → Spark Connect answers a status call again. */
  sparkAnsweringMs: number | null;
  /** Kill → `stackUp` returned (Spark started and warmed up). */
  stackUpMs: number;
  /** Of that, the stack's warm-up of the new server. */
  warmUpMs: number | null;
  /** Spark answering → the workflow shows the query running again (a new run of the same query). */
  queryRunningMs: number | null;
  /** Spark answering → the first micro-batch the new run started (its progress timestamp). */
  firstBatchMs: number | null;
  /** Kill → the query running again, all in all. */
  killToRunningMs: number | null;
  queryRunIdBefore: string | null;
  queryRunIdAfter: string | null;
  sameQueryId: boolean | null;
}

/** How long to wait for each step of the recovery before calling it failed. */
const STEP_TIMEOUT_MS = 180_000;
const POLL_MS = 250;

export async function killAndRestartSpark(
  config: Config,
  status: () => Promise<StreamStatus | undefined>,
  killedAtS: number,
  say: (line: string) => void,
): Promise<SparkRecovery> {
  const before = await status();
  const t0 = Date.now();
  say(`SIGKILL of Spark Connect (pid file in the stack's run dir) at ${killedAtS} s`);
  if (!(await stackKill(config, 'spark'))) throw new Error('Spark Connect was not running under this stack: nothing to kill');
  const up = stackUp(config).then((report) => ({ report, at: Date.now() }));
  // A client of its own, in a session nobody works in: it only asks whether Spark answers.
  const probe = new SparkConnectClient({ url: config.spark.connectUrl, descriptorSetPath: config.spark.descriptorSetPath, keepAliveMs: 0 });
  let answeringAt: number | undefined;
  try {
    answeringAt = await firstTime(() => probe.reachable().then(() => true), t0);
  } finally {
    probe.close();
  }
  say(`Spark Connect answering again ${seconds(answeringAt, t0)} after the kill`);
  const from = answeringAt ?? t0;
  const runningAt = await firstTime(async () => {
    const s = await status();
    return s?.state === 'running' && s.query !== null && s.query.runId !== before?.query?.runId;
  }, from);
  say(`the stream's query running again ${seconds(runningAt, from)} after Spark answered`);
  let batchStartedAt: number | undefined;
  await firstTime(async () => {
    const p = (await status())?.progress;
    if (p && Date.parse(p.timestamp) >= from) batchStartedAt = Date.parse(p.timestamp);
    return batchStartedAt !== undefined;
  }, from);
  const { report, at: upAt } = await up;
  const after = await status();
  const warm = report.services.find((s) => s.name === 'spark')?.warmSeconds;
  return {
    killedAtS,
    sparkAnsweringMs: since(answeringAt, t0),
    stackUpMs: upAt - t0,
    warmUpMs: warm === undefined ? null : Math.round(warm * 1000),
    queryRunningMs: since(runningAt, from),
    firstBatchMs: since(batchStartedAt, from),
    killToRunningMs: since(runningAt, t0),
    queryRunIdBefore: before?.query?.runId ?? null,
    queryRunIdAfter: after?.query?.runId ?? null,
    sameQueryId: before?.query && after?.query ? before.query.id === after.query.id : null,
  };
}

/** When `check` first holds (polled every 250 ms from now), or undefined after the step's timeout. */
async function firstTime(check: () => Promise<boolean>, from: number): Promise<number | undefined> {
  while (Date.now() - from < STEP_TIMEOUT_MS) {
    if (await check().catch(() => false)) return Date.now();
    await sleep(POLL_MS);
  }
  return undefined;
}

const since = (at: number | undefined, from: number) => (at === undefined ? null : at - from);
const seconds = (at: number | undefined, from: number) => (at === undefined ? 'never (gave up)' : `${((at - from) / 1000).toFixed(1)} s`);
