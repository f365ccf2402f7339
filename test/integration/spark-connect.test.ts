// lib/spark-connect against the real stack's Spark Connect server (SPARK_CONNECT_URL, default 127.0.0.1:15002;
// descriptor set SPARK_CONNECT_DESCRIPTORS, default .stack/spark/spark-connect.desc) and Kafka.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import {
  SparkConnectClient,
  SparkConnectError,
  jsonFilesRelation,
  kafkaBatchRelation,
  sqlRelation,
  type ExecuteProgress,
} from '../../lib/spark-connect';

const config = loadConfig();
const { connectUrl: url, descriptorSetPath } = config.spark;

/** Fails the first ExecutePlan stream with UNAVAILABLE right after its first Arrow batch arrived. */
function dropAfterFirstBatch(): { interceptor: grpc.Interceptor; dropped: () => boolean } {
  let dropped = false;
  const interceptor: grpc.Interceptor = (options, nextCall) => {
    const call: grpc.InterceptingCall = new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          onReceiveMessage(message: { arrow_batch?: unknown }, nextMessage) {
            nextMessage(message);
            const isExecute = options.method_definition.path.endsWith('/ExecutePlan');
            if (isExecute && !dropped && message.arrow_batch) {
              dropped = true;
              call.cancelWithStatus(grpc.status.UNAVAILABLE, 'stream dropped by the test');
            }
          },
        });
      },
    });
    return call;
  };
  return { interceptor, dropped: () => dropped };
}

// Minutes of work on two cores unless interrupted.
const LONG_QUERY = 'SELECT count(*) FROM range(0, 1000000000000L)';

/**
 * Resolves once Spark tasks of the execution run. Interrupting earlier is answered OPERATION_CANCELED too, but on
 * Spark 4.2.0 a job submitted after the interrupt then runs to its end in the background.
 */
function tasksRunning(): { onProgress: (progress: ExecuteProgress) => void; started: Promise<void> } {
  let resolve: () => void = () => undefined;
  const started = new Promise<void>((r) => (resolve = r));
  return { onProgress: (progress) => (progress.tasks?.inflight ? resolve() : undefined), started };
}

async function rejection(promise: Promise<unknown>): Promise<SparkConnectError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SparkConnectError);
  return error as SparkConnectError;
}

