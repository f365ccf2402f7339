// How records travel in Kafka: a message's value is a JSON array of records, not one record a message. A record in
// a message of its own costs the client, the broker and Spark's Kafka source a message's overhead each (the
// producer's encoding alone is ~5 µs a message with its headers); a hundred to a message spread that over them.
// Both the pipeline's records topic (activities/ingest.ts) and a stream's topic (lib/streams.ts) are written this
// way, and both readers take a message that is one record as well (spark/jobs/sql.ts, spark/jobs/streaming.ts).

/** Records in one message, at most. */
export const RECORDS_PER_MESSAGE = 100;
/** A message's value, at most (Kafka's default limit is 1 MiB); a single record larger than this goes alone. */
export const MESSAGE_BYTES = 256 * 1024;

/**
 * JSON texts (one record each) cut into chunks of up to `perChunk` of them and at most `MESSAGE_BYTES` as a JSON array
 * in UTF-8 (`jsonArray`), in order. The same texts always give the same chunks, so a retry that cuts them again
 * writes the same messages.
 */
export function jsonChunks(texts: readonly string[], perChunk = RECORDS_PER_MESSAGE): string[][] {
  const chunks: string[][] = [];
  let bytes = 0;
  for (const text of texts) {
    const size = Buffer.byteLength(text);
    const last = chunks.at(-1);
    if (last && last.length < perChunk && bytes + size + 1 <= MESSAGE_BYTES) {
      last.push(text);
      bytes += size + 1;
    } else {
      chunks.push([text]);
      bytes = size + 2;
    }
  }
  return chunks;
}

/** A chunk's texts as one JSON array. */
export const jsonArray = (chunk: readonly string[]): string => `[${chunk.join(',')}]`;
