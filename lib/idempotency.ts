// Every external key a pipeline run uses, derived in one place from the run key (workflowId + first run id),
// never from an attempt: a retried or replayed step computes the same key and finds its own earlier work.
import crypto from 'node:crypto';

/** Namespace for our name-based UUIDs (a fixed random UUID; changing it would orphan running operations). */
const STREAMFORGE_NAMESPACE = '6f1c8f52-6a0e-4c1e-9d2b-4d3c7d1e5a90';

/** RFC 9562 version-5 (SHA-1, name-based) UUID. */
export function uuidV5(name: string, namespace: string = STREAMFORGE_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`namespace must be a UUID, got ${namespace}`);
  const hash = crypto.createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The Kafka message key of every record a run ingests: how Spark picks the run's records out of a shared topic.
 * A UUID rather than the run key itself: every record carries it, and a run key can be long.
 */
export function recordKey(runKey: string): string {
  return uuidV5(`record-key:${runKey}`);
}

/**
 * The Spark Connect operation id of one job of one run: resubmitting it attaches to the same execution. Spark never
 * lets an id be started again once it let its execution go, so a run that needs its job run again after that
 * (Spark abandoned it, or it failed) moves on to the next generation's id: a fixed sequence, so every attempt and
 * every worker finds the same one.
 */
export function sparkOperationId(runKey: string, job: string, generation = 0): string {
  return uuidV5(`spark-operation:${runKey}:${job}${generation === 0 ? '' : `#${generation}`}`);
}
