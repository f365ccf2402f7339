// Specification of the one helper over partition ranges: how written ranges merge into what a reader scans.
import { describe, expect, it } from 'vitest';
import { coveringRanges, rangeMessages } from '../../../contracts/partition-ranges';

describe('coveringRanges', () => {
  it('covers all ranges of a partition with one range, sorted by partition', () => {
    expect(
      coveringRanges([
        { partition: 2, from: 10, to: 11 },
        { partition: 0, from: 5, to: 8 },
        { partition: 2, from: 7, to: 8 },
        { partition: 2, from: 12, to: 15 },
        { partition: 0, from: 8, to: 9 },
      ]),
    ).toEqual([
      { partition: 0, from: 5, to: 9 },
      { partition: 2, from: 7, to: 15 },
    ]);
  });

  it('returns nothing for nothing, and does not change its input', () => {
    expect(coveringRanges([])).toEqual([]);
    const input = [
      { partition: 1, from: 0, to: 1 },
      { partition: 1, from: 1, to: 2 },
    ];
    coveringRanges(input);
    expect(input[0]).toEqual({ partition: 1, from: 0, to: 1 });
  });
});

describe('rangeMessages', () => {
  it('counts the offsets the ranges span, empty and inverted ranges as none', () => {
    expect(rangeMessages([{ partition: 0, from: 5, to: 9 }, { partition: 1, from: 3, to: 3 }, { partition: 2, from: 4, to: 1 }])).toBe(4);
  });
});
