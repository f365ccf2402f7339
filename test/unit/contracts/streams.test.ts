import { describe, expect, it } from 'vitest';
import {
  foldAggregates,
  latestByKey,
  NO_MONTH,
  parseStreamInput,
  StreamInputError,
  streamQueryName,
  streamWorkflowId,
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
    [{}, /name/],
  ])('refuses %j naming the field', (input, message) => {
    expect(() => parseStreamInput(input)).toThrow(StreamInputError);
    expect(() => parseStreamInput(input)).toThrow(message);
  });
});

const agg = (kind: WindowAggregate['kind'], group: string, start: number, count: number, salaries: number[] = []): WindowAggregate => ({
  kind,
  group,
  window_start: start,
  window_end: start + 10_000,
  count,
  ...(salaries.length
    ? {
        salary_sum: salaries.reduce((a, b) => a + b, 0),
        salary_min: Math.min(...salaries),
        salary_max: Math.max(...salaries),
        salary_sumsq: salaries.reduce((a, b) => a + b * b, 0),
      }
    : {}),
});
const message = (a: WindowAggregate) => ({ key: `${a.kind}|${a.group}|${a.window_start}`, value: JSON.stringify(a) });

describe('reading the results topic', () => {
  it('keeps the latest message of each key, so a micro-batch written twice replaces itself instead of adding', () => {
    const batch1 = [agg('total', '', 0, 3), agg('gender', 'F', 0, 2), agg('gender', 'M', 0, 1)];
    const batch2 = [agg('total', '', 0, 5), agg('gender', 'F', 0, 4)];
    // batch 2 written twice (the sink is at-least-once), the second time partly
    const messages = [...batch1, ...batch2, batch2[0]!].map(message);
    const folded = foldAggregates(latestByKey(messages).values());
    expect(folded.total).toBe(5);
    expect(folded.byGender).toEqual({ F: 4, M: 1 });
    expect(folded.keys).toBe(3);
  });

  it('adds windows up, and merges salary statistics across windows', () => {
    const latest = [
      agg('total', '', 0, 2),
      agg('total', '', 10_000, 1),
      agg('department', 'R&D', 0, 2, [100, 300]),
      agg('department', 'R&D', 10_000, 1, [200]),
      agg('month', '2', 10_000, 1),
      agg('rejected', '', 0, 4),
    ];
    const folded = foldAggregates(latest);
    expect(folded.total).toBe(3);
    expect(folded.rejected).toBe(4);
    expect(folded.byMonth).toEqual({ '2': 1 });
    expect(folded.windows).toEqual([
      { start: '1970-01-01T00:00:00.000Z', end: '1970-01-01T00:00:10.000Z', count: 2 },
      { start: '1970-01-01T00:00:10.000Z', end: '1970-01-01T00:00:20.000Z', count: 1 },
    ]);
    // 100, 300, 200: mean 200, population stddev sqrt(20000/3)
    expect(folded.salaryByDepartment['R&D']).toEqual({ count: 3, min: 100, max: 300, mean: 200, stddev: 81.65, sum: 600 });
  });

  it('counts records without a birth date in no month, and finds every window whole when each kind adds up to its total', () => {
    const whole = [
      agg('total', '', 0, 3),
      agg('gender', 'F', 0, 2),
      agg('gender', 'M', 0, 1),
      agg('month', '2', 0, 2),
      agg('month', NO_MONTH, 0, 1),
      agg('department', 'R&D', 0, 3, [1, 2, 3]),
      agg('rejected', '', 10_000, 5), // a window of rejected records only
    ];
    const folded = foldAggregates(whole);
    expect(folded.byMonth).toEqual({ '2': 2 });
    expect(folded.consistent).toBe(true);
    expect(folded.windows).toHaveLength(1);
  });

  it.each([
    ['a department not yet written', (a: WindowAggregate) => a.kind !== 'department'],
    ['the total not yet written', (a: WindowAggregate) => a.kind !== 'total'],
    ['one month not yet written', (a: WindowAggregate) => !(a.kind === 'month' && a.group === NO_MONTH)],
  ])('finds a window half-written by a micro-batch: %s', (_what, written) => {
    const before = [agg('total', '', 0, 1), agg('gender', 'F', 0, 1), agg('month', '2', 0, 1), agg('department', 'R&D', 0, 1, [1])];
    const batch = [agg('total', '', 0, 2), agg('gender', 'F', 0, 2), agg('month', NO_MONTH, 0, 1), agg('department', 'R&D', 0, 2, [1, 2])];
    expect(foldAggregates(latestByKey([...before, ...batch].map(message)).values()).consistent).toBe(true);
    expect(foldAggregates(latestByKey([...before, ...batch.filter(written)].map(message)).values()).consistent).toBe(false);
  });

  it('skips messages without a key', () => {
    expect(latestByKey([{ key: null, value: '{}' }]).size).toBe(0);
  });
});
