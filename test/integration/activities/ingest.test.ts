// ingestRecords against the real broker, as a retried attempt sees it: an earlier attempt of the same run wrote
// part of the batch and died, and the retry writes only what is missing, so the topic holds the batch exactly once;
// or the earlier attempt did not die (a zombie) and writes on beside its retry, and Spark still counts each record
// once.
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createIngestActivities, recordValues, toMessages } from '../../../activities/ingest';
import { createWorkerDeps } from '../../../apps/worker/deps';
import { coveringRanges } from '../../../contracts/partition-ranges';
import type { SparkJobSpec } from '../../../contracts/pipeline';
import { loadConfig } from '../../../lib/config';
import { generateEmployees } from '../../../lib/employee-generator';
import { recordKey } from '../../../lib/idempotency';
import { createLogger } from '../../../lib/logger';
import { referenceResult } from '../../support/oracle';
import { recordsInMessages } from '../../support/record-messages';
import { employeePlan } from '../../support/plans';

const config = loadConfig({ ...process.env, KAFKA_RECORDS_TOPIC: `test.ingest.${Date.now()}` });
const deps = createWorkerDeps(config, createLogger('warn'));
const { planIngest, ingestRecords } = createIngestActivities(deps);
afterAll(() => deps.close());

const runAs = <R>(attempt: number, fn: () => Promise<R>): Promise<R> =>
  new MockActivityEnvironment({ attempt, workflowExecution: { workflowId: 'ingest-test', runId: 'r' } }).run(fn) as Promise<R>;

describe('ingestRecords', () => {
  it('reads a file of a run from before pipeline definitions (no fields in its input) as employee records', async () => {
    const runKey = `ingest-legacy-file-${Date.now()}`;
    const plan = await runAs(1, () => planIngest());
    const result = await runAs(1, () => ingestRecords({ runKey, plan, file: 'emp_data.json' }));
    expect(result.recordCount).toBe(1000);
    expect(result.written).toBe(1000);
  });

  it.each([100, 25_000])('a retry after a partial write of %i records writes only the missing ones', async (n) => {
    const records = [...generateEmployees(n, 3)];
    const runKey = `ingest-retry-${n}-${Date.now()}`;
    const plan = await runAs(1, () => planIngest());
    // Attempt 1 got a third of the batch's messages out before its worker died.
    const messages = toMessages(runKey, recordValues(records), plan.partitions);
    const lost = messages.slice(0, Math.floor(messages.length / 3));
    await deps.kafka.produce(plan.topic, lost);

    const second = await runAs(2, () => ingestRecords({ runKey, plan, records }));
    expect(second.written).toBe(n - recordsInMessages(lost).length);
    const third = await runAs(3, () => ingestRecords({ runKey, plan, records }));
    expect(third.written).toBe(0);
    expect(third.ranges).toEqual(second.ranges);

    const stored = await deps.kafka.readRanges(plan.topic, second.ranges, { key: recordKey(runKey), timeoutMs: 60_000 });
    expect(stored).toHaveLength(messages.length);
    expect(new Set(stored.map((m) => m.headers.seq)).size).toBe(messages.length);
    expect(
      recordsInMessages<{ id: number }>(stored)
        .map((r) => r.id)
        .sort((a, b) => a - b),
    ).toEqual(records.map((r) => r.id));
  });

  it("a small run's ingest (no plan) run again after its workflow task was lost writes only what the lost try did not", async () => {
    const n = 300;
    const records = [...generateEmployees(n, 4)];
    const runKey = `ingest-lost-task-${Date.now()}`;
    const runStart = Date.now();
    // The lost try (attempt 1, no earlier tries) wrote the first of the run's three messages before its worker died.
    const partitions = (await runAs(1, () => planIngest())).partitions;
    const messages = toMessages(runKey, recordValues(records), partitions);
    expect(messages).toHaveLength(3);
    await deps.kafka.produce(config.kafka.recordsTopic, messages.slice(0, 1));
    // The task runs again: attempt 1 of the local activity once more, told when the run began.
    const again = await runAs(1, () => ingestRecords({ runKey, records, earlier: { since: runStart } }));
    expect(again.written).toBe(n - 100);
    expect(again.resumed).toBe(true); // Spark reads it de-duplicated
    const stored = await deps.kafka.readRanges(config.kafka.recordsTopic, again.ranges, { key: recordKey(runKey), timeoutMs: 60_000 });
    expect(stored.map((m) => m.headers.seq).sort()).toEqual(['0', '1', '2']);
    expect(recordsInMessages(stored)).toEqual(records);
    // A first try (no earlier tries) looks for nothing and writes everything.
    const first = await runAs(1, () => ingestRecords({ runKey: `${runKey}-fresh`, records }));
    expect(first.written).toBe(n);
    expect(first.resumed).toBeUndefined();
  });
});

