// `npm run kafka:broker-kill [-- --brokers 3 --batches 60 --kill-at 4]`: the Kafka client through the loss of a
// broker. Starts a Kafka cluster of its own (`--brokers` KRaft nodes, each broker and controller, on ports from
// 19192, state under .stack/kafka-broker-kill/, replication factor 3 and min.insync.replicas 2, as the stack's
// cluster topology has them), creates a topic, and produces `--batches` batches of 1,000 messages (a `seq` header
// each) through `KafkaClient.produce` while it SIGKILLs node 2 after `--kill-at` seconds. Every message is then read
// back and counted by its seq, independently of the client's own offsets: none missing, none twice. Prints the
// errors the caller saw, the slowest batch and the counts, writes results/kafka-broker-kill-<time>.json, stops the
// cluster and exits non-zero if a message is missing or doubled or the caller saw an error.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, PROJECT_ROOT } from '../../lib/config';
import { KafkaClient, type OutgoingMessage } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { checkPrerequisites, installKafkaJars } from '../stack/install';
import { stackPaths } from '../stack/paths';
import { killProcess, startDetached, stopProcess, waitUntilReady } from '../stack/processes';
import { stackServices } from '../stack/services';

const BATCH = 1000;
const FIRST_PORT = 19192;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string', default: '3' },
      batches: { type: 'string', default: '60' },
      'kill-at': { type: 'string', default: '4' },
    },
  });
  const brokers = Number(values.brokers);
  const batches = Number(values.batches);
  const killAtMs = Number(values['kill-at']) * 1000;
  if (!(brokers >= 3) || !(batches >= 1) || !(killAtMs >= 0))
    throw new Error('usage: npm run kafka:broker-kill [-- --brokers 3 --batches 60 --kill-at 4] (3 brokers at least)');
  const config = loadConfig({
    ...process.env,
    KAFKA_BROKERS: Array.from({ length: brokers }, (_, i) => `127.0.0.1:${FIRST_PORT + 2 * i}`).join(','),
    KAFKA_TOPIC_REPLICATION_FACTOR: '3',
    STACK_STATE_DIR: path.join(loadConfig().stackDir, 'kafka-broker-kill'),
  });
  const p = stackPaths(config);
  fs.rmSync(p.state, { recursive: true, force: true });
  await checkPrerequisites();
  fs.mkdirSync(p.logDir, { recursive: true });
  await installKafkaJars(p);
  const nodes = stackServices(config, p).filter((s) => s.name.startsWith('kafka-'));
  const victim = nodes[1]!.name;
  const kafka = new KafkaClient(config.kafka, createLogger('warn'));
  try {
    const t0 = Date.now();
    for (const node of nodes) await node.prepare();
    const pids = nodes.map((node) => startDetached(node.spec(), p.runDir, p.logDir));
    await Promise.all(
      nodes.map((node, i) =>
        waitUntilReady(node.name, () => node.isReady(), {
          timeoutMs: 90_000,
          pid: pids[i]!,
          logFile: path.join(p.logDir, `${node.name}.log`),
        }),
      ),
    );
    console.log(`${brokers} brokers up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${config.kafka.brokers.join(', ')})`);

    const topic = `broker-kill-${Date.now()}`;
    await kafka.ensureTopic(topic, 2);
    const errors: string[] = [];
    const latencies: number[] = [];
    const start = Date.now();
    let killedAt: number | undefined;
    for (let b = 0; b < batches; b++) {
      if (killedAt === undefined && Date.now() - start >= killAtMs) {
        await killProcess(p.runDir, victim);
        killedAt = Date.now() - start;
        console.log(`SIGKILL ${victim} at ${(killedAt / 1000).toFixed(1)} s (batch ${b})`);
      }
      const messages: OutgoingMessage[] = Array.from({ length: BATCH }, (_, i) => ({
        key: 'broker-kill',
        value: JSON.stringify({ batch: b, i }),
        partition: i % 2,
        headers: { seq: String(b * BATCH + i) },
      }));
      // The caller retries a failed batch, as an activity would; every failure it saw is counted.
      for (let attempt = 1; ; attempt++) {
        const t = Date.now();
        try {
          await kafka.produce(topic, messages);
          latencies.push(Date.now() - t);
          break;
        } catch (err) {
          errors.push(`batch ${b} attempt ${attempt}: ${(err as Error).message}`);
          if (attempt >= 5) throw err;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const end = await kafka.endOffsets(topic);
    const read = await kafka.readRanges(
      topic,
      [...end].map(([partition, to]) => ({ partition, from: 0, to })),
      { timeoutMs: 60_000 },
    );
    const counts = new Map<string, number>();
    for (const m of read) counts.set(m.headers.seq ?? '?', (counts.get(m.headers.seq ?? '?') ?? 0) + 1);
    const expected = batches * BATCH;
    const missing = Array.from({ length: expected }, (_, seq) => String(seq)).filter((seq) => !counts.has(seq)).length;
    const twice = [...counts.values()].filter((n) => n > 1).length;
    const summary = {
      brokers,
      killed: victim,
      killedAtMs: killedAt,
      messages: expected,
      read: read.length,
      missing,
      twice,
      errorsSeenByCaller: errors.length,
      errors,
      slowestBatchMs: Math.max(...latencies),
      medianBatchMs: latencies.sort((a, z) => a - z)[Math.floor(latencies.length / 2)],
    };
    for (const e of errors) console.log(e);
    console.log(
      `${expected} messages: ${read.length} read back, ${missing} missing, ${twice} twice; the caller saw ${errors.length} errors; ` +
        `batch latency median ${summary.medianBatchMs} ms, slowest ${summary.slowestBatchMs} ms`,
    );
    const file = path.join(PROJECT_ROOT, 'results', `kafka-broker-kill-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(summary, null, 2));
    console.log(`saved ${path.relative(PROJECT_ROOT, file)}`);
    process.exitCode = missing === 0 && twice === 0 && errors.length === 0 ? 0 : 1;
  } finally {
    await kafka.close();
    for (const node of nodes) await stopProcess(p.runDir, node.name);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
