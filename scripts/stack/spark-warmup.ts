// Warms a just-started Spark Connect server before the stack calls it ready: its first execution pays for the
// JVM's class loading, Spark's session and code generation, and the Kafka consumer pool (~15 s here), which a
// user's first run (or the runs in flight when Spark was restarted) would otherwise pay. Runs every job once in each
// plan shape a pipeline run uses: one run's records from Kafka, and several runs' records in one shared read.
import crypto from 'node:crypto';
import { recordValues, toMessages } from '../../activities/ingest';
import type { JobName } from '../../contracts/jobs';
import { DEFAULT_PIPELINE } from '../../contracts/pipeline-input';
import { DefinitionsDirectory, loadJobPlan } from '../../lib/definitions';
import type { Config } from '../../lib/config';
import { generateEmployees } from '../../lib/employee-generator';
import { recordKey } from '../../lib/idempotency';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import type { SparkConnectClient } from '../../lib/spark-connect';
import type { ExecutionSource } from '../../spark/runtime/job-runner';
import { ownSparkExecutor } from '../lib/spark-executor';
import { sleep } from './processes';

const WARMUP_TOPIC = 'streamforge.stack-check.warmup';

/** Returns how long warming took, ms. */
export async function warmSpark(config: Config): Promise<number> {
  const t0 = Date.now();
  const kafka = new KafkaClient(config.kafka, createLogger('silent'));
  const { client, executor } = ownSparkExecutor(config);
  try {
    await kafka.ensureTopic(WARMUP_TOPIC, 1);
    const runs = ['a', 'b'].map((name) => {
      const runKey = `warmup-${name}-${crypto.randomUUID()}`;
      return { runKey, records: [...generateEmployees(20, 7)] };
    });
    const written = await Promise.all(
      runs.map(({ runKey, records }) =>
        kafka.produce(
          WARMUP_TOPIC,
          toMessages(
            runKey,
            recordValues(
              records,
              records.map((_, i) => `g${i % 2}`),
            ),
            1,
          ),
        ),
      ),
    );
    const alone: ExecutionSource = { kind: 'kafka', topic: WARMUP_TOPIC, ranges: written[0]!, recordKey: recordKey(runs[0]!.runKey) };
    const shared: ExecutionSource = {
      kind: 'kafka-members',
      topic: WARMUP_TOPIC,
      members: runs.map(({ runKey }, i) => ({ tag: String(i), recordKey: recordKey(runKey), ranges: written[i]! })),
    };
    // The first execution pays for the JVM and the consumer pool; then each plan shape for its code generation,
    // two at a time (a query's planning is single-threaded, and there are two cores).
    const run = async (source: ExecutionSource, job: JobName) => {
      const operationId = crypto.randomUUID();
      await executor.start(operationId, loadJobPlan(config.definitionsDir, DEFAULT_PIPELINE, job), source);
      await executor.result(operationId);
      await executor.release(operationId);
    };
    // The stack calls Spark ready once its port is open; right after a restart it may refuse calls a moment longer.
    await answering(client);
    await run(alone, 'count_gender');
    const jobs = Object.keys(new DefinitionsDirectory(config.definitionsDir).current().definitions.get(DEFAULT_PIPELINE)?.jobs ?? {});
    const shapes = [alone, shared].flatMap((source) => jobs.map((job) => [source, job] as const)).slice(1);
    await Promise.all(
      [0, 1].map(async (lane) => {
        for (let i = lane; i < shapes.length; i += 2) await run(...shapes[i]!);
      }),
    );
  } finally {
    client.close();
    await kafka.close();
  }
  return Date.now() - t0;
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
