// The worker's metrics: what the pipeline sink and the scheduler report becomes the named series, and the server
// answers /metrics and /readyz (503 when not ready) on a real port.
import type { WorkflowInfo } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { createWorkerMetrics, serveWorkerMetrics } from '../../../../apps/worker/metrics';
import { createLogger } from '../../../../lib/logger';
import { WORKER_METRIC_NAMES } from '../../../../lib/metric-names';

const info = {} as WorkflowInfo;
const value = async (metrics: ReturnType<typeof createWorkerMetrics>, name: string, labels: Record<string, string> = {}) => {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return sample?.value;
};

describe('worker metrics', () => {
  it('count runs by job and outcome, time each step of a completed run, and count executions and records', async () => {
    const metrics = createWorkerMetrics();
    const { runStarted, runEnded } = metrics.sinks.pipelineMetrics;
    runStarted.fn(info, ['final_analysis', 'count_gender']);
    runStarted.fn(info, ['final_analysis']);
    const timings = { ingestMs: 40, totalMs: 300, jobs: { final_analysis: { submitMs: 50, pollMs: 150, collectMs: 20 } } };
    runEnded.fn(info, ['final_analysis'], 'completed', timings);
    runEnded.fn(info, ['final_analysis', 'count_gender'], 'failed', undefined);
    metrics.executionLaunched('final_analysis', 7);
    metrics.recordsWritten(12);
    metrics.queueDepthFrom(() => 3);
    metrics.dependencyUp('spark', false);

    expect(await value(metrics, WORKER_METRIC_NAMES.pipelineRunsStarted, { spark_job: 'final_analysis' })).toBe(2);
    expect(await value(metrics, WORKER_METRIC_NAMES.pipelineRunsStarted, { spark_job: 'count_gender' })).toBe(1);
    expect(await value(metrics, WORKER_METRIC_NAMES.pipelineRunsCompleted, { spark_job: 'final_analysis' })).toBe(1);
    expect(await value(metrics, WORKER_METRIC_NAMES.pipelineRunsFailed, { spark_job: 'count_gender' })).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).toContain(`${WORKER_METRIC_NAMES.pipelineStepDuration}_sum{step="poll"} 0.15`);
    expect(text).toContain(`${WORKER_METRIC_NAMES.pipelineStepDuration}_count{step="ingest"} 1`);
    expect(text).toContain(`${WORKER_METRIC_NAMES.sparkExecutionRuns}_sum 7`);
    expect(await value(metrics, WORKER_METRIC_NAMES.sparkExecutions, { spark_job: 'final_analysis' })).toBe(1);
    expect(await value(metrics, WORKER_METRIC_NAMES.kafkaRecordsWritten)).toBe(12);
    expect(await value(metrics, WORKER_METRIC_NAMES.coalescingQueueDepth)).toBe(3);
    expect(await value(metrics, WORKER_METRIC_NAMES.dependencyUp, { dependency: 'spark' })).toBe(0);
  });

  it('are served with the readiness on a real port, and a taken port is skipped, not fatal', async () => {
    const metrics = createWorkerMetrics();
    let ready = false;
    const logger = createLogger('silent');
    const server = await serveWorkerMetrics(
      '127.0.0.1',
      19464,
      metrics.registry,
      async () => ({ ready, detail: { spark: ready ? 'ok' : 'refused' } }),
      logger,
    );
    try {
      const scrape = await fetch('http://127.0.0.1:19464/metrics');
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain(WORKER_METRIC_NAMES.pipelineRunsStarted);
      const notReady = await fetch('http://127.0.0.1:19464/readyz');
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ status: 'not ready', spark: 'refused' });
      ready = true;
      expect((await fetch('http://127.0.0.1:19464/readyz')).status).toBe(200);
      expect((await fetch('http://127.0.0.1:19464/nope')).status).toBe(404);
      const second = await serveWorkerMetrics('127.0.0.1', 19464, metrics.registry, async () => ({ ready, detail: {} }), logger);
      await second.close();
    } finally {
      await server.close();
    }
  });
});
