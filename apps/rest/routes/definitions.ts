// Pipeline definitions as clients see them: GET /definitions lists them (each valid one's schema, jobs, parameters;
// each broken one with its error), GET /definitions/:name shows one with its files, and
// POST /definitions/:name/check has Spark analyse its SQL against its schema (nothing runs).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFINITION_NAME, type Definition } from '../../../contracts/definitions';
import type { DefinitionsDirectory } from '../../../lib/definitions';
import { checkDefinition, type AnalyzeSql } from '../../../spark/jobs/definition-check';
import { ErrorBodySchema, HttpError } from '../plugins/errors';

export interface DefinitionRoutesOptions {
  definitions: DefinitionsDirectory;
  /** Spark's analysis of a query; absent: checks answer 503. */
  analyze?: AnalyzeSql;
}

const NameParamsSchema = z.object({
  name: z.string().regex(DEFINITION_NAME, 'expected a definition name (lowercase letters, digits, _ or -)'),
});

/** What a client needs to start runs and streams of a definition: its records, parameters, jobs and stream jobs. */
function summary(d: Definition) {
  return {
    name: d.name,
    version: d.version,
    valid: true as const,
    ...(d.description === undefined ? {} : { description: d.description }),
    records: {
      ...(d.key === undefined ? {} : { key: d.key }),
      fields: Object.fromEntries(d.fields),
    },
    parameters: d.parameters,
    defaultJobs: d.defaultJobs,
    jobs: Object.fromEntries(
      Object.entries(d.jobs).map(([job, spec]) => [
        job,
        { ...(spec.description === undefined ? {} : { description: spec.description }), sections: spec.sections.map(([name]) => name) },
      ]),
    ),
    /** Stream jobs (POST /streams with `pipeline` and `job`): each section's group columns and measures. */
    streams: Object.fromEntries(
      Object.entries(d.streams).map(([job, spec]) => [
        job,
        {
          ...(spec.description === undefined ? {} : { description: spec.description }),
          sections: Object.fromEntries(
            spec.sections.map(([name, section]) => [
              name,
              {
                groupBy: Object.fromEntries(section.groupBy),
                measures: Object.fromEntries(section.measures.map(([m, { fn, expression }]) => [m, `${fn}(${expression})`])),
              },
            ]),
          ),
        },
      ]),
    ),
  };
}

export const definitionRoutes: FastifyPluginAsyncZod<DefinitionRoutesOptions> = async (app, { definitions, analyze }) => {
  app.get(
    '/definitions',
    { schema: { summary: 'Pipeline definitions: the valid ones, and the broken ones with their errors' } },
    async () => {
      const catalog = definitions.current();
      return {
        definitions: [...catalog.definitions.values()].map(summary),
        broken: catalog.broken.map((b) => ({ directory: b.directory, ...(b.name ? { name: b.name } : {}), valid: false, error: b.error })),
      };
    },
  );

  app.get(
    '/definitions/:name',
    {
      schema: {
        summary: 'One pipeline definition, with its files',
        params: NameParamsSchema,
        response: { 200: z.looseObject({}), 404: ErrorBodySchema },
      },
    },
    async (request) => {
      const { name } = request.params;
      const catalog = definitions.current();
      const definition = catalog.definitions.get(name);
      if (definition) return { ...summary(definition), files: definition.files };
      const broken = catalog.broken.find((b) => b.name === name || b.directory === name);
      if (broken) return { name, valid: false, directory: broken.directory, error: broken.error };
      throw new HttpError(404, `name: no definition "${name}"`);
    },
  );

  app.post(
    '/definitions/:name/check',
    {
      schema: {
        summary: "Spark analyses the definition's SQL against its record schema (nothing runs)",
        params: NameParamsSchema,
        response: { 200: z.looseObject({}), 404: ErrorBodySchema, 503: ErrorBodySchema },
      },
    },
    async (request) => {
      const found = definitions.get(request.params.name);
      if ('error' in found) {
        if (found.error.startsWith('no definition')) throw new HttpError(404, `name: ${found.error}`);
        return { name: request.params.name, valid: false, problems: [found.error] };
      }
      if (!analyze) throw new HttpError(503, 'Spark is not configured for this service: definitions cannot be checked here');
      const check = await checkDefinition(found.definition, analyze).catch((err: unknown) => {
        throw new HttpError(
          503,
          `Spark did not answer; the definition was not checked (${err instanceof Error ? err.message : String(err)})`,
          undefined,
          { 'retry-after': '5' },
        );
      });
      return { ...check, valid: check.problems.length === 0 };
    },
  );
};
