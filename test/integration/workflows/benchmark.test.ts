// benchmarkWorkflow on the real stack (Kafka, Spark Connect) with an ephemeral Temporal server: its runs are real
// pipelineWorkflow children over deterministically generated records, at most `concurrency` at a time, and its
// statistics agree with the per-run latencies it reports. No timing assertions: only consistency.
import { WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { createWorkerDeps } from '../../../apps/worker/deps';
import { CLIENT } from '../../../contracts/search-attributes';
import { loadConfig } from '../../../lib/config';
import { generateEmployees } from '../../../lib/employee-generator';
import { createLogger } from '../../../lib/logger';
import { benchmarkProgressQuery, benchmarkWorkflow } from '../../../workflows/benchmark';
import { pipelineWorkflow } from '../../../workflows/pipeline';
import { referenceResult } from '../../support/oracle';
import { createTestEnv, startTestWorker, type TestWorker } from '../../support/temporal';

const taskQueue = 'benchmark-test';
let env: TestWorkflowEnvironment;
let worker: TestWorker;
const deps = createWorkerDeps(loadConfig(), createLogger('warn'));

beforeAll(async () => {
  env = await createTestEnv();
  worker = await startTestWorker(env, taskQueue, createActivities(deps));
});
afterAll(async () => {
  await worker?.stop();
  await deps.close();
  await env?.teardown();
});

/** The most intervals [start, end] that overlap at any moment. */
function maxOverlap(intervals: { start: number; end: number }[]): number {
  const events = intervals.flatMap((r) => [[r.start, 1] as const, [r.end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of events) most = Math.max(most, (now += delta));
  return most;
}

describe('benchmarkWorkflow', () => {
  it('runs real pipelines as children, at most `concurrency` at once, and summarizes their latencies', async () => {
    const workflowId = `benchmark-test-${Date.now()}`;
    const seed = 7;
    const handle = await env.client.workflow.start(benchmarkWorkflow, {
      taskQueue,
      workflowId,
      args: [{ runs: 5, recordsPerRun: 3, jobs: ['count_gender'], concurrency: 2, seed }],
      typedSearchAttributes: [{ key: CLIENT, value: 'team-a' }],
    });
    const result = await handle.result();

    // Each run carries, from its start, what it is and whose benchmark it belongs to.
    const started = (await env.client.workflow.getHandle(`${workflowId}-run-0`).fetchHistory()).events![0]!
      .workflowExecutionStartedEventAttributes!;
    const given = Object.fromEntries(
      Object.entries(started.searchAttributes?.indexedFields ?? {}).map(([key, payload]) => [
        key,
        defaultPayloadConverter.fromPayload(payload),
      ]),
    );
    expect(given).toEqual({
      StreamforgePipeline: ['employees'],
      PipelineJobs: ['count_gender'],
      RecordCount: 3,
      StreamforgeClient: 'team-a',
    });

    expect(result.config).toEqual({ runs: 5, recordsPerRun: 3, jobs: ['count_gender'], concurrency: 2, seed });
    expect(result.runs.map((r) => [r.i, r.workflowId, r.ok, r.error])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [i, `${workflowId}-run-${i}`, true, undefined]),
    );
    expect(result.overall).toMatchObject({ count: 5, errors: 0, errorRate: 0 });

    // The statistics are those of the per-run latencies and timings it reports.
    const latencies = result.runs.map((r) => r.latencyMs!);
    expect(result.overall.max).toBe(Math.max(...latencies));
    expect(result.overall.min).toBe(Math.min(...latencies));
    expect(result.overall.mean).toBeCloseTo(latencies.reduce((s, x) => s + x, 0) / 5, 9);
    expect(result.steps.total.max).toBe(Math.max(...result.runs.map((r) => r.timings!.totalMs)));
    expect(result.steps.poll.count).toBe(5);
    expect(result.wallMs).toBeGreaterThanOrEqual(result.overall.max!);

    // Each child is a real pipeline run over the records of seed + i: its result is the reference analysis.
    const child = await env.client.workflow.getHandle<typeof pipelineWorkflow>(`${workflowId}-run-3`).result();
    const records = [...generateEmployees(3, seed + 3)];
    expect(child.results.count_gender).toEqual({
      inline: referenceResult('count_gender', records, { referenceDate: '2026-01-01' }),
      rows: expect.any(Number),
      bytes: expect.any(Number),
    });
    expect(child.recordCount).toBe(3);

    // The window: no more than two children were open at any moment.
    const spans = await Promise.all(
      result.runs.map(async (r) => {
        const d = await env.client.workflow.getHandle(r.workflowId).describe();
        return { start: d.startTime.getTime(), end: d.closeTime!.getTime() };
      }),
    );
    expect(maxOverlap(spans)).toBe(2);

    expect(await handle.query(benchmarkProgressQuery)).toEqual({ started: 5, completed: 5, failed: 0, total: 5 });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get({ name: 'PipelineStatus', type: 'KEYWORD' })).toBe('completed');
  });

  it('refuses more runs than one history holds, saying to split the benchmark, before starting any', async () => {
    const handle = await env.client.workflow.start(benchmarkWorkflow, {
      taskQueue,
      workflowId: `benchmark-test-big-${Date.now()}`,
      args: [{ runs: 501 }],
    });
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.message).toMatch(
      /^a benchmark of 501 runs × 10 records is too big .* split it into several benchmarks/,
    );
    const history = await handle.fetchHistory();
    expect(history.events?.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
  });
});
