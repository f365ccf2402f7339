// kafkajs, loaded with three of its producer's steps replaced by faster ones with the same output, and one of its
// connections' timers fixed. Import kafkajs from here, never directly.
//
// kafkajs 2.2.4 is its last release. Profiles of a 1,000,000-record ingest put these at the top:
// - `producer/groupMessagesPerPartition.js` groups a send's messages by partition with `[...current, message]` per
//   message: n²/2 array slots copied per send (upstream: tulios/kafkajs#1576, fixed on master, never released).
// - `protocol/recordBatch/record/v0` encodes each record through an Encoder that zero-fills a 512-byte buffer, one
//   more per header, and a `Buffer.from([...])` per varint: most of the producer's allocation and GC time.
// - `protocol/requests/produce/v3/request.js` (which v4-v7 send) then copies each record into a spread object, each
//   encoded record into a batch Encoder, each batch into the request, and checksums it a byte at a time: with the
//   two above replaced, 10 s of the 1M-record produce. `produceRequestV3` writes the whole request into one buffer.
// These are modules that kafkajs requires once when it loads, so this module puts the replacements in Node's
// require cache first, then loads kafkajs. Their output is byte for byte kafkajs' own (see the unit tests).
// - `network/requestQueue` re-arms a 1 ms timer for as long as a broker connection lives once it has answered a
//   request, pending requests or not (tulios/kafkajs#1704 and #1751, unreleased): ~37 ms of CPU a second in an idle
//   worker, and Node 24's TimeoutNegativeWarning. Its method is replaced on the class, which kafkajs' connections
//   use from then on.
import type * as KafkaJs from 'kafkajs';
import { crc32c } from './crc32c';

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

type Headers = Record<string, HeaderValue> | undefined;

/** Headers: their count (an array value is one header per element, as in kafkajs) and their encoded size. */
function headersSize(headers: Headers): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const name in headers) {
    const h = headers[name];
    for (const each of Array.isArray(h) ? h : [h]) {
      count++;
      bytes += prefixedSize(name) + prefixedSize(asBytes(each));
    }
  }
  return { count, bytes };
}

/** One record's body (everything after its length prefix): attributes (0), deltas, key, value, headers. */
function recordBodySize(
  timestampDelta: number,
  offsetDelta: number,
  k: Buffer | string | null,
  v: Buffer | string | null,
  headers: Headers,
): number {
  const h = headersSize(headers);
  return (
    1 +
    varLongSize(timestampDelta) +
    varUIntSize(zigZag32(offsetDelta)) +
    prefixedSize(k) +
    prefixedSize(v) +
    varUIntSize(zigZag32(h.count)) +
    h.bytes
  );
}

/** Writes one record (Kafka record format v2) with its length prefix at `at`; returns where it ends. */
function writeRecord(
  buf: Buffer,
  at: number,
  body: number,
  timestampDelta: number,
  offsetDelta: number,
  k: Buffer | string | null,
  v: Buffer | string | null,
  headers: Headers,
): number {
  at = writeVarUInt(buf, at, zigZag32(body));
  buf[at++] = 0;
  at = writeVarLong(buf, at, timestampDelta);
  at = writeVarUInt(buf, at, zigZag32(offsetDelta));
  at = writePrefixed(buf, at, k);
  at = writePrefixed(buf, at, v);
  let count = 0;
  for (const name in headers) {
    const h = headers[name];
    count += Array.isArray(h) ? h.length : 1;
  }
  at = writeVarUInt(buf, at, zigZag32(count));
  for (const name in headers) {
    const h = headers[name];
    for (const each of Array.isArray(h) ? h : [h]) at = writePrefixed(buf, writePrefixed(buf, at, name), asBytes(each));
  }
  return at;
}

/** An Encoder over `buf` without an allocation of its own: kafkajs reads `.buffer`, `.buf` and `size()` of it. */
function asEncoder(buf: Buffer): EncodedRecord {
  const encoder = Object.create(Encoder.prototype) as EncodedRecord & { offset: number };
  encoder.buf = buf;
  encoder.offset = buf.length;
  return encoder;
}

