// kafkajs, loaded with two of its producer's per-message steps replaced by faster ones with the same output, and
// one of its connections' timers fixed. Import kafkajs from here, never directly.
//
// kafkajs 2.2.4 is its last release. Profiles of a 1,000,000-record ingest put these two at the top:
// - `producer/groupMessagesPerPartition.js` groups a send's messages by partition with `[...current, message]` per
//   message: n²/2 array slots copied per send (upstream: tulios/kafkajs#1576, fixed on master, never released).
// - `protocol/recordBatch/record/v0` encodes each record through an Encoder that zero-fills a 512-byte buffer, one
//   more per header, and a `Buffer.from([...])` per varint: most of the producer's allocation and GC time.
// Both are modules that kafkajs requires once when it loads, so this module puts the replacements in Node's require
// cache first, then loads kafkajs. The replacements' output is byte for byte kafkajs' own (see the unit test).
// - `network/requestQueue` re-arms a 1 ms timer for as long as a broker connection lives once it has answered a
//   request, pending requests or not (tulios/kafkajs#1704 and #1751, unreleased): ~37 ms of CPU a second in an idle
//   worker, and Node 24's TimeoutNegativeWarning. Its method is replaced on the class, which kafkajs' connections
//   use from then on.
import type * as KafkaJs from 'kafkajs';

type Grouping = (args: {
  topic: string;
  partitionMetadata: KafkaJs.PartitionMetadata[];
  messages: KafkaJs.Message[];
  partitioner: (args: { topic: string; partitionMetadata: KafkaJs.PartitionMetadata[]; message: KafkaJs.Message }) => number;
}) => Record<number, KafkaJs.Message[]>;

/** Linear grouping: `{ [partition]: messages in their original order }`, `{}` without partition metadata. */
export const groupMessagesPerPartition: Grouping = ({ topic, partitionMetadata, messages, partitioner }) => {
  const grouped: Record<number, KafkaJs.Message[]> = {};
  if (partitionMetadata.length === 0) return grouped;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (grouped[partition] ??= []).push(message);
  }
  return grouped;
};

type Bytes = Buffer | string | null | undefined;
type HeaderValue = Bytes | Bytes[];
export interface RecordFields {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, HeaderValue>;
}
/** What kafkajs' record batch reads from an encoded record: an Encoder's `buf` and `buffer`. */
export interface EncodedRecord {
  buf: Buffer;
  readonly buffer: Buffer;
}

