import { describe, expect, it } from 'vitest';
import type { StreamPlan } from '../../../contracts/definitions';
import {
  foldAggregates,
  latestByKey,
  parseStreamInput,
  REJECTED_SECTION,
  StreamInputError,
  streamQueryName,
  streamWorkflowId,
  TOTAL_SECTION,
  type WindowAggregate,
} from '../../../contracts/streams';

describe('parseStreamInput', () => {
  it('fills in the defaults and the stream’s own topics', () => {
    const spec = parseStreamInput({ name: 'orders-1' });
    expect(spec).toMatchObject({
      name: 'orders-1',
      topic: 'streamforge.stream.orders-1',
      resultsTopic: 'streamforge.stream.orders-1.results',
      windowSeconds: 10,
      watermarkSeconds: 30,
      triggerMs: 1000,
      startingOffsets: 'earliest',
      pipeline: 'employees',
    });
    expect(streamWorkflowId('orders-1')).toBe('stream-orders-1');
    expect(streamQueryName('orders-1')).toBe('streamforge_stream_orders_1');
  });

  it('keeps a topic of the caller’s own', () => {
    expect(parseStreamInput({ name: 'a', topic: 'emp_data' }).topic).toBe('emp_data');
  });

  it.each([
    [{ name: 'Bad Name' }, /name: expected 1-63 lower-case letters/],
    [{ name: 'a', windowSeconds: 0 }, /windowSeconds/],
    [{ name: 'a', watermarkSeconds: 0 }, /watermarkSeconds/],
    [{ name: 'a', extra: 1 }, /unrecognized key.*extra/i],
    [{ name: 'a', pipeline: 'Orders!' }, /pipeline: expected a pipeline definition name/],
    [{ name: 'a', job: '1x' }, /job: expected a stream job name/],
    [{}, /name/],
  ])('refuses %j naming the field', (input, message) => {
    expect(() => parseStreamInput(input)).toThrow(StreamInputError);
    expect(() => parseStreamInput(input)).toThrow(message);
  });
});

// A plan as a definition declares it (written out here, not read through the definitions code): counts by gender,
// salary statistics by department, every measure function once.
const plan: Pick<StreamPlan, 'sections'> = {
  sections: [
    ['by_gender', { groupBy: [['gender', 'gender']], measures: [['count', { fn: 'count', expression: '*' }]] }],
    [
      'by_department',
      {
        groupBy: [['department', "coalesce(department, 'Unknown')"]],
        measures: [
          ['count', { fn: 'count', expression: '*' }],
          ['with_bonus', { fn: 'count', expression: 'bonus' }],
          ['sum', { fn: 'sum', expression: 'salary' }],
          ['min', { fn: 'min', expression: 'salary' }],
          ['max', { fn: 'max', expression: 'salary' }],
          ['mean', { fn: 'avg', expression: 'salary' }],
          ['stddev', { fn: 'stddev_pop', expression: 'salary' }],
          ['sample_stddev', { fn: 'stddev_samp', expression: 'salary' }],
        ],
      },
    ],
  ],
};

const VERSION = 'v1';
/** One window's aggregate as the query writes it: `salaries` become the department measures' partials. */
function agg(
  section: string,
  group: Record<string, unknown> | undefined,
  start: number,
  records: number,
  salaries: number[] = [],
): WindowAggregate {
  const sum = salaries.reduce((a, b) => a + b, 0);
  const sumsq = salaries.reduce((a, b) => a + b * b, 0);
  const n = salaries.length;
  return {
    section,
    window_start: start,
    window_end: start + 10_000,
    records,
    ...(group ? { group } : {}),
    ...(section === 'by_department'
      ? {
          partials: {
            with_bonus: { count: 0 },
            ...(n ? { sum: { sum }, min: { min: Math.min(...salaries) }, max: { max: Math.max(...salaries) } } : {}),
            mean: { count: n, ...(n ? { sum } : {}) },
            stddev: { count: n, ...(n ? { sum, sumsq } : {}) },
            sample_stddev: { count: n, ...(n ? { sum, sumsq } : {}) },
          },
        }
      : {}),
  };
}
const message = (a: WindowAggregate, version = VERSION) => ({
  key: `${version}|${a.section}|${a.window_start}|${JSON.stringify(a.group ?? {})}`,
  value: JSON.stringify(a),
});
const fold = (messages: { key: string | null; value: string }[]) => foldAggregates(plan, latestByKey(messages, VERSION).values());

