// Specification of the cost model's arithmetic (scripts/cost/model.ts): medians, the fitted line, the capacity.
import { describe, expect, it } from 'vitest';
import { capacity, fitLine, median } from '../../../../scripts/cost/model';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('refuses no values', () => {
    expect(() => median([])).toThrow(/no values/);
  });
});

describe('fitLine', () => {
  it('recovers the fixed part and the slope of points on a line', () => {
    const line = fitLine([10, 1_000, 10_000].map((size) => ({ size, cost: 300 + 0.02 * size })));
    expect(line.fixed).toBeCloseTo(300, 6);
    expect(line.perUnit).toBeCloseTo(0.02, 9);
  });
  it('fits noisy points by least squares', () => {
    const line = fitLine([
      { size: 0, cost: 1 },
      { size: 1, cost: 3 },
      { size: 2, cost: 3 },
    ]);
    expect(line.perUnit).toBeCloseTo(1, 9);
    expect(line.fixed).toBeCloseTo(4 / 3, 9);
  });
  it('needs two different sizes', () => {
    expect(() => fitLine([{ size: 1, cost: 1 }])).toThrow(/two points/);
    expect(() => fitLine([1, 1].map((size) => ({ size, cost: size })))).toThrow(/two different sizes/);
  });
});

describe('capacity', () => {
  it('divides each process CPU by the requests and turns the total into the rate that fills the cores', () => {
    const c = capacity({ spark: 400, rest: 100 }, 100, 2);
    expect(c.cpuMsPerRequest).toEqual({ spark: 4, rest: 1 });
    expect(c.totalCpuMsPerRequest).toBe(5);
    expect(c.cpuBoundRequestsPerSecond).toBe(400);
  });
  it('refuses no requests', () => {
    expect(() => capacity({ spark: 1 }, 0, 2)).toThrow(/no requests/);
  });
});
