// A run's own executions, and what an earlier attempt started. A run's job has a few operation ids of its own,
// one generation after another (lib/idempotency.ts): a job Spark let go (lost in a restart, released, failed) runs
// again under the next. A retried submit first looks for what the attempt before it started: the run's own
// execution if Spark holds it, else a shared execution the journal lists the run in; only then does it start one.
import type { JobName } from '../../contracts/jobs';
import type { SparkJobHandle, SparkJobSpec } from '../../contracts/pipeline';
import { sparkOperationId } from '../../lib/idempotency';
import type { ExecutionJournal } from './execution-journal';
import { SparkJobLostError, type SparkExecutor } from './job-runner';

/** Operation ids a run's job may use, one after another, when Spark let the earlier ones go. */
export const JOB_GENERATIONS = 4;

export class RunExecutions {
  constructor(
    private readonly executor: SparkExecutor,
    private readonly journal: ExecutionJournal,
  ) {}

  /** The handle of a run's job run on its own (its first generation). */
  handle(runKey: string, job: JobName): SparkJobHandle {
    return { runKey, job, operationId: sparkOperationId(runKey, job) };
  }

  /** A run's first start: under its first operation id, unless Spark refuses that one (then as startAlone). */
  async startOwn(spec: SparkJobSpec): Promise<SparkJobHandle> {
    const own = this.handle(spec.runKey, spec.job);
    if (await this.executor.start(own.operationId, spec.plan, spec.source)) return own;
    return this.startAlone(spec, own.operationId);
  }

  /**
   * Runs the job for this run alone: attaches to its own execution if Spark holds one, else starts the first
   * generation after every one Spark has seen (or refuses) and after `unusable`.
   */
  async startAlone(spec: SparkJobSpec, unusable?: string): Promise<SparkJobHandle> {
    const { ids, next, held } = await this.ownExecutions(spec, unusable);
    if (held) return held;
    for (let g = next; g < ids.length; g++) {
      if (await this.executor.start(ids[g]!, spec.plan, spec.source)) return { runKey: spec.runKey, job: spec.job, operationId: ids[g]! };
    }
    throw new SparkJobLostError(
      `Spark job ${spec.job} of run ${spec.runKey} did not reach a result under any of its ${ids.length} operation ids: Spark let each one go (interrupted, failed or abandoned)`,
    );
  }

  /**
   * A retried submit (or rerun): what an earlier attempt may have started, if Spark holds it: the run's own
   * execution, else a shared execution the journal lists the run in (the newest first); else the job started now,
   * alone (retries never coalesce: an attempt that died may have joined a shared execution not yet journaled).
   */
  async resubmit(
    spec: SparkJobSpec,
    since: number,
    unusable: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<SparkJobHandle> {
    const { held } = await this.ownExecutions(spec, unusable);
    if (held) return held;
    const own = this.handle(spec.runKey, spec.job);
    for (const shared of await this.journal.find(own.operationId, since)) {
      const member = shared.members.find((m) => m.operationId === own.operationId)!;
      const state = (await this.executor.states([shared.operationId])).get(shared.operationId);
      if (shared.operationId !== unusable && (state === 'running' || state === 'finished')) {
        return { ...own, operationId: shared.operationId, shared: { tag: member.tag, members: shared.members.length } };
      }
    }
    if (signal?.aborted) throw signal.reason;
    return this.startAlone(spec, unusable);
  }

  /** The run's own executions: the one Spark holds now (the latest generation first), and the next to start. */
  private async ownExecutions(spec: SparkJobSpec, unusable: string | undefined) {
    const ids = Array.from({ length: JOB_GENERATIONS }, (_, g) => sparkOperationId(spec.runKey, spec.job, g));
    const states = await this.executor.states(ids);
    const usable = (id: string) => id !== unusable && (states.get(id) === 'running' || states.get(id) === 'finished');
    const heldId = [...ids].reverse().find(usable);
    // The first generation after every one Spark has seen (or refuses) and after the unusable one.
    const next = ids.reduce((n, id, g) => (states.get(id) !== 'unknown' || id === unusable ? g + 1 : n), 0);
    return { ids, next, held: heldId === undefined ? undefined : { runKey: spec.runKey, job: spec.job, operationId: heldId } };
  }
}
