import { describe, expect, it } from 'vitest';
import { streamRecordMessages } from '../../../lib/streams';

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