const params = { referenceDate: '2026-01-15' };
const countGender = async (source: SparkJobSpec['source'], runKey: string) => {
  const spec: SparkJobSpec = { runKey, job: 'count_gender', source, plan: employeePlan('count_gender', params) };
  const handle = await deps.spark.submit(spec);
  expect(await deps.spark.settled(handle, 60_000)).toBe('finished');
  const result = await deps.spark.result(handle);
  await deps.spark.release(spec.runKey, [handle]);
  return result.sections;
};

describe("a run's messages", () => {
  it('written one record each (as before records went a hundred to a message) are read the same, plain or de-duplicated', async () => {
    const records = [...generateEmployees(40, 8)];
    const runKey = `ingest-one-a-message-${Date.now()}`;
    const plan = await runAs(1, () => planIngest());
    const key = recordKey(runKey);
    const oneEach = records.map((r, seq) => ({ key, value: JSON.stringify(r), partition: 0, headers: { seq: String(seq) } }));
    const ranges = await deps.kafka.produce(plan.topic, [...oneEach, ...oneEach.slice(0, 5)]); // five twice
    const source = { kind: 'kafka' as const, topic: plan.topic, ranges, recordKey: key };
    expect(await countGender({ ...source, deduplicate: true }, `${runKey}/dedup`)).toEqual(
      referenceResult('count_gender', records, params),
    );
    expect(await countGender(source, `${runKey}/plain`)).toEqual(
      referenceResult('count_gender', [...records, ...records.slice(0, 5)], params),
    );
  });
});

describe('a zombie ingest attempt', () => {
  it('whose writes interleave with its retry: the range holds records twice, and Spark counts each once', async () => {
    const n = 5_000;
    const records = [...generateEmployees(n, 5)];
    const runKey = `ingest-zombie-${Date.now()}`;
    const plan = await runAs(1, () => planIngest());
    // Both attempts write the whole batch, in turns, as two processes writing at the same moment do. The retry
    // (attempt 2) is the one Temporal records: its range runs from its first write to its last.
    const messages = toMessages(runKey, recordValues(records), plan.partitions);
    const retryRanges = [];
    for (let i = 0; i < messages.length; i += 10) {
      await deps.kafka.produce(plan.topic, messages.slice(i, i + 10)); // the zombie
      retryRanges.push(...(await deps.kafka.produce(plan.topic, messages.slice(i, i + 10))));
    }
    const ranges = coveringRanges(retryRanges);
    const stored = await deps.kafka.readRanges(plan.topic, ranges, { key: recordKey(runKey), timeoutMs: 60_000 });
    expect(recordsInMessages(stored).length).toBe(2 * n - 1_000); // the zombie's first ten messages lie before the retry's range

    const source = { kind: 'kafka' as const, topic: plan.topic, ranges, recordKey: recordKey(runKey) };
    expect(await countGender({ ...source, deduplicate: true }, `${runKey}/dedup`)).toEqual(
      referenceResult('count_gender', records, params),
    );
    // The read the pipeline makes after a first-attempt ingest would count the duplicates: what this test guards.
    const plain = await countGender(source, `${runKey}/plain`);
    expect(plain.by_gender!.reduce((total, row) => total + Number(row.count), 0)).toBe(recordsInMessages(stored).length);
  });

  it('running beside its retry (real activities, two attempts at once): the recorded result reads exactly the batch', async () => {
    const n = 20_000;
    const records = [...generateEmployees(n, 6)];
    const runKey = `ingest-zombie-live-${Date.now()}`;
    const plan = await runAs(1, () => planIngest());
    const [, recorded] = await Promise.all([
      runAs(1, () => ingestRecords({ runKey, plan, records })),
      runAs(2, () => ingestRecords({ runKey, plan, records })),
    ]);
    expect(recorded.attempt).toBe(2);
    const source = {
      kind: 'kafka' as const,
      topic: recorded.topic,
      ranges: recorded.ranges,
      recordKey: recorded.recordKey,
      deduplicate: recorded.attempt > 1,
    };
    expect(await countGender(source, runKey)).toEqual(referenceResult('count_gender', records, params));
  });
});
