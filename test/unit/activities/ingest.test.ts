// Specification of ingest's pure parts: how a run's records become messages (JSON arrays of up to a hundred), and
// which files a `file` input may name.
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { partitionForRun, recordValues, resolveDataFile, toMessages } from '../../../activities/ingest';
import type { EmployeeRecord } from '../../../contracts/records';
import { recordKey } from '../../../lib/idempotency';

const records = (n: number): EmployeeRecord[] =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, gender: i % 2 ? 'M' : 'F', salary: 1000 * i }));

describe('partitionForRun', () => {
  it('gives a run the same partition every time, within range', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `pipeline-${i}`);
    for (const key of keys) {
      const p = partitionForRun(key, 6);
      expect(p).toBe(partitionForRun(key, 6));
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(6);
      expect(Number.isInteger(p)).toBe(true);
    }
  });

  it('spreads runs over every partition', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => partitionForRun(`pipeline-${i}`, 6)));
    expect([...used].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('toMessages', () => {
  const parsed = (value: string) => JSON.parse(value) as EmployeeRecord[];

  it('writes a small run to its one partition as one JSON array, keyed by the run record key, numbered 0', () => {
    const batch = records(3);
    const partition = partitionForRun('run-a', 3);
    expect(toMessages('run-a', recordValues(batch), 3)).toEqual([
      { key: recordKey('run-a'), value: JSON.stringify(batch), partition, headers: { seq: '0' }, records: 3 },
    ]);
  });

  it('puts up to a hundred records in a message, in order, numbered 0..n-1, and cuts the same records the same way', () => {
    const batch = records(250);
    const messages = toMessages('run-d', recordValues(batch), 3);
    expect(messages.map((m) => m.records)).toEqual([100, 100, 50]);
    expect(messages.map((m) => parsed(m.value).length)).toEqual([100, 100, 50]);
    expect(messages.flatMap((m) => parsed(m.value))).toEqual(batch);
    expect(messages.map((m) => m.headers.seq)).toEqual(['0', '1', '2']);
    expect(toMessages('run-d', recordValues(batch), 3)).toEqual(messages);
  });

  it('keeps a run of 10,000 records in one partition', () => {
    const partitions = new Set(toMessages('run-b', recordValues(records(10_000)), 3).map((m) => m.partition));
    expect(partitions).toEqual(new Set([partitionForRun('run-b', 3)]));
  });

  it('spreads a larger run message by message, round-robin over all partitions, with the run record key', () => {
    const batch = records(10_001);
    const messages = toMessages('run-c', recordValues(batch), 3);
    expect(messages).toHaveLength(101);
    expect(messages.slice(0, 4).map((m) => m.partition)).toEqual([0, 1, 2, 0]);
    expect(messages.filter((m) => m.partition === 0)).toHaveLength(34);
    expect(messages.filter((m) => m.partition === 2)).toHaveLength(33);
    expect(messages.map((m) => m.headers.seq)).toEqual(Array.from({ length: 101 }, (_, i) => String(i)));
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set([recordKey('run-c')]));
    expect(messages.reduce((n, m) => n + m.records, 0)).toBe(10_001);
    expect(messages.flatMap((m) => parsed(m.value))).toEqual(batch);
  });
});

describe('recordValues', () => {
  it("is each record's JSON, with its group first when the records come in groups", () => {
    const batch = records(2);
    expect(recordValues(batch)).toEqual(batch.map((r) => JSON.stringify(r)));
    expect(recordValues(batch, ['a', 'b']).map((v) => JSON.parse(v))).toEqual([
      { _group: 'a', ...batch[0] },
      { _group: 'b', ...batch[1] },
    ]);
  });
});

describe('resolveDataFile', () => {
  const dataDir = '/srv/streamforge/data';

  it('resolves names under the data directory, relative or absolute', () => {
    expect(resolveDataFile(dataDir, 'emp_data.json')).toBe('/srv/streamforge/data/emp_data.json');
    expect(resolveDataFile(dataDir, 'more/../batch.jsonl')).toBe('/srv/streamforge/data/batch.jsonl');
    expect(resolveDataFile(dataDir, '/srv/streamforge/data/emp_data.json')).toBe('/srv/streamforge/data/emp_data.json');
  });

  it.each(['../etc/passwd', '/etc/passwd', '/srv/streamforge/data-other/x.json', '.'])(
    'refuses %s with a non-retryable failure',
    (file) => {
      let failure: unknown;
      try {
        resolveDataFile(dataDir, file);
      } catch (err) {
        failure = err;
      }
      expect(failure).toBeInstanceOf(ApplicationFailure);
      const f = failure as ApplicationFailure;
      expect(f.message).toBe(`file "${file}" is outside the data directory ${dataDir} (set DATA_DIR to allow another)`);
      expect(f.nonRetryable).toBe(true);
      expect(f.type).toBe('PipelineInputError');
    },
  );
});
