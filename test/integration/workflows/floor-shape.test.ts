// The cost model's Temporal floor (`npm run cost`, section 4) prices a pipeline run's Temporal steps with no-op
// activities (scripts/cost/floor-workflows.ts). That figure means something only while the no-op shape takes the
// same steps as the real workflow: this compares their histories, event type by event type, on a real dev server.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { pipelineWorkflow } from '../../../workflows/pipeline';
import { floorActivities } from '../../../scripts/cost/floor-activities';
import { quietBundlerLogger, workerPerTest } from '../../support/temporal';
import { fakePipelineActivities } from '../../support/pipeline-fakes';

const temporal = workerPerTest();

async function eventTypes(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((e) => {
    const attributes = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k] != null)!;
    const marker = e.markerRecordedEventAttributes?.markerName;
    return marker ? `${attributes}:${marker}` : attributes;
  });
}

async function runShape(env: TestWorkflowEnvironment, shape: object): Promise<string[]> {
  const taskQueue = `floor-shape-${Date.now()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: path.resolve(__dirname, '../../../scripts/cost/floor-workflows.ts'),
      logger: quietBundlerLogger,
    }),
    activities: floorActivities,
  });
  const workflowId = `floor-shape-${Date.now()}`;
  await worker.runUntil(env.client.workflow.execute('pipelineShapeWorkflow', { taskQueue, workflowId, args: [shape] }));
  return eventTypes(env.client, workflowId);
}

describe("the cost model's no-op pipeline shape", () => {
  const record = (id: number) => ({ id, gender: 'F', salary: 10 });
  it.each([
    // A small run: its steps are local activities in one workflow task.
    ['small run', { records: [record(1)] as unknown[] }, 12],
    // A run that is not small (a file): activities of their own.
    ['pipeline', { file: 'emp_data.json' }, 39],
  ] as const)('takes the Temporal steps of a one-job pipeline run (%s), event type by event type', async (steps, input, events) => {
    const taskQueue = `floor-pipeline-${Date.now()}`;
    await temporal.start(taskQueue, fakePipelineActivities([]));
    const workflowId = `floor-pipeline-${Date.now()}`;
    await temporal.env.client.workflow.execute(pipelineWorkflow, {
      taskQueue,
      workflowId,
      args: [{ ...input, jobs: ['count_gender'], referenceDate: '2026-01-15' }],
    });
    const pipeline = await eventTypes(temporal.env.client, workflowId);
    const shape = await runShape(temporal.env, { searchAttributes: true, steps });
    expect(pipeline).toHaveLength(events); // a change to the workflow's steps shows here first
    expect(shape).toEqual(pipeline);
  });
});
