import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeLines, readRecordsFile, RecordsFileError, splitAtLines } from '../../../activities/records-file';
import { generateEmployees } from '../../../lib/employee-generator';
import { recordShape } from '../../../contracts/definitions';
import { loadDefinitions } from '../../../lib/definitions';
import { DEFINITIONS_DIR } from '../../support/plans';

/** The employees definition's fields and key: what the files' records are checked against. */
const EMPLOYEE_FIELDS = loadDefinitions(DEFINITIONS_DIR).definitions.get('employees')!;
const EMPLOYEE_SHAPE = recordShape(EMPLOYEE_FIELDS);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'records-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const jsonl = (items: unknown[]) => items.map((r) => JSON.stringify(r)).join('\n') + '\n';
const errorOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('encodeLines', () => {
  it('encodes each valid record, names every bad line by its number in the file, and skips blank lines', () => {
    const text = ['{"id": 1, "gender": "F", "salary": 10}', '', '{"id": 2, "gender": "M", "salary": "lots"}', 'not json', '  '].join('\n');
    const encoded = encodeLines(text, 41, EMPLOYEE_SHAPE);
    expect(encoded.values).toEqual(['{"id":1,"gender":"F","salary":10}']);
    expect(encoded.keys).toEqual([1]);
    expect([...encoded.lines]).toEqual([41]);
    expect(encoded.records).toBe(3);
    expect(encoded.issues).toEqual([
      { path: 'line 43, salary', message: 'expected a number, got "lots"' },
      { path: 'line 44', message: expect.stringMatching(/^not valid JSON \(/) },
    ]);
  });
});

describe('splitAtLines', () => {
  it('splits at line ends into parts that cover the bytes, each with the number of its first line', () => {
    const bytes = Buffer.from('a\nbb\nccc\ndddd\ne');
    for (const count of [1, 2, 3, 4, 10]) {
      const parts = splitAtLines(bytes, count);
      expect(parts[0]!.start).toBe(0);
      expect(parts.at(-1)!.end).toBe(bytes.length);
      parts.forEach((p, i) => {
        if (i > 0) expect(p.start).toBe(parts[i - 1]!.end);
        expect(p.start === 0 || bytes[p.start - 1] === 10).toBe(true);
        expect(p.firstLine).toBe(bytes.subarray(0, p.start).toString().split('\n').length);
      });
    }
  });
});

describe('readRecordsFile', () => {
  const records = [...generateEmployees(3_000, 7)];

  it('gives the same values on one thread and on several, in file order', async () => {
    const file = write('good.jsonl', jsonl(records));
    const one = await readRecordsFile(file, EMPLOYEE_FIELDS, { maxRecords: 10_000, threads: 1 });
    expect(one.map((v) => JSON.parse(v))).toEqual(records);
    expect(await readRecordsFile(file, EMPLOYEE_FIELDS, { maxRecords: 10_000, threads: 3 })).toEqual(one);
  });

  it('names bad lines and duplicate ids across the parts, with the same message on one thread and on several', async () => {
    const lines = records.map((r) => JSON.stringify(r));
    lines[10] = JSON.stringify({ ...records[10], salary: -1 });
    lines[2_500] = JSON.stringify({ ...records[2_500], id: records[5]!.id });
    const file = write('bad.jsonl', lines.join('\n'));
    const one = await errorOf(readRecordsFile(file, EMPLOYEE_FIELDS, { maxRecords: 10_000, threads: 1 }));
    expect(one).toBeInstanceOf(RecordsFileError);
    expect(one!.message).toBe(
      `${file}: invalid records: line 11, salary: must be >= 0, got -1; line 2501, id: duplicate id ${records[5]!.id} (first at line 6)`,
    );
    expect((await errorOf(readRecordsFile(file, EMPLOYEE_FIELDS, { maxRecords: 10_000, threads: 3 })))!.message).toBe(one!.message);
  });

  it('counts a record with two bad fields once against the limit', async () => {
    const file = write('two-bad.jsonl', jsonl([{ id: 1, gender: '', salary: -1 }, records[1]]));
    expect((await errorOf(readRecordsFile(file, EMPLOYEE_FIELDS, { maxRecords: 2 })))!.message).toBe(
      `${file}: invalid records: line 1, gender: must not be empty; line 1, salary: must be >= 0, got -1`,
    );
  });

  it('refuses an empty file, too many records, and a missing file', async () => {
    expect((await errorOf(readRecordsFile(write('empty.jsonl', '\n\n'), EMPLOYEE_FIELDS, { maxRecords: 10 })))!.message).toMatch(
      /holds no records$/,
    );
    expect((await errorOf(readRecordsFile(write('many.jsonl', jsonl(records)), EMPLOYEE_FIELDS, { maxRecords: 10 })))!.message).toMatch(
      /at most 10 records allowed, got 3000$/,
    );
    expect((await errorOf(readRecordsFile(path.join(dir, 'nope.jsonl'), EMPLOYEE_FIELDS, { maxRecords: 10 })))!.message).toMatch(
      /^cannot read records file .*nope\.jsonl: ENOENT/,
    );
  });

  it('reads a .json file as one array, its errors named by index', async () => {
    const file = write('array.json', JSON.stringify([records[0], { ...records[1], gender: '' }]));
    expect((await errorOf(readRecordsFile(file, EMPLOYEE_FIELDS, { maxRecords: 10 })))!.message).toBe(
      `${file}: invalid records: records[1].gender: must not be empty`,
    );
    const values = await readRecordsFile(write('ok.json', JSON.stringify(records.slice(0, 2))), EMPLOYEE_FIELDS, { maxRecords: 10 });
    expect(values.map((v) => JSON.parse(v))).toEqual(records.slice(0, 2));
  });
});
