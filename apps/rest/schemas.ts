// Request schemas as JSON Schema for the OpenAPI document, generated from the same zod schemas that validate
// the requests, so the document cannot drift from what the service accepts.
import { z } from 'zod';
import { EmployeeRecordSchema } from '../../contracts/records';
import { PipelineInputSchema } from '../../contracts/pipeline-input';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

export const recordsBodySchema = (maxRecords: number) => jsonSchema(z.array(EmployeeRecordSchema).min(1).max(maxRecords));
export const pipelineInputBodySchema = jsonSchema(PipelineInputSchema);

export const errorResponseSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
  required: ['error', 'message'],
};
