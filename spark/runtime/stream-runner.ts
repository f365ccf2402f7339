// What the streaming activities see of Spark (StreamRunner): start a stream's query (or find it running), look at
// it, stop it. The Spark Connect implementation keeps every query in the worker's shared Spark session, so any
// worker finds a query another worker started, and resumes a query from its checkpoint when Spark lost it.
import path from 'node:path';
import type { StreamObservation, StreamProgress, StreamQueryHandle, StreamSpec } from '../../contracts/streams';
import { streamQueryName, streamTopic } from '../../contracts/streams';
import type { KafkaTopics } from '../../lib/kafka';
import { RESULTS_TOPIC_CONFIGS, STREAM_TOPIC_CONFIGS, streamResultsVersion } from '../../lib/streams';
import {
  kafkaOffsets,
  observedMetric,
  progressRates,
  SparkConnectError,
  StreamingQueries,
  type StreamingQueryProgress,
  type StreamingQueryRef,
} from '../../lib/spark-connect';
import { RECORDS_METRIC, streamingJob } from '../jobs/streaming';

export interface StreamRunner {
  /** Starts the stream's query from its checkpoint, or returns the one already running under its name. */
  start(spec: StreamSpec): Promise<{ query: StreamQueryHandle; started: boolean }>;
  /** What Spark says of the stream's query now (`handle`: the run last seen, to tell a failure from a disappearance). */
  observe(spec: StreamSpec, handle: StreamQueryHandle | null): Promise<StreamObservation>;
  /** Stops the stream's query if it runs; returns the run it stopped. */
  stop(spec: StreamSpec): Promise<StreamQueryHandle | null>;
}

export interface SparkStreamRunnerOptions {
  /** Kafka as Spark's executors reach it. */
  kafkaBootstrapServers: string;
  /** Each stream checkpoints under `<checkpointDir>/<name>`. */
  checkpointDir: string;
}

export class SparkStreamRunner implements StreamRunner {
  constructor(
    private readonly queries: StreamingQueries,
    private readonly kafka: KafkaTopics,
    private readonly options: SparkStreamRunnerOptions,
  ) {}

  async start(spec: StreamSpec): Promise<{ query: StreamQueryHandle; started: boolean }> {
    const running = await this.queries.findActive(streamQueryName(spec.name));
    if (running) return { query: handle(running), started: false };
    if (spec.topic === streamTopic(spec.name)) await this.kafka.ensureTopic(spec.topic, spec.partitions, STREAM_TOPIC_CONFIGS);
    await this.kafka.ensureTopic(spec.resultsTopic, spec.partitions, RESULTS_TOPIC_CONFIGS);
    const resultsVersion = streamResultsVersion(spec);
    const job = streamingJob(spec, {
      bootstrapServers: this.options.kafkaBootstrapServers,
      checkpointLocation: checkpointLocation(this.options.checkpointDir, spec.name, resultsVersion),
      resultsVersion,
    });
    try {
      return { query: handle(await this.queries.start(job)), started: true };
    } catch (error) {
      // Another worker started it between our look and our start: Spark refuses a second query of that name.
      const raced = await this.queries.findActive(streamQueryName(spec.name)).catch(() => undefined);
      if (raced) return { query: handle(raced), started: false };
      throw error;
    }
  }

  async observe(spec: StreamSpec, last: StreamQueryHandle | null): Promise<StreamObservation> {
    try {
      const running = await this.queries.findActive(streamQueryName(spec.name));
      if (running) {
        const progress = await this.queries.lastProgress(running);
        return { state: 'active', query: handle(running), progress: progress ? await this.summarize(spec, progress) : null };
      }
      if (!last) return { state: 'gone' };
      // Not active: did it fail (Spark keeps a terminated query's exception a while) or did it vanish?
      const ref = { id: last.id, runId: last.runId };
      const exception = await this.queries.exception(ref).catch(() => undefined);
      if (exception) return { state: 'failed', error: `${exception.errorClass ? `${exception.errorClass}: ` : ''}${exception.message}` };
      const status = await this.queries.status(ref).catch(() => undefined);
      return status ? { state: 'terminated' } : { state: 'gone' };
    } catch (error) {
      if (error instanceof SparkConnectError && error.isTransient) return { state: 'unreachable', error: error.message };
      throw error;
    }
  }

  async stop(spec: StreamSpec): Promise<StreamQueryHandle | null> {
    const running = await this.queries.findActive(streamQueryName(spec.name));
    if (!running) return null;
    await this.queries.stop(running);
    return handle(running);
  }

  /** The batch's figures, and the lag: the topic's end offsets now minus those the query has processed. */
  private async summarize(spec: StreamSpec, progress: StreamingQueryProgress): Promise<StreamProgress> {
    const source = progress.sources[0];
    const processed = source ? kafkaOffsets(source.endOffset, spec.topic) : new Map<number, number>();
    const ends = await this.kafka.endOffsets(spec.topic).catch(() => undefined);
    let lag: number | null = null;
    if (ends && processed.size > 0) {
      lag = 0;
      for (const [partition, end] of ends) lag += Math.max(0, end - (processed.get(partition) ?? 0));
    }
    const state = progress.stateOperators ?? [];
    const rates = progressRates(progress);
    const counted = observedMetric(progress, RECORDS_METRIC, 'records');
    const records = typeof counted === 'number' ? counted : null;
    // Records per message in this batch (1 when unknown: a message was one record before the query counted them).
    const perMessage = records !== null && rates.numInputRows > 0 ? records / rates.numInputRows : 1;
    return {
      batchId: progress.batchId,
      timestamp: progress.timestamp,
      numInputRows: rates.numInputRows,
      inputRowsPerSecond: finite(rates.inputRowsPerSecond),
      processedRowsPerSecond: finite(rates.processedRowsPerSecond),
      records,
      inputRecordsPerSecond: finite(rates.inputRowsPerSecond * perMessage),
      processedRecordsPerSecond: finite(rates.processedRowsPerSecond * perMessage),
      batchDurationMs: progress.batchDuration,
      lag,
      endOffsets: Object.fromEntries([...processed].map(([p, o]) => [String(p), o])),
      watermark: progress.eventTime?.watermark ?? null,
      stateRows: state.reduce((n, op) => n + (op.numRowsTotal ?? 0), 0),
      droppedLate: state.reduce((n, op) => n + (op.numRowsDroppedByWatermark ?? 0), 0),
      durationsMs: progress.durationMs ?? {},
      stateOperators: state.map((op) => ({
        operator: op.operatorName ?? 'unknown',
        rows: op.numRowsTotal ?? 0,
        updatesMs: op.allUpdatesTimeMs ?? 0,
        removalsMs: op.allRemovalsTimeMs ?? 0,
        commitMs: op.commitTimeMs ?? 0,
      })),
    };
  }
}

/**
 * A stream's checkpoint: one per plan version, so a stream started again with another plan (its definition's
 * stream job edited, another window) starts a query of its own instead of resuming state of another shape.
 */
export function checkpointLocation(checkpointDir: string, name: string, resultsVersion: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//.test(checkpointDir)
    ? `${checkpointDir.replace(/\/$/, '')}/${name}/${resultsVersion}`
    : path.join(checkpointDir, name, resultsVersion);
}

const handle = (ref: StreamingQueryRef): StreamQueryHandle => ({ id: ref.id, runId: ref.runId });
/** Spark reports NaN or Infinity for rates over an empty interval; JSON and search attributes want numbers. */
const finite = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : 0);
