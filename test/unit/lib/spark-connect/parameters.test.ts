// Named SQL parameters: how each value becomes a typed Spark literal, and which values are refused before anything
// is sent. Expected day and microsecond counts were computed independently with Python's datetime.
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../lib/config';
import { loadSparkConnectService, type ExecutePlanRequest, type Relation } from '../../../../lib/spark-connect/proto';
import { sqlOverRelations, sqlRelation, type SqlParameter } from '../../../../lib/spark-connect/relations';

/** The literal `sqlRelation` sends for one parameter named `p`. */
function literalOf(parameter: SqlParameter): unknown {
  const relation = sqlRelation('SELECT :p', { p: parameter });
  if (!('sql' in relation)) throw new Error('expected a sql relation');
  return relation.sql.named_arguments?.[0]?.value.literal;
}

describe('sqlRelation with named parameters', () => {
  it('sends the query text as given and each value as a named literal', () => {
    expect(
      sqlRelation('SELECT * FROM t WHERE id = :id AND name = :name', {
        id: { type: 'long', value: 42 },
        name: { type: 'string', value: 'ann' },
      }),
    ).toEqual({
      sql: {
        query: 'SELECT * FROM t WHERE id = :id AND name = :name',
        named_arguments: [
          { key: 'id', value: { literal: { long: '42' } } },
          { key: 'name', value: { literal: { string: 'ann' } } },
        ],
      },
    });
  });

  it('sends plain SQL when there are no parameters', () => {
    expect(sqlRelation('SELECT 1')).toEqual({ sql: { query: 'SELECT 1' } });
    expect(sqlRelation('SELECT 1', {})).toEqual({ sql: { query: 'SELECT 1' } });
  });

  it.each<[string, SqlParameter, unknown]>([
    ['a string verbatim', { type: 'string', value: "'; DROP TABLE x; --" }, { string: "'; DROP TABLE x; --" }],
    ['a long as int64 text', { type: 'long', value: -9007199254740991 }, { long: '-9007199254740991' }],
    ['a double', { type: 'double', value: 2.5 }, { double: 2.5 }],
    ['a boolean', { type: 'boolean', value: false }, { boolean: false }],
    ['the epoch date as day 0', { type: 'date', value: '1970-01-01' }, { date: 0 }],
    ['a leap day', { type: 'date', value: '2024-02-29' }, { date: 19782 }],
    ['a date before the epoch', { type: 'date', value: '1969-12-31' }, { date: -1 }],
    ['the first date Spark holds', { type: 'date', value: '0001-01-01' }, { date: -719162 }],
    ['the last date Spark holds', { type: 'date', value: '9999-12-31' }, { date: 2932896 }],
    [
      'a timestamp with an offset, to the microsecond',
      { type: 'timestamp', value: '2024-01-02T03:04:05.123456+01:00' },
      { timestamp: '1704161045123456' },
    ],
    [
      'a timestamp past 2^53 microseconds, exactly',
      { type: 'timestamp', value: '9999-12-31T23:59:59.999999Z' },
      { timestamp: '253402300799999999' },
    ],
    ['a timestamp just before the epoch', { type: 'timestamp', value: '1969-12-31T23:59:59.5Z' }, { timestamp: '-500000' }],
    ['a timestamp with a negative offset', { type: 'timestamp', value: '0001-01-01T00:00:00-05:30' }, { timestamp: '-62135577000000000' }],
  ])('encodes %s', (_, parameter, literal) => {
    expect(literalOf(parameter)).toEqual(literal);
  });

  it('encodes any millisecond instant as JavaScript reads it', () => {
    const instants = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
    fc.assert(
      fc.property(instants, (instant) => {
        const micros = BigInt(instant.getTime()) * 1000n;
        expect(literalOf({ type: 'timestamp', value: instant.toISOString() })).toEqual({ timestamp: micros.toString() });
      }),
    );
  });

  it.each<[string, SqlParameter, RegExp]>([
    ['a fractional long', { type: 'long', value: 1.5 }, /"p" \(long\) must be a safe integer, got 1.5/],
    ['a long beyond 2^53', { type: 'long', value: 2 ** 53 }, /"p" \(long\) must be a safe integer/],
    ['a NaN double', { type: 'double', value: Number.NaN }, /"p" \(double\) must be a finite number/],
    ['an infinite double', { type: 'double', value: Number.POSITIVE_INFINITY }, /"p" \(double\) must be a finite number/],
    ['a day that does not exist', { type: 'date', value: '2023-02-29' }, /"p" \(date\) must be a date YYYY-MM-DD/],
    ['a month that does not exist', { type: 'date', value: '2024-13-01' }, /"p" \(date\)/],
    ['year 0', { type: 'date', value: '0000-12-31' }, /"p" \(date\)/],
    ['a date without leading zeros', { type: 'date', value: '2024-1-1' }, /"p" \(date\)/],
    ['a timestamp as a date', { type: 'date', value: '2024-01-01T00:00:00Z' }, /"p" \(date\)/],
    [
      'a timestamp without a zone',
      { type: 'timestamp', value: '2024-01-02T03:04:05' },
      /"p" \(timestamp\) must be an ISO 8601 timestamp with a zone/,
    ],
    ['hour 24', { type: 'timestamp', value: '2024-01-02T24:00:00Z' }, /"p" \(timestamp\)/],
    ['finer than microseconds', { type: 'timestamp', value: '2024-01-02T03:04:05.1234567Z' }, /"p" \(timestamp\)/],
    ['an offset beyond 18 hours', { type: 'timestamp', value: '2024-01-02T03:04:05+19:00' }, /"p" \(timestamp\)/],
    ['a number where a string belongs', { type: 'string', value: 1 } as unknown as SqlParameter, /"p" \(string\) must be a string/],
    [
      'a string where a boolean belongs',
      { type: 'boolean', value: 'true' } as unknown as SqlParameter,
      /"p" \(boolean\) must be true or false/,
    ],
    ['an unknown type', { type: 'uuid', value: 'x' } as unknown as SqlParameter, /"p" has unknown type "uuid"/],
  ])('refuses %s, naming the parameter', (_, parameter, message) => {
    expect(() => literalOf(parameter)).toThrow(message);
  });

  it.each(['1a', 'a-b', 'a b', '', 'p;'])('refuses the parameter name %j', (name) => {
    expect(() => sqlRelation('SELECT 1', { [name]: { type: 'long', value: 1 } })).toThrow(/SQL parameter name must be a plain identifier/);
  });
});

