// The worker process serves its metrics and readiness while it runs real pipelines on the real stack: a scrape
// after two runs shows them counted, timed per step, their Spark executions and records; the Temporal SDK's
// exporter answers on its own port; /readyz reports Temporal, Kafka and Spark reachable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEmployees } from '../../../lib/employee-generator';
import { loadConfig } from '../../../lib/config';
import { WORKER_METRIC_NAMES as NAMES } from '../../../lib/metric-names';
import type { pipelineWorkflow } from '../../../workflows/pipeline';
import { startWorkerProcess, type WorkerProcess } from '../../support/worker-process';

const taskQueue = `worker-metrics-${Date.now()}`;
const ports = { metrics: 19470, sdk: 19471 };
const config = loadConfig({ ...process.env, TEMPORAL_TASK_QUEUE: taskQueue });
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-worker-metrics-'));
let worker: WorkerProcess;
let client: Client;

beforeAll(async () => {
  worker = await startWorkerProcess(
    { TEMPORAL_TASK_QUEUE: taskQueue, WORKER_METRICS_PORT: String(ports.metrics), TEMPORAL_METRICS_PORT: String(ports.sdk) },
    path.join(logDir, 'worker.log'),
  );
  client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await client?.connection.close();
  fs.rmSync(logDir, { recursive: true, force: true });
});

/** The value of one series in a Prometheus text exposition (0 when absent). */
function series(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('the worker process', () => {
  it('counts and times the runs it serves on /metrics, reports ready, and serves the SDK metrics', async () => {
    const records = [...generateEmployees(30, 3)];
    const runs = [0, 1].map((i) =>
      client.workflow.execute<typeof pipelineWorkflow>('pipelineWorkflow', {
        taskQueue,
        workflowId: `${taskQueue}-${i}`,
        args: [{ records: records.slice(i * 10, i * 10 + 15), jobs: ['final_analysis', 'count_gender'] }],
      }),
    );
    await Promise.all(runs);

    const text = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    expect(series(text, NAMES.pipelineRunsStarted, 'spark_job="final_analysis"')).toBe(2);
    expect(series(text, NAMES.pipelineRunsCompleted, 'spark_job="count_gender"')).toBe(2);
    expect(series(text, NAMES.pipelineRunsFailed, 'spark_job="final_analysis"')).toBe(0);
    expect(series(text, `${NAMES.pipelineStepDuration}_count`, 'step="ingest"')).toBe(2);
    expect(series(text, `${NAMES.pipelineStepDuration}_count`, 'step="poll"')).toBe(4); // two jobs per run
    expect(series(text, `${NAMES.pipelineStepDuration}_sum`, 'step="poll"')).toBeGreaterThan(0);
    expect(series(text, NAMES.sparkExecutions, 'spark_job="final_analysis"')).toBeGreaterThanOrEqual(1);
    expect(series(text, `${NAMES.sparkExecutionRuns}_sum`)).toBe(4); // every run's every job, in some execution
    expect(series(text, NAMES.kafkaRecordsWritten)).toBe(30);

    const ready = await fetch(`http://127.0.0.1:${ports.metrics}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', temporal: 'ok', kafka: 'ok', spark: 'ok', worker: 'RUNNING' });
    expect(series(await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text(), NAMES.dependencyUp, 'dependency="spark"')).toBe(
      1,
    );

    const sdk = await (await fetch(`http://127.0.0.1:${ports.sdk}/metrics`)).text();
    expect(sdk).toMatch(/^temporal_workflow_completed\{.*\} [1-9]/m);
  });
});
