// benchmarkWorkflow: starts N pipeline runs as child workflows (at most `concurrency` at once), times each from
// start to result on the workflow clock, and returns latency statistics overall and per step.
// Orchestration only: the records come from a local activity, the runs are real pipelineWorkflows.
import {
  ApplicationFailure,
  defineQuery,
  isCancellation,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BenchmarkActivities } from '../activities/benchmark';
import {
  BENCHMARK_PROGRESS_QUERY,
  BenchmarkInputError,
  parseBenchmarkInput,
  type BenchmarkConfig,
  type BenchmarkInput,
  type BenchmarkProgress,
  type BenchmarkResult,
  type BenchmarkRun,
} from '../contracts/benchmark';
import { CLIENT, PIPELINE_STATUS, runStartAttributes } from '../contracts/search-attributes';
import { summarizeRuns } from '../contracts/stats';
import { rootCauseMessage } from './failures';
import { pipelineWorkflow } from './pipeline';

export const benchmarkProgressQuery = defineQuery<BenchmarkProgress>(BENCHMARK_PROGRESS_QUERY);

// Generating records is CPU only and deterministic: retry fast, a few times.
const { benchmarkRecords } = proxyLocalActivities<BenchmarkActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '100ms', maximumAttempts: 3 },
});

function parseOrFail(input: BenchmarkInput): BenchmarkConfig {
  try {
    return parseBenchmarkInput(input);
  } catch (err) {
    if (err instanceof BenchmarkInputError) throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
}

export async function benchmarkWorkflow(input: BenchmarkInput = {}): Promise<BenchmarkResult> {
  const config = parseOrFail(input);
  const { workflowId } = workflowInfo();
  const progress: BenchmarkProgress = { started: 0, completed: 0, failed: 0, total: config.runs };
  setHandler(benchmarkProgressQuery, () => progress);
  upsertSearchAttributes([{ key: PIPELINE_STATUS, value: 'running' }]);

  const runs: BenchmarkRun[] = [];
  let firstStart: number | undefined;
  let lastEnd = Date.now();

  async function run(i: number): Promise<void> {
    const records = await benchmarkRecords(config.recordsPerRun, config.seed + i);
    const childId = `${workflowId}-run-${i}`;
    const t0 = Date.now();
    firstStart ??= t0;
    try {
      const input = { records, jobs: config.jobs };
      // What the run is, from its start, and the client whose benchmark it belongs to (the REST trigger's token).
      const client = workflowInfo().typedSearchAttributes.get(CLIENT);
      const child = await startChild(pipelineWorkflow, {
        workflowId: childId,
        args: [input],
        typedSearchAttributes: [...runStartAttributes(input), ...(client === undefined ? [] : [{ key: CLIENT, value: client }])],
      });
      progress.started++;
      const { timings } = await child.result();
      lastEnd = Date.now();
      runs[i] = { i, workflowId: childId, latencyMs: lastEnd - t0, ok: true, timings };
      progress.completed++;
    } catch (err) {
      if (isCancellation(err)) throw err;
      lastEnd = Date.now();
      runs[i] = { i, workflowId: childId, latencyMs: null, ok: false, error: rootCauseMessage(err) };
      progress.failed++;
    }
  }

  // A sliding window: `concurrency` lanes, each starting the next run as soon as its previous one ends.
  let next = 0;
  const lane = async () => {
    while (next < config.runs) await run(next++);
  };
  try {
    await Promise.all(Array.from({ length: config.concurrency }, lane));
  } catch (err) {
    if (isCancellation(err)) upsertSearchAttributes([{ key: PIPELINE_STATUS, value: 'cancelled' }]);
    throw err;
  }

  const wallMs = lastEnd - (firstStart ?? lastEnd);
  upsertSearchAttributes([{ key: PIPELINE_STATUS, value: 'completed' }]);
  return { config, ...summarizeRuns(runs, wallMs), runs, wallMs };
}
