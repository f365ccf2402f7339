// Reading back a job result that collect stored in the results topic (one too large to return inline): messages
// of `{ group?, section, rows }` under the result's key, in the reference's offset ranges.
import type { CollectedResult } from '../../activities/spark-job';
import type { KafkaClient } from '../../lib/kafka';
import type { GroupedJobResult, JobResult, Row } from '../../spark/backend';

type Stored = Extract<CollectedResult, { stored: unknown }>['stored'];

/** The stored result, reassembled: sections without a group, and per group. */
export async function readStoredResult(kafka: KafkaClient, stored: Stored): Promise<GroupedJobResult> {
  const messages = await kafka.readRanges(stored.topic, stored.ranges, { key: stored.key, timeoutMs: 30_000 });
  const result: GroupedJobResult = { sections: {}, groups: {} };
  for (const message of messages) {
    const { group, section, rows } = JSON.parse(message.value) as { group?: string; section: string; rows: Row[] };
    const target: JobResult = group === undefined ? result.sections : (result.groups[group] ??= {});
    (target[section] ??= []).push(...rows);
  }
  return result;
}

/** A collected result as sections and groups, whether it came inline or stored. */
export async function collectedResult(kafka: KafkaClient, collected: CollectedResult): Promise<GroupedJobResult> {
  if ('inline' in collected) return { sections: collected.inline, groups: collected.groups ?? {} };
  return readStoredResult(kafka, collected.stored);
}
