// Fastify validates every request against its route's zod schema (fastify-type-provider-zod types the handlers
// from the same schemas, and /openapi.json documents them). A schema whose contract has a parse of its own, with
// errors that name the record and the field (parseRecords, parsePipelineInput, parseBenchmarkInput), is validated
// by that parse, so a 400 says exactly what the contract says; any other schema's issues become one message.
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { HttpError } from './errors';

const parsers = new WeakMap<z.ZodType, (data: unknown) => unknown>();

/** Marks `schema` as validated by `parse`, which returns the request's value or throws the contract's error. */
export function parsedBy<S extends z.ZodType>(schema: S, parse: (data: unknown) => z.output<S>): S {
  parsers.set(schema, parse);
  return schema;
}

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema }) => {
  const parse = parsers.get(schema);
  if (parse) {
    return (data) => {
      try {
        return { value: parse(data) };
      } catch (err) {
        return { error: err as Error };
      }
    };
  }
  return (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`);
    return { error: new HttpError(400, `invalid request: ${problems.slice(0, 5).join('; ')}`) };
  };
};
