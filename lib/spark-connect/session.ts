// The Spark session a client works in, and how it moves on when Spark closed or lost it. Spark Connect closes a
// session that was idle for spark.connect.session.manager.defaultSessionTimeout and then refuses its id for good
// (SESSION_CLOSED); a restarted server knows no session at all (SESSION_NOT_FOUND, or SESSION_CHANGED when the
// client sends the server-side id it saw before). Operation ids live in a session, and every worker of a task queue
// must reach every run's execution, so all of them must work in the same session: the session ids form a fixed
// sequence (epoch 0 is the configured id, epoch n a UUID derived from it), and a client that finds its session
// gone walks the sequence the same way every other client does (docs/architecture.md, "Spark sessions").
import { uuidV5 } from '../idempotency';

/** How far the walk goes: Spark remembers 1,000 closed session ids by default (closedSessionsTombstonesSize). */
const MAX_EPOCHS = 1000;

/** What a GetStatus of a session without operations says about it. */
export type SessionProbe = 'exists' | 'closed' | 'not-found';

/** The session id of one epoch of a base session id. */
export function sessionIdOf(baseSessionId: string, epoch: number): string {
  return epoch === 0 ? baseSessionId : uuidV5(`spark-session-epoch:${baseSessionId}:${epoch}`);
}

/**
 * The epoch to work in: after the closed ones, the last one that exists, or else the first one no server has
 * created yet. A session some client re-created by mistake beyond the first never-created epoch is never chosen,
 * so clients that walk at different moments still agree.
 */
export async function findEpoch(probe: (epoch: number) => Promise<SessionProbe>): Promise<number> {
  let lastExisting: number | undefined;
  for (let epoch = 0; epoch < MAX_EPOCHS; epoch++) {
    const state = await probe(epoch);
    if (state === 'exists') lastExisting = epoch;
    else if (state === 'not-found') return lastExisting ?? epoch;
  }
  throw new Error(
    `Spark Connect: the first ${MAX_EPOCHS} sessions of this task queue are all closed or taken; set SPARK_SESSION_ID to a new UUID`,
  );
}

/** The current session, moved to the agreed epoch (one walk at a time) when a request finds it gone. */
export class SessionState {
  private epoch = 0;
  private walking: Promise<void> | undefined;
  /** Server-side session id seen last; sent back so a restarted server answers SESSION_CHANGED, not silence. */
  serverSideId: string | undefined;

  constructor(
    private readonly baseId: string,
    private readonly probe: (sessionId: string) => Promise<SessionProbe>,
  ) {}

  get id(): string {
    return sessionIdOf(this.baseId, this.epoch);
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  /**
   * Called when a request made in session `lostId` found it gone: walks the epochs (once, however many requests
   * ask at the same moment) unless another walk already moved past `lostId`.
   */
  async recover(lostId: string): Promise<void> {
    if (this.walking) return this.walking;
    if (lostId !== this.id) return;
    this.walking = (async () => {
      try {
        const epoch = await findEpoch((e) => this.probe(sessionIdOf(this.baseId, e)));
        if (epoch !== this.epoch) this.epoch = epoch;
        this.serverSideId = undefined;
      } finally {
        this.walking = undefined;
      }
    })();
    return this.walking;
  }
}
