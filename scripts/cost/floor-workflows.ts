// Temporal's own floor, for `npm run cost`: what a run costs the server and a worker when it does no work at all.
// `emptyWorkflow` is the least a workflow can be (one workflow task, no activity). `pipelineShapeWorkflow` takes
// every Temporal step `pipelineWorkflow` takes for a one-job run, small or not (its definition's load included), in
// the same order and with the same options where they matter (local or not, heartbeats), but each activity returns
// at once: the gap between it and a real run is
// our code and the work, the gap between it and `emptyWorkflow` is the run's shape. Its variants price parts of
// that shape: the search-attribute updates (the Web UI's status of a run), submit, poll and collect as three
// activities (each durable on its own) rather than one, and the whole run as one activity.
import { patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { PIPELINE_DEFINITION, PIPELINE_JOBS, PIPELINE_STATUS, RECORD_COUNT } from '../../contracts/search-attributes';
import type { FloorActivities } from './floor-activities';

const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '30s' });
const remote = proxyActivities<FloorActivities>({ startToCloseTimeout: '1m', heartbeatTimeout: '10s' });

export async function emptyWorkflow(): Promise<number> {
  return 0;
}

export interface PipelineShape {
  searchAttributes: boolean;
  /**
   * 'small run': the steps of a small run of `pipelineWorkflow` (inline records): the definition's load, the ingest,
   * the job (submit, poll and collect in one) and the release as local activities in one workflow task, and one
   * search-attribute update at the end. 'pipeline': the steps of a file run (not small): the ingest, submit, poll
   * and collect as activities of their own; 'one job activity': the same with one activity for submit, poll and
   * collect; 'one activity': the whole run in one activity, the least a run can be that does its work outside the
   * workflow.
   */
  steps: 'small run' | 'pipeline' | 'one job activity' | 'one activity';
}

export async function pipelineShapeWorkflow(shape: PipelineShape): Promise<number> {
  const upsert = shape.searchAttributes ? upsertSearchAttributes : () => undefined;
  if (shape.steps === 'small run') {
    // pipelineWorkflow's patch for small runs (a marker and the SDK's update of TemporalChangeVersion).
    if (patched('small-runs-in-one-task')) await local.noop('load the definition');
    const records = await local.noop('ingest');
    await local.noop('submit, poll and collect');
    await local.noop('release');
    upsert([
      { key: PIPELINE_STATUS, value: 'completed' },
      { key: PIPELINE_JOBS, value: ['count_gender'] },
      { key: PIPELINE_DEFINITION, value: ['employees', 'employees@0123456789ab'] },
      { key: RECORD_COUNT, value: records },
    ]);
    return records;
  }
  if (shape.steps === 'one activity') {
    upsert([{ key: PIPELINE_STATUS, value: 'running' }]);
    const records = await remote.noop('the whole run');
    upsert([{ key: PIPELINE_STATUS, value: 'completed' }]);
    return records;
  }
  // pipelineWorkflow's patch before it loads its definition (a marker and the SDK's update of
  // TemporalChangeVersion), then the load, a local activity.
  if (patched('pipeline-definitions')) await local.noop('load the definition');
  upsert([
    { key: PIPELINE_STATUS, value: 'ingesting' },
    { key: PIPELINE_JOBS, value: ['count_gender'] },
    { key: PIPELINE_DEFINITION, value: ['employees', 'employees@0123456789ab'] },
  ]);
  await local.noop('plan ingest');
  const records = await remote.noop('ingest');
  upsert([
    { key: PIPELINE_STATUS, value: 'running' },
    { key: RECORD_COUNT, value: records },
  ]);
  if (shape.steps === 'pipeline') {
    await remote.noop('submit');
    await remote.noop('poll');
    // pipelineWorkflow's patch before its collect: a marker, and the SDK's update of TemporalChangeVersion.
    if (patched('collect-as-activity')) await remote.noop('collect');
  } else {
    await remote.noop('submit, poll and collect');
  }
  await local.noop('release');
  upsert([{ key: PIPELINE_STATUS, value: 'completed' }]);
  return records;
}
