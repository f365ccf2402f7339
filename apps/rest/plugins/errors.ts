// Every error the REST service answers with has one shape: { error, message, issues? }, and a status that says
// whose fault it was (4xx: the request; 503: a dependency is down, retry later; 500: ours).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { BenchmarkInputError } from '../../../contracts/benchmark';
import { TEMPORAL_BLOB_LIMIT_BYTES } from '../../../contracts/limits';
import { PipelineInputError } from '../../../contracts/pipeline-input';
import { ResourceRefusal } from '../../../contracts/resource-policy';
import { RecordValidationError, type RecordIssue } from '../../../contracts/records';

/** The longest value a URL's path holds (a run id: apps/rest/runs.ts); Fastify refuses longer ones before routing. */
export const MAX_PATH_PARAM_CHARS = 200;

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly issues?: RecordIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The body of every error answer. */
export const ErrorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

const STATUS_NAMES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Temporal refuses a workflow input over its blob size limit (TEMPORAL_BLOB_LIMIT_BYTES by default) with INVALID_ARGUMENT. */
function isPayloadTooLarge(err: unknown): boolean {
  const e = err as { message?: string; cause?: unknown };
  return /Blob data size exceeds limit/i.test(e?.message ?? '') || (e?.cause !== undefined && isPayloadTooLarge(e.cause));
}

/** gRPC codes that mean "Temporal cannot be reached now": UNAVAILABLE, DEADLINE_EXCEEDED. */
function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { code?: number; name?: string; message?: string; cause?: unknown };
  if (e?.code === 14 || e?.code === 4) return true;
  if (e?.name === 'ServiceError' || e?.name === 'TransportError')
    return /UNAVAILABLE|DEADLINE|connect|ECONNREFUSED/i.test(e.message ?? '') || isTemporalUnavailable(e.cause);
  return false;
}

export function toHttpError(err: unknown, bodyLimit: number): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof RecordValidationError) return new HttpError(400, err.message, err.issues);
  if (err instanceof ResourceRefusal) return new HttpError(err.status, err.message);
  if (err instanceof PipelineInputError || err instanceof BenchmarkInputError) return new HttpError(400, err.message);
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, `body is not valid JSON: ${fe.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        `body is larger than the limit of ${bodyLimit} bytes; send fewer records per request, or a file through POST /pipelines`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'send the body as application/json');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new HttpError(
        414,
        `id, name: a value in the URL's path is longer than the ${MAX_PATH_PARAM_CHARS} characters any id or name has`,
      );
    case 'FST_ERR_BAD_URL':
      return new HttpError(400, "id, name: a value in the URL's path is not valid percent-encoding");
  }
  if (isPayloadTooLarge(err)) {
    return new HttpError(
      413,
      `the records are larger than a pipeline run takes inline (Temporal refuses workflow inputs over its blob size limit, ${TEMPORAL_BLOB_LIMIT_BYTES / 1024 / 1024} MiB by default); send fewer records per request, or a file through POST /pipelines`,
    );
  }
  if (isTemporalUnavailable(err)) {
    return new HttpError(503, 'Temporal is unreachable; retry shortly (is `npm run stack -- up` running?)', undefined, {
      'retry-after': '5',
    });
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return new HttpError(fe.statusCode, fe.message);
  return new HttpError(500, 'internal error; see the service log');
}

function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply, bodyLimit: number): FastifyReply {
  const http = toHttpError(err, bodyLimit);
  if (http.statusCode >= 500) request.log.error({ err }, 'request failed');
  else request.log.info({ status: http.statusCode, message: http.message }, 'request rejected');
  const body: ErrorBody = { error: STATUS_NAMES[http.statusCode] ?? 'Error', message: http.message };
  if (http.issues) body.issues = http.issues;
  return reply.status(http.statusCode).headers(http.headers).send(body);
}

/**
 * For Fastify's `frameworkErrors`: the errors its router raises before any route or hook (a bad or over-long path).
 * `identify` names the caller first, as the hooks would have (or throws its own error: 401).
 */
export const frameworkErrors =
  (bodyLimit: number, identify: (request: FastifyRequest) => void) =>
  (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    try {
      identify(request);
    } catch (unidentified) {
      return errorHandler(unidentified, request, reply, bodyLimit);
    }
    return errorHandler(err, request, reply, bodyLimit);
  };

/** Every error and every unknown route answered in the one shape. */
export const errorHandling = fp<{ bodyLimit: number }>(
  async (app, { bodyLimit }) => {
    app.setErrorHandler((err, request, reply) => errorHandler(err, request, reply, bodyLimit));
    app.setNotFoundHandler((request, reply) =>
      reply.status(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url}` }),
    );
  },
  { name: 'error-handling' },
);
