import { describe, expect, it } from 'vitest';
import type { StreamPlan } from '../../../contracts/definitions';
import { TOTAL_SECTION, type WindowAggregate } from '../../../contracts/streams';
import type { ConsumedMessage, KafkaTopics } from '../../../lib/kafka';
import { MESSAGE_BYTES, RECORDS_PER_MESSAGE } from '../../../lib/json-arrays';
import { readStreamAggregates, streamRecordMessages, streamResultsVersion } from '../../../lib/streams';

const records = [
  { id: 1, gender: 'F', salary: 1 },
  { id: 2, gender: 'M', salary: 2 },
  { id: 3, gender: 'F', salary: 3 },
];

describe('streamRecordMessages', () => {
  const many = Array.from({ length: 250 }, (_, i) => ({ id: i, gender: i % 2 ? 'F' : 'M', salary: i }));

  it('names each message by its batch key and place, so a batch sent again carries the same keys', () => {
    const once = streamRecordMessages(many, 'request-7', 2);
    expect(streamRecordMessages(many, 'request-7', 2)).toEqual(once);
    expect(new Set(once.map((m) => m.key)).size).toBe(3);
    expect(streamRecordMessages(many, 'request-8', 2).map((m) => m.key)).not.toContain(once[0]!.key);
  });

  it('writes up to RECORDS_PER_MESSAGE records a message as a JSON array, in order, spread over the partitions', () => {
    const messages = streamRecordMessages(many, 'b', 2);
    expect(messages.map((m) => (JSON.parse(m.value) as unknown[]).length)).toEqual([RECORDS_PER_MESSAGE, RECORDS_PER_MESSAGE, 50]);
    expect(messages.flatMap((m) => JSON.parse(m.value) as unknown[])).toEqual(many);
    expect(new Set(messages.map((m) => m.partition))).toEqual(new Set([0, 1]));
    expect(streamRecordMessages(records, 'b', 2).map((m) => JSON.parse(m.value))).toEqual([records]);
  });

  it('starts a new message before one would pass MESSAGE_BYTES (in UTF-8), and sends a record larger than that alone', () => {
    const third = { id: 1, note: 'a'.repeat(MESSAGE_BYTES / 3) };
    const twoThirds = { id: 2, note: 'é'.repeat(MESSAGE_BYTES / 3) }; // 'é' is two bytes in UTF-8
    const huge = { id: 3, note: 'b'.repeat(MESSAGE_BYTES) };
    const messages = streamRecordMessages([third, twoThirds, huge, { id: 4 }, { id: 5 }], 'b', 2);
    expect(messages.map((m) => (JSON.parse(m.value) as { id: number }[]).map((r) => r.id))).toEqual([[1], [2], [3], [4, 5]]);
    expect(messages.filter((m) => Buffer.byteLength(m.value) > MESSAGE_BYTES).map((m) => JSON.parse(m.value) as unknown)).toEqual([[huge]]);
  });
});

describe('readStreamAggregates', () => {
  const spec = {
    resultsTopic: 'results',
    windowSeconds: 10,
    plan: {
      definition: 'd',
      version: 'x',
      job: 'j',
      fields: [['gender', { type: 'string', required: true, nullable: false }]],
      sections: [['by_gender', { groupBy: [['gender', 'gender']], measures: [['count', { fn: 'count', expression: '*' }]] }]],
    },
  } as Parameters<typeof readStreamAggregates>[1];
  const version = streamResultsVersion(spec);
  const message = (a: Omit<WindowAggregate, 'window_start' | 'window_end'>) =>
    ({
      key: `${version}|${a.section}|0|${JSON.stringify(a.group ?? {})}`,
      value: JSON.stringify({ ...a, window_start: 0, window_end: 10_000 }),
    }) as ConsumedMessage;
  const whole = [
    message({ section: TOTAL_SECTION, records: 2 }),
    message({ section: 'by_gender', group: { gender: 'F' }, records: 1 }),
    message({ section: 'by_gender', group: { gender: 'M' }, records: 1 }),
  ];
  /** A results topic read by turns: each read answers with the next of `reads` (the last one from then on). */
  const topic = (...reads: ConsumedMessage[][]) => {
    let n = 0;
    return { kafka: { readAll: async () => reads[Math.min(n++, reads.length - 1)]! } as unknown as KafkaTopics, reads: () => n };
  };

  it('reads again while Spark is writing a micro-batch, and answers with the whole one', async () => {
    const { kafka, reads } = topic(whole.slice(0, 2), whole);
    const aggregates = await readStreamAggregates(kafka, spec);
    expect(aggregates).toMatchObject({
      total: 2,
      sections: {
        by_gender: [
          { gender: 'F', count: 1 },
          { gender: 'M', count: 1 },
        ],
      },
      consistent: true,
    });
    expect(reads()).toBe(2);
  });

  it('answers with what it read, marked not consistent, when the batch stays half-written', async () => {
    const { kafka, reads } = topic(whole.slice(0, 2));
    const aggregates = await readStreamAggregates(kafka, spec, { settleMs: 500 });
    expect(aggregates).toMatchObject({ total: 2, consistent: false, sections: { by_gender: [{ gender: 'F', count: 1 }] } });
    expect(reads()).toBeGreaterThan(1);
  });
});

describe('streamResultsVersion', () => {
  const plan = (measure: string) => ({
    definition: 'd',
    version: 'any',
    job: 'j',
    fields: [],
    sections: [['s', { groupBy: [], measures: [[measure, { fn: 'count' as const, expression: '*' }]] }]] as StreamPlan['sections'],
  });
  it('changes with what the results mean (a section, the window), not with the definition version alone', () => {
    const base = streamResultsVersion({ plan: plan('n'), windowSeconds: 10 });
    expect(streamResultsVersion({ plan: { ...plan('n'), version: 'other' }, windowSeconds: 10 })).toBe(base);
    expect(streamResultsVersion({ plan: plan('m'), windowSeconds: 10 })).not.toBe(base);
    expect(streamResultsVersion({ plan: plan('n'), windowSeconds: 20 })).not.toBe(base);
  });
});
