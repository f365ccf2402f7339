// Fake activities for pipelineWorkflow's logic tests: they succeed at once and record each call.
import { Context } from '@temporalio/activity';
import type { Activities } from '../../activities';
import type { IngestInput, IngestPlan } from '../../activities/ingest';
import type { CollectResult, PollResult } from '../../activities/spark-job';
import type { EarlierTries, IngestResult, SparkJobHandle, SparkJobSpec } from '../../contracts/pipeline';
import { loadDefinitions } from '../../lib/definitions';
import { DEFINITIONS_DIR } from './plans';

export type Fakes = Pick<
  Activities,
  | 'loadPipelineDefinition'
  | 'planIngest'
  | 'ingestRecords'
  | 'submitSparkJob'
  | 'pollSparkJob'
  | 'collectSparkResult'
  | 'runSparkJob'
  | 'releaseSparkRun'
  | 'cancelSparkJobs'
>;

const plan: IngestPlan = { topic: 'records', partitions: 1, startOffsets: { '0': 0 } };
const handleOf = (spec: SparkJobSpec): SparkJobHandle => ({ runKey: spec.runKey, job: spec.job, operationId: `op-${spec.job}` });

const since = (earlier: EarlierTries) => (earlier.since === undefined ? '' : ':since');

/** What the fake ingest says a `file` input held (it reads no file). */
export const FAKE_FILE_RECORDS = 1_000;

/** Fakes that succeed; each call is recorded. Override one to change a step. */
export function fakePipelineActivities(calls: string[], overrides: Partial<Fakes> = {}): Fakes {
  const fakes: Omit<Fakes, 'runSparkJob'> = {
    // The repository's definitions, as the worker reads them (not a pipeline step: not recorded in `calls`).
    async loadPipelineDefinition(name: string) {
      const definition = loadDefinitions(DEFINITIONS_DIR).definitions.get(name);
      if (!definition) throw new Error(`no definition "${name}" in ${DEFINITIONS_DIR}`);
      return definition;
    },
    async planIngest() {
      calls.push('planIngest');
      return plan;
    },
    // A step told that an earlier try of it may have run (a small run's lost workflow task) is recorded with `:since`.
    async ingestRecords(input: IngestInput): Promise<IngestResult> {
      calls.push(`ingestRecords${since(input.earlier ?? {})}`);
      const n =
        input.records?.length ??
        input.groups?.reduce((sum, g) => sum + g.records.length, 0) ??
        (input.file !== undefined ? FAKE_FILE_RECORDS : 0);
      return {
        topic: 'records',
        recordKey: 'key',
        ranges: [{ partition: 0, from: 0, to: n }],
        recordCount: n,
        written: n,
        attempt: Context.current().info.attempt,
        ...(input.earlier?.since !== undefined ? { resumed: true as const } : {}),
      };
    },
    async submitSparkJob(spec, earlier = {}) {
      calls.push(`submit:${spec.job}:dedup=${spec.source.kind === 'kafka' && spec.source.deduplicate === true}${since(earlier)}`);
      return handleOf(spec);
    },
    async pollSparkJob(_spec, handle, earlier = {}): Promise<PollResult> {
      calls.push(`poll${since(earlier)}`);
      return { state: 'finished', polls: 1, resubmitted: false, handle };
    },
    async collectSparkResult(_spec, handle, earlier = {}): Promise<CollectResult> {
      calls.push(`collect${since(earlier)}`);
      return { result: { inline: { by_gender: [{ gender: 'F', count: 1 }] }, rows: 1, bytes: 30 }, handle };
    },
    async releaseSparkRun() {
      calls.push('release');
    },
    async cancelSparkJobs(_runKey, jobs) {
      calls.push(`cancel:${jobs.join(',')}`);
    },
    ...overrides,
  };
  // A small run's job step is submit, poll and collect in one: the fakes' (overridden or not).
  return {
    ...fakes,
    runSparkJob:
      overrides.runSparkJob ??
      (async (spec, earlier = {}) => {
        const submitted = await fakes.submitSparkJob(spec, earlier);
        const polled = await fakes.pollSparkJob(spec, submitted, earlier);
        return { ...(await fakes.collectSparkResult(spec, polled.handle, earlier)), timings: { submitMs: 0, pollMs: 0, collectMs: 0 } };
      }),
  };
}