describe('reading the results topic', () => {
  it('keeps the latest message of each key, so a micro-batch written twice replaces itself instead of adding', () => {
    const batch1 = [agg(TOTAL_SECTION, undefined, 0, 3), agg('by_gender', { gender: 'F' }, 0, 2), agg('by_gender', { gender: 'M' }, 0, 1)];
    const batch2 = [agg(TOTAL_SECTION, undefined, 0, 5), agg('by_gender', { gender: 'F' }, 0, 4)];
    // batch 2 written twice (the sink is at-least-once), the second time partly
    const folded = fold([...batch1, ...batch2, batch2[0]!].map((a) => message(a)));
    expect(folded.total).toBe(5);
    expect(folded.sections.by_gender).toEqual([
      { gender: 'F', count: 4 },
      { gender: 'M', count: 1 },
    ]);
    expect(folded.keys).toBe(3);
  });

  it('skips the messages of another results version (the stream ran another plan before)', () => {
    const folded = fold([message(agg(TOTAL_SECTION, undefined, 0, 7), 'v0'), message(agg(TOTAL_SECTION, undefined, 0, 2))]);
    expect(folded.total).toBe(2);
    expect(folded.keys).toBe(1);
  });

  it('adds windows up, and merges every measure function across windows', () => {
    const latest = [
      agg(TOTAL_SECTION, undefined, 0, 2),
      agg(TOTAL_SECTION, undefined, 10_000, 1),
      agg('by_department', { department: 'R&D' }, 0, 2, [100, 300]),
      agg('by_department', { department: 'R&D' }, 10_000, 1, [200]),
      agg(REJECTED_SECTION, undefined, 0, 4),
    ];
    const folded = foldAggregates(plan, latest);
    expect(folded.total).toBe(3);
    expect(folded.rejected).toBe(4);
    expect(folded.windows).toEqual([
      { start: '1970-01-01T00:00:00.000Z', end: '1970-01-01T00:00:10.000Z', count: 2 },
      { start: '1970-01-01T00:00:10.000Z', end: '1970-01-01T00:00:20.000Z', count: 1 },
    ]);
    // 100, 300, 200: mean 200, population variance 20000/3, sample variance 10000
    const [rd] = folded.sections.by_department!;
    expect(rd).toMatchObject({ department: 'R&D', count: 3, with_bonus: 0, sum: 600, min: 100, max: 300, mean: 200, sample_stddev: 100 });
    expect(rd!.stddev).toBeCloseTo(Math.sqrt(20000 / 3), 9);
  });

  it('gives null for a measure over no values, as Spark does (a sum, a mean, a sample stddev of one value)', () => {
    const folded = foldAggregates(plan, [
      agg(TOTAL_SECTION, undefined, 0, 2),
      agg('by_department', {}, 0, 1, []),
      agg('by_department', { department: 'Ops' }, 0, 1, [5]),
    ]);
    expect(folded.sections.by_department).toEqual([
      // a group column Spark found null (left out of the message) is null, and sorts first
      { department: null, count: 1, with_bonus: 0, sum: null, min: null, max: null, mean: null, stddev: null, sample_stddev: null },
      { department: 'Ops', count: 1, with_bonus: 0, sum: 5, min: 5, max: 5, mean: 5, stddev: 0, sample_stddev: null },
    ]);
  });

  it('orders a section’s rows by their group columns, numbers by value', () => {
    const numbers: Pick<StreamPlan, 'sections'> = {
      sections: [['by_month', { groupBy: [['month', 'month(d)']], measures: [['count', { fn: 'count', expression: '*' }]] }]],
    };
    const folded = foldAggregates(
      numbers,
      [10, 9, 1].map((month) => agg('by_month', { month }, 0, 1)),
    );
    expect(folded.sections.by_month!.map((r) => r.month)).toEqual([1, 9, 10]);
  });

  const whole = () => [
    agg(TOTAL_SECTION, undefined, 0, 2),
    agg('by_gender', { gender: 'F' }, 0, 2),
    agg('by_department', { department: 'R&D' }, 0, 2, [1, 2]),
    agg(REJECTED_SECTION, undefined, 10_000, 5), // a window of rejected records only
  ];

  it('finds every window whole when each section adds up to its total', () => {
    const folded = foldAggregates(plan, whole());
    expect(folded.consistent).toBe(true);
    expect(folded.windows).toHaveLength(1);
  });

  it.each([
    ['a department not yet written', (a: WindowAggregate) => a.section !== 'by_department'],
    ['the total not yet written', (a: WindowAggregate) => a.section !== TOTAL_SECTION],
    ['one gender not yet written', (a: WindowAggregate) => a.section !== 'by_gender'],
  ])('finds a window half-written by a micro-batch: %s', (_what, written) => {
    const before = [
      agg(TOTAL_SECTION, undefined, 0, 1),
      agg('by_gender', { gender: 'F' }, 0, 1),
      agg('by_department', { department: 'R&D' }, 0, 1, [1]),
    ];
    const batch = whole();
    expect(fold([...before, ...batch].map((a) => message(a))).consistent).toBe(true);
    expect(fold([...before, ...batch.filter(written)].map((a) => message(a))).consistent).toBe(false);
  });

  it('skips messages without a key', () => {
    expect(latestByKey([{ key: null, value: '{}' }], VERSION).size).toBe(0);
  });
});
