// Spark executions over Spark Connect. All workers share one Spark session (a fixed session id), so any worker
// can reach any execution by its operation id. An execution is ONE plan: the job's SQL over its source relation
// (sqlOverRelations), so nothing is registered in the session beforehand or left to drop afterwards.
import crypto from 'node:crypto';
import { groupRows, type GroupedJobResult } from '../../contracts/groups';
import type { JobPlan } from '../../contracts/definitions';
import { coveringRanges } from '../../contracts/partition-ranges';
import { SparkConnectError, type SparkConnectClient } from '../../lib/spark-connect';
import { dataSourceRelation, kafkaBatchRelation, sqlOverRelations } from '../../lib/spark-connect/relations';
import { recordsFileSource } from '../jobs/sources';
import type { SparkSource } from '../../contracts/pipeline';
import { jobSql, memberGroups, membersFromKafkaSql, recordsFromFileSql, recordsFromKafkaSql, sectionRowsSql, sqlString } from '../jobs/sql';
import type { ExecutionSource, SectionSinks, SparkExecutor, SparkJobState } from './job-runner';

export interface SparkConnectExecutorOptions {
  /** Kafka bootstrap servers as Spark's executors reach them. */
  kafkaBootstrapServers: string;
}

/**
 * Spark's consumer prefetches past a run's range and the broker holds such a fetch for fetch.max.wait.ms (500 ms
 * by default) when no data follows, which made a 10-record run slower than a 1,000-record one (1.9 s vs 0.4 s).
 */
const KAFKA_CONSUMER_OPTIONS = { 'kafka.fetch.max.wait.ms': '10' };
/**
 * A fixed group id lets Spark's executor consumer pool reuse consumers across queries. The pool insists that all
 * queries of a group id pass the same consumer options: changing KAFKA_CONSUMER_OPTIONS needs a new group id
 * (else: "Kafka parameters for same cache key should be equal").
 */
const KAFKA_GROUP_ID = 'streamforge-spark-fmw10';

/**
 * The name the job's SQL reads its source under. Unique per execution: Spark resolves a WithRelations reference by
 * registering it as a temp view of the shared session for the time of analysis, so two executions analysed at
 * the same moment under one name would see each other's source (seen as TABLE_OR_VIEW_NOT_FOUND under load).
 */
const sourceTable = (operationId: string) => `source_${operationId.replace(/-/g, '')}`;

/**
 * GetStatus states: TERMINATING is an execution that ended and is still held (its result readable); SUCCEEDED,
 * FAILED and CANCELLED come from Spark's memory of executions it no longer holds (released, or abandoned after the
 * detached timeout), whose results are gone.
 */
const STATES: Record<string, SparkJobState> = {
  OPERATION_STATE_RUNNING: 'running',
  OPERATION_STATE_TERMINATING: 'finished',
  OPERATION_STATE_SUCCEEDED: 'released',
  OPERATION_STATE_FAILED: 'released',
  OPERATION_STATE_CANCELLED: 'canceled',
};

export class SparkConnectExecutor implements SparkExecutor, SectionSinks {
  constructor(
    private readonly client: SparkConnectClient,
    private readonly options: SparkConnectExecutorOptions,
  ) {}

  async start(operationId: string, plan: JobPlan, source: ExecutionSource): Promise<boolean> {
    const table = sourceTable(operationId);
    const { records, relation, groups } = this.records(plan, source, table);
    try {
      await this.client.start(
        { root: sqlOverRelations(jobSql(plan, records, groups), { [table]: relation }, 1, plan.params) },
        operationId,
      );
      return true;
    } catch (err) {
      if (err instanceof SparkConnectError && err.errorClass === 'INVALID_HANDLE.OPERATION_ABANDONED') return false;
      throw err;
    }
  }

  async writeParquet(plan: JobPlan, section: string, source: SparkSource, path: string): Promise<void> {
    const input = this.sectionRows(plan, section, source);
    await this.client.command({ write_operation: { input, source: 'parquet', path, mode: 'SAVE_MODE_OVERWRITE' } });
  }

