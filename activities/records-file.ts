// A records file under the data directory, read for an ingest: each valid record as the JSON text of its message
// value, in file order, or an error naming the line and the field. A JSON Lines file of some size is parsed and
// validated on every core: it is split at line ends into one part per thread (worker_threads), each part's
// records checked and encoded there, and the keys' uniqueness checked here over all of them. A `.json` file (one
// array) is parsed whole. Records are checked against the run's definition (its fields and key).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { recordShape, type Definition } from '../contracts/definitions';
import { checkRecord, parseRecords, RecordValidationError, type RecordIssue, type RecordShape } from '../contracts/records';

/** What records are checked against: a definition's fields and key (plain data, so a thread gets it too). */
export type RecordFields = Pick<Definition, 'fields' | 'key'>;

/** Below this size a JSON Lines file is read on the calling thread: a thread's start (~0.3 s under tsx) costs more. */
const BYTES_PER_THREAD_MIN = 8 * 1024 * 1024;
const THREADS_MAX = 4;

export class RecordsFileError extends Error {
  override readonly name = 'RecordsFileError';
}

/** The records of part of a JSON Lines file, checked and encoded. */
export interface EncodedLines {
  /** Each valid record as JSON, in file order. */
  values: string[];
  /** Each valid record's key (none without a key field) and line (1-based), parallel to `values`. */
  keys: unknown[];
  lines: Int32Array<ArrayBuffer>;
  /** What is wrong with the invalid records (blank lines are skipped). */
  issues: RecordIssue[];
  /** Records (lines that are not blank), valid or not. */
  records: number;
}

/** EncodedLines as a thread posts them: the values joined by line breaks. */
export type PostedLines = Omit<EncodedLines, 'values'> & { values: string };

/**
 * Checks and encodes the records of `text`, whose first line is line `firstLine` of its file. A line that is not
 * JSON is an issue like any other, so that one run names every bad line, not only the first.
 */
