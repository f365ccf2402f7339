import { describe, expect, it } from 'vitest';
import { endToEndLags } from '../../../../scripts/stream/lag';

describe('endToEndLags', () => {
  it('measures each sample until the aggregates first count that many records, at or after it was sent', () => {
    const sent = [
      { t: 100, sent: 10 },
      { t: 200, sent: 20 },
      { t: 300, sent: 30 },
    ];
    const counted = [
      { t: 150, counted: 5 },
      { t: 250, counted: 20 }, // covers the first two samples
      { t: 900, counted: 30 },
    ];
    expect(endToEndLags(sent, counted)).toEqual([150, 50, 600]);
  });

  it('leaves out samples never counted', () => {
    expect(endToEndLags([{ t: 1, sent: 5 }], [{ t: 2, counted: 4 }])).toEqual([]);
  });

  it('does not credit a count seen before the sample was sent', () => {
    expect(
      endToEndLags(
        [{ t: 100, sent: 5 }],
        [
          { t: 50, counted: 5 },
          { t: 400, counted: 5 },
        ],
      ),
    ).toEqual([300]);
  });
});
