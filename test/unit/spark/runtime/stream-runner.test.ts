import { describe, expect, it } from 'vitest';
import { streamQueryName } from '../../../../contracts/streams';
import type { KafkaTopics } from '../../../../lib/kafka';
import { SparkConnectError, type StreamingQueries, type StreamingQueryRef } from '../../../../lib/spark-connect';
import { RESULTS_TOPIC_CONFIGS, STREAM_TOPIC_CONFIGS, streamResultsVersion } from '../../../../lib/streams';
import { checkpointLocation, SparkStreamRunner } from '../../../../spark/runtime/stream-runner';
import { streamSpec } from '../../../support/plans';

const spec = streamSpec({ name: 'emp' });
const version = streamResultsVersion(spec);
const name = streamQueryName('emp');

/** Fake Spark queries: `active` is what Spark lists; the other answers are set per test. */
function fakeQueries(state: {
  active: StreamingQueryRef[];
  startError?: Error;
  exception?: { message: string; errorClass?: string };
  statusError?: Error;
  activeError?: Error;
}) {
  const calls: string[] = [];
  const queries = {
    async findActive(n: string) {
      calls.push('findActive');
      if (state.activeError) throw state.activeError;
      return state.active.find((q) => q.name === n);
    },
    async start(job: { queryName: string; checkpointLocation: string }) {
      calls.push(`start:${job.queryName}:${job.checkpointLocation}`);
      if (state.startError) throw state.startError;
      const q = { id: 'q', runId: 'r2', name: job.queryName };
      return q;
    },
    async lastProgress() {
      return {
        // As Spark Connect 4.2 sends it: rows and rates only per source.
        batchId: 4,
        timestamp: 't',
        batchDuration: 80,
        eventTime: { watermark: '2026-12-01T00:00:00.000Z' },
        durationMs: { addBatch: 60, queryPlanning: 5, triggerExecution: 80 },
        stateOperators: [
          {
            operatorName: 'dedupeWithinWatermark',
            numRowsTotal: 7,
            numRowsUpdated: 1,
            numRowsDroppedByWatermark: 2,
            allUpdatesTimeMs: 11,
            allRemovalsTimeMs: 3,
            commitTimeMs: 4,
          },
        ],
        sources: [
          {
            endOffset: JSON.stringify({ [spec.topic]: { '0': 40, '1': 45 } }),
            numInputRows: 10,
            inputRowsPerSecond: 'NaN',
            processedRowsPerSecond: 123.456,
          },
        ],
        // What the query counted after splitting its messages into records (spark/jobs/streaming.ts).
        observedMetrics: {
          streamforge_records: { values: [250], schema: { type: 'struct', fields: [{ name: 'records', type: 'long' }] } },
        },
      };
    },
    async exception() {
      return state.exception;
    },
    async status() {
      if (state.statusError) throw state.statusError;
      return { isActive: false };
    },
    async stop(q: StreamingQueryRef) {
      calls.push(`stop:${q.runId}`);
    },
  } as unknown as StreamingQueries;
  return { queries, calls };
}

function fakeKafka() {
  const topics: [string, number, Record<string, string> | undefined][] = [];
  const kafka = {
    async ensureTopic(topic: string, partitions: number, configs?: Record<string, string>) {
      topics.push([topic, partitions, configs]);
      return partitions;
    },
    async endOffsets() {
      return new Map([
        [0, 50],
        [1, 45],
      ]);
    },
  } as unknown as KafkaTopics;
  return { kafka, topics };
}

const runner = (queries: StreamingQueries, kafka: KafkaTopics) =>
  new SparkStreamRunner(queries, kafka, { kafkaBootstrapServers: 'k:9092', checkpointDir: '/state/checkpoints' });