describe('SparkConnectClient against a real Spark Connect server', () => {
  let client: SparkConnectClient;
  let dir: string;

  beforeAll(async () => {
    client = new SparkConnectClient({ url, descriptorSetPath });
    dir = mkdtempSync(join(tmpdir(), 'spark-connect-test-'));
    await client.sql('SELECT 1'); // warm up the session, so per-test timeouts measure the work
  }, 60_000);

  afterAll(() => {
    client?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('returns SQL results as plain rows', async () => {
    const rows = await client.sql('SELECT id, id * 2 AS d FROM range(5) ORDER BY id');
    expect(rows).toEqual([0, 1, 2, 3, 4].map((id) => ({ id, d: id * 2 })));
  }, 30_000);

  it('converts strings, doubles, dates, timestamps, decimals, nulls and nested values', async () => {
    const rows = await client.sql(`SELECT 'ünï' AS s, 2.5D AS x, DATE'2024-02-29' AS day,
      TIMESTAMP'2024-01-02 03:04:05.123' AS at, CAST(-1.5 AS DECIMAL(10,2)) AS price,
      CAST(NULL AS STRING) AS missing, 9007199254740993L AS huge, array(1, 2) AS list, named_struct('k', 1L) AS obj`);
    expect(rows).toEqual([
      {
        s: 'ünï',
        x: 2.5,
        day: '2024-02-29',
        at: expect.stringMatching(/^2024-01-0[12]T\d\d:04:05\.123Z$/), // rendered in UTC from the session zone
        price: -1.5,
        missing: null,
        huge: '9007199254740993',
        list: [1, 2],
        obj: { k: 1 },
      },
    ]);
  }, 30_000);

  it('registers a temp view from SQL and queries it', async () => {
    const people = sqlRelation("SELECT * FROM VALUES ('ann', 31), ('bob', 45) AS t(name, age)");
    await client.createTempView('people_test', people);
    const rows = await client.sql('SELECT name FROM people_test WHERE age > 40');
    expect(rows).toEqual([{ name: 'bob' }]);
  }, 30_000);

  it('reads JSON-lines files into a view and aggregates them', async () => {
    const file = join(dir, 'records.json');
    const records = [
      { id: 1, gender: 'F' },
      { id: 2, gender: 'M' },
      { id: 3, gender: 'F' },
    ];
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
    await client.createTempView('records_test', jsonFilesRelation([file], 'id BIGINT, gender STRING'));
    const rows = await client.sql('SELECT gender, count(*) AS n FROM records_test GROUP BY gender ORDER BY gender');
    expect(rows).toEqual([
      { gender: 'F', n: 2 },
      { gender: 'M', n: 1 },
    ]);
  }, 30_000);

  it('reads exactly an offset range of a Kafka topic into a view', async () => {
    const kafka = new KafkaClient(config.kafka, createLogger('warn'));
    try {
      const topic = `test.spark-connect.${randomUUID()}`;
      await kafka.ensureTopic(topic, 2);
      const before = Array.from({ length: 4 }, (_, i) => ({ key: 'before', value: `b${i}`, partition: i % 2 }));
      const run = Array.from({ length: 10 }, (_, i) => ({ key: 'run', value: `r${i}`, partition: i % 2 }));
      await kafka.produce(topic, before);
      const ranges = await kafka.produce(topic, run);
      await kafka.produce(topic, before);

      const relation = kafkaBatchRelation({
        bootstrapServers: config.kafka.brokers.join(','),
        topic,
        ranges,
        groupId: 'streamforge-test-spark',
      });
      await client.createTempView('kafka_test', relation);
      const rows = await client.sql(
        `SELECT CAST(key AS STRING) AS key, count(*) AS n, count(DISTINCT CAST(value AS STRING)) AS values
         FROM kafka_test GROUP BY 1`,
      );
      expect(rows).toEqual([{ key: 'run', n: 10, values: 10 }]);
    } finally {
      await kafka.close();
    }
  }, 60_000);

  it('runs an operation id once: a resubmit returns the first result; after release the id is refused', async () => {
    const operationId = randomUUID();
    const plan = { root: sqlRelation('SELECT uuid() AS u') };
    const first = await client.execute(plan, { operationId });
    const second = await client.execute(plan, { operationId });
    expect(second.rows).toEqual(first.rows); // uuid() differs on every execution
    expect((await client.attach(operationId)).rows).toEqual(first.rows);

    await client.release(operationId);
    const refused = await rejection(client.execute(plan, { operationId }));
    expect(refused.errorClass).toBe('INVALID_HANDLE.OPERATION_ABANDONED');
    expect(refused.kind).toBe('conflict');
    expect(refused.nonRetryable).toBe(true);
  }, 30_000);

  it('reports operations of a session the server has not seen as unknown (GetStatus does not create sessions)', async () => {
    const fresh = new SparkConnectClient({ url, descriptorSetPath, sessionId: randomUUID() });
    try {
      expect(await fresh.status([randomUUID()])).toEqual(new Map());
      // The first thing this session does is a start: its probe for the operation must not fail either.
      const operationId = randomUUID();
      await fresh.start({ root: { sql: { query: 'SELECT 1 AS one' } } }, operationId);
      expect((await fresh.attach(operationId)).rows).toEqual([{ one: 1 }]);
      await fresh.release(operationId);
    } finally {
      fresh.close();
    }
  });

  it('releases the operation itself when it chose the id', async () => {
    const plan = { root: sqlRelation('SELECT 1 AS one') };
    const result = await client.execute(plan);
    // Once released, a new ExecutePlan is refused as abandoned, a ReattachExecute as not found.
    const resubmitted = await rejection(client.execute(plan, { operationId: result.operationId }));
    expect(resubmitted.errorClass).toBe('INVALID_HANDLE.OPERATION_ABANDONED');
    const reattached = await rejection(client.attach(result.operationId));
    expect(reattached.errorClass).toBe('INVALID_HANDLE.OPERATION_NOT_FOUND');
    // GetStatus still remembers how it ended.
    expect((await client.status([result.operationId])).get(result.operationId)).toBe('OPERATION_STATE_SUCCEEDED');
  }, 30_000);

  it('tells whether the server answers without touching the working session (a readiness check is no keep-alive)', async () => {
    const fresh = new SparkConnectClient({
      url: config.spark.connectUrl,
      descriptorSetPath: config.spark.descriptorSetPath,
      keepAliveMs: 0,
    });
    try {
      await fresh.reachable();
      expect(await fresh.probeSession(fresh.sessionId)).toBe('not-found');
    } finally {
      fresh.close();
    }
    const nowhere = new SparkConnectClient({ url: '127.0.0.1:1', descriptorSetPath: config.spark.descriptorSetPath, keepAliveMs: 0 });
    await expect(nowhere.reachable()).rejects.toThrow();
    nowhere.close();
  }, 30_000);

  it('interrupts a running operation by id: its execution ends with OPERATION_CANCELED', async () => {
    const operationId = randomUUID();
    const tasks = tasksRunning();
    const running = rejection(client.sql(LONG_QUERY, { operationId, onProgress: tasks.onProgress }));
    await tasks.started;
    expect((await client.status([operationId])).get(operationId)).toBe('OPERATION_STATE_RUNNING');
    expect(await client.interrupt(operationId)).toEqual([operationId]);
    const error = await running;
    expect(error.errorClass).toBe('OPERATION_CANCELED');
    expect(error.kind).toBe('canceled');
    // The server records the end when the execution's thread has unwound, which can come just after the error.
    await vi.waitFor(async () => expect((await client.status([operationId])).get(operationId)).toBe('OPERATION_STATE_CANCELLED'), {
      timeout: 10_000,
      interval: 100,
    });
    await client.release(operationId);
  }, 30_000);

  it('interrupts the operation on the server when the caller aborts', async () => {
    const operationId = randomUUID();
    const controller = new AbortController();
    const tasks = tasksRunning();
    const running = rejection(client.sql(LONG_QUERY, { operationId, signal: controller.signal, onProgress: tasks.onProgress }));
    await tasks.started;
    controller.abort();
    expect((await running).kind).toBe('canceled');
    await expect
      .poll(() => client.status([operationId]).then((s) => s.get(operationId)), { timeout: 10_000 })
      .toBe('OPERATION_STATE_CANCELLED');
    await client.release(operationId);
  }, 30_000);

  it('reattaches after the stream drops mid-way and returns every row exactly once', async () => {
    const drop = dropAfterFirstBatch();
    const dropping = new SparkConnectClient({ url, descriptorSetPath, interceptors: [drop.interceptor] });
    try {
      let rowsWhenResumed = 0;
      // 8 partitions → 8 Arrow batches, so the drop lands between batches.
      const result = await dropping.execute(
        { root: sqlRelation('SELECT id FROM range(0, 100000, 1, 8)') },
        { onProgress: (progress) => (rowsWhenResumed ||= drop.dropped() ? progress.rows : 0) },
      );
      expect(rowsWhenResumed).toBeGreaterThan(0);
      expect(rowsWhenResumed).toBeLessThan(100_000);
      expect(result.reattaches).toBe(1);
      const ids = new Set(result.rows.map((row) => row.id));
      expect(result.rows.length).toBe(100_000);
      expect(ids.size).toBe(100_000);
      expect(ids.has(0) && ids.has(99_999)).toBe(true);
    } finally {
      dropping.close();
    }
  }, 60_000);

  it('classifies bad SQL and unknown tables as user errors', async () => {
    const syntax = await rejection(client.sql('SELEC 1'));
    expect(syntax.errorClass).toBe('PARSE_SYNTAX_ERROR');
    expect(syntax.isUserError).toBe(true);
    expect(syntax.nonRetryable).toBe(true);

    const missing = await rejection(client.sql('SELECT * FROM no_such_view'));
    expect(missing.errorClass).toBe('TABLE_OR_VIEW_NOT_FOUND');
    expect(missing.isUserError).toBe(true);
  }, 30_000);

  it('says where it looked and what to do when the server is unreachable', async () => {
    const retry = { attempts: 2, initialBackoffMs: 10 };
    const nowhere = new SparkConnectClient({ url: '127.0.0.1:1', descriptorSetPath, retry });
    try {
      const error = await rejection(nowhere.sql('SELECT 1'));
      expect(error.isTransient).toBe(true);
      expect(error.message).toContain('Spark Connect unreachable at 127.0.0.1:1');
      expect(error.message).toContain('npm run stack -- up');
    } finally {
      nowhere.close();
    }
  }, 30_000);
});
