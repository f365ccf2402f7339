// Waiting for the real stack to get somewhere: read until a condition holds, or fail with what was read last.

/** Calls `read` every second until `done` holds for its value (a failed read counts as not yet); throws after `ms`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined);
    if (last !== undefined && done(last)) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${what} never happened; last read: ${JSON.stringify(last)?.slice(0, 2000)}`);
}
