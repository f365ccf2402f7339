import { describe, expect, it } from 'vitest';
import { memoryVerdict, type MemorySample } from '../../../../scripts/stream/memory';

const samples = (rss: number[]): MemorySample[] => rss.map((rssMb, i) => ({ t: i * 10, rssMb }));

describe('memoryVerdict', () => {
  it('calls memory flat when the heap fills early and then stays', () => {
    const v = memoryVerdict(samples([400, 900, 1500, 2500, 2550, 2500, 2560, 2540, 2580]));
    expect(v.verdict).toBe('flat');
    expect(v).toMatchObject({ middleMb: 2500, lastMb: 2560 });
  });

  it('calls memory growing when the last third is more than 10 % above the middle one', () => {
    const v = memoryVerdict(samples([1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800]));
    expect(v.verdict).toBe('growing');
    expect(v.growth).toBe(0.214); // 1700 vs 1400
    expect(v.detail).toContain('+21.4 %');
  });

  it('takes a drop (a full GC) as flat, and sits on the bound exactly', () => {
    expect(memoryVerdict(samples([1, 1, 2000, 2000, 2000, 1500, 1500, 1500])).verdict).toBe('flat');
    expect(memoryVerdict(samples([1, 1, 1000, 1000, 1100, 1100])).verdict).toBe('flat');
    expect(memoryVerdict(samples([1, 1, 1000, 1000, 1102, 1102])).verdict).toBe('growing');
  });

  it('gives no verdict on fewer than 6 samples', () => {
    expect(memoryVerdict(samples([1, 2, 3, 4, 5])).verdict).toBe('too short to judge');
  });
});
