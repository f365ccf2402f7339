// POST /process: the old Flask service's endpoint. A JSON array of records in, its analysis out. Requests are
// coalesced into pipeline runs (see process-batcher.ts), each request a group of its own in the run. Admission is
// bounded: over capacity a request gets 503 with Retry-After at once, and one that takes longer than
// PROCESS_TIMEOUT_MS gets 503 too. A client that disconnects while its request waits takes it out of the queue;
// once its run started, the run completes (a started run is never left half-done; its result stays in Temporal
// under the workflow id, with the request ids in its memo).
import crypto from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_PROCESS_RECORDS, TEMPORAL_START_DEADLINE_MS } from '../../../contracts/limits';
import { recordShape, type Definition } from '../../../contracts/definitions';
import { DEFAULT_PIPELINE } from '../../../contracts/pipeline-input';
import { runStartAttributes } from '../../../contracts/search-attributes';
import { parseRecords, type RecordShape } from '../../../contracts/records';
import type { Config } from '../../../lib/config';
import type { DefinitionsDirectory } from '../../../lib/definitions';
import type { KafkaTopics } from '../../../lib/kafka';
import type { pipelineWorkflow } from '../../../workflows/pipeline';
import { ErrorBodySchema, HttpError } from '../plugins/errors';
import type { RestMetrics } from '../plugins/metrics';
import { parsedBy } from '../plugins/validation';
import { ProcessBatcher, QueueFullError, recordsJsonBytes, type BatchRunner } from '../process-batcher';
import { analysesByRequest, ProcessResponseSchema, toProcessResponse, type RequestAnalysis } from '../process-response';
import { collectedResult } from '../stored-results';
import type { TemporalConnection } from '../app';

export interface ProcessRoutesOptions {
  config: Config;
  temporal: Client;
  temporalConnection: TemporalConnection;
  /** Start runs eagerly: the client shares the connection of a worker in this process (RestDeps.eagerStart). */
  eagerStart: boolean;
  /** For results too large to come back inline, which /process reads from the results topic. */
  kafka: KafkaTopics;
  metrics: RestMetrics;
  /** Where the employees definition is: /process runs its jobs and checks records against its fields. */
  definitions: DefinitionsDirectory;
}

/** Seconds a client is asked to wait before retrying a request refused for capacity. */
const RETRY_AFTER_OVER_CAPACITY_S = '1';

export const processRoutes: FastifyPluginAsyncZod<ProcessRoutesOptions> = async (app, deps) => {
  const { metrics } = deps;
  /** Each version of the employees definition's record shape, made once (a few zod objects). */
  const shapes = new WeakMap<Definition, RecordShape>();
  const employeeShape = (): RecordShape => {
    const found = deps.definitions.get(DEFAULT_PIPELINE);
    if ('error' in found) throw new HttpError(503, `/process runs the ${DEFAULT_PIPELINE} definition, which is broken: ${found.error}`);
    let shape = shapes.get(found.definition);
    if (!shape) shapes.set(found.definition, (shape = recordShape(found.definition)));
    return shape;
  };
  /**
   * The old service's body: a JSON array of records, checked against the employees definition's fields as they are
   * at each request (400s that name the record and the field). /openapi.json shows the fields as they were when the
   * service started (GET /definitions/employees shows them now).
   */
  const atStart = deps.definitions.get(DEFAULT_PIPELINE);
  const documented = ('definition' in atStart ? recordShape(atStart.definition).schema : z.record(z.string(), z.unknown())) as z.ZodType<
    Record<string, unknown>
  >;
  const RecordsBodySchema = parsedBy(z.array(documented).min(1).max(MAX_PROCESS_RECORDS), (data) =>
    parseRecords(data, employeeShape(), { maxRecords: MAX_PROCESS_RECORDS }),
  );
  const runBatch: BatchRunner<RequestAnalysis> = async (batch) => {
    metrics.inFlightPipelines.inc();
    try {
      return await runPipeline(batch);
    } finally {
      metrics.inFlightPipelines.dec();
    }
  };
  const runPipeline: BatchRunner<RequestAnalysis> = async (batch) => {
    const workflowId = `process-${crypto.randomUUID()}`;
    const input = { groups: batch.map(({ id, records }) => ({ id, records })), jobs: ['final_analysis'] };
    const handle = await deps.temporalConnection.withDeadline(Date.now() + TEMPORAL_START_DEADLINE_MS, () =>
      deps.temporal.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', {
        taskQueue: deps.config.temporal.taskQueue,
        workflowId,
        args: [input],
        memo: { requestIds: batch.map((r) => r.id) },
        typedSearchAttributes: runStartAttributes(input),
        requestEagerStart: deps.eagerStart,
      }),
    );
    let result;
    try {
      result = await handle.result();
    } catch (err) {
      if (err instanceof WorkflowFailedError)
        throw new HttpError(502, `pipeline ${workflowId} failed: ${err.cause?.message ?? err.message}`);
      throw err;
    }
    const analysis = result.results.final_analysis;
    if (!analysis) throw new Error(`run ${workflowId} returned no final_analysis result`);
    return { workflowId, results: analysesByRequest(result, await collectedResult(deps.kafka, analysis), batch) };
  };
  const batcher = new ProcessBatcher(runBatch, deps.config.processBatching, (size) => metrics.batchRequests.observe(size));

  const overCapacity = (message: string) => {
    metrics.refusedRequests.inc();
    return new HttpError(503, `${message}; retry shortly`, undefined, { 'retry-after': RETRY_AFTER_OVER_CAPACITY_S });
  };

  app.post(
    '/process',
    {
      // Over capacity, refuse before reading and validating the body: under a flood the excess must cost little.
      onRequest: async () => {
        if (batcher.waiting >= deps.config.processBatching.maxQueued)
          throw overCapacity(`over capacity: ${batcher.waiting} requests are waiting already`);
      },
      schema: {
        summary: 'Analyse a batch of employee records (synchronous; compatible with the old service)',
        body: RecordsBodySchema,
        response: { 200: ProcessResponseSchema, 400: ErrorBodySchema, 413: ErrorBodySchema, 503: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const records = request.body;
      const bytes = recordsJsonBytes(records);
      if (bytes > deps.config.processBatching.maxBytes) {
        throw new HttpError(
          413,
          `the records take ${bytes} bytes as JSON, more than the ${deps.config.processBatching.maxBytes} a pipeline run takes inline; send fewer records per request, or a file through POST /pipelines`,
        );
      }
      // Aborted when the client goes away before its answer, or when the request runs out of time.
      const abort = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abort.abort(new HttpError(499, 'the client closed the connection'));
      });
      const timeoutMs = deps.config.processTimeoutMs;
      const timer = setTimeout(
        () =>
          abort.abort(
            new HttpError(
              503,
              `no answer within ${timeoutMs} ms (PROCESS_TIMEOUT_MS): the service is overloaded or a component is down; retry shortly`,
              undefined,
              { 'retry-after': '5' },
            ),
          ),
        timeoutMs,
      );
      try {
        const answer = await Promise.race([
          batcher.submit(records, bytes, abort.signal),
          new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true })),
        ]);
        request.log.info({ requestId: answer.requestId, workflowId: answer.workflowId, batch: answer.batchSize }, 'processed');
        return toProcessResponse(answer);
      } catch (err) {
        if (err instanceof QueueFullError) throw overCapacity(err.message);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
  );
};
