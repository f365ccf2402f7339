// POST /benchmarks starts a benchmarkWorkflow (202 + where to look); GET /benchmarks/:id reports its progress and,
// once done, its latency statistics.
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { benchmarkProgressQuery, benchmarkWorkflow } from '../../../workflows/benchmark';
import { TEMPORAL_START_DEADLINE_MS, type RestDeps } from '../app';
import { HttpError } from '../errors';
import { findRun, idParams, runReport } from '../runs';
import { errorResponseSchema } from '../schemas';
import { BenchmarkInputError, BenchmarkInputSchema, parseBenchmarkInput, type BenchmarkInput } from '../../../contracts/benchmark';

const benchmarkBodySchema = (() => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(BenchmarkInputSchema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  return rest;
})();

export function registerBenchmarkRoutes(app: FastifyInstance, deps: RestDeps): void {
  app.post(
    '/benchmarks',
    { schema: { summary: 'Start a benchmark: N concurrent pipeline runs and their latency statistics', body: benchmarkBodySchema, response: { 202: { type: 'object', properties: { id: { type: 'string' }, statusUrl: { type: 'string' } } }, 400: errorResponseSchema } } },
    async (request, reply) => {
      try {
        parseBenchmarkInput(request.body as BenchmarkInput);
      } catch (err) {
        if (err instanceof BenchmarkInputError) throw new HttpError(400, err.message);
        throw err;
      }
      const id = `benchmark-${crypto.randomUUID()}`;
      await deps.temporalConnection.withDeadline(Date.now() + TEMPORAL_START_DEADLINE_MS, () =>
        deps.temporal.workflow.start(benchmarkWorkflow, { taskQueue: deps.config.temporal.taskQueue, workflowId: id, args: [request.body as BenchmarkInput] }),
      );
      return reply.status(202).header('location', `/benchmarks/${id}`).send({ id, statusUrl: `/benchmarks/${id}` });
    },
  );

  app.get('/benchmarks/:id', { schema: { summary: 'Progress and statistics of a benchmark', params: idParams } }, async (request) => {
    const { id, handle, status } = await findRun(deps.temporal, (request.params as { id: string }).id);
    return runReport(id, handle, status, await handle.query(benchmarkProgressQuery).catch(() => undefined));
  });
}
