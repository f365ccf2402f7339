// Whether a step may follow an earlier try of itself that wrote or started something, and since when.
import type { Context } from '@temporalio/activity';
import type { EarlierTries } from '../contracts/pipeline';

/**
 * Since when an earlier try of this step may have written or started something: its earlier attempts, or (a small
 * run's local activity, given `earlier.since`) a try in a workflow task that was lost. Undefined: this is the first.
 */
export function earlierTriesSince(ctx: Context, earlier: EarlierTries): number | undefined {
  return ctx.info.attempt > 1 ? Math.min(ctx.info.scheduledTimestampMs, earlier.since ?? Infinity) : earlier.since;
}
