// Specification of the one helper over partition ranges: how written ranges merge into what a reader scans.
import { describe, expect, it } from 'vitest';
import { coveringRanges, rangeMessages, type PartitionRange } from '../../../contracts/partition-ranges';

/** Ranges written as [partition, from, to]. */
const ranges = (...rs: [number, number, number][]): PartitionRange[] => rs.map(([partition, from, to]) => ({ partition, from, to }));

describe('coveringRanges', () => {
  it('covers all ranges of a partition with one range, sorted by partition', () => {
    expect(coveringRanges(ranges([2, 10, 11], [0, 5, 8], [2, 7, 8], [2, 12, 15], [0, 8, 9]))).toEqual(ranges([0, 5, 9], [2, 7, 15]));
  });

  it('returns nothing for nothing, and does not change its input', () => {
    expect(coveringRanges([])).toEqual([]);
    const input = ranges([1, 0, 1], [1, 1, 2]);
    coveringRanges(input);
    expect(input[0]).toEqual({ partition: 1, from: 0, to: 1 });
  });
});

describe('rangeMessages', () => {
  it('counts the offsets the ranges span, empty and inverted ranges as none', () => {
    expect(rangeMessages(ranges([0, 5, 9], [1, 3, 3], [2, 4, 1]))).toBe(4);
  });
});
