// pipelineWorkflow end to end on the real stack (Kafka, Spark Connect) with an ephemeral Temporal server: every
// job's result equals an independent TypeScript computation over the same records, the topic holds each batch
// exactly once, and bad input fails fast without writing anything.
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId as WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { createWorkerDeps } from '../../../apps/worker/deps';
import type { PipelineResult } from '../../../contracts/pipeline';
import type { PipelineInput } from '../../../contracts/pipeline-input';
import type { EmployeeRecord } from '../../../contracts/records';
import { loadConfig, type Config } from '../../../lib/config';
import { recordKey } from '../../../lib/idempotency';
import { createLogger } from '../../../lib/logger';
import { pipelineWorkflow, progressQuery } from '../../../workflows/pipeline';
import { EMPLOYEE_JOBS as JOB_NAMES, referenceResult } from '../../support/oracle';
import { recordsInMessages } from '../../support/record-messages';
import { createTestEnv, startTestWorker } from '../../support/temporal';

const config = loadConfig();
const allRecords: EmployeeRecord[] = JSON.parse(fs.readFileSync(path.join(config.dataDir, 'emp_data.json'), 'utf8'));
const referenceDate = '2026-01-15';
const params = { referenceDate };

let env: TestWorkflowEnvironment;
const workers: { stop(): Promise<void> }[] = [];
const deps = createWorkerDeps(config, createLogger('warn'));

async function startWorker(taskQueue: string, workerConfig: Config = config): Promise<void> {
  const workerDeps = workerConfig === config ? deps : createWorkerDeps(workerConfig, createLogger('warn'));
  const worker = await startTestWorker(env, taskQueue, createActivities(workerDeps));
  workers.push({
    async stop() {
      await worker.stop();
      if (workerDeps !== deps) await workerDeps.close();
    },
  });
}

let seq = 0;
function start(input: PipelineInput, taskQueue = 'pipeline-test'): Promise<WorkflowHandle<typeof pipelineWorkflow>> {
  return env.client.workflow.start(pipelineWorkflow, { taskQueue, workflowId: `pipeline-test-${Date.now()}-${seq++}`, args: [input] });
}

function inlineResults(result: PipelineResult) {
  return Object.fromEntries(Object.entries(result.results).map(([job, r]) => [job, 'inline' in r! ? r.inline : r]));
}

beforeAll(async () => {
  env = await createTestEnv();
  await startWorker('pipeline-test');
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await deps.close();
  await env?.teardown();
});

