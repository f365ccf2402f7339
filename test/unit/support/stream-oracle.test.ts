// The stream oracle checks every statistic the stream computes: a sample standard deviation where the stream
// reports a population one, or a mean or sum off by more than floating point's error, is a mismatch.
import { describe, expect, it } from 'vitest';
import type { StreamAggregates } from '../../../contracts/streams';
import { expectedStreamCounts, streamMismatches } from '../../support/stream-oracle';

const records = [1000, 2000, 3000].map((salary, i) => ({ id: i, gender: 'F', salary, department: 'Ops' }));
const aggregates = (ops: Record<string, number>): StreamAggregates => ({
  total: 3,
  rejected: 0,
  sections: {
    by_gender: [{ gender: 'F', count: 3 }],
    by_month: [{ month: null, count: 3 }],
    salary_by_department: [
      { department: 'Ops', count: 3, min: 1000, max: 3000, mean: 2000, stddev: Math.sqrt(2_000_000 / 3), sum: 6000, ...ops },
    ],
  },
  windows: [{ start: '2026-12-05T00:00:00.000Z', end: '2026-12-05T00:00:10.000Z', count: 3 }],
  keys: 4,
  consistent: true,
});

describe('streamMismatches', () => {
  it('finds none when every statistic is right (the population standard deviation, 816.4966)', () => {
    expect(streamMismatches(aggregates({}), expectedStreamCounts(records))).toEqual([]);
  });

  it.each([
    ['a sample standard deviation', { stddev: 1000 }, /standard deviation \(population\) in Ops: 1000, sent 816\.4966/],
    ['a mean off by a cent', { mean: 2000.01 }, /mean salary in Ops: 2000\.01, sent 2000\.0000/],
    ['a sum off', { sum: 6001 }, /salary sum in Ops: 6001, sent 6000\.0000/],
  ])('reports %s', (_what, ops, message) => {
    expect(streamMismatches(aggregates(ops), expectedStreamCounts(records))).toEqual([expect.stringMatching(message)]);
  });
});
