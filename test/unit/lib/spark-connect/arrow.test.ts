import {
  DateDay,
  Field,
  Int32,
  Int64,
  List,
  Struct,
  Table,
  TimestampMillisecond,
  Utf8,
  makeVector,
  tableFromArrays,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowBatchToRows, bigintToJson, decimalToJson } from '../../../../lib/spark-connect/arrow';

describe('arrowBatchToRows', () => {
  it('turns an Arrow IPC stream into one plain object per row', () => {
    const table = tableFromArrays({
      id: new BigInt64Array([1n, 2n]),
      name: ['ann', 'bob'],
      score: new Float64Array([0.5, 1.25]),
    });
    expect(arrowBatchToRows(tableToIPC(table, 'stream'))).toEqual([
      { id: 1, name: 'ann', score: 0.5 },
      { id: 2, name: 'bob', score: 1.25 },
    ]);
  });

  it('keeps 64-bit integers beyond 2^53 exact as strings', () => {
    const table = new Table({ n: vectorFromArray([2n ** 53n + 1n, -(2n ** 60n), null], new Int64()) });
    expect(arrowBatchToRows(tableToIPC(table, 'stream'))).toEqual([{ n: '9007199254740993' }, { n: '-1152921504606846976' }, { n: null }]);
  });

  it('renders dates as YYYY-MM-DD and timestamps as ISO-8601, with Z only when zoned', () => {
    const at = Date.UTC(2024, 0, 2, 3, 4, 5, 123);
    const table = new Table({
      day: vectorFromArray([new Date(Date.UTC(2024, 1, 29))], new DateDay()),
      zoned: vectorFromArray([at], new TimestampMillisecond('UTC')),
      local: vectorFromArray([at], new TimestampMillisecond()),
    });
    expect(arrowBatchToRows(tableToIPC(table, 'stream'))).toEqual([
      { day: '2024-02-29', zoned: '2024-01-02T03:04:05.123Z', local: '2024-01-02T03:04:05.123' },
    ]);
  });

  it('converts lists and structs recursively', () => {
    const list = vectorFromArray([[1n, 2n], []], new List(new Field('item', new Int64(), true)));
    const struct = vectorFromArray(
      [
        { k: 1, name: 'a' },
        { k: 2, name: null },
      ],
      new Struct([new Field('k', new Int32(), true), new Field('name', new Utf8(), true)]),
    );
    const table = new Table({ list, struct });
    expect(arrowBatchToRows(tableToIPC(table, 'stream'))).toEqual([
      { list: [1, 2], struct: { k: 1, name: 'a' } },
      { list: [], struct: { k: 2, name: null } },
    ]);
  });

  it('returns no rows for an empty batch', () => {
    const table = new Table({ id: makeVector(new Int32Array(0)) });
    expect(arrowBatchToRows(tableToIPC(table, 'stream'))).toEqual([]);
  });
});

describe('bigintToJson', () => {
  it('gives numbers inside the safe range and strings outside', () => {
    expect(bigintToJson(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(bigintToJson(BigInt(Number.MIN_SAFE_INTEGER))).toBe(Number.MIN_SAFE_INTEGER);
    expect(bigintToJson(BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toBe('9007199254740992');
  });
});

describe('decimalToJson', () => {
  it('applies the scale to the unscaled integer', () => {
    expect(decimalToJson('15', 1)).toBe(1.5);
    expect(decimalToJson('-150', 2)).toBe(-1.5);
    expect(decimalToJson('5', 3)).toBe(0.005);
    expect(decimalToJson('42', 0)).toBe(42);
  });

  it('keeps decimals with more than 15 significant digits exact as strings', () => {
    expect(decimalToJson('1234567890123456789012', 2)).toBe('12345678901234567890.12');
    expect(decimalToJson('-1234567890123456789', 0)).toBe('-1234567890123456789');
  });
});
