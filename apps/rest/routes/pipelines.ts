// Asynchronous pipeline runs: POST /pipelines starts one (202 + where to look), GET /pipelines/:id reports its
// status, progress and result, DELETE /pipelines/:id cancels it (which interrupts its Spark jobs).
import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { topicInputRefusal } from '../../../lib/config';
import { pipelineWorkflow, progressQuery } from '../../../workflows/pipeline';
import { parsePipelineInput, type PipelineInput } from '../../../contracts/pipeline-input';
import { TEMPORAL_START_DEADLINE_MS, type RestDeps } from '../app';
import { HttpError } from '../errors';
import { findRun, idParams, runId as pipelineId, runReport } from '../runs';
import { errorResponseSchema, pipelineInputBodySchema } from '../schemas';

export function registerPipelineRoutes(app: FastifyInstance, deps: RestDeps): void {
  const { temporal, config } = deps;

  app.post(
    '/pipelines',
    {
      schema: {
        summary: 'Start a pipeline run; answers at once with its id. An Idempotency-Key header makes retries start it once.',
        body: pipelineInputBodySchema,
        response: {
          202: { type: 'object', properties: { id: { type: 'string' }, runId: { type: 'string' }, statusUrl: { type: 'string' } } },
          400: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const parsed = parsePipelineInput(request.body); // 400 with the problem before anything starts
      if (parsed.source.kind === 'topic') {
        const refusal = topicInputRefusal(config, parsed.source.topic);
        if (refusal) throw new HttpError(400, `invalid pipeline input: topic.name: ${refusal}`);
      }
      const key = request.headers['idempotency-key'];
      const workflowId = typeof key === 'string' ? `pipeline-${pipelineId(key)}` : `pipeline-${crypto.randomUUID()}`;
      const bodyHash = crypto.createHash('sha256').update(JSON.stringify(request.body)).digest('hex');
      const start = () =>
        temporal.workflow.start(pipelineWorkflow, {
          taskQueue: config.temporal.taskQueue,
          workflowId,
          args: [request.body as PipelineInput],
          memo: { bodySha256: bodyHash },
          // A retried POST with the same key answers with the run it started, whether that run is still open
          // (USE_EXISTING) or closed (REJECT_DUPLICATE: the id is never used for a second run).
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      let runId: string;
      try {
        runId = (await deps.temporalConnection.withDeadline(Date.now() + TEMPORAL_START_DEADLINE_MS, start)).firstExecutionRunId;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError) || typeof key !== 'string') throw err;
        runId = (await temporal.workflow.getHandle(workflowId).describe()).runId;
      }
      if (typeof key === 'string') {
        // The same key with another body is a client bug: answering with the old run would hide it.
        const { memo } = await temporal.workflow.getHandle(workflowId).describe();
        if ((memo as { bodySha256?: string } | undefined)?.bodySha256 !== bodyHash) {
          throw new HttpError(409, `Idempotency-Key "${key}" was used for a run with a different body (${workflowId}); use a new key for a new run`);
        }
      }
      return reply.status(202).header('location', `/pipelines/${workflowId}`).send({ id: workflowId, runId, statusUrl: `/pipelines/${workflowId}` });
    },
  );

  app.get('/pipelines/:id', { schema: { summary: 'Status, progress and result of a run', params: idParams } }, async (request) => {
    const { id, handle, status } = await findRun(temporal, (request.params as { id: string }).id);
    return runReport(id, handle, status, await handle.query(progressQuery).catch(() => undefined));
  });

  app.delete('/pipelines/:id', { schema: { summary: 'Cancel a run (its Spark jobs are interrupted)', params: idParams } }, async (request, reply) => {
    const { id, handle, status } = await findRun(temporal, (request.params as { id: string }).id);
    if (status !== 'RUNNING') throw new HttpError(409, `pipeline run "${id}" is ${status}, not running`);
    await handle.cancel();
    return reply.status(202).send({ id, status: 'CANCEL_REQUESTED' });
  });
}