describe('SparkStreamRunner', () => {
  it('returns the query running under the stream’s name instead of starting a second', async () => {
    const { queries, calls } = fakeQueries({ active: [{ id: 'q', runId: 'r1', name }] });
    expect(await runner(queries, fakeKafka().kafka).start(spec)).toEqual({ query: { id: 'q', runId: 'r1' }, started: false });
    expect(calls).toEqual(['findActive']);
  });

  it('creates the stream’s topics (its own on LogAppendTime, the results compacted) and starts from the stream’s checkpoint', async () => {
    const { queries, calls } = fakeQueries({ active: [] });
    const { kafka, topics } = fakeKafka();
    expect(await runner(queries, kafka).start(spec)).toEqual({ query: { id: 'q', runId: 'r2' }, started: true });
    expect(topics).toEqual([
      [spec.topic, 2, STREAM_TOPIC_CONFIGS],
      [spec.resultsTopic, 2, RESULTS_TOPIC_CONFIGS],
    ]);
    expect(calls).toContain(`start:${name}:/state/checkpoints/emp/${version}`);
  });

  it('answers with the query another worker started meanwhile when Spark refuses a second one', async () => {
    const state = { active: [] as StreamingQueryRef[], startError: new Error('already active') };
    const { queries } = fakeQueries(state);
    const r = runner(queries, fakeKafka().kafka);
    const racing = { id: 'q', runId: 'r9', name };
    queries.start = async () => {
      state.active.push(racing);
      throw state.startError;
    };
    expect(await r.start(spec)).toEqual({ query: { id: 'q', runId: 'r9' }, started: false });
  });

  it('reports an active query’s last batch, with the lag behind the topic’s end, finite rates, in messages and in records', async () => {
    const { queries } = fakeQueries({ active: [{ id: 'q', runId: 'r1', name }] });
    const seen = await runner(queries, fakeKafka().kafka).observe(spec, null);
    expect(seen).toEqual({
      state: 'active',
      query: { id: 'q', runId: 'r1' },
      progress: {
        batchId: 4,
        timestamp: 't',
        numInputRows: 10,
        inputRowsPerSecond: 0,
        processedRowsPerSecond: 123.5,
        records: 250,
        inputRecordsPerSecond: 0,
        processedRecordsPerSecond: 3086.4, // 123.456 messages/s × 25 records a message
        batchDurationMs: 80,
        lag: 10, // 50 - 40 and 45 - 45
        endOffsets: { '0': 40, '1': 45 },
        watermark: '2026-12-01T00:00:00.000Z',
        stateRows: 7,
        droppedLate: 2,
        durationsMs: { addBatch: 60, queryPlanning: 5, triggerExecution: 80 },
        stateOperators: [{ operator: 'dedupeWithinWatermark', rows: 7, updatesMs: 11, removalsMs: 3, commitMs: 4 }],
      },
    });
  });

  it('tells a failed query (with Spark’s reason) from a stopped one and from one Spark no longer knows', async () => {
    const last = { id: 'q', runId: 'r1' };
    const failed = fakeQueries({ active: [], exception: { message: 'Kafka went away', errorClass: 'STREAM_FAILED' } });
    expect(await runner(failed.queries, fakeKafka().kafka).observe(spec, last)).toEqual({
      state: 'failed',
      error: 'STREAM_FAILED: Kafka went away',
    });
    const stopped = fakeQueries({ active: [] });
    expect(await runner(stopped.queries, fakeKafka().kafka).observe(spec, last)).toEqual({ state: 'terminated' });
    const gone = fakeQueries({ active: [], statusError: new Error('query not found') });
    expect(await runner(gone.queries, fakeKafka().kafka).observe(spec, last)).toEqual({ state: 'gone' });
    expect(await runner(gone.queries, fakeKafka().kafka).observe(spec, null)).toEqual({ state: 'gone' });
  });

  it('says Spark did not answer rather than guessing, when it is unreachable', async () => {
    const { queries } = fakeQueries({ active: [], activeError: new SparkConnectError('UNAVAILABLE', { kind: 'transient' }) });
    expect(await runner(queries, fakeKafka().kafka).observe(spec, null)).toEqual({ state: 'unreachable', error: 'UNAVAILABLE' });
  });

  it('stops the running query, and does nothing when none runs', async () => {
    const running = fakeQueries({ active: [{ id: 'q', runId: 'r1', name }] });
    expect(await runner(running.queries, fakeKafka().kafka).stop(spec)).toEqual({ id: 'q', runId: 'r1' });
    expect(running.calls).toContain('stop:r1');
    expect(await runner(fakeQueries({ active: [] }).queries, fakeKafka().kafka).stop(spec)).toBeNull();
  });
});

describe('checkpointLocation', () => {
  it('puts a stream’s checkpoint under the directory, or under a URI on a cluster', () => {
    expect(checkpointLocation('/state/checkpoints', 'emp', 'v1')).toBe('/state/checkpoints/emp/v1');
    expect(checkpointLocation('s3a://bucket/checkpoints/', 'emp', 'v1')).toBe('s3a://bucket/checkpoints/emp/v1');
  });
});
