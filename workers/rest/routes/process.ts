// POST /process: the old Flask service's endpoint. A JSON array of records in, the analysis out, as one
// pipeline run. If the client disconnects, the run still completes (documented choice: a started run is never
// left half-done; its result stays in Temporal under the workflow id).
import crypto from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { parseRecords } from '../../../lib/records';
import { pipelineWorkflow } from '../../../workflows/pipeline';
import { MAX_PROCESS_RECORDS, TEMPORAL_START_DEADLINE_MS, type RestDeps } from '../app';
import { HttpError } from '../errors';
import type { RestMetrics } from '../metrics';
import { toProcessResponse } from '../process-response';
import { errorResponseSchema, recordsBodySchema } from '../schemas';

export function registerProcessRoutes(app: FastifyInstance, deps: RestDeps, metrics: RestMetrics): void {
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
      const workflowId = `process-${crypto.randomUUID()}`;
      metrics.inFlightPipelines.inc();
      try {
        const handle = await deps.temporalConnection.withDeadline(Date.now() + TEMPORAL_START_DEADLINE_MS, () =>
          deps.temporal.workflow.start(pipelineWorkflow, {
            taskQueue: deps.config.temporal.taskQueue,
            workflowId,
            args: [{ records, jobs: ['final_analysis'] }],
          }),
        );
        return toProcessResponse(workflowId, await handle.result());
      } catch (err) {
        if (err instanceof WorkflowFailedError) {
          throw new HttpError(502, `pipeline ${workflowId} failed: ${err.cause?.message ?? err.message}`);
        }
        throw err;
      } finally {
        metrics.inFlightPipelines.dec();
      }
    },
  );
}