describe('sqlOverRelations with named parameters', () => {
  it('puts the parameters on the SQL that names the tables', () => {
    const t = sqlRelation('SELECT 1 AS amount');
    expect(sqlOverRelations('SELECT amount * :k FROM t', { t }, 3, { k: { type: 'double', value: 1.5 } })).toEqual({
      with_relations: {
        root: { sql: { query: 'SELECT amount * :k FROM t', named_arguments: [{ key: 'k', value: { literal: { double: 1.5 } } }] } },
        references: [{ common: { plan_id: 3 }, subquery_alias: { input: t, alias: 't' } }],
      },
    });
  });
});

// protobufjs drops fields it does not know when it encodes, so a misnamed field would vanish without an error:
// encoding and decoding with Spark's own descriptor set shows every field arrives. The set comes with the stack.
const { descriptorSetPath } = loadConfig({}).spark;
describe.skipIf(!existsSync(descriptorSetPath))('named parameters on the wire', () => {
  it('survive encoding with the Spark Connect descriptor set', () => {
    const Service = loadSparkConnectService(descriptorSetPath) as unknown as {
      service: { ExecutePlan: { requestSerialize(r: ExecutePlanRequest): Buffer; requestDeserialize(b: Buffer): ExecutePlanRequest } };
    };
    const root: Relation = sqlRelation('SELECT :s, :n, :x, :b, :d, :t', {
      s: { type: 'string', value: 'ann' },
      n: { type: 'long', value: 9007199254740991 },
      x: { type: 'double', value: 2.5 },
      b: { type: 'boolean', value: true },
      d: { type: 'date', value: '1969-12-31' },
      t: { type: 'timestamp', value: '9999-12-31T23:59:59.999999Z' },
    });
    const { ExecutePlan } = Service.service;
    const request: ExecutePlanRequest = { session_id: 's', user_context: { user_id: 'u' }, plan: { root } };
    const decoded = ExecutePlan.requestDeserialize(ExecutePlan.requestSerialize(request));
    // Decoding adds the oneof names (`literal_type: 'long'`), hence toMatchObject.
    expect(decoded.plan).toMatchObject({ root });
  });
});
