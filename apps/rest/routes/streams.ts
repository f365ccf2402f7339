// Streams: POST /streams starts a stream's supervising workflow (`stream-<name>`), GET /streams lists them,
// GET /streams/:name reports its status and its latest aggregates (read from its results topic),
// POST /streams/:name/records writes validated records to its topic, DELETE /streams/:name stops it (the `stop`
// signal: the workflow stops the Spark query cleanly).
import crypto from 'node:crypto';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_PROCESS_RECORDS, TEMPORAL_START_DEADLINE_MS } from '../../../contracts/limits';
import { echo, type Grant, type ResourcePolicy } from '../../../contracts/resource-policy';
import { recordShape, streamPlan } from '../../../contracts/definitions';
import { parseRecords } from '../../../contracts/records';
import { STREAM_STATE } from '../../../contracts/search-attributes';
import {
  parseStreamInput,
  STREAM_NAME_PATTERN,
  STREAM_STATUS_QUERY,
  STREAM_STOP_SIGNAL,
  StreamInputError,
  StreamInputSchema,
  streamTopic,
  streamWorkflowId,
  type StreamInputSpec,
  type StreamStatus,
} from '../../../contracts/streams';
import type { Config } from '../../../lib/config';
import type { DefinitionsDirectory } from '../../../lib/definitions';
import type { KafkaTopics } from '../../../lib/kafka';
import { readStreamAggregates, STREAM_TOPIC_CONFIGS, streamRecordMessages } from '../../../lib/streams';
import type { streamingWorkflow } from '../../../workflows/streaming';
import { ErrorBodySchema, HttpError } from '../plugins/errors';
import { parsedBy } from '../plugins/validation';
import type { TemporalConnection } from '../app';

export interface StreamRoutesOptions {
  config: Config;
  temporal: Client;
  temporalConnection: TemporalConnection;
  kafka: KafkaTopics;
  policy: ResourcePolicy;
  definitions: DefinitionsDirectory;
}

/** A stream input, validated by the contract's parse (400 naming the field). */
const StreamBodySchema = parsedBy(StreamInputSchema, (data) => {
  try {
    parseStreamInput(data);
  } catch (err) {
    if (err instanceof StreamInputError) throw new HttpError(400, err.message);
    throw err;
  }
  return StreamInputSchema.parse(data);
});

/**
 * Records for a stream: an array here; each record is checked against the stream's definition in the handler (400
 * naming the record and the field, nothing written).
 */
const RecordsBodySchema = parsedBy(z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_PROCESS_RECORDS), (data) => {
  const isRecord = (r: unknown) => typeof r === 'object' && r !== null && !Array.isArray(r);
  if (!Array.isArray(data) || data.length === 0 || data.length > MAX_PROCESS_RECORDS || !data.every(isRecord)) {
    throw new HttpError(400, `invalid request: records: expected an array of 1-${MAX_PROCESS_RECORDS} records (JSON objects)`);
  }
  return data as Record<string, unknown>[];
});

const NameParamsSchema = z.object({ name: z.string().regex(STREAM_NAME_PATTERN) });
parsedBy(NameParamsSchema, (data) => {
  const name = (data as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || !STREAM_NAME_PATTERN.test(name)) {
    throw new HttpError(400, `name: expected 1-63 lower-case letters, digits and dashes, got ${echo(String(name))}`);
  }
  return { name };
});

const specHash = (spec: StreamInputSpec) => crypto.createHash('sha256').update(JSON.stringify(spec)).digest('hex');

