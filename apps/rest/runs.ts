// Looking up a workflow run named in a URL, and reporting it: shared by the /pipelines and /benchmarks routes.
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { HttpError } from './plugins/errors';
import { parsedBy } from './plugins/validation';

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

/** `:id` of a run's URL: 400 unless letters, digits and ._:- */
export const IdParamsSchema = z.object({ id: z.string().regex(ID_PATTERN) });
const RouteParamsSchema = z.object({ id: z.string() });
parsedBy(IdParamsSchema, (data) => ({ id: runId(RouteParamsSchema.parse(data).id) }));

/** A run id from a URL or header; 400 unless letters, digits and ._:- */
export function runId(raw: string): string {
  if (!ID_PATTERN.test(raw)) throw new HttpError(400, `id: expected letters, digits and ._:- (at most 200), got "${raw.slice(0, 40)}"`);
  return raw;
}

/** The run named in the URL and its status; 404 for an unknown one. */
export async function findRun(temporal: Client, id: string): Promise<{ id: string; handle: WorkflowHandle; status: string }> {
  const handle = temporal.workflow.getHandle(id);
  try {
    return { id, handle, status: (await handle.describe()).status.name };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new HttpError(404, `no run "${id}"`);
    throw err;
  }
}

/** Status, progress, and the result or the error of a run. */
export async function runReport(id: string, handle: WorkflowHandle, status: string, progress: unknown): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { id, status, progress };
  if (status === 'COMPLETED') body.result = await handle.result();
  if (status === 'FAILED') {
    body.error = await handle.result().then(
      () => undefined,
      (err: unknown) => (err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err)),
    );
  }
  return body;
}
