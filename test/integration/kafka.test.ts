// lib/kafka.ts against the real broker: topics, offset ranges of what we write, reading exact ranges back.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { KafkaExecutionJournal, type SharedExecution } from '../../spark/runtime/execution-journal';

const kafka = new KafkaClient(loadConfig().kafka, createLogger('warn'));
afterAll(() => kafka.close());

describe('KafkaClient', () => {
  const topic = `test.kafka-client.${crypto.randomUUID()}`;

  it('creates a topic once and reports its partitions', async () => {
    expect(await kafka.ensureTopic(topic, 3)).toBe(3);
    expect(await kafka.ensureTopic(topic, 3)).toBe(3);
    expect([...(await kafka.endOffsets(topic)).entries()].sort()).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
  });

  it('returns the offset range written in each partition and reads exactly those messages back', async () => {
    await kafka.produce(topic, [{ key: 'other-run', value: 'x', partition: 1 }]);
    const messages = Array.from({ length: 7 }, (_, i) => ({ key: 'run-a', value: `v${i}`, partition: i % 2, headers: { seq: String(i) } }));
    const ranges = await kafka.produce(topic, messages);
    expect(ranges).toEqual([
      { partition: 0, from: 0, to: 4 },
      { partition: 1, from: 1, to: 4 },
    ]);
    await kafka.produce(topic, [{ key: 'other-run', value: 'y', partition: 0 }]);

    const read = await kafka.readRanges(topic, ranges, { key: 'run-a' });
    expect(read.map((m) => m.value).sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    expect(read.map((m) => m.headers.seq).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6']);

    const widened = await kafka.readRanges(topic, [
      { partition: 0, from: 0, to: 5 },
      { partition: 1, from: 0, to: 4 },
    ]);
    expect(
      widened
        .filter((m) => m.key === 'other-run')
        .map((m) => m.value)
        .sort(),
    ).toEqual(['x', 'y']);
    expect(await kafka.endOffsets(topic)).toEqual(
      new Map([
        [0, 5],
        [1, 4],
        [2, 0],
      ]),
    );
  });
});

describe('KafkaClient reads', () => {
  const topic = `test.kafka-reads.${crypto.randomUUID()}`;

  it('many reads at once, of different ranges of the same partitions, each get exactly their messages', async () => {
    await kafka.ensureTopic(topic, 2);
    const runs = Array.from({ length: 8 }, (_, run) => `run-${run}`);
    const written = new Map<string, Awaited<ReturnType<typeof kafka.produce>>>();
    for (const run of runs) {
      const messages = Array.from({ length: 50 }, (_, i) => ({
        key: run,
        value: `${run}/${i}`,
        partition: i % 2,
        headers: { seq: String(i) },
      }));
      written.set(run, await kafka.produce(topic, messages));
    }
    const reads = await Promise.all(runs.map((run) => kafka.readRanges(topic, written.get(run)!, { key: run })));
    reads.forEach((read, i) => {
      expect(read.map((m) => m.value).sort()).toEqual(Array.from({ length: 50 }, (_, j) => `${runs[i]}/${j}`).sort());
    });
    expect((await kafka.readAll(topic)).length).toBe(8 * 50);
  });

  it('gives, per partition, the first offset written at or after a time, else the end', async () => {
    const before = Date.now() - 1;
    const ranges = await kafka.produce(topic, [{ key: 'late', value: 'x', partition: 1 }]);
    const at = await kafka.offsetsAt(topic, before);
    expect(at.get(1)).toBe(ranges[0]!.from);
    expect(at.get(0)).toBe((await kafka.endOffsets(topic)).get(0));
  });
});

describe('KafkaExecutionJournal', () => {
  it('finds the shared executions a member was recorded in since a given time (newest first), and nothing for others', async () => {
    const journal = new KafkaExecutionJournal(kafka, `test.executions.${crypto.randomUUID()}`);
    const since = Date.now();
    const execution = (id: string, members: string[]): SharedExecution => ({
      operationId: id,
      job: 'count_gender',
      plan: '["employees","0123456789ab","count_gender",[["referenceDate","2026-11-25"]]]',
      topic: 'records',
      members: members.map((m, i) => ({
        operationId: m,
        runKey: `run-${m}`,
        tag: String(i),
        recordKey: `key-${m}`,
        ranges: [{ partition: 0, from: i, to: i + 1 }],
      })),
    });
    await journal.record(execution('exec-1', ['a', 'b']));
    await journal.record(execution('exec-2', ['c']));
    await journal.record(execution('exec-3', ['b', 'c'])); // b reran with c after exec-1 was lost
    expect((await journal.find('b', since)).map((e) => e.operationId)).toEqual(['exec-3', 'exec-1']);
    expect((await journal.find('a', since)).map((e) => e.operationId)).toEqual(['exec-1']);
    expect((await journal.find('c', since))[1]?.members[0]).toMatchObject({ operationId: 'c', recordKey: 'key-c' });
    expect(await journal.find('z', since)).toEqual([]);
    expect(await journal.find('a', Date.now() + 120_000)).toEqual([]); // recorded before the time asked for
  });
});
