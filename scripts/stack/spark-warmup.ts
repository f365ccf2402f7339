// Warms a just-started Spark Connect server before the stack calls it ready: its first execution pays for the
// JVM's class loading, Spark's session and code generation, and the Kafka consumer pool (~15 s here), which a
// user's first run (or the runs in flight when Spark was restarted) would otherwise pay. Runs every job of every
// valid definition once in each plan shape a pipeline run uses: one run's records from Kafka, and several runs'
// records in one shared read (over records made from the definition's fields: lib/sample-records.ts).
import crypto from 'node:crypto';
import { recordValues, toMessages } from '../../activities/ingest';
import { bindParameters, jobPlan, type Definition, type JobPlan } from '../../contracts/definitions';
import { loadDefinitions } from '../../lib/definitions';
import type { Config } from '../../lib/config';
import { recordKey } from '../../lib/idempotency';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { sampleRecords } from '../../lib/sample-records';
import type { SparkConnectClient } from '../../lib/spark-connect';
import type { ExecutionSource } from '../../spark/runtime/job-runner';
import { ownSparkExecutor } from '../lib/spark-executor';
import { sleep } from './processes';

const WARMUP_TOPIC = 'streamforge.stack-check.warmup';
/** Plan shapes warmed at most (two per job: alone and shared), so that many definitions do not hold the stack up. */
const MAX_SHAPES = 24;

/** Returns how long warming took, ms. */
export async function warmSpark(config: Config): Promise<number> {
  const t0 = Date.now();
  const kafka = new KafkaClient(config.kafka, createLogger('silent'));
  const { client, executor } = ownSparkExecutor(config);
  try {
    await kafka.ensureTopic(WARMUP_TOPIC, 1);
    const today = new Date().toISOString().slice(0, 10);
    const shapes: [ExecutionSource, JobPlan][] = [];
    for (const definition of loadDefinitions(config.definitionsDir).definitions.values()) {
      const [alone, shared] = await sources(kafka, definition);
      let params;
      try {
        params = bindParameters(definition, {}, today);
      } catch {
        continue; // a required parameter without a default: no value to warm it with
      }
      for (const job of Object.keys(definition.jobs)) {
        const plan = jobPlan(definition, job, params);
        shapes.push([alone, plan], [shared, plan]);
      }
    }
    // The first execution pays for the JVM and the consumer pool; then each plan shape for its code generation,
    // two at a time (a query's planning is single-threaded, and there are two cores).
    const run = async (source: ExecutionSource, plan: JobPlan) => {
      const operationId = crypto.randomUUID();
      await executor.start(operationId, plan, source);
      await executor.result(operationId);
      await executor.release(operationId);
    };
    // The stack calls Spark ready once its port is open; right after a restart it may refuse calls a moment longer.
    await answering(client);
    const warmed = shapes.slice(0, MAX_SHAPES);
    if (warmed.length > 0) await run(...warmed[0]!);
    await Promise.all(
      [0, 1].map(async (lane) => {
        for (let i = 1 + lane; i < warmed.length; i += 2) await run(...warmed[i]!);
      }),
    );
  } finally {
    client.close();
    await kafka.close();
  }
  return Date.now() - t0;
}

/**
 * Two runs of sample records of the definition, one of them in groups (a /process batch), read as one run alone is
 * read and as an execution the two share reads them.
 */
async function sources(kafka: KafkaClient, definition: Definition): Promise<[ExecutionSource, ExecutionSource]> {
  const records = sampleRecords(definition, 20);
  const groups = ['g0', 'g1'];
  const runs = [
    { runKey: `warmup-${definition.name}-a-${crypto.randomUUID()}`, values: recordValues(records) },
    {
      runKey: `warmup-${definition.name}-b-${crypto.randomUUID()}`,
      values: recordValues(
        records,
        records.map((_, i) => groups[i % 2]!),
      ),
    },
  ];
  const written = await Promise.all(runs.map(({ runKey, values }) => kafka.produce(WARMUP_TOPIC, toMessages(runKey, values, 1))));
  return [
    { kind: 'kafka', topic: WARMUP_TOPIC, ranges: written[0]!, recordKey: recordKey(runs[0]!.runKey) },
    {
      kind: 'kafka-members',
      topic: WARMUP_TOPIC,
      members: [
        { tag: '0', recordKey: recordKey(runs[0]!.runKey), ranges: written[0]! },
        { tag: '1', recordKey: recordKey(runs[1]!.runKey), ranges: written[1]!, groups },
      ],
    },
  ];
}

/** Waits until Spark answers a call (every 250 ms, for up to a minute); then throws what it last said. */
async function answering(client: SparkConnectClient): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await client.reachable();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}