  async writeKafka(plan: JobPlan, section: string, source: SparkSource, topic: string, keyPrefix: string): Promise<void> {
    const orderBy = plan.sections.find(([name]) => name === section)![1].orderBy;
    const input = this.sectionRows(
      plan,
      section,
      source,
      (rows) => `WITH section_rows AS (${rows})
SELECT concat(${sqlString(keyPrefix)}, CAST(row_number() OVER (ORDER BY ${orderBy}) AS STRING)) AS key, to_json(struct(*)) AS value
FROM section_rows`,
    );
    // Kafka takes appends only: a write again sends the same keys, which readers of the latest per key see once.
    await this.client.command({
      write_operation: {
        input,
        source: 'kafka',
        mode: 'SAVE_MODE_APPEND',
        options: [
          { key: 'kafka.bootstrap.servers', value: this.options.kafkaBootstrapServers },
          { key: 'topic', value: topic },
        ],
      },
    });
  }

  async states(operationIds: string[]): Promise<Map<string, SparkJobState>> {
    const states = await this.client.status(operationIds);
    return new Map(operationIds.map((id) => [id, STATES[states.get(id) ?? ''] ?? 'unknown']));
  }

  async result(operationId: string): Promise<GroupedJobResult> {
    const { rows } = await this.client.attach(operationId);
    return groupRows(rows as { _group: string | null; section: string; row: string }[]);
  }

  async release(operationId: string): Promise<void> {
    await this.client.release(operationId).catch((err: unknown) => {
      // Already released, or gone with a server restart: either way nothing is held any more.
      if (!(err instanceof SparkConnectError && err.errorClass?.startsWith('INVALID_HANDLE.'))) throw err;
    });
  }

  async interrupt(operationId: string): Promise<void> {
    await this.client.interrupt(operationId);
  }

  /** A section's rows over exactly the run's records, as one relation (`query` may wrap their SQL). */
  private sectionRows(plan: JobPlan, section: string, source: SparkSource, query = (rows: string) => rows) {
    const table = sourceTable(crypto.randomUUID());
    const { records, relation, groups } = this.records(plan, source, table);
    return sqlOverRelations(query(sectionRowsSql(plan, section, records, groups)), { [table]: relation }, 1, plan.params);
  }

  /**
   * The source as a relation, the SQL that turns its rows into typed records with their group, and the groups
   * the records carry ('': none).
   */
  private records(plan: JobPlan, source: ExecutionSource, table: string) {
    if (source.kind === 'json-file') {
      const { format, ...read } = recordsFileSource(source.path, plan.fields);
      return { relation: dataSourceRelation(format, read), records: recordsFromFileSql(table), groups: [''] };
    }
    const ranges = source.kind === 'kafka' ? source.ranges : coveringRanges(source.members.flatMap((m) => m.ranges));
    const deduplicate = source.kind === 'kafka' && source.recordKey !== undefined && source.deduplicate === true;
    const relation = kafkaBatchRelation({
      bootstrapServers: this.options.kafkaBootstrapServers,
      topic: source.topic,
      ranges: ranges.filter((r) => r.to > r.from),
      groupId: KAFKA_GROUP_ID,
      // Headers only when they are needed (de-duplicating by the seq header): reading them costs ~10 %.
      options: deduplicate ? { ...KAFKA_CONSUMER_OPTIONS, includeHeaders: 'true' } : KAFKA_CONSUMER_OPTIONS,
    });
    if (source.kind === 'kafka') {
      const groups = source.recordKey !== undefined && source.groups?.length ? source.groups : [''];
      return { relation, records: recordsFromKafkaSql(table, plan.fields, plan.columns, source.recordKey, { deduplicate }), groups };
    }
    return {
      relation,
      records: membersFromKafkaSql(table, plan.fields, plan.columns, source.members),
      groups: source.members.flatMap(memberGroups),
    };
  }
}
