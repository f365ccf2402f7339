import { describe, expect, it } from 'vitest';
import type { WindowAggregate } from '../../../contracts/streams';
import type { ConsumedMessage, KafkaTopics } from '../../../lib/kafka';
import { readStreamAggregates, streamRecordMessages } from '../../../lib/streams';

const records = [
  { id: 1, gender: 'F', salary: 1 },
  { id: 2, gender: 'M', salary: 2 },
  { id: 3, gender: 'F', salary: 3 },
];

describe('streamRecordMessages', () => {
  it('names each record by its batch key and place, so a batch sent again carries the same keys', () => {
    const once = streamRecordMessages(records, 'request-7', 2);
    expect(streamRecordMessages(records, 'request-7', 2)).toEqual(once);
    expect(new Set(once.map((m) => m.key)).size).toBe(3);
    expect(streamRecordMessages(records, 'request-8', 2).map((m) => m.key)).not.toContain(once[0]!.key);
  });

  it('spreads the records over the partitions, the record itself as the value', () => {
    const messages = streamRecordMessages(records, 'b', 2);
    expect(new Set(messages.map((m) => m.partition))).toEqual(new Set([0, 1]));
    expect(messages.map((m) => JSON.parse(m.value))).toEqual(records);
  });
});

describe('readStreamAggregates', () => {
  const message = (a: Omit<WindowAggregate, 'window_start' | 'window_end'>) =>
    ({ key: `${a.kind}|${a.group}|0`, value: JSON.stringify({ ...a, window_start: 0, window_end: 10_000 }) }) as ConsumedMessage;
  const whole = [
    message({ kind: 'total', group: '', count: 1 }),
    message({ kind: 'gender', group: 'F', count: 1 }),
    message({ kind: 'month', group: '3', count: 1 }),
    message({ kind: 'department', group: 'HR', count: 1 }),
  ];
  /** A results topic read by turns: each read answers with the next of `reads` (the last one from then on). */
  const topic = (...reads: ConsumedMessage[][]) => {
    let n = 0;
    return { kafka: { readAll: async () => reads[Math.min(n++, reads.length - 1)]! } as unknown as KafkaTopics, reads: () => n };
  };

  it('reads again while Spark is writing a micro-batch, and answers with the whole one', async () => {
    const { kafka, reads } = topic(whole.slice(0, 2), whole);
    const aggregates = await readStreamAggregates(kafka, 'results');
    expect(aggregates).toMatchObject({ total: 1, byMonth: { '3': 1 }, consistent: true });
    expect(reads()).toBe(2);
  });

  it('answers with what it read, marked not consistent, when the batch stays half-written', async () => {
    const { kafka, reads } = topic(whole.slice(0, 3));
    const aggregates = await readStreamAggregates(kafka, 'results', { settleMs: 500 });
    expect(aggregates).toMatchObject({ total: 1, consistent: false, salaryByDepartment: {} });
    expect(reads()).toBeGreaterThan(1);
  });
});
