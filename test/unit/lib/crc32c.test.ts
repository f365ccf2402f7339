import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../lib/crc32c';

const kafkajsCrc32C = createRequire(__filename)('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;

describe('crc32c', () => {
  it('gives the check value of CRC-32C', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with kafkajs’ byte-at-a-time CRC-32C on every length 0-100 and on a large buffer', () => {
    let seed = 7;
    const random = (n: number) => Buffer.from(Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    for (let n = 0; n <= 100; n++) {
      const bytes = random(n);
      expect(crc32c(bytes)).toBe(kafkajsCrc32C(bytes));
    }
    const large = random(100_003);
    expect(crc32c(large.subarray(3))).toBe(kafkajsCrc32C(large.subarray(3)));
  });
});