export const streamRoutes: FastifyPluginAsyncZod<StreamRoutesOptions> = async (
  app,
  { config, temporal, temporalConnection, kafka, policy, definitions },
) => {
  /**
   * The stream's workflow, its status and what it reports; 403 when the caller's token lacks the stream, 404 when
   * there is no such stream.
   */
  const findStream = async (
    name: string,
    grant: Grant,
  ): Promise<{ handle: WorkflowHandle; workflowStatus: string; status: StreamStatus }> => {
    policy.streamName('invalid request', 'name', name, grant);
    const handle = temporal.workflow.getHandle(streamWorkflowId(name));
    let workflowStatus: string;
    try {
      workflowStatus = (await handle.describe()).status.name;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, `name: no stream "${name}"; start it with POST /streams`);
      throw err;
    }
    const status = await handle.query<StreamStatus>(STREAM_STATUS_QUERY);
    return { handle, workflowStatus, status };
  };

  app.post(
    '/streams',
    {
      schema: {
        summary: 'Start a stream (or find it running with the same input): a supervised Structured Streaming query',
        body: StreamBodySchema,
        response: {
          202: z.object({ name: z.string(), workflowId: z.string(), runId: z.string(), topic: z.string(), statusUrl: z.string() }),
          400: ErrorBodySchema,
          403: ErrorBodySchema,
          409: ErrorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const spec = parseStreamInput(request.body);
      // The definition and its stream job as they are now (400 before anything starts); the stream's workflow
      // loads them again and keeps the plan it started with.
      const found = definitions.get(spec.pipeline);
      if ('error' in found) throw new HttpError(400, `invalid stream input: pipeline: ${found.error}`);
      try {
        streamPlan(found.definition, spec.job);
      } catch (err) {
        throw new HttpError(400, `invalid stream input: job: ${(err as Error).message}`);
      }
      policy.stream(spec, request.grant);
      const workflowId = streamWorkflowId(spec.name);
      const hash = specHash(spec);
      const handle = await temporalConnection.withDeadline(Date.now() + TEMPORAL_START_DEADLINE_MS, () =>
        temporal.workflow.start<typeof streamingWorkflow>('streamingWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId,
          args: [request.body],
          memo: { specSha256: hash },
          // One workflow per stream: starting a running stream answers with it; a stopped one starts again (and
          // its query resumes from its checkpoint).
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        }),
      );
      const { memo, runId } = await handle.describe();
      if ((memo as { specSha256?: string } | undefined)?.specSha256 !== hash) {
        throw new HttpError(409, `stream "${spec.name}" is running with another input; stop it (DELETE /streams/${spec.name}) first`);
      }
      return reply
        .status(202)
        .header('location', `/streams/${spec.name}`)
        .send({ name: spec.name, workflowId, runId, topic: spec.topic, statusUrl: `/streams/${spec.name}` });
    },
  );

  app.get(
    '/streams',
    { schema: { summary: "Streams (running and recently ended) the caller's token may see, newest first" } },
    async (request) => {
      const streams: { name: string; workflowId: string; status: string; state: unknown; startTime: string }[] = [];
      const query = `WorkflowType = 'streamingWorkflow' AND ExecutionStatus != 'ContinuedAsNew'`;
      for await (const w of temporal.workflow.list({ query, pageSize: 100 })) {
        const name = w.workflowId.replace(/^stream-/, '');
        if (!policy.maySeeStream(name, request.grant)) continue;
        streams.push({
          name,
          workflowId: w.workflowId,
          status: w.status.name,
          state: w.typedSearchAttributes.get(STREAM_STATE) ?? null,
          startTime: w.startTime.toISOString(),
        });
        if (streams.length >= 100) break;
      }
      return { streams };
    },
  );

  app.get(
    '/streams/:name',
    { schema: { summary: "A stream's status, progress and latest aggregates", params: NameParamsSchema } },
    async (request) => {
      const { workflowStatus, status } = await findStream(request.params.name, request.grant);
      // A stream that runs its plan has results; one still loading its definition (or from before definitions) none here.
      const { plan } = status.spec;
      const aggregates = plan ? await readStreamAggregates(kafka, { ...status.spec, plan }) : null;
      return { name: status.name, workflowId: streamWorkflowId(status.name), workflowStatus, status, aggregates };
    },
  );

  app.post(
    '/streams/:name/records',
    {
      schema: {
        summary: "Write records to a stream's topic (validated; an Idempotency-Key header makes a retry count once)",
        params: NameParamsSchema,
        body: RecordsBodySchema,
        response: {
          202: z.object({ written: z.number(), topic: z.string() }),
          400: ErrorBodySchema,
          403: ErrorBodySchema,
          404: ErrorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const { status } = await findStream(request.params.name, request.grant);
      // Its topic as the stream's start checked it, checked again: the token's scopes may have changed since.
      policy.stream(status.spec, request.grant);
      const { plan } = status.spec;
      if (!plan) throw new HttpError(409, `stream "${status.name}" has not loaded its definition yet; try again in a moment`);
      const records = parseRecords(request.body, recordShape(plan), { maxRecords: MAX_PROCESS_RECORDS });
      const { topic, partitions } = status.spec;
      const partitionCount = await kafka.ensureTopic(topic, partitions, topic === streamTopic(status.name) ? STREAM_TOPIC_CONFIGS : {});
      const key = request.headers['idempotency-key'];
      const batchKey = typeof key === 'string' && key.length > 0 ? `${status.name}:${key}` : crypto.randomUUID();
      await kafka.produce(topic, streamRecordMessages(records, batchKey, partitionCount));
      return reply.status(202).send({ written: records.length, topic });
    },
  );

  app.delete(
    '/streams/:name',
    { schema: { summary: 'Stop a stream: its query is stopped cleanly, its checkpoint kept', params: NameParamsSchema } },
    async (request, reply) => {
      const { handle, workflowStatus } = await findStream(request.params.name, request.grant);
      if (workflowStatus !== 'RUNNING') throw new HttpError(409, `stream "${request.params.name}" is ${workflowStatus}, not running`);
      await handle.signal(STREAM_STOP_SIGNAL);
      return reply.status(202).send({ name: request.params.name, status: 'STOP_REQUESTED' });
    },
  );
};
