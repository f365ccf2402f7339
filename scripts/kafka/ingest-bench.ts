// `npm run kafka:bench [-- --records 1000000 --partitions 2 --repeats 3]`: what the Kafka client costs this process,
// the way a pipeline's ingest uses it. Generates employee records, turns them into the ingest's messages
// (activities/ingest `toMessages`: up to a hundred records a message, one key per run, a `seq` header), produces
// them through `KafkaClient.produce` to a new topic, then reads every range back with `readRanges` and checks each
// message came back once and the messages hold every record (the check is not timed).
// Prints, per repeat, the wall time and this process's CPU (user + system) for each step, and the records a
// second; writes results/kafka-bench-<time>.json. Needs a running broker (KAFKA_BROKERS, `npm run stack -- up`).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { recordValues, toMessages } from '../../activities/ingest';
import { loadConfig, PROJECT_ROOT } from '../../lib/config';
import { generateEmployees } from '../../lib/employee-generator';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { recordsInMessages } from '../../test/support/record-messages';

interface Step {
  wallMs: number;
  cpuMs: number;
  recordsPerSecond: number;
}

async function timed(records: number, step: () => Promise<void>): Promise<Step> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await step();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((used.user + used.system) / 1000),
    recordsPerSecond: Math.round(records / (wallMs / 1000)),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '1000000' },
      partitions: { type: 'string', default: '2' },
      repeats: { type: 'string', default: '3' },
    },
  });
  const records = Number(values.records);
  const partitions = Number(values.partitions);
  const repeats = Number(values.repeats);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const kafka = new KafkaClient(config.kafka, logger);
  const runs: { produce: Step; read: Step }[] = [];
  try {
    const values = recordValues([...generateEmployees(records, 7)]);
    for (let repeat = 0; repeat < repeats; repeat++) {
      const topic = `kafka-bench-${Date.now()}-${repeat}`;
      await kafka.ensureTopic(topic, partitions);
      const messages = toMessages(`kafka-bench-${repeat}`, values, partitions);
      let ranges: Awaited<ReturnType<KafkaClient['produce']>> = [];
      const produce = await timed(records, async () => {
        ranges = await kafka.produce(topic, messages);
      });
      let back: Awaited<ReturnType<KafkaClient['readRanges']>> = [];
      const read = await timed(records, async () => {
        back = await kafka.readRanges(topic, ranges, { timeoutMs: 300_000 });
      });
      const seen = new Set(back.map((m) => m.headers.seq));
      const recordsBack = recordsInMessages(back).length;
      if (back.length !== messages.length || seen.size !== messages.length || recordsBack !== records) {
        throw new Error(
          `read back ${back.length} messages (${seen.size} distinct seqs, ${recordsBack} records) of ${messages.length} (${records} records)`,
        );
      }
      runs.push({ produce, read });
      console.log(
        `repeat ${repeat + 1}: produce ${produce.wallMs} ms (${produce.recordsPerSecond}/s, CPU ${produce.cpuMs} ms), ` +
          `read ${read.wallMs} ms (${read.recordsPerSecond}/s, CPU ${read.cpuMs} ms)`,
      );
    }
  } finally {
    await kafka.close();
  }
  const file = path.join(PROJECT_ROOT, 'results', `kafka-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ records, partitions, node: process.version, brokers: config.kafka.brokers, runs }, null, 2));
  console.log(`saved ${path.relative(PROJECT_ROOT, file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
