// The stack-check workflow on a real Temporal dev server: its orchestration with fake activities, then the real
// activities against the stack's Kafka and Spark Connect.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { StackCheckActivities } from '../../../activities/stack-check';
import { createWorkerDeps } from '../../../apps/worker/deps';
import { loadConfig } from '../../../lib/config';
import { createLogger } from '../../../lib/logger';
import { stackCheckWorkflow, STACK_CHECK_SQL } from '../../../workflows/stack-check';
import { createTestEnv, workflowBundle } from '../../support/temporal';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

async function runWith(activities: object, taskQueue: string) {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  return worker.runUntil(
    env.client.workflow.execute(stackCheckWorkflow, { taskQueue, workflowId: `${taskQueue}-${Date.now()}`, args: [{ message: 'ping' }] }),
  );
}

describe('stackCheckWorkflow', () => {
  it('runs the Kafka and Spark checks and returns both results, retrying a failed check', async () => {
    const calls: string[] = [];
    let kafkaAttempts = 0;
    const fakes: StackCheckActivities = {
      async kafkaRoundTrip(payload) {
        calls.push(`kafka:${payload}`);
        if (++kafkaAttempts === 1) throw new Error('broker still starting');
        return { topic: 't', partition: 0, offset: 7, value: payload };
      },
      async sparkQuery(query) {
        calls.push('spark');
        return { query, rows: [{ one: 1 }], elapsedMs: 1 };
      },
    };
    const result = await runWith(fakes, 'stack-check-fakes');
    expect(result).toEqual({
      kafka: { topic: 't', partition: 0, offset: 7, value: 'ping' },
      spark: { query: STACK_CHECK_SQL, rows: [{ one: 1 }], elapsedMs: 1 },
    });
    expect(calls.filter((c) => c === 'kafka:ping')).toHaveLength(2);
  });

  it('round-trips through the real Kafka broker and queries the real Spark Connect server', async () => {
    const config = loadConfig();
    const logger = createLogger('warn');
    const deps = createWorkerDeps(config, logger);
    try {
      const result = await runWith(createActivities(deps), 'stack-check-real');
      expect(result.kafka.value).toBe('ping');
      expect(result.kafka.topic).toBe('streamforge.stack-check');
      expect(result.spark.rows).toEqual([{ spark_version: expect.stringMatching(/^spark 4\.2\.0/), numbers: 1000, total: 500500 }]);
    } finally {
      await deps.close();
    }
  });
});
