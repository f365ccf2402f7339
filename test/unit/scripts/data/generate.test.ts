// Specification of the sample-data CLI's writer: generated records as a JSON array or JSON lines.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { generateEmployees } from '../../../../lib/employee-generator';
import { writeEmployees } from '../../../../scripts/data/generate';

async function written(opts: Parameters<typeof writeEmployees>[1]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await writeEmployees(out, opts);
  return Buffer.concat(chunks).toString('utf8');
}

describe('writeEmployees', () => {
  it('writes a JSON array with one record per line, or JSON lines', async () => {
    const json = await written({ count: 3, seed: 1, format: 'json' });
    expect(json.split('\n')).toHaveLength(6); // '[', three records, ']', ''
    expect(JSON.parse(json)).toEqual([...generateEmployees(3, 1)]);
    expect(JSON.parse(await written({ count: 0, seed: 1, format: 'json' }))).toEqual([]);
    const lines = (await written({ count: 3, seed: 1, format: 'jsonl' })).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([...generateEmployees(3, 1)]);
  });
});