/**
 * One record (Kafka record format v2) in one exactly sized buffer: length, attributes (0), timestamp delta,
 * offset delta, key, value, headers (an array value is one header per element, as in kafkajs).
 */
export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordFields): EncodedRecord {
  const k = asBytes(key);
  const v = asBytes(value);
  const body = recordBodySize(timestampDelta, offsetDelta, k, v, headers);
  const buf = Buffer.allocUnsafe(varUIntSize(zigZag32(body)) + body);
  const at = writeRecord(buf, 0, body, timestampDelta, offsetDelta, k, v, headers);
  if (at !== buf.length) throw new Error(`record encoding wrote ${at} bytes into ${buf.length}`);
  return asEncoder(buf);
}

/** A produce request's input, as kafkajs' producer passes it (`protocol/requests/produce`). */
export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  /** A kafkajs Long (or a number): -1 unless the producer is idempotent. */
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence?: number; messages: (RecordFields & { timestamp?: number | string })[] }[];
  }[];
}
export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<EncodedRecord>;
}
const PRODUCE_API_KEY = 0;
/** A record batch before its CRC'd part: base offset, length, partition leader epoch, magic, CRC. */
const BATCH_HEAD = 8 + 4 + 4 + 1 + 4;
/** Its CRC'd part before the records: attributes, last offset delta, 2 timestamps, producer id and epoch, first sequence, count. */
const BATCH_BODY_HEAD = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
const TRANSACTIONAL_MASK = 16;

/**
 * Produce request v3 (which v4-v7 send too): the whole request, each partition's record batch and every record
 * written into one exactly sized buffer in two passes (sizes, then bytes), where kafkajs builds an Encoder and a
 * spread copy per record, a batch Encoder per partition, and copies each into the next. Without compression and
 * message timestamps only (what lib/kafka.ts sends); anything else goes to kafkajs' own.
 */
export function produceRequestV3(args: ProduceRequestArgs): ProduceRequest {
  const plain =
    (args.compression ?? 0) === 0 && args.topicData.every((t) => t.partitions.every((p) => p.messages.every((m) => m.timestamp == null)));
  if (!plain) return (kafkajsOriginal('produceRequestV3') as (a: ProduceRequestArgs) => ProduceRequest)(args);
  return {
    apiKey: PRODUCE_API_KEY,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => args.acks !== 0,
    encode: () => Promise.resolve(asEncoder(encodeProduceV3(args, Date.now()))),
  };
}

function encodeProduceV3(
  { acks, timeout, transactionalId = null, producerId = -1, producerEpoch = 0, topicData }: ProduceRequestArgs,
  now: number,
): Buffer {
  const id = Long.fromValue(producerId);
  const timestamp = Long.fromValue(now);
  const attributes = transactionalId ? TRANSACTIONAL_MASK : 0;
  // Pass 1: each record's body size (in send order), and the request's size.
  let records = 0;
  for (const t of topicData) for (const p of t.partitions) records += p.messages.length;
  const bodies = new Int32Array(records);
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4;
  let r = 0;
  for (const t of topicData) {
    size += 2 + Buffer.byteLength(t.topic, 'utf8') + 4;
    for (const p of t.partitions) {
      size += 4 + 4 + BATCH_HEAD + BATCH_BODY_HEAD;
      for (let i = 0; i < p.messages.length; i++) {
        const m = p.messages[i]!;
        const body = recordBodySize(0, i, asBytes(m.key), asBytes(m.value), m.headers);
        bodies[r++] = body;
        size += varUIntSize(zigZag32(body)) + body;
      }
    }
  }
  // Pass 2: the bytes, as kafkajs writes them.
  const buf = Buffer.allocUnsafe(size);
  let at = transactionalId === null ? buf.writeInt16BE(-1, 0) : writeString(buf, 0, transactionalId);
  at = buf.writeInt16BE(acks, at);
  at = buf.writeInt32BE(timeout, at);
  at = buf.writeInt32BE(topicData.length, at);
  r = 0;
  for (const t of topicData) {
    at = writeString(buf, at, t.topic);
    at = buf.writeInt32BE(t.partitions.length, at);
    for (const p of t.partitions) {
      const { messages } = p;
      at = buf.writeInt32BE(p.partition, at);
      const batchSizeAt = at;
      const batchStart = (at += 4);
      at = writeInt64(buf, at, 0, 0); // base offset
      const lengthAt = at;
      at += 4;
      at = buf.writeInt32BE(0, at); // partition leader epoch
      buf[at++] = 2; // magic
      const crcAt = at;
      const crcFrom = (at += 4);
      at = buf.writeInt16BE(attributes, at);
      at = buf.writeInt32BE(messages.length - 1, at); // last offset delta
      at = writeInt64(buf, at, timestamp.getHighBits(), timestamp.getLowBits()); // first timestamp
      at = writeInt64(buf, at, timestamp.getHighBits(), timestamp.getLowBits()); // max timestamp
      at = writeInt64(buf, at, id.getHighBits(), id.getLowBits());
      at = buf.writeInt16BE(producerEpoch, at);
      at = buf.writeInt32BE(p.firstSequence ?? 0, at);
      at = buf.writeInt32BE(messages.length, at);
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        at = writeRecord(buf, at, bodies[r++]!, 0, i, asBytes(m.key), asBytes(m.value), m.headers);
      }
      buf.writeUInt32BE(crc32c(buf.subarray(crcFrom, at)), crcAt);
      buf.writeInt32BE(at - lengthAt - 4, lengthAt);
      buf.writeInt32BE(at - batchStart, batchSizeAt);
    }
  }
  if (at !== size) throw new Error(`produce request encoding wrote ${at} bytes into ${size}`);
  return buf;
}

