// Turns gRPC failures from Spark Connect into one error type that says what happened, whose fault it is and
// whether retrying can help, so activities decide `nonRetryable` from `kind` instead of parsing messages.
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/**
 * - `user`: the request itself is wrong (bad SQL, missing view, bad data); retrying the same request fails again.
 * - `transient`: the server is unreachable, restarting or lost the stream; retrying (or reattaching) may work.
 * - `canceled`: the operation was interrupted (by us or someone else) or the caller aborted.
 * - `conflict`: the operation id cannot be used any more (released/abandoned, or another stream took it over).
 * - `server`: anything else Spark reported (a failed job, an internal error); retry with care.
 */
export type SparkConnectErrorKind = 'user' | 'transient' | 'canceled' | 'conflict' | 'server';

export interface SparkErrorInfo {
  /** Spark error class, e.g. `PARSE_SYNTAX_ERROR`, `INVALID_HANDLE.OPERATION_ABANDONED` */
  errorClass?: string;
  sqlState?: string;
  /** Server-side id that `FetchErrorDetails` accepts */
  errorId?: string;
  /** Java class of the exception, then its superclasses */
  classes: string[];
}

export class SparkConnectError extends Error {
  override readonly name = 'SparkConnectError';
  readonly kind: SparkConnectErrorKind;
  readonly errorClass: string | undefined;
  readonly sqlState: string | undefined;
  readonly errorId: string | undefined;
  readonly grpcCode: number | undefined;
  readonly operationId: string | undefined;

  constructor(
    message: string,
    fields: { kind: SparkConnectErrorKind; grpcCode?: number; operationId?: string; cause?: unknown } & Partial<
      Omit<SparkErrorInfo, 'classes'>
    >,
  ) {
    super(message, { cause: fields.cause });
    this.kind = fields.kind;
    this.errorClass = fields.errorClass;
    this.sqlState = fields.sqlState;
    this.errorId = fields.errorId;
    this.grpcCode = fields.grpcCode;
    this.operationId = fields.operationId;
  }

  /** Bad SQL, unknown table, bad data: do not retry. */
  get isUserError(): boolean {
    return this.kind === 'user';
  }

  /** Connection-level trouble: retrying or reattaching may succeed. */
  get isTransient(): boolean {
    return this.kind === 'transient';
  }

  /** True when a retry of the same request cannot succeed (for `ApplicationFailure.nonRetryable`). */
  get nonRetryable(): boolean {
    return this.kind === 'user' || this.kind === 'canceled' || this.kind === 'conflict';
  }
}

const TRANSIENT_GRPC_CODES = new Set<number>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.ABORTED,
]);

const USER_GRPC_CODES = new Set<number>([
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.NOT_FOUND,
  GrpcStatus.ALREADY_EXISTS,
  GrpcStatus.OUT_OF_RANGE,
]);

// SQLSTATE classes that blame the statement or its data: 42 syntax/analysis, 22 data, 21 cardinality,
// 23 constraint, 0A unsupported feature, KD a data source's input (FAILED_READ_FILE: a file Spark cannot parse).
const USER_SQLSTATE_CLASSES = new Set(['42', '22', '21', '23', '0A', 'KD']);

/** The session a request named is gone: closed (idle timeout, ReleaseSession), or the server restarted. */
const SESSION_LOST = new Set(['INVALID_HANDLE.SESSION_CLOSED', 'INVALID_HANDLE.SESSION_NOT_FOUND', 'INVALID_HANDLE.SESSION_CHANGED']);

/** True when the request's session is gone, and with it every operation it held. */
export function isSessionLost(error: unknown): boolean {
  return error instanceof SparkConnectError && error.errorClass !== undefined && SESSION_LOST.has(error.errorClass);
}

/**
 * True when the server no longer holds the operation's result: it never started it, lost it (restart, closed
 * session) or let it go (released, or abandoned after the detached timeout). Running the job again is the way on.
 */
export function isOperationGone(error: unknown): boolean {
  if (!(error instanceof SparkConnectError)) return false;
  return (
    isSessionLost(error) ||
    error.errorClass === 'INVALID_HANDLE.OPERATION_NOT_FOUND' ||
    error.errorClass === 'INVALID_HANDLE.OPERATION_ABANDONED'
  );
}

/** Decides the kind of a failure from its gRPC code and Spark error info. */
export function classify(grpcCode: number | undefined, info: SparkErrorInfo): SparkConnectErrorKind {
  const errorClass = info.errorClass ?? '';
  if (errorClass === 'OPERATION_CANCELED' || errorClass.startsWith('OPERATION_CANCELED.')) return 'canceled';
  // The server lost the execution or the session (a restart, an idle timeout): resubmitting is safe because results
  // are a pure function of the input. INVALID_CURSOR.POSITION_NOT_AVAILABLE and .NOT_REATTACHABLE are not in this set.
  if (errorClass === 'INVALID_HANDLE.OPERATION_NOT_FOUND' || SESSION_LOST.has(errorClass)) return 'transient';
  if (errorClass.startsWith('INVALID_HANDLE.') || errorClass === 'INVALID_CURSOR.DISCONNECTED') return 'conflict';
  if (info.sqlState && USER_SQLSTATE_CLASSES.has(info.sqlState.slice(0, 2))) return 'user';
  if (info.classes.includes('org.apache.spark.sql.AnalysisException')) return 'user';
  if (grpcCode === GrpcStatus.CANCELLED) return 'canceled';
  if (grpcCode !== undefined && TRANSIENT_GRPC_CODES.has(grpcCode)) return 'transient';
  if (grpcCode !== undefined && USER_GRPC_CODES.has(grpcCode) && !errorClass) return 'user';
  return 'server';
}

