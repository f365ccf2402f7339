import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { SparkConnectError, classify, sparkErrorInfo, toSparkConnectError } from '../../../../lib/spark-connect/errors';

// Minimal protobuf encoding of google.rpc.Status { details: [Any(ErrorInfo { reason, domain, metadata })] },
// the trailer Spark Connect sends with every failure.
function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([varint(field * 8 + 2), varint(payload.length), payload]);
}
function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}
function statusDetails(metadata: Record<string, string>): Buffer {
  const text = (field: number, value: string) => lengthDelimited(field, Buffer.from(value, 'utf8'));
  const errorInfo = Buffer.concat([
    text(1, 'org.apache.spark.sql.AnalysisException'),
    text(2, 'org.apache.spark'),
    ...Object.entries(metadata).map(([key, value]) => lengthDelimited(3, Buffer.concat([text(1, key), text(2, value)]))),
  ]);
  const any = Buffer.concat([text(1, 'type.googleapis.com/google.rpc.ErrorInfo'), lengthDelimited(2, errorInfo)]);
  return Buffer.concat([varint(1 * 8), varint(13), text(2, 'ignored'), lengthDelimited(3, any)]);
}
function serviceError(code: number, details: string, errorInfo?: Record<string, string>): ServiceError {
  const metadata = new Metadata();
  if (errorInfo) metadata.set('grpc-status-details-bin', statusDetails(errorInfo));
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

const address = '127.0.0.1:15002';

describe('sparkErrorInfo', () => {
  it('reads the error class, SQLSTATE, error id and exception classes from the status trailer', () => {
    const error = serviceError(status.INTERNAL, '[PARSE_SYNTAX_ERROR] ...', {
      classes: '["org.apache.spark.sql.catalyst.parser.ParseException","org.apache.spark.sql.AnalysisException"]',
      sqlState: '42601',
      errorClass: 'PARSE_SYNTAX_ERROR',
      errorId: 'e-1',
    });
    expect(sparkErrorInfo(error)).toEqual({
      errorClass: 'PARSE_SYNTAX_ERROR',
      sqlState: '42601',
      errorId: 'e-1',
      classes: ['org.apache.spark.sql.catalyst.parser.ParseException', 'org.apache.spark.sql.AnalysisException'],
    });
  });

  it('returns empty info for a missing or malformed trailer', () => {
    expect(sparkErrorInfo(serviceError(status.UNAVAILABLE, 'down'))).toEqual({ classes: [] });
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', Buffer.from([0x1a, 0xff]));
    expect(sparkErrorInfo({ metadata })).toEqual({ classes: [] });
  });
});

describe('classify', () => {
  const spark = (errorClass: string, sqlState?: string) => classify(status.INTERNAL, { errorClass, sqlState, classes: [] });

  it('blames the user for syntax, analysis and data errors', () => {
    expect(spark('PARSE_SYNTAX_ERROR', '42601')).toBe('user');
    expect(spark('TABLE_OR_VIEW_NOT_FOUND', '42P01')).toBe('user');
    expect(spark('DIVIDE_BY_ZERO', '22012')).toBe('user');
    expect(classify(status.INTERNAL, { classes: ['org.apache.spark.sql.AnalysisException'] })).toBe('user');
  });

  it('reports cancellation, refused handles and lost operations apart', () => {
    expect(spark('OPERATION_CANCELED', 'HY008')).toBe('canceled');
    expect(spark('INVALID_HANDLE.OPERATION_ABANDONED', 'HY000')).toBe('conflict');
    expect(spark('INVALID_CURSOR.DISCONNECTED', 'HY000')).toBe('conflict');
    expect(spark('INVALID_HANDLE.OPERATION_NOT_FOUND', 'HY000')).toBe('transient');
    expect(spark('INVALID_HANDLE.SESSION_CHANGED', 'HY000')).toBe('transient');
  });

  it('treats connection failures as transient and unknown server failures as server errors', () => {
    expect(classify(status.UNAVAILABLE, { classes: [] })).toBe('transient');
    expect(classify(status.DEADLINE_EXCEEDED, { classes: [] })).toBe('transient');
    expect(spark('FAILED_READ_FILE.NO_HINT', '58030')).toBe('server');
    expect(classify(status.INTERNAL, { classes: [] })).toBe('server');
  });
});

describe('toSparkConnectError', () => {
  it('makes a non-retryable user error of bad SQL, keeping Spark message and error class', () => {
    const error = toSparkConnectError(
      serviceError(status.INTERNAL, "[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'.", {
        errorClass: 'PARSE_SYNTAX_ERROR',
        sqlState: '42601',
      }),
      { address, operationId: 'op-1' },
    );
    expect(error).toBeInstanceOf(SparkConnectError);
    expect(error).toMatchObject({ kind: 'user', errorClass: 'PARSE_SYNTAX_ERROR', operationId: 'op-1', grpcCode: 13 });
    expect(error.message).toBe("[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'.");
    expect(error.isUserError).toBe(true);
    expect(error.nonRetryable).toBe(true);
  });

  it('prefixes the error class when the server message lacks it', () => {
    const error = toSparkConnectError(serviceError(status.INTERNAL, 'Operation has been canceled.', { errorClass: 'OPERATION_CANCELED' }), {
      address,
    });
    expect(error.message).toBe('[OPERATION_CANCELED] Operation has been canceled.');
    expect(error.kind).toBe('canceled');
  });

  it('says where the server was expected and how to start it when unreachable', () => {
    const error = toSparkConnectError(serviceError(status.UNAVAILABLE, 'No connection established'), { address });
    expect(error.message).toMatch(/^Spark Connect unreachable at 127\.0\.0\.1:15002 — is `npm run stack -- up` running\?/);
    expect(error.isTransient).toBe(true);
    expect(error.nonRetryable).toBe(false);
  });

  it('passes a SparkConnectError through unchanged', () => {
    const original = new SparkConnectError('x', { kind: 'server' });
    expect(toSparkConnectError(original, { address })).toBe(original);
  });
});
