// The journal of shared executions reads a topic others could write to (an operator, a misconfigured client): a
// message it did not write must be skipped and reported, never break the retried submits that read past it.
import { describe, expect, it } from 'vitest';
import type { PartitionRange } from '../../../../contracts/partition-ranges';
import type { ConsumedMessage, OutgoingMessage } from '../../../../lib/kafka';
import { KafkaExecutionJournal, type SharedExecution } from '../../../../spark/runtime/execution-journal';

/** One partition held in memory, with the calls the journal makes. */
class MemoryTopic {
  readonly messages: ConsumedMessage[] = [];
  async ensureTopic(): Promise<number> {
    return 1;
  }
  async produce(_topic: string, messages: OutgoingMessage[]): Promise<PartitionRange[]> {
    const from = this.messages.length;
    for (const m of messages)
      this.messages.push({ partition: 0, offset: this.messages.length, key: m.key ?? null, value: String(m.value), headers: {} });
    return [{ partition: 0, from, to: this.messages.length }];
  }
  async offsetsAt(): Promise<Map<number, number>> {
    return new Map([[0, 0]]);
  }
  async endOffsets(): Promise<Map<number, number>> {
    return new Map([[0, this.messages.length]]);
  }
  async readRanges(_topic: string, ranges: PartitionRange[]): Promise<ConsumedMessage[]> {
    return this.messages.filter((m) => ranges.some((r) => m.offset >= r.from && m.offset < r.to));
  }
}

const execution = (operationId: string, member: string): SharedExecution => ({
  operationId,
  job: 'count_gender',
  plan: '["employees","0123456789ab","count_gender",[["referenceDate","2026-12-05"]]]',
  topic: 'records',
  members: [
    { operationId: member, runKey: `run-${member}`, tag: '0', recordKey: `key-${member}`, ranges: [{ partition: 0, from: 0, to: 1 }] },
  ],
});

describe('KafkaExecutionJournal', () => {
  it('skips and reports every message it did not write (not JSON, another shape, another version), and still finds its own', async () => {
    const topic = new MemoryTopic();
    const skipped: { offset: number; reason: string }[] = [];
    const journal = new KafkaExecutionJournal(topic, 'journal', {
      skipped: (offset, reason) => skipped.push({ offset, reason }),
    });
    await journal.record(execution('exec-1', 'a'));
    // What a client wrote through a stream's records route, before streams were refused streamforge's topics:
    await topic.produce('journal', [
      { key: 'x', partition: 0, value: JSON.stringify({ id: 1, name: 'Ann', gender: 'F', salary: 100 }) },
      { key: 'x', partition: 0, value: 'not json' },
      { key: 'x', partition: 0, value: JSON.stringify({ ...execution('exec-2', 'a'), version: 99 }) },
      { key: 'x', partition: 0, value: JSON.stringify({ ...execution('exec-3', 'a'), members: 'a' }) },
    ]);
    await journal.record(execution('exec-4', 'a'));
    expect((await journal.find('a', 0)).map((e) => e.operationId)).toEqual(['exec-4', 'exec-1']);
    expect(skipped.map((s) => s.offset)).toEqual([1, 2, 3, 4]);
    expect(skipped[2]!.reason).toMatch(/version/);
  });

  it('writes a version with each message', async () => {
    const topic = new MemoryTopic();
    await new KafkaExecutionJournal(topic, 'journal').record(execution('exec-1', 'a'));
    expect(JSON.parse(topic.messages[0]!.value)).toMatchObject({ version: 2, operationId: 'exec-1' });
  });
});
