// Reading back a job result that collect stored in the results topic (one too large to return inline): messages
// of `{ part, group?, section, rows }` under the result's key, in the reference's offset ranges, put back in order
// of `part` (they were written by several requests at once).
import type { GroupedJobResult } from '../../contracts/groups';
import type { JobResult, Row } from '../../contracts/jobs';
import type { CollectedResult } from '../../contracts/pipeline';
import type { KafkaTopics } from '../../lib/kafka';

type Stored = Extract<CollectedResult, { stored: unknown }>['stored'];

/** The stored result, reassembled: sections without a group, and per group. */
export async function readStoredResult(kafka: KafkaTopics, stored: Stored): Promise<GroupedJobResult> {
  const messages = await kafka.readRanges(stored.topic, stored.ranges, { key: stored.key, timeoutMs: 30_000 });
  const result: GroupedJobResult = { sections: {}, groups: {} };
  // By part, each once: a collect that was retried writes the same parts again (a result is a pure function of its run).
  const parts = new Map<number, { group?: string; section: string; rows: Row[] }>();
  for (const m of messages) {
    const part = JSON.parse(m.value) as { part: number; group?: string; section: string; rows: Row[] };
    if (!parts.has(part.part)) parts.set(part.part, part);
  }
  for (const { group, section, rows } of [...parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)) {
    const target: JobResult = group === undefined ? result.sections : (result.groups[group] ??= {});
    (target[section] ??= []).push(...rows);
  }
  return result;
}

/** A collected result as sections and groups, whether it came inline or stored. */
export async function collectedResult(kafka: KafkaTopics, collected: CollectedResult): Promise<GroupedJobResult> {
  if ('inline' in collected) return { sections: collected.inline, groups: collected.groups ?? {} };
  return readStoredResult(kafka, collected.stored);
}
