// What a message of the records topic holds, read the way a person would read it: its value is a JSON array of
// records (or one record), parsed here on its own, not through the ingest's or Spark's code.

export function recordsOf<R = Record<string, unknown>>(message: { value: string }): R[] {
  const value = JSON.parse(message.value) as R | R[];
  return Array.isArray(value) ? value : [value];
}

/** Every record of these messages, in order. */
export const recordsInMessages = <R = Record<string, unknown>>(messages: readonly { value: string }[]): R[] =>
  messages.flatMap((m) => recordsOf<R>(m));
