// The status multiplexer: whoever waits for an execution to end (the scheduler holding a slot, a poll activity)
// waits here, and one GetStatus call a round asks Spark about every execution waited for.
import type { SparkExecutor, SparkJobState } from './job-runner';

/** While Spark does not answer: ask again this much later (waits with a timeout still end on time). */
const STATUS_RETRY_MS = 1_000;

export class StatusWatch {
  private readonly watchers = new Map<string, Set<(state: SparkJobState) => void>>();
  private polling = false;

  constructor(
    private readonly executor: Pick<SparkExecutor, 'states'>,
    /** How often the states of watched executions are fetched. */
    private readonly intervalMs: number,
  ) {}

  /** Resolves with the execution's state once it is not running, or `running` after `timeoutMs`. */
  settled(operationId: string, timeoutMs: number): Promise<SparkJobState> {
    return new Promise((resolve) => {
      const listeners = this.watchers.get(operationId) ?? new Set();
      this.watchers.set(operationId, listeners);
      let timer: NodeJS.Timeout | undefined;
      const done = (state: SparkJobState) => {
        clearTimeout(timer);
        listeners.delete(done);
        if (listeners.size === 0 && this.watchers.get(operationId) === listeners) this.watchers.delete(operationId);
        resolve(state);
      };
      listeners.add(done);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => done('running'), timeoutMs);
      this.schedulePoll(this.intervalMs);
    });
  }

  /** One GetStatus for every watched execution, repeated while any is watched. */
  private schedulePoll(delayMs: number): void {
    if (this.polling || this.watchers.size === 0) return;
    this.polling = true;
    // unref: watching never keeps a process alive by itself (the activities that wait on it do).
    setTimeout(() => {
      const ids = [...this.watchers.keys()];
      this.executor
        .states(ids)
        .then(
          (states) => {
            for (const [id, state] of states) {
              if (state !== 'running') for (const listener of [...(this.watchers.get(id) ?? [])]) listener(state);
            }
            return this.intervalMs;
          },
          () => STATUS_RETRY_MS, // Spark unreachable: keep watching, less often; timeouts still fire
        )
        .then((next) => {
          this.polling = false;
          this.schedulePoll(next);
        });
    }, delayMs).unref();
  }
}
