// Looking up a workflow run named in a URL, and reporting it: shared by the /pipelines and /benchmarks routes.
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { z } from 'zod';
import { echo, type Grant, type ResourcePolicy } from '../../contracts/resource-policy';
import { CLIENT } from '../../contracts/search-attributes';
import { HttpError, MAX_PATH_PARAM_CHARS } from './plugins/errors';
import { parsedBy } from './plugins/validation';

const ID_PATTERN = new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_PATH_PARAM_CHARS}}$`);

/** `:id` of a run's URL: 400 unless letters, digits and ._:- */
export const IdParamsSchema = z.object({ id: z.string().regex(ID_PATTERN) });
const RouteParamsSchema = z.object({ id: z.string() });
parsedBy(IdParamsSchema, (data) => ({ id: runId(RouteParamsSchema.parse(data).id) }));

/** A run id from a URL or header; 400 unless letters, digits and ._:- */
export function runId(raw: string): string {
  if (!ID_PATTERN.test(raw))
    throw new HttpError(400, `id: expected letters, digits and ._:- (at most ${MAX_PATH_PARAM_CHARS}), got ${echo(raw)}`);
  return raw;
}

/** The search attributes a run started by `grant` carries from its start: who started it. */
export const startedBy = (grant: Grant): SearchAttributePair[] => [{ key: CLIENT, value: grant.name }];

/**
 * The run named in the URL and its status; 404 for an unknown one, and for one the caller may not see (another
 * token started it): its existence is not told either.
 */
export async function findRun(
  temporal: Client,
  id: string,
  caller: { grant: Grant; policy: ResourcePolicy },
): Promise<{ id: string; handle: WorkflowHandle; status: string }> {
  const handle = temporal.workflow.getHandle(id);
  // One answer for a run that does not exist and one the caller may not see.
  const notFound = new HttpError(
    404,
    `id: no run "${id}"${caller.grant.admin ? '' : ` among those token "${caller.grant.name}" started (a token with the admin scope sees every run)`}`,
  );
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound;
    throw err;
  }
  if (!caller.policy.maySeeRun(description.typedSearchAttributes.get(CLIENT), caller.grant)) throw notFound;
  return { id, handle, status: description.status.name };
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