export function encodeLines(text: string, firstLine: number, shape: RecordShape): EncodedLines {
  const values: string[] = [];
  const keys: unknown[] = [];
  const lines: number[] = [];
  const issues: RecordIssue[] = [];
  let records = 0;
  let line = firstLine;
  for (let from = 0; from < text.length; line++) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    const raw = text.slice(from, to);
    from = to + 1;
    if (raw.trim() === '') continue;
    records++;
    const at = (keys: string[]) => (keys.length > 0 ? `line ${line}, ${keys.join('.')}` : `line ${line}`);
    let item: unknown;
    try {
      item = JSON.parse(raw);
    } catch (err) {
      issues.push({ path: at([]), message: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    const checked = checkRecord(item, at, shape);
    if ('issues' in checked) {
      issues.push(...checked.issues);
      continue;
    }
    values.push(JSON.stringify(checked.record));
    if (shape.key !== undefined) keys.push(checked.record[shape.key]);
    lines.push(line);
  }
  return { values, keys, lines: Int32Array.from(lines), issues, records };
}

/**
 * Reads the records file at `file` (an absolute path): each record's message value; throws RecordsFileError.
 * `threads` (default: one per core, at most 4, one per 8 MiB at least) is for tests.
 */
export async function readRecordsFile(
  file: string,
  fields: RecordFields,
  opts: { maxRecords: number; threads?: number },
): Promise<string[]> {
  const shape = recordShape(fields);
  let bytes: Buffer;
  try {
    const { size } = await fs.stat(file);
    // Shared memory, so each thread reads its part where it is.
    bytes = Buffer.from(new SharedArrayBuffer(size));
    const handle = await fs.open(file, 'r');
    try {
      for (let at = 0; at < size;) {
        const { bytesRead } = await handle.read(bytes, at, size - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new RecordsFileError(`cannot read records file ${file}: ${(err as Error).message}`);
  }
  if (file.endsWith('.json')) return readJsonArray(file, bytes, shape, opts.maxRecords);

  const threads = opts.threads ?? Math.min(os.availableParallelism(), THREADS_MAX, Math.floor(bytes.length / BYTES_PER_THREAD_MIN));
  const parts =
    threads >= 2
      ? await Promise.all(splitAtLines(bytes, threads).map((part) => encodeInThread(bytes, part, fields)))
      : [encodeLines(bytes.toString('utf8'), 1, shape)];

  const issues = parts.flatMap((p) => p.issues);
  const count = parts.reduce((n, p) => n + p.records, 0);
  if (count === 0) throw new RecordsFileError(`records file ${file} holds no records`);
  if (count > opts.maxRecords) throw new RecordsFileError(`records file ${file}: at most ${opts.maxRecords} records allowed, got ${count}`);
  if (fields.key !== undefined) issues.push(...duplicateKeys(parts, fields.key));
  if (issues.length > 0) throw new RecordsFileError(`${file}: ${new RecordValidationError(issues).message}`);
  return parts.length === 1 ? parts[0]!.values : parts.flatMap((p) => p.values);
}

function readJsonArray(file: string, bytes: Buffer, shape: RecordShape, maxRecords: number): string[] {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new RecordsFileError(`records file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseRecords(data, shape, { maxRecords }).map((r) => JSON.stringify(r));
  } catch (err) {
    if (err instanceof RecordValidationError) throw new RecordsFileError(`${file}: ${err.message}`);
    throw err;
  }
}

interface Part {
  start: number;
  end: number;
  firstLine: number;
}

/** `count` parts of about equal size, each ending at a line's end, with the number of its first line. */
export function splitAtLines(bytes: Buffer, count: number): Part[] {
  const parts: Part[] = [];
  let start = 0;
  let line = 1;
  for (let i = 1; i <= count && start < bytes.length; i++) {
    let end = i === count ? bytes.length : Math.max(start, Math.floor((bytes.length * i) / count));
    if (end < bytes.length) {
      const newline = bytes.indexOf(10, end);
      end = newline < 0 ? bytes.length : newline + 1;
    }
    parts.push({ start, end, firstLine: line });
    for (let at = bytes.indexOf(10, start); at >= 0 && at < end; at = bytes.indexOf(10, at + 1)) line++;
    start = end;
  }
  return parts;
}

function encodeInThread(bytes: Buffer, part: Part, fields: RecordFields): Promise<EncodedLines> {
  const script = path.join(__dirname, `records-file-thread${path.extname(__filename)}`); // .ts under tsx and vitest, .js once built
  const workerData = { buffer: bytes.buffer, ...part, fields };
  // A thread starts without its parent's loaders: from TypeScript, it registers tsx's before it loads the script.
  const thread = script.endsWith('.ts')
    ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(script)});`, {
        eval: true,
        workerData,
      })
    : new Worker(script, { workerData });
  return new Promise((resolve, reject) => {
    thread.once('message', (posted: PostedLines) => resolve({ ...posted, values: posted.values === '' ? [] : posted.values.split('\n') }));
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the records file thread exited (code ${code}) before it answered`)));
  });
}

/**
 * Every record whose key an earlier line already has. Counted first in a Set (~0.1 s for 1,000,000 keys): the
 * first lines are mapped only when there is a duplicate to name.
 */
function duplicateKeys(parts: EncodedLines[], key: string): RecordIssue[] {
  const seen = new Set<unknown>();
  let duplicates = false;
  for (const p of parts) for (const k of p.keys) duplicates ||= seen.size === seen.add(k).size;
  if (!duplicates) return [];
  const firstLine = new Map<unknown, number>();
  const issues: RecordIssue[] = [];
  for (const p of parts) {
    p.keys.forEach((k, i) => {
      const first = firstLine.get(k);
      if (first === undefined) firstLine.set(k, p.lines[i]!);
      else issues.push({ path: `line ${p.lines[i]}, ${key}`, message: `duplicate ${key} ${JSON.stringify(k)} (first at line ${first})` });
    });
  }
  return issues;
}
