// POST /process: the old Flask service's endpoint. A JSON array of records in, its analysis out. Requests are
// coalesced into pipeline runs (see process-batcher.ts), each request a group of its own in the run. If the client
// disconnects, the run still completes (documented choice: a started run is never left half-done; its result
// stays in Temporal under the workflow id, with the request ids in its memo).
import crypto from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { parseRecords } from '../../../lib/records';
import { pipelineWorkflow } from '../../../workflows/pipeline';
import { MAX_PROCESS_RECORDS, TEMPORAL_START_DEADLINE_MS, type RestDeps } from '../app';
import { HttpError } from '../errors';
import type { RestMetrics } from '../metrics';
import { ProcessBatcher, recordsJsonBytes, type BatchRunner } from '../process-batcher';
import { analysesByRequest, toProcessResponse, type RequestAnalysis } from '../process-response';
import { errorResponseSchema, recordsBodySchema } from '../schemas';

export function registerProcessRoutes(app: FastifyInstance, deps: RestDeps, metrics: RestMetrics): void {
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
    const handle = await deps.temporalConnection.withDeadline(Date.now() + TEMPORAL_START_DEADLINE_MS, () =>
      deps.temporal.workflow.start(pipelineWorkflow, {
        taskQueue: deps.config.temporal.taskQueue,
        workflowId,
        args: [{ groups: batch.map(({ id, records }) => ({ id, records })), jobs: ['final_analysis'] }],
        memo: { requestIds: batch.map((r) => r.id) },
      }),
    );
    try {
      return { workflowId, results: analysesByRequest(await handle.result(), batch) };
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw new HttpError(502, `pipeline ${workflowId} failed: ${err.cause?.message ?? err.message}`);
      throw err;
    }
  };
  const batcher = new ProcessBatcher(runBatch, deps.config.processBatching, (size) => metrics.batchRequests.observe(size));

  app.post(
    '/process',
    {
      schema: {
        summary: 'Analyse a batch of employee records (synchronous; compatible with the old service)',
        body: recordsBodySchema(MAX_PROCESS_RECORDS),
        response: { 400: errorResponseSchema, 413: errorResponseSchema, 503: errorResponseSchema },
      },
    },
    async (request) => {
      const records = parseRecords(request.body, { maxRecords: MAX_PROCESS_RECORDS });
      const bytes = recordsJsonBytes(records);
      if (bytes > deps.config.processBatching.maxBytes) {
        throw new HttpError(
          413,
          `the records take ${bytes} bytes as JSON, more than the ${deps.config.processBatching.maxBytes} a pipeline run takes inline; send fewer records per request, or a file through POST /pipelines`,
        );
      }
      const answer = await batcher.submit(records, bytes);
      request.log.info({ requestId: answer.requestId, workflowId: answer.workflowId, batch: answer.batchSize }, 'processed');
      return toProcessResponse(answer);
    },
  );
}
