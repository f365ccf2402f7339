// ingestRecords against the real broker, as a retried attempt sees it: an earlier attempt of the same run wrote
// part of the batch and died; the retry writes only what is missing, so the topic holds the batch exactly once.
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createActivityDeps } from '../../../activities/deps';
import { createIngestActivities, toMessages } from '../../../activities/ingest';
import { recordKey } from '../../../lib/idempotency';
import { loadConfig } from '../../../lib/config';
import { createLogger } from '../../../lib/logger';
import { generateEmployees } from '../../../data/generate';

const config = loadConfig({ ...process.env, KAFKA_RECORDS_TOPIC: `test.ingest.${Date.now()}` });
const deps = createActivityDeps(config, createLogger('warn'));
const { planIngest, ingestRecords } = createIngestActivities(deps);
afterAll(() => deps.close());

const runAs = <R>(attempt: number, fn: () => Promise<R>): Promise<R> =>
  new MockActivityEnvironment({ attempt, workflowExecution: { workflowId: 'ingest-test', runId: 'r' } }).run(fn) as Promise<R>;

describe('ingestRecords', () => {
  it.each([100, 25_000])('a retry after a partial write of %i records writes only the missing ones', async (n) => {
    const records = [...generateEmployees(n, 3)];
    const runKey = `ingest-retry-${n}-${Date.now()}`;
    const plan = await runAs(1, () => planIngest());
    // Attempt 1 got a third of the batch out before its worker died.
    const messages = toMessages(runKey, records, plan.partitions);
    await deps.kafka.produce(plan.topic, messages.slice(0, Math.floor(n / 3)));

    const second = await runAs(2, () => ingestRecords({ runKey, plan, records }));
    expect(second.written).toBe(n - Math.floor(n / 3));
    const third = await runAs(3, () => ingestRecords({ runKey, plan, records }));
    expect(third.written).toBe(0);
    expect(third.ranges).toEqual(second.ranges);

    const stored = await deps.kafka.readRanges(plan.topic, second.ranges, { key: recordKey(runKey), timeoutMs: 60_000 });
    expect(stored).toHaveLength(n);
    expect(new Set(stored.map((m) => m.headers.seq)).size).toBe(n);
    expect(stored.map((m) => JSON.parse(m.value).id).sort((a: number, b: number) => a - b)).toEqual(records.map((r) => r.id));
  });
});
