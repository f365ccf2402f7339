// The results of shared executions as this process holds them: one fetch from Spark serves every member that
// collects here, each gets its own part, and the execution is released on Spark (after the release grace) once every
// member released it here, or SHARED_RESULT_TTL_MS after it was first read here (members that finish on another
// worker).
import { memberPart, type GroupedJobResult } from '../../contracts/groups';
import type { SparkJobHandle } from '../../contracts/pipeline';
import type { SparkExecutor } from './job-runner';

/**
 * How long a shared execution's result is kept, here and on Spark, after this process first read it. Its members
 * collect one right after the other, mostly on the worker that started it; a member that finishes on another
 * worker releases it there, so the release count here never completes. A member that comes later than this reads
 * a released execution and runs its job again alone: right, at the cost of one more execution.
 */
const SHARED_RESULT_TTL_MS = 5 * 60_000;

/** A shared execution this process started or read: which members released it, its result once fetched. */
interface Shared {
  members: number;
  released: Set<string>;
  result?: Promise<GroupedJobResult>;
  /** Releases it on Spark after SHARED_RESULT_TTL_MS, for members that finish on another worker (or never). */
  expiry?: NodeJS.Timeout;
  /** Every member released it: it goes after the grace (a member may still collect again meanwhile). */
  releasing?: boolean;
}

/** Runs `release` after `graceMs`, in the background (Spark's detached timeout is the backstop); at once when 0. */
export async function afterGrace(graceMs: number, release: () => Promise<void>): Promise<void> {
  if (graceMs === 0) return release();
  setTimeout(() => void release().catch(() => undefined), graceMs).unref();
}

/** A run's place in a shared execution (SparkJobHandle.shared). */
type Member = NonNullable<SparkJobHandle['shared']>;

export class SharedResults {
  private readonly shared = new Map<string, Shared>();

  constructor(
    private readonly executor: Pick<SparkExecutor, 'result' | 'release'>,
    private readonly releaseGraceMs = 0,
  ) {}

  /** A shared execution this process started, with so many members. */
  started(operationId: string, members: number): void {
    this.shared.set(operationId, { members, released: new Set() });
  }

  /** The member's part of the execution's result, fetched from Spark once for every member here. */
  async result(operationId: string, member: Member): Promise<GroupedJobResult> {
    let shared = this.shared.get(operationId);
    if (!shared) {
      // Started by another process (or before a restart): fetch it once for all of its members here.
      shared = { members: member.members, released: new Set() };
      this.shared.set(operationId, shared);
    }
    shared.expiry ??= setTimeout(() => {
      if (this.shared.get(operationId) !== shared) return;
      this.shared.delete(operationId);
      void this.executor.release(operationId).catch(() => undefined); // Spark's detached timeout is the backstop
    }, SHARED_RESULT_TTL_MS).unref();
    const fetching = (shared.result ??= this.executor.result(operationId));
    const all = await fetching.catch((err: unknown) => {
      if (shared.result === fetching) shared.result = undefined; // let a retry fetch again
      throw err;
    });
    return memberPart(all, member.tag);
  }

  /**
   * One member is done with it: the last one here releases it on Spark, after the grace (a member counts once).
   * Until then a member that collects again (its task was lost after this release) reads the result kept here.
   */
  async release(operationId: string, member: Member): Promise<void> {
    const shared = this.shared.get(operationId);
    if (!shared) return;
    shared.released.add(member.tag);
    if (shared.released.size < shared.members || shared.releasing) return;
    shared.releasing = true;
    clearTimeout(shared.expiry);
    await afterGrace(this.releaseGraceMs, async () => {
      if (this.shared.get(operationId) === shared) this.shared.delete(operationId);
      await this.executor.release(operationId);
    });
  }
}
