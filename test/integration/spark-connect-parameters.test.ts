// Named SQL parameters and schema analysis against the real stack's Spark Connect server (SPARK_CONNECT_URL,
// default 127.0.0.1:15002; descriptor set SPARK_CONNECT_DESCRIPTORS, default .stack/spark/spark-connect.desc).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { SparkConnectClient, SparkConnectError, sqlOverRelations, sqlRelation, type SqlParameter } from '../../lib/spark-connect';

const { connectUrl: url, descriptorSetPath } = loadConfig().spark;

describe('named SQL parameters and schema() against a real Spark Connect server', () => {
  let client: SparkConnectClient;

  beforeAll(() => {
    client = new SparkConnectClient({ url, descriptorSetPath });
  });

  afterAll(() => client?.close());

  async function rows(query: string, args: Record<string, SqlParameter>) {
    return (await client.execute({ root: sqlRelation(query, args) })).rows;
  }

  // First in the file on purpose: AnalyzePlan on a session no request has created yet must create it.
  it('describes a query without running it: names, Spark type names and nullability', async () => {
    const fields = await client.schema({
      root: sqlRelation(`SELECT 1 AS a, 'x' AS b, DATE'2020-01-01' AS c, 1L AS d, 2.5D AS e, true AS f,
        TIMESTAMP'2024-01-02 03:04:05' AS g, CAST(NULL AS DECIMAL(10,2)) AS h, array('x') AS i,
        named_struct('k', 1L, 'v', map('a', 1.5D)) AS j`),
    });
    expect(fields).toEqual([
      { name: 'a', type: 'int', nullable: false },
      { name: 'b', type: 'string', nullable: false },
      { name: 'c', type: 'date', nullable: false },
      { name: 'd', type: 'bigint', nullable: false },
      { name: 'e', type: 'double', nullable: false },
      { name: 'f', type: 'boolean', nullable: false },
      { name: 'g', type: 'timestamp', nullable: false },
      { name: 'h', type: 'decimal(10,2)', nullable: true },
      { name: 'i', type: 'array<string>', nullable: false },
      { name: 'j', type: 'struct<k:bigint,v:map<string,double>>', nullable: false },
    ]);
  }, 60_000);

  it('binds a long', async () => {
    expect(await rows('SELECT :n + 1 AS x', { n: { type: 'long', value: 1 } })).toEqual([{ x: 2 }]);
  }, 30_000);

  it('binds a date, which Spark reads as a date', async () => {
    expect(await rows('SELECT :d AS d, year(:d) AS y', { d: { type: 'date', value: '2024-02-29' } })).toEqual([
      { d: '2024-02-29', y: 2024 },
    ]);
  }, 30_000);

  it('binds a string as a value, never as SQL text', async () => {
    const value = "'; DROP TABLE x; --";
    expect(await rows('SELECT :s AS s, length(:s) AS n', { s: { type: 'string', value } })).toEqual([{ s: value, n: value.length }]);
  }, 30_000);

  it('binds a double', async () => {
    expect(await rows('SELECT :x * 2 AS y, typeof(:x) AS t', { x: { type: 'double', value: 0.25 } })).toEqual([{ y: 0.5, t: 'double' }]);
  }, 30_000);

  it('binds a timestamp to the microsecond, and a boolean', async () => {
    const result = await rows('SELECT unix_micros(:t) AS us, typeof(:t) AS t, NOT :b AS nb', {
      t: { type: 'timestamp', value: '2024-01-02T03:04:05.123456+01:00' },
      b: { type: 'boolean', value: false },
    });
    expect(result).toEqual([{ us: 1704161045123456, t: 'timestamp', nb: true }]);
  }, 30_000);

  it('binds parameters in SQL over other relations', async () => {
    const t = sqlRelation('SELECT * FROM VALUES (1, 10L), (2, 20L) AS t(id, amount)');
    const plan = { root: sqlOverRelations('SELECT amount FROM t WHERE id = :id', { t }, 1, { id: { type: 'long', value: 2 } }) };
    expect((await client.execute(plan)).rows).toEqual([{ amount: 20 }]);
  }, 30_000);

  it('resolves named parameters when describing a query', async () => {
    const fields = await client.schema({
      root: sqlRelation('SELECT :n AS n, :d AS d, :s AS s', {
        n: { type: 'long', value: 1 },
        d: { type: 'date', value: '2020-01-01' },
        s: { type: 'string', value: 'x' },
      }),
    });
    expect(fields).toEqual([
      { name: 'n', type: 'bigint', nullable: false },
      { name: 'd', type: 'date', nullable: false },
      { name: 's', type: 'string', nullable: false },
    ]);
  }, 30_000);

  it('reports a misspelt column as a user error with Spark error class and text', async () => {
    const plan = { root: sqlOverRelations('SELECT amout FROM t', { t: sqlRelation('SELECT 1 AS amount') }) };
    const schema = client.schema(plan);
    await expect(schema).rejects.toBeInstanceOf(SparkConnectError);
    await expect(schema).rejects.toMatchObject({
      errorClass: expect.stringMatching(/^UNRESOLVED_COLUMN/),
      kind: 'user',
      nonRetryable: true,
      message: expect.stringContaining('`amout`'),
    });
  }, 30_000);

  it('reports a marker without a value as a user error', async () => {
    const schema = client.schema({ root: sqlRelation('SELECT :missing AS x', { other: { type: 'long', value: 1 } }) });
    await expect(schema).rejects.toBeInstanceOf(SparkConnectError);
    await expect(schema).rejects.toMatchObject({
      errorClass: 'UNBOUND_SQL_PARAMETER',
      kind: 'user',
      message: expect.stringContaining('missing'),
    });
  }, 30_000);
});
