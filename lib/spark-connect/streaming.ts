// Structured Streaming over Spark Connect: start a query from a streaming relation (WriteStreamOperationStart),
// then reach it by id for status, progress, its exception and stop (StreamingQueryCommand), and list the session's
// active queries (StreamingQueryManagerCommand). PySpark's pyspark/sql/connect/streaming drives the same commands.
import type { SparkConnectClient } from './client';
import { SparkConnectError } from './errors';
import type { Command, ExecutePlanResponse, Relation, StreamingQueryCommand, StreamingQueryCommandResult } from './proto';

/** One run of a query: `id` survives restarts from the checkpoint, `runId` is new on every start. */
export interface StreamingQueryRef {
  id: string;
  runId: string;
  name?: string;
}

export interface WriteStreamSpec {
  /** A streaming relation (a `read` with `is_streaming`, and what is built on it). */
  input: Relation;
  /** Sink format: `kafka`, `console`, `memory`, `parquet`... */
  format: string;
  /** Sink options (`kafka.bootstrap.servers`, `topic`...). */
  options?: Record<string, string>;
  /** Where Spark keeps offsets and state; a query started again with the same one resumes where it stopped. */
  checkpointLocation: string;
  /** A micro-batch every `processingTime` (e.g. `'1 second'`), or all that is available now, then stop. */
  trigger: { processingTime: string } | { availableNow: true };
  outputMode: 'append' | 'update' | 'complete';
  /** Unique among the active queries of the Spark session. */
  queryName: string;
}

export interface StreamingQueryStatus {
  message: string;
  isDataAvailable: boolean;
  isTriggerActive: boolean;
  isActive: boolean;
}

/** A source of one micro-batch, as Spark reports it; Kafka offsets are `{topic: {partition: offset}}`. */
export interface SourceProgress {
  description: string;
  startOffset: unknown;
  endOffset: unknown;
  latestOffset: unknown;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  metrics?: Record<string, string>;
}

/** The subset of Spark's StreamingQueryProgress (one micro-batch) that we read; the rest stays in the JSON. */
export interface StreamingQueryProgress {
  id: string;
  runId: string;
  name: string | null;
  timestamp: string;
  batchId: number;
  batchDuration: number;
  /** Absent from what Spark Connect 4.2 sends: `progressRates` sums them over the sources. */
  numInputRows?: number;
  inputRowsPerSecond?: number;
  processedRowsPerSecond?: number;
  durationMs?: Record<string, number>;
  eventTime?: Record<string, string>;
  stateOperators?: {
    operatorName?: string;
    numRowsTotal: number;
    numRowsUpdated: number;
    numRowsDroppedByWatermark?: number;
    memoryUsedBytes?: number;
    /** Time spent committing the operator's state, writing its updates, and removing what the watermark passed. */
    commitTimeMs?: number;
    allUpdatesTimeMs?: number;
    allRemovalsTimeMs?: number;
  }[];
  sources: SourceProgress[];
  sink?: { description: string; numOutputRows: number };
  /**
   * What `observe` relations computed over the batch, by their name (lib/spark-connect/relations.ts observe). Spark
   * Connect sends each as its row's values and schema; read one with `observedMetric`.
   */
  observedMetrics?: Record<string, { values?: unknown[]; schema?: { fields?: { name: string }[] } }>;
}

/** One value an `observe` relation computed over the batch: for `observe(name, ['count(1) AS records'])`, `records`. */
export function observedMetric(progress: StreamingQueryProgress, name: string, field: string): unknown {
  const row = progress.observedMetrics?.[name];
  const index = row?.schema?.fields?.findIndex((f) => f.name === field) ?? -1;
  return index < 0 ? undefined : row?.values?.[index];
}

/** Rows and rates of a micro-batch over all its sources (what Scala's progress reports at its top level). */
export function progressRates(progress: StreamingQueryProgress): {
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
} {
  const sum = (pick: (s: SourceProgress) => number | undefined) => progress.sources.reduce((n, s) => n + (Number(pick(s)) || 0), 0);
  return {
    numInputRows: progress.numInputRows ?? sum((s) => s.numInputRows),
    inputRowsPerSecond: progress.inputRowsPerSecond ?? sum((s) => s.inputRowsPerSecond),
    processedRowsPerSecond: progress.processedRowsPerSecond ?? sum((s) => s.processedRowsPerSecond),
  };
}

export interface StreamingQueryException {
  message: string;
  errorClass?: string;
}

export class StreamingQueries {
  constructor(private readonly client: SparkConnectClient) {}

  /** Starts a query; Spark refuses a second active query with the same name or checkpoint. */
  async start(spec: WriteStreamSpec): Promise<StreamingQueryRef> {
    const options = { ...spec.options, checkpointLocation: spec.checkpointLocation };
    const responses = await this.client.command({
      write_stream_operation_start: {
        input: spec.input,
        format: spec.format,
        options: Object.entries(options).map(([key, value]) => ({ key, value })),
        ...('processingTime' in spec.trigger ? { processing_time_interval: spec.trigger.processingTime } : { available_now: true }),
        output_mode: spec.outputMode,
        query_name: spec.queryName,
      },
    });
    const started = find(responses, 'write_stream_operation_start_result');
    return { id: started.query_id.id, runId: started.query_id.run_id, ...(started.name ? { name: started.name } : {}) };
  }

