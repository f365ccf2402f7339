// The journal of shared Spark executions: which runs' jobs one coalesced execution computes. It is written before
// the execution starts, so a retried submit (its worker died after starting the execution, before Temporal heard
// back) finds the execution its run is already part of instead of starting another. Only workers write its topic
// (on Kubernetes, Kafka ACLs say so: k8s/README.md); a message it did not write is skipped and reported, never
// trusted and never thrown.
import { z } from 'zod';
import { PartitionRangeSchema } from '../../contracts/partition-ranges';
import type { KafkaClient } from '../../lib/kafka';

/**
 * The version of the messages this code writes; a message of another version is not read. 2: jobs of pipeline
 * definitions (a plan's key in place of the employee job's name and reference date).
 */
export const JOURNAL_VERSION = 2;

/** What a journal message must be to be read: one this code wrote. It gives the types below too. */
const JournalMessageSchema = z.object({
  version: z.literal(JOURNAL_VERSION, { error: `expected version ${JOURNAL_VERSION}` }),
  operationId: z.string().min(1),
  job: z.string().min(1),
  /** What the execution computes: the plan's key (definition, version, job, parameters: contracts/definitions.ts planKey). */
  plan: z.string().min(1),
  topic: z.string().min(1),
  members: z.array(
    z.object({
      /** The operation id the run's job would have on its own (sparkOperationId): the member's identity. */
      operationId: z.string().min(1),
      runKey: z.string().min(1),
      tag: z.string(),
      recordKey: z.string().min(1),
      ranges: z.array(z.object(PartitionRangeSchema.shape)),
      groups: z.array(z.string()).optional(),
    }),
  ),
});

export type SharedExecution = Omit<z.output<typeof JournalMessageSchema>, 'version'>;

/** Told of each message the journal skipped: its offset (in partition 0) and why. */
export interface JournalWatch {
  skipped(offset: number, reason: string): void;
}

export interface ExecutionJournal {
  record(execution: SharedExecution): Promise<void>;
  /** The shared executions, recorded at or after `sinceMs`, that have this member: the newest first. */
  find(memberOperationId: string, sinceMs: number): Promise<SharedExecution[]>;
}

/** Clocks of the worker and the broker may differ a little: look back this much further than asked. */
const CLOCK_SLACK_MS = 30_000;

/** The journal as a one-partition Kafka topic, a message per shared execution. */
export class KafkaExecutionJournal implements ExecutionJournal {
  private ready: Promise<unknown> | undefined;

  constructor(
    private readonly kafka: Pick<KafkaClient, 'ensureTopic' | 'produce' | 'offsetsAt' | 'endOffsets' | 'readRanges'>,
    private readonly topic: string,
    private readonly watch: JournalWatch = { skipped: () => undefined },
  ) {}

  async record(execution: SharedExecution): Promise<void> {
    await this.ensureTopic();
    const value = JSON.stringify({ version: JOURNAL_VERSION, ...execution });
    await this.kafka.produce(this.topic, [{ key: execution.operationId, value, partition: 0 }]);
  }

  async find(memberOperationId: string, sinceMs: number): Promise<SharedExecution[]> {
    await this.ensureTopic();
    const [from, to] = await Promise.all([this.kafka.offsetsAt(this.topic, sinceMs - CLOCK_SLACK_MS), this.kafka.endOffsets(this.topic)]);
    const ranges = [...to].map(([partition, end]) => ({ partition, from: from.get(partition) ?? end, to: end }));
    const found: SharedExecution[] = [];
    for (const message of await this.kafka.readRanges(this.topic, ranges)) {
      const execution = this.parse(message.value, message.offset);
      if (execution?.members.some((member) => member.operationId === memberOperationId)) found.push(execution);
    }
    return found.reverse();
  }

  /** A message this code wrote, or undefined (reported to the watch) for anything else. */
  private parse(value: string, offset: number): SharedExecution | undefined {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      this.watch.skipped(offset, 'not JSON');
      return undefined;
    }
    const parsed = JournalMessageSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      this.watch.skipped(offset, `${issue.path.join('.') || 'message'}: ${issue.message}`);
      return undefined;
    }
    const { version: _version, ...execution } = parsed.data;
    return execution;
  }

  private ensureTopic(): Promise<unknown> {
    this.ready ??= this.kafka.ensureTopic(this.topic, 1).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}