function writeString(buf: Buffer, at: number, s: string): number {
  const n = buf.write(s, at + 2, 'utf8');
  buf.writeInt16BE(n, at);
  return at + 2 + n;
}
function writeInt64(buf: Buffer, at: number, high: number, low: number): number {
  buf.writeInt32BE(high, at);
  return buf.writeInt32BE(low, at + 4);
}

const REPLACEMENTS = {
  groupMessagesPerPartition: { module: 'kafkajs/src/producer/groupMessagesPerPartition.js', replacement: groupMessagesPerPartition },
  encodeRecord: { module: 'kafkajs/src/protocol/recordBatch/record/v0/index.js', replacement: encodeRecord },
  // After encodeRecord: kafkajs' own produce request (the fallback) loads with the replaced record encoder.
  produceRequestV3: { module: 'kafkajs/src/protocol/requests/produce/v3/request.js', replacement: produceRequestV3 },
} as const;
type Replaced = keyof typeof REPLACEMENTS;
/** Modules that require the replaced ones when they load: if one is loaded already, a replacement comes too late. */
const DEPENDENTS = [
  'kafkajs/src/producer/sendMessages.js',
  'kafkajs/src/protocol/requests/produce/v3/request.js',
  'kafkajs/src/protocol/requests/produce/v4/request.js',
  'kafkajs/src/protocol/requests/produce/v5/request.js',
];

// Node's require cache outlives this module when a test runner evaluates it again, so a replacement is marked
// (and carries kafkajs' own function) instead of being compared with this evaluation's.
const ORIGINAL = Symbol.for('streamforge.kafkajs.original');
type Exported = ((...args: never[]) => unknown) & { [ORIGINAL]?: unknown };
const cachedExports = (name: Replaced) => require.cache[require.resolve(REPLACEMENTS[name].module)]?.exports as Exported | undefined;

function replaceModules(): void {
  const pending = (Object.keys(REPLACEMENTS) as Replaced[]).filter((name) => !cachedExports(name)?.[ORIGINAL]);
  if (pending.length === 0) return;
  if (DEPENDENTS.some((dependent) => require.cache[require.resolve(dependent)])) {
    throw new Error('kafkajs was loaded before lib/kafkajs.ts could replace its slow parts: import kafkajs only through lib/kafkajs.ts');
  }
  for (const name of pending) {
    const { module, replacement } = REPLACEMENTS[name];
    const id = require.resolve(module);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module kafkajs itself loads, by its resolved id
    const original = require(id) as Exported;
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
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' own 64-bit values, for produceRequestV3
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): { getHighBits(): number; getLowBits(): number } };
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