const MAX_MESSAGE_CHARS = 4000;

/** Wraps a gRPC `ServiceError` (or anything thrown by a call) into a `SparkConnectError`. */
export function toSparkConnectError(error: unknown, context: { address: string; operationId?: string }): SparkConnectError {
  if (error instanceof SparkConnectError) return error;
  const serviceError = isServiceError(error) ? error : undefined;
  const grpcCode = serviceError?.code;
  const info = serviceError ? sparkErrorInfo(serviceError) : { classes: [] };
  const kind = classify(grpcCode, info);
  const details = (serviceError?.details || (error instanceof Error ? error.message : String(error))).trim();
  let message: string;
  if (grpcCode === GrpcStatus.UNAVAILABLE && !info.errorClass) {
    message = `Spark Connect unreachable at ${context.address} — is \`npm run stack -- up\` running? (${details})`;
  } else if (info.errorClass && !details.startsWith(`[${info.errorClass}]`)) {
    message = `[${info.errorClass}] ${details}`;
  } else {
    message = details || `Spark Connect call failed with gRPC status ${grpcCode ?? 'unknown'}`;
  }
  if (message.length > MAX_MESSAGE_CHARS) message = `${message.slice(0, MAX_MESSAGE_CHARS)}…`;
  return new SparkConnectError(message, {
    kind,
    grpcCode,
    operationId: context.operationId,
    errorClass: info.errorClass,
    sqlState: info.sqlState,
    errorId: info.errorId,
    cause: error,
  });
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/** Reads Spark's `google.rpc.ErrorInfo` from the `grpc-status-details-bin` trailer. */
export function sparkErrorInfo(error: Pick<ServiceError, 'metadata'>): SparkErrorInfo {
  const info: SparkErrorInfo = { classes: [] };
  const raw = error.metadata?.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(raw)) return info;
  try {
    for (const detail of decodeStatusDetails(raw)) {
      if (!detail.typeUrl.endsWith('/google.rpc.ErrorInfo')) continue;
      const metadata = decodeErrorInfoMetadata(detail.value);
      info.errorClass ??= metadata.get('errorClass');
      info.sqlState ??= metadata.get('sqlState');
      info.errorId ??= metadata.get('errorId');
      const classes = metadata.get('classes');
      if (classes && info.classes.length === 0) info.classes = parseStringArray(classes);
    }
  } catch {
    // A malformed trailer leaves the info empty; the gRPC code and message still describe the failure.
  }
  return info;
}

function parseStringArray(json: string): string[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
}

// The descriptor set holds only Spark's protocol, not google.rpc, so the two small messages in the trailer are
// read with a minimal protobuf wire-format reader: Status { 3: repeated Any details },
// Any { 1: type_url, 2: value }, ErrorInfo { 3: map<string, string> metadata } (entries { 1: key, 2: value }).
function decodeStatusDetails(buffer: Buffer): { typeUrl: string; value: Buffer<ArrayBufferLike> }[] {
  const details: { typeUrl: string; value: Buffer<ArrayBufferLike> }[] = [];
  for (const [field, value] of wireFields(buffer)) {
    if (field !== 3 || !Buffer.isBuffer(value)) continue;
    let typeUrl = '';
    let payload: Buffer<ArrayBufferLike> = Buffer.alloc(0);
    for (const [anyField, anyValue] of wireFields(value)) {
      if (anyField === 1 && Buffer.isBuffer(anyValue)) typeUrl = anyValue.toString('utf8');
      if (anyField === 2 && Buffer.isBuffer(anyValue)) payload = anyValue;
    }
    details.push({ typeUrl, value: payload });
  }
  return details;
}

function decodeErrorInfoMetadata(buffer: Buffer): Map<string, string> {
  const metadata = new Map<string, string>();
  for (const [field, value] of wireFields(buffer)) {
    if (field !== 3 || !Buffer.isBuffer(value)) continue;
    let key = '';
    let entryValue = '';
    for (const [entryField, entryPart] of wireFields(value)) {
      if (entryField === 1 && Buffer.isBuffer(entryPart)) key = entryPart.toString('utf8');
      if (entryField === 2 && Buffer.isBuffer(entryPart)) entryValue = entryPart.toString('utf8');
    }
    metadata.set(key, entryValue);
  }
  return metadata;
}

function* wireFields(buffer: Buffer): Generator<[number, number | Buffer<ArrayBufferLike>]> {
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new RangeError('truncated varint');
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
  };
  while (offset < buffer.length) {
    const key = varint();
    const wireType = key % 8;
    const field = Math.floor(key / 8);
    if (wireType === 0) yield [field, varint()];
    else if (wireType === 2) {
      const length = varint();
      if (offset + length > buffer.length) throw new RangeError('truncated field');
      yield [field, buffer.subarray(offset, offset + length)];
      offset += length;
    } else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else throw new RangeError(`unsupported wire type ${wireType}`);
  }
}