  /** The session's active queries. */
  async active(): Promise<StreamingQueryRef[]> {
    const result = find(
      await this.client.command({ streaming_query_manager_command: { active: true } }),
      'streaming_query_manager_command_result',
    );
    return (result.active?.active_queries ?? []).map((q) => ({ id: q.id.id, runId: q.id.run_id, ...(q.name ? { name: q.name } : {}) }));
  }

  /** The active query of that name in the session, if any. */
  async findActive(name: string): Promise<StreamingQueryRef | undefined> {
    return (await this.active()).find((q) => q.name === name);
  }

  async status(query: StreamingQueryRef): Promise<StreamingQueryStatus> {
    const status = (await this.queryCommand(query, { status: true })).status ?? {};
    return {
      message: status.status_message ?? '',
      isDataAvailable: status.is_data_available ?? false,
      isTriggerActive: status.is_trigger_active ?? false,
      isActive: status.is_active ?? false,
    };
  }

  /** The newest progress report (one per micro-batch), or undefined before the first batch. */
  async lastProgress(query: StreamingQueryRef): Promise<StreamingQueryProgress | undefined> {
    return (await this.progress(query, { last_progress: true })).at(-1);
  }

  /** The recent progress reports Spark keeps (spark.sql.streaming.numRecentProgressUpdates, 100), oldest first. */
  async recentProgress(query: StreamingQueryRef): Promise<StreamingQueryProgress[]> {
    return this.progress(query, { recent_progress: true });
  }

  /** Why the query terminated, if it failed; undefined while it runs or after a clean stop. */
  async exception(query: StreamingQueryRef): Promise<StreamingQueryException | undefined> {
    const exception = (await this.queryCommand(query, { exception: true })).exception;
    if (!exception?.exception_message) return undefined;
    return { message: exception.exception_message, ...(exception.error_class ? { errorClass: exception.error_class } : {}) };
  }

  /** Stops the query (waits for Spark to end the running batch); stopping a stopped query does nothing. */
  async stop(query: StreamingQueryRef): Promise<void> {
    await this.queryCommand(query, { stop: true });
  }

  /** Waits up to `timeoutMs` for the query to end; true if it did. */
  async awaitTermination(query: StreamingQueryRef, timeoutMs: number): Promise<boolean> {
    const result = await this.queryCommand(query, { await_termination: { timeout_ms: String(timeoutMs) } });
    return result.await_termination?.terminated ?? false;
  }

  /**
   * The plan Spark ran for the query's last micro-batch (`StreamingQuery.explain`): the physical plan, and with
   * `extended` the parsed, analysed and optimised logical plans before it.
   */
  async explain(query: StreamingQueryRef, extended = true): Promise<string> {
    return (await this.queryCommand(query, { explain: { extended } })).explain?.result ?? '';
  }

  /** Runs until every record available now is processed (a test's barrier; never use on a busy topic). */
  async processAllAvailable(query: StreamingQueryRef): Promise<void> {
    await this.queryCommand(query, { process_all_available: true });
  }

  private async progress(query: StreamingQueryRef, which: Pick<StreamingQueryCommand, 'last_progress' | 'recent_progress'>) {
    const json = (await this.queryCommand(query, which)).recent_progress?.recent_progress_json ?? [];
    return json.map((text) => JSON.parse(text) as StreamingQueryProgress);
  }

  private async queryCommand(
    query: StreamingQueryRef,
    command: Omit<StreamingQueryCommand, 'query_id'>,
  ): Promise<StreamingQueryCommandResult> {
    const plan: Command = { streaming_query_command: { query_id: { id: query.id, run_id: query.runId }, ...command } };
    return find(await this.client.command(plan), 'streaming_query_command_result');
  }
}

type ResultField = 'write_stream_operation_start_result' | 'streaming_query_command_result' | 'streaming_query_manager_command_result';

function find<F extends ResultField>(responses: ExecutePlanResponse[], field: F): NonNullable<ExecutePlanResponse[F]> {
  for (const response of responses) {
    const result = response[field];
    if (result) return result as NonNullable<ExecutePlanResponse[F]>;
  }
  throw new SparkConnectError(`Spark Connect answered the command without a ${field}; is the server a Spark 3.5+ Connect server?`, {
    kind: 'server',
  });
}

/**
 * Offsets of a Kafka source as Spark reports them (`{"topic": {"0": 12, "1": 7}}`, or the JSON text of it) for
 * one topic, by partition.
 */
export function kafkaOffsets(offsets: unknown, topic: string): Map<number, number> {
  const parsed = typeof offsets === 'string' ? (JSON.parse(offsets) as unknown) : offsets;
  const out = new Map<number, number>();
  const perTopic = (parsed as Record<string, Record<string, number>> | null | undefined)?.[topic];
  for (const [partition, offset] of Object.entries(perTopic ?? {})) out.set(Number(partition), Number(offset));
  return out;
}