const zigZag32 = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0;
const varUIntSize = (z: number) => (z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5);
function writeVarUInt(buf: Buffer, at: number, z: number): number {
  while (z >= 0x80) {
    buf[at++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[at++] = z;
  return at;
}
/** Zig-zag of a 64-bit value, as kafkajs' Long-based varlong computes it (deltas of milliseconds are usually 0). */
function zigZag64(n: number): bigint {
  const v = BigInt.asIntN(64, BigInt(Math.trunc(n)));
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}
function varLongSize(n: number): number {
  if (Math.abs(n) < 2 ** 30) return varUIntSize(zigZag32(n));
  let z = zigZag64(n);
  let size = 1;
  for (; z >= 0x80n; z >>= 7n) size++;
  return size;
}
function writeVarLong(buf: Buffer, at: number, n: number): number {
  if (Math.abs(n) < 2 ** 30) return writeVarUInt(buf, at, zigZag32(n));
  let z = zigZag64(n);
  for (; z >= 0x80n; z >>= 7n) buf[at++] = Number(z & 0x7fn) | 0x80;
  buf[at++] = Number(z);
  return at;
}
/** Length-prefixed bytes (length -1 for null), strings as UTF-8, anything else as its String(). */
const asBytes = (v: Bytes): Buffer | string | null => (v == null ? null : Buffer.isBuffer(v) ? v : String(v));
const bytesLength = (v: Buffer | string | null) => (v === null ? -1 : typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);
const prefixedSize = (v: Buffer | string | null) => {
  const length = bytesLength(v);
  return varUIntSize(zigZag32(length)) + Math.max(length, 0);
};
function writePrefixed(buf: Buffer, at: number, v: Buffer | string | null): number {
  at = writeVarUInt(buf, at, zigZag32(bytesLength(v)));
  if (v === null) return at;
  return typeof v === 'string' ? at + buf.write(v, at, 'utf8') : at + v.copy(buf, at);
}

/**
 * One record (Kafka record format v2) in one exactly sized buffer: length, attributes (0), timestamp delta,
 * offset delta, key, value, headers (an array value is one header per element, as in kafkajs).
 */
export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordFields): EncodedRecord {
  const k = asBytes(key);
  const v = asBytes(value);
  const headerList: [string, Buffer | string | null][] = [];
  for (const name of Object.keys(headers)) {
    const h = headers[name];
    if (Array.isArray(h)) for (const each of h) headerList.push([name, asBytes(each)]);
    else headerList.push([name, asBytes(h)]);
  }
  let body = 1 + varLongSize(timestampDelta) + varUIntSize(zigZag32(offsetDelta)) + prefixedSize(k) + prefixedSize(v);
  body += varUIntSize(zigZag32(headerList.length));
  for (const [name, h] of headerList) body += prefixedSize(name) + prefixedSize(h);

  const buf = Buffer.allocUnsafe(varUIntSize(zigZag32(body)) + body);
  let at = writeVarUInt(buf, 0, zigZag32(body));
  buf[at++] = 0;
  at = writeVarLong(buf, at, timestampDelta);
  at = writeVarUInt(buf, at, zigZag32(offsetDelta));
  at = writePrefixed(buf, at, k);
  at = writePrefixed(buf, at, v);
  at = writeVarUInt(buf, at, zigZag32(headerList.length));
  for (const [name, h] of headerList) at = writePrefixed(buf, writePrefixed(buf, at, name), h);
  if (at !== buf.length) throw new Error(`record encoding wrote ${at} bytes into ${buf.length}`);
  // An Encoder without its own allocation: kafkajs' record batch calls `.buffer` on it, other methods may follow.
  const encoder = Object.create(Encoder.prototype) as EncodedRecord & { offset: number };
  encoder.buf = buf;
  encoder.offset = buf.length;
  return encoder;
}

const REPLACEMENTS = {
  groupMessagesPerPartition: { module: 'kafkajs/src/producer/groupMessagesPerPartition.js', replacement: groupMessagesPerPartition },
  encodeRecord: { module: 'kafkajs/src/protocol/recordBatch/record/v0/index.js', replacement: encodeRecord },
} as const;
type Replaced = keyof typeof REPLACEMENTS;
/** Modules that require the replaced ones when they load: if one is loaded already, a replacement comes too late. */
const DEPENDENTS = ['kafkajs/src/producer/sendMessages.js', 'kafkajs/src/protocol/requests/produce/v3/request.js'];

// Node's require cache outlives this module when a test runner evaluates it again, so a replacement is marked
// (and carries kafkajs' own function) instead of being compared with this evaluation's.
const ORIGINAL = Symbol.for('streamforge.kafkajs.original');
type Exported = ((...args: never[]) => unknown) & { [ORIGINAL]?: unknown };
const cachedExports = (name: Replaced) => require.cache[require.resolve(REPLACEMENTS[name].module)]?.exports as Exported | undefined;

function replaceModules(): void {
  for (const name of Object.keys(REPLACEMENTS) as Replaced[]) {
    const { module, replacement } = REPLACEMENTS[name];
    const id = require.resolve(module);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module kafkajs itself loads, by its resolved id
    const original = require(id) as Exported;
    if (original[ORIGINAL]) continue;
    if (DEPENDENTS.some((dependent) => require.cache[require.resolve(dependent)])) {
      throw new Error('kafkajs was loaded before lib/kafkajs.ts could replace its slow parts: import kafkajs only through lib/kafkajs.ts');
    }
    const entry = require.cache[id];
    if (!entry) throw new Error(`kafkajs module ${id} did not load into the require cache`);
    entry.exports = Object.assign((replacement as (...args: never[]) => unknown).bind(null), { [ORIGINAL]: original });
  }
}

/** What scheduleCheckPendingRequests reads and sets on a kafkajs RequestQueue. */
export interface RequestQueueTimer {
  pending: unknown[];
  /** Until when the broker throttles this connection (ms since the epoch; -1: never was). */
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}
/** kafkajs' interval for looking at pending requests again that cannot be sent yet (too many in flight). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/**
 * kafkajs' own, except that with nothing pending and no throttle it arms no timer: there is nothing to check until
 * a request is queued, and queueing one (`push`) or an answer (`fulfillRequest`) checks again anyway.
 */
export function scheduleCheckPendingRequests(this: RequestQueueTimer): void {
  if (this.throttleCheckTimeoutId) return;
  let delay = this.throttledUntil - Date.now();
  if (this.pending.length > 0) delay = delay > 0 ? delay : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (delay <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the class kafkajs' connections instantiate
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: { scheduleCheckPendingRequests: unknown } };
RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' own Encoder, for encodeRecord's output
const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: object };
replaceModules();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after the replacements are in place
const kafkajs: typeof KafkaJs = require('kafkajs');

/** The RequestQueue method kafkajs' connections call now (for the unit test). */
export const requestQueueScheduler = () => RequestQueue.prototype.scheduleCheckPendingRequests;

/** kafkajs' own implementation of a replaced step, if kafkajs now uses the replacement (for the unit test). */
export function kafkajsOriginal<N extends Replaced>(name: N): (typeof REPLACEMENTS)[N]['replacement'] | undefined {
  return cachedExports(name)?.[ORIGINAL] as (typeof REPLACEMENTS)[N]['replacement'] | undefined;
}

export const { Kafka, Partitioners, logLevel } = kafkajs;
export type Kafka = KafkaJs.Kafka;
export type { Admin, IHeaders, LogEntry, Producer } from 'kafkajs';
