// The journal of shared Spark executions: which runs' jobs one coalesced execution computes. It is written before
// the execution starts, so a retried submit (its worker died after starting the execution, before Temporal heard
// back) finds the execution its run is already part of instead of starting another.
import type { JobName, JobParams } from '../../contracts/jobs';
import type { PartitionRange } from '../../contracts/partition-ranges';
import type { KafkaClient } from '../../lib/kafka';

export interface SharedExecutionMember {
  /** The operation id the run's job would have on its own (sparkOperationId): the member's identity. */
  operationId: string;
  runKey: string;
  tag: string;
  recordKey: string;
  ranges: PartitionRange[];
}

export interface SharedExecution {
  operationId: string;
  job: JobName;
  params: JobParams;
  topic: string;
  members: SharedExecutionMember[];
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
    private readonly kafka: KafkaClient,
    private readonly topic: string,
  ) {}

  async record(execution: SharedExecution): Promise<void> {
    await this.ensureTopic();
    await this.kafka.produce(this.topic, [{ key: execution.operationId, value: JSON.stringify(execution), partition: 0 }]);
  }

  async find(memberOperationId: string, sinceMs: number): Promise<SharedExecution[]> {
    await this.ensureTopic();
    const [from, to] = await Promise.all([this.kafka.offsetsAt(this.topic, sinceMs - CLOCK_SLACK_MS), this.kafka.endOffsets(this.topic)]);
    const ranges = [...to].map(([partition, end]) => ({ partition, from: from.get(partition) ?? end, to: end }));
    const messages = await this.kafka.readRanges(this.topic, ranges);
    return messages
      .map((m) => JSON.parse(m.value) as SharedExecution)
      .filter((execution) => execution.members.some((member) => member.operationId === memberOperationId))
      .reverse();
  }

  private ensureTopic(): Promise<unknown> {
    this.ready ??= this.kafka.ensureTopic(this.topic, 1).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}
