// POST /benchmarks starts a benchmarkWorkflow (202 + where to look); GET /benchmarks/:id reports its progress and,
// once done, its latency statistics.
import crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BENCHMARK_PROGRESS_QUERY, BenchmarkInputSchema, parseBenchmarkInput, type BenchmarkProgress } from '../../../contracts/benchmark';
import { TEMPORAL_START_DEADLINE_MS } from '../../../contracts/limits';
import type { ResourcePolicy } from '../../../contracts/resource-policy';
import type { Config } from '../../../lib/config';
import type { benchmarkWorkflow } from '../../../workflows/benchmark';
import { ErrorBodySchema } from '../plugins/errors';
import { parsedBy } from '../plugins/validation';
import { findRun, IdParamsSchema, runReport, startedBy } from '../runs';
import type { TemporalConnection } from '../app';

export interface BenchmarkRoutesOptions {
  config: Config;
  temporal: Client;
  temporalConnection: TemporalConnection;
  policy: ResourcePolicy;
}

/** A benchmark input, validated by the contract's parse (sizes a workflow history can hold); no body: the defaults. */
const BenchmarkBodySchema = parsedBy(BenchmarkInputSchema.optional(), parseBenchmarkInput);

export const benchmarkRoutes: FastifyPluginAsyncZod<BenchmarkRoutesOptions> = async (
  app,
  { config, temporal, temporalConnection, policy },
) => {
  app.post(
    '/benchmarks',
    {
      schema: {
        summary: 'Start a benchmark: N concurrent pipeline runs and their latency statistics',
        body: BenchmarkBodySchema,
        response: { 202: z.object({ id: z.string(), statusUrl: z.string() }), 400: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const id = `benchmark-${crypto.randomUUID()}`;
      await temporalConnection.withDeadline(Date.now() + TEMPORAL_START_DEADLINE_MS, () =>
        temporal.workflow.start<typeof benchmarkWorkflow>('benchmarkWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: id,
          args: [request.body],
          typedSearchAttributes: startedBy(request.grant),
        }),
      );
      return reply
        .status(202)
        .header('location', `/benchmarks/${id}`)
        .send({ id, statusUrl: `/benchmarks/${id}` });
    },
  );

  app.get('/benchmarks/:id', { schema: { summary: 'Progress and statistics of a benchmark', params: IdParamsSchema } }, async (request) => {
    const { id, handle, status } = await findRun(temporal, request.params.id, { grant: request.grant, policy });
    return runReport(id, handle, status, await handle.query<BenchmarkProgress>(BENCHMARK_PROGRESS_QUERY).catch(() => undefined));
  });
};
