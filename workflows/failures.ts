// What went wrong, under Temporal's wrapping: an activity or child failure holds the real error as its cause.
import { TemporalFailure } from '@temporalio/workflow';

/** The innermost cause of a Temporal failure chain. */
export function rootCause(err: unknown): unknown {
  let root = err;
  while (root instanceof TemporalFailure && root.cause) root = root.cause;
  return root;
}

export function rootCauseMessage(err: unknown): string {
  const root = rootCause(err);
  return root instanceof Error ? root.message : String(root);
}
