// Asynchronous pipeline runs: POST /pipelines starts one (202 + where to look), GET /pipelines/:id reports its
// status, progress and result, DELETE /pipelines/:id cancels it (which interrupts its Spark jobs).
import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TEMPORAL_START_DEADLINE_MS } from '../../../contracts/limits';
import { PIPELINE_PROGRESS_QUERY, type PipelineProgress } from '../../../contracts/pipeline';
import { parsePipelineInput, PipelineInputError, PipelineInputSchema, resolvePipelineInput } from '../../../contracts/pipeline-input';
import type { ResourcePolicy } from '../../../contracts/resource-policy';
import { CLIENT, runStartAttributes } from '../../../contracts/search-attributes';
import type { Config } from '../../../lib/config';
import type { DefinitionsDirectory } from '../../../lib/definitions';
import type { pipelineWorkflow } from '../../../workflows/pipeline';
import { ErrorBodySchema, HttpError } from '../plugins/errors';
import { parsedBy } from '../plugins/validation';
import { findRun, IdParamsSchema, runId as pipelineId, runReport, startedBy } from '../runs';
import type { TemporalConnection } from '../app';

export interface PipelineRoutesOptions {
  config: Config;
  temporal: Client;
  temporalConnection: TemporalConnection;
  policy: ResourcePolicy;
  definitions: DefinitionsDirectory;
}

/** A pipeline input, validated by the contract's parse (400 with the problem before anything starts). */
const PipelineBodySchema = parsedBy(PipelineInputSchema, (data) => {
  parsePipelineInput(data);
  return PipelineInputSchema.parse(data);
});

export const pipelineRoutes: FastifyPluginAsyncZod<PipelineRoutesOptions> = async (
  app,
  { config, temporal, temporalConnection, policy, definitions },
) => {
  app.post(
    '/pipelines',
    {
      schema: {
        summary: 'Start a pipeline run; answers at once with its id. An Idempotency-Key header makes retries start it once.',
        body: PipelineBodySchema,
        response: {
          202: z.object({ id: z.string(), runId: z.string(), statusUrl: z.string() }),
          400: ErrorBodySchema,
          403: ErrorBodySchema,
          409: ErrorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const input = request.body;
      // Checked against the definition as it is now (400 before anything starts); the run loads it again and
      // records the version it runs.
      const parsed = parsePipelineInput(input);
      const found = definitions.get(parsed.pipeline);
      if ('error' in found) throw new PipelineInputError(`invalid pipeline input: pipeline: ${found.error}`);
      const resolved = resolvePipelineInput(parsed, found.definition, new Date().toISOString().slice(0, 10));
      policy.pipelineSource({ file: input.file, topic: input.topic?.name }, request.grant);
      // The topics the run's sinks write to are the caller's to write, like every topic a client names.
      for (const job of resolved.jobs) {
        for (const [section, spec] of found.definition.jobs[job]?.sections ?? []) {
          if (spec.sink?.kafka !== undefined)
            policy.topic(
              'invalid pipeline input',
              `pipeline ${parsed.pipeline}: jobs.${job}.sections.${section}.sink.kafka`,
              spec.sink.kafka,
              request.grant,
            );
        }
      }
      const key = request.headers['idempotency-key'];
      const workflowId = typeof key === 'string' ? `pipeline-${pipelineId(key)}` : `pipeline-${crypto.randomUUID()}`;
      const bodyHash = crypto.createHash('sha256').update(JSON.stringify(input)).digest('hex');
      const start = () =>
        temporal.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId,
          args: [input],
          memo: { bodySha256: bodyHash },
          typedSearchAttributes: [...startedBy(request.grant), ...runStartAttributes(input)],
          // A retried POST with the same key answers with the run it started, whether that run is still open
          // (USE_EXISTING) or closed (REJECT_DUPLICATE: the id is never used for a second run).
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      let runId: string;
      try {
        runId = (await temporalConnection.withDeadline(Date.now() + TEMPORAL_START_DEADLINE_MS, start)).firstExecutionRunId;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError) || typeof key !== 'string') throw err;
        runId = (await temporal.workflow.getHandle(workflowId).describe()).runId;
      }
      if (typeof key === 'string') {
        const { memo, typedSearchAttributes } = await temporal.workflow.getHandle(workflowId).describe();
        // Another client's run under the same key is not this caller's to see (nor to learn more of).
        if (!policy.maySeeRun(typedSearchAttributes.get(CLIENT), request.grant)) {
          throw new HttpError(409, `Idempotency-Key "${key}" is taken by another client's run; use a new key for a new run`);
        }
        // The same key with another body is a client bug: answering with the old run would hide it.
        if ((memo as { bodySha256?: string } | undefined)?.bodySha256 !== bodyHash) {
          throw new HttpError(
            409,
            `Idempotency-Key "${key}" was used for a run with a different body (${workflowId}); use a new key for a new run`,
          );
        }
      }
      return reply
        .status(202)
        .header('location', `/pipelines/${workflowId}`)
        .send({ id: workflowId, runId, statusUrl: `/pipelines/${workflowId}` });
    },
  );

  app.get('/pipelines/:id', { schema: { summary: 'Status, progress and result of a run', params: IdParamsSchema } }, async (request) => {
    const { id, handle, status } = await findRun(temporal, request.params.id, { grant: request.grant, policy });
    return runReport(id, handle, status, await handle.query<PipelineProgress>(PIPELINE_PROGRESS_QUERY).catch(() => undefined));
  });

  app.delete(
    '/pipelines/:id',
    { schema: { summary: 'Cancel a run (its Spark jobs are interrupted)', params: IdParamsSchema } },
    async (request, reply) => {
      const { id, handle, status } = await findRun(temporal, request.params.id, { grant: request.grant, policy });
      if (status !== 'RUNNING') throw new HttpError(409, `pipeline run "${id}" is ${status}, not running`);
      await handle.cancel();
      return reply.status(202).send({ id, status: 'CANCEL_REQUESTED' });
    },
  );
};