describe('pipelineWorkflow', () => {
  it.each([10, 1000])('computes every job over %i ingested records exactly as the TypeScript reference does', async (n) => {
    const records = allRecords.slice(0, n);
    const handle = await start({ records, jobs: [...JOB_NAMES], referenceDate });
    const result = await handle.result();

    expect(inlineResults(result)).toEqual(Object.fromEntries(JOB_NAMES.map((job) => [job, referenceResult(job, records, params)])));
    expect(result.recordCount).toBe(n);
    expect(Object.keys(result.timings.jobs).sort()).toEqual([...JOB_NAMES].sort());

    // The topic holds the batch exactly once: every record once, under the run's key, within the reported ranges.
    if (result.source.kind !== 'kafka') throw new Error('expected a Kafka source');
    const messages = await deps.kafka.readRanges(result.source.topic, result.source.ranges, { key: recordKey(result.runKey) });
    expect(result.runKey).toBe(`${handle.workflowId}/${handle.firstExecutionRunId}`);
    expect(new Set(messages.map((m) => m.headers.seq)).size).toBe(messages.length);
    expect(
      recordsInMessages<EmployeeRecord>(messages)
        .map((r) => r.id)
        .sort((a, b) => a - b),
    ).toEqual(records.map((r) => r.id).sort((a, b) => a - b));

    expect(await handle.query(progressQuery)).toMatchObject({ status: 'completed', recordCount: n });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get({ name: 'PipelineStatus', type: 'KEYWORD' })).toBe('completed');
    expect(description.typedSearchAttributes.get({ name: 'RecordCount', type: 'INT' })).toBe(n);
  });

  it('analyses groups of records (coalesced requests) separately in one run, each exactly as the reference does', async () => {
    const groups = [
      { id: 'req-a', records: allRecords.slice(0, 7) },
      { id: 'req-b', records: allRecords.slice(7, 300) },
      // Ids repeat across groups: each group is its own batch.
      { id: 'req-c', records: allRecords.slice(0, 3).map((r) => ({ ...r, salary: r.salary + 1 })) },
    ];
    const result = await (await start({ groups, jobs: [...JOB_NAMES], referenceDate })).result();
    expect(result.recordCount).toBe(303);
    for (const job of JOB_NAMES) {
      const collected = result.results[job]!;
      if (!('inline' in collected)) throw new Error(`expected ${job} inline`);
      expect(collected.inline).toEqual({});
      expect(collected.groups).toEqual(Object.fromEntries(groups.map((g) => [g.id, referenceResult(job, g.records, params)])));
    }
  });

  it('shares Spark executions between concurrent runs, each run getting exactly its own result', async () => {
    // Runs that reach Spark while an execution is busy share the next one (spark/runtime/coalescing-scheduler.ts).
    const batches = Array.from({ length: 12 }, (_, i) => allRecords.slice(i * 20, i * 20 + 5 + i));
    const withGroups = {
      groups: [
        { id: 'g1', records: allRecords.slice(500, 504) },
        { id: 'g2', records: allRecords.slice(504, 511) },
      ],
    };
    const handles = await Promise.all([
      ...batches.map((records) => start({ records, jobs: ['count_gender', 'final_analysis'], referenceDate })),
      start({ ...withGroups, jobs: ['count_gender', 'final_analysis'], referenceDate }),
    ]);
    const results = await Promise.all(handles.map((h) => h.result()));
    batches.forEach((records, i) => {
      expect(inlineResults(results[i]!)).toEqual({
        count_gender: referenceResult('count_gender', records, params),
        final_analysis: referenceResult('final_analysis', records, params),
      });
    });
    const grouped = results[12]!.results.final_analysis!;
    if (!('inline' in grouped)) throw new Error('expected an inline result');
    expect(grouped.groups).toEqual(
      Object.fromEntries(withGroups.groups.map((g) => [g.id, referenceResult('final_analysis', g.records, params)])),
    );

    const executions = results.map((r) => r.spark.count_gender!);
    expect(new Set(executions.map((e) => e.operationId)).size).toBeLessThan(results.length);
    expect(executions.some((e) => (e.shared?.members ?? 1) > 1)).toBe(true);
  });

  it('ingests a file from the data directory, or lets Spark read it with its own JSON reader', async () => {
    const viaKafka = await (await start({ file: 'emp_data.json', jobs: ['count_gender', 'count_month'], referenceDate })).result();
    const viaSpark = await (
      await start({ file: 'emp_data.json', ingest: false, jobs: ['count_gender', 'count_month'], referenceDate })
    ).result();
    const expected = {
      count_gender: referenceResult('count_gender', allRecords, params),
      count_month: referenceResult('count_month', allRecords, params),
    };
    expect(inlineResults(viaKafka)).toEqual(expected);
    expect(inlineResults(viaSpark)).toEqual(expected);
    expect(viaSpark.source).toEqual({ kind: 'json-file', path: 'emp_data.json' });
  });

  it('reads an existing topic offset range as it is', async () => {
    const records = allRecords.slice(100, 130);
    const topic = `test.pipeline-topic.${Date.now()}`;
    await deps.kafka.ensureTopic(topic, 1);
    const ranges = await deps.kafka.produce(
      topic,
      records.map((r) => ({ key: 'someone-else', value: JSON.stringify(r), partition: 0 })),
    );
    const result = await (await start({ topic: { name: topic, ranges }, jobs: ['read_records', 'count_gender'], referenceDate })).result();
    expect(inlineResults(result)).toEqual({
      read_records: referenceResult('read_records', records, params),
      count_gender: referenceResult('count_gender', records, params),
    });
  });

  it('stores a result larger than the inline limit in the results topic and returns a reference to it', async () => {
    await startWorker('pipeline-test-small-results', { ...config, resultInlineLimitBytes: 2048 });
    const records = allRecords.slice(0, 200);
    const result = await (
      await start({ records, jobs: ['read_records', 'count_gender'], referenceDate }, 'pipeline-test-small-results')
    ).result();
    const stored = result.results.read_records!;
    if (!('stored' in stored)) throw new Error('expected read_records to be stored');
    expect(stored.rows).toBe(200);
    const chunks = await deps.kafka.readRanges(stored.stored.topic, stored.stored.ranges, { key: stored.stored.key });
    expect(chunks.length).toBeGreaterThan(1);
    const parts = chunks
      .map((c) => JSON.parse(c.value) as { part: number; section: string; rows: unknown[] })
      .sort((a, b) => a.part - b.part);
    expect(parts.map((p) => p.part)).toEqual(parts.map((_, i) => i));
    const rows = parts.flatMap((p) => p.rows);
    expect(rows).toEqual(referenceResult('read_records', records, params).records);
    expect(result.results.count_gender).toMatchObject({ inline: referenceResult('count_gender', records, params) });
  });

  describe('bad input fails fast with a message naming the problem, and writes nothing to Kafka', () => {
    it.each<[string, PipelineInput, RegExp]>([
      ['an empty array', { records: [] }, /records: must be a non-empty array/],
      ['a wrong type', { records: [{ id: 1, gender: 'F', salary: 'lots' }] }, /records\[0\]\.salary: expected a number, got "lots"/],
      ['a missing id', { records: [{ gender: 'F', salary: 10 }] }, /records\[0\]\.id: is required/],
      [
        'an unknown job',
        { records: [{ id: 1, gender: 'F', salary: 10 }], jobs: ['count_everything' as never] },
        /jobs: "count_everything" not among employees's jobs \(count_gender, count_month, final_analysis, read_records\)/,
      ],
      ['an unknown pipeline', { pipeline: 'nope', records: [{ id: 1 }] }, /pipeline: no definition "nope" \(there are: .*employees/],
      ['no source', {}, /give exactly one of "records", "groups", "file" or "topic"/],
      [
        'a bad record in a group',
        {
          groups: [
            { id: 'a', records: [{ id: 1, gender: 'F', salary: 1 }] },
            { id: 'b', records: [{ id: 1, gender: 'F' }] },
          ],
        },
        /groups\[1\]\.records\[0\]\.salary: is required/,
      ],
    ])('%s', async (_name, input, message) => {
      const before = await deps.kafka.endOffsets(config.kafka.recordsTopic);
      const handle = await start(input);
      const error = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect((error as WorkflowFailedError).cause?.message).toMatch(message);
      const history = await handle.fetchHistory();
      expect(history.events?.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
      expect(await deps.kafka.endOffsets(config.kafka.recordsTopic)).toEqual(before);
    });

    it('a file outside the data directory: refused by its name, as the REST trigger refuses it', async () => {
      const before = await deps.kafka.endOffsets(config.kafka.recordsTopic);
      const error = await (await start({ file: '../package.json' })).result().catch((e: unknown) => e);
      expect((error as WorkflowFailedError).cause?.message).toMatch(
        /^ingestRecords: invalid pipeline input: file: "..\/package.json": expected a path relative to the data directory/,
      );
      expect(await deps.kafka.endOffsets(config.kafka.recordsTopic)).toEqual(before);
    });
  });
});
