// One thread of readRecordsFile (activities/records-file.ts): checks and encodes its part of a JSON Lines file,
// read from the file's bytes in memory it shares with its parent, and posts the result back once.
import { parentPort, workerData } from 'node:worker_threads';
import { recordShape } from '../contracts/definitions';
import { encodeLines, type PostedLines, type RecordFields } from './records-file';

const { buffer, start, end, firstLine, fields } = workerData as {
  buffer: SharedArrayBuffer;
  start: number;
  end: number;
  firstLine: number;
  fields: RecordFields;
};
const encoded = encodeLines(Buffer.from(buffer, start, end - start).toString('utf8'), firstLine, recordShape(fields));
// The values go as one string: a copy of it and a split cost ~0.2 s for 500,000 records, copying the array ~0.6 s.
// (JSON.stringify never writes a raw line break.)
const posted: PostedLines = { ...encoded, values: encoded.values.join('\n') };
parentPort!.postMessage(posted, [encoded.lines.buffer]);
