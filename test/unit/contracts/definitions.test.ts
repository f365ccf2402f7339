// Specification of the pipeline definition format: what a definition file may say, what follows from it (record
// validation, Spark's DDL, bound parameters, the key runs share executions under), and how a directory of them reads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { DefinitionFileSchema, describeDefinitionIssues, resolveDefinition } from '../../../contracts/definition-file';
import { bindParameters, jobPlan, planKey, recordsDdl, recordShape, streamPlan, type Definition } from '../../../contracts/definitions';
import { parseRecords, RecordValidationError } from '../../../contracts/records';
import { loadDefinitions } from '../../../lib/definitions';

const FILE = `
name: shop
records:
  key: sku
  fields:
    sku: { type: string, min_length: 3 }
    color: { type: string, values: [red, blue] }
    qty: { type: int, min: 0, max: 10 }
    price: { type: double }
    day: { type: date, required: false }
    at: { type: timestamp, nullable: true }
    ok: { type: boolean }
parameters:
  since: { type: date, default: today }
  limit: { type: long }
jobs:
  totals:
    sections:
      by_color: { sql: "SELECT color, sum(qty) AS n FROM records WHERE day >= :since GROUP BY color;", order_by: color }
`;

const definitionOf = (yaml: string, files: Record<string, string> = {}): Definition =>
  resolveDefinition(DefinitionFileSchema.parse(parseYaml(yaml)), { 'pipeline.yml': yaml, ...files }, 'v1');

const problemsOf = (yaml: string) => {
  const parsed = DefinitionFileSchema.safeParse(parseYaml(yaml));
  return parsed.success ? [] : describeDefinitionIssues(parsed.error);
};

const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
};

describe('a definition file', () => {
  it('gives the DDL Spark parses records with, the fields in declared order, and SQL without its closing semicolon', () => {
    const d = definitionOf(FILE);
    expect(recordsDdl(d)).toBe('sku STRING, color STRING, qty INT, price DOUBLE, day DATE, at TIMESTAMP, ok BOOLEAN');
    expect(d.defaultJobs).toEqual(['totals']);
    expect(d.jobs.totals!.sections[0]![1]).toMatchObject({
      kind: 'query',
      sql: 'SELECT color, sum(qty) AS n FROM records WHERE day >= :since GROUP BY color',
    });
  });

  it.each([
    ['a key that is not a field', FILE.replace('key: sku', 'key: id'), 'records.key: "id" is not one of the fields'],
    [
      'a nullable key',
      FILE.replace('sku: { type: string, min_length: 3 }', 'sku: { type: string, nullable: true }'),
      'records.key: the key field "sku" must be required and not nullable',
    ],
    [
      'the reserved group column',
      FILE.replace('ok: { type: boolean }', '_group: { type: string }'),
      'records.fields._group: field: expected a letter, then letters, digits or _',
    ],
    [
      'a constraint of another type',
      FILE.replace('price: { type: double }', 'price: { type: double, values: [a] }'),
      'records.fields.price: min_length, max_length and values apply to strings, not to double',
    ],
    [
      'an unknown field type',
      FILE.replace('ok: { type: boolean }', 'ok: { type: money }'),
      'records.fields.ok.type: expected one of string, long, int, double, boolean, date, timestamp',
    ],
    [
      'a default of the wrong type',
      FILE.replace('limit: { type: long }', 'limit: { type: long, default: "ten" }'),
      'parameters.limit.default: expected an integer, got "ten"',
    ],
    [
      'a section with both sql and file',
      FILE.replace('order_by: color }', 'order_by: color, file: x.sql }'),
      'jobs.totals.sections.by_color: give exactly one of "sql" and "file"',
    ],
    [
      'a sink outside the warehouse',
      FILE.replace('order_by: color }', 'order_by: color, sink: { parquet: ../x } }'),
      'jobs.totals.sections.by_color.sink.parquet: expected a path relative to the warehouse',
    ],
    [
      'a sink to two places',
      FILE.replace('order_by: color }', 'order_by: color, sink: { parquet: x, kafka: t } }'),
      'jobs.totals.sections.by_color.sink: give exactly one of "parquet" and "kafka"',
    ],
    [
      'a sink to something not a topic name',
      FILE.replace('order_by: color }', 'order_by: color, sink: { kafka: "a b" } }'),
      'jobs.totals.sections.by_color.sink.kafka: expected a Kafka topic name',
    ],
    [
      'a stream measure that is not one',
      `${FILE}streams:\n  live:\n    sections:\n      s: { group_by: [color], measures: { m: median(size) } }\n`,
      'streams.live.sections.s.measures.m: expected count(*) or count, sum, min, max, avg, stddev_pop, stddev_samp of an expression',
    ],
    [
      'a stream measure of * other than count',
      `${FILE}streams:\n  live:\n    sections:\n      s: { measures: { m: sum(*) } }\n`,
      'streams.live.sections.s.measures.m: sum(*) is not a measure; only count(*) is',
    ],
    [
      'projections without a relation',
      FILE.replace('by_color: {', 'p: { where: "true", select: { a: "1" }, order_by: a }\n      by_color: {'),
      'jobs.totals.sections.p: "select" and "where" need the job\'s "relation"',
    ],
    ['an unknown default job', `${FILE}\ndefault_jobs: [nope]\n`, 'default_jobs: "nope" is not one of the jobs'],
  ])('refuses %s, naming where', (_, yaml, problem) => {
    expect(problemsOf(yaml).join('\n')).toContain(problem);
  });
});

describe('stream jobs', () => {
  const withStreams = `${FILE}streams:
  live:
    sections:
      by_color: { group_by: [color], measures: { n: count(*), mean_qty: AVG( qty ), priced: count(price) } }
      by_day: { group_by: { d: "coalesce(day, DATE'1970-01-01')" }, measures: { spread: stddev_samp(price * qty) } }
  other:
    sections:
      all: { measures: { n: count(*) } }
`;

  it('reads group columns (field names, or column → expression) and measures (function, expression) in declared order', () => {
    const plan = streamPlan(definitionOf(withStreams));
    expect(plan).toMatchObject({ definition: 'shop', version: 'v1', job: 'live', key: 'sku' });
    expect(plan.fields.map(([f]) => f)).toEqual(['sku', 'color', 'qty', 'price', 'day', 'at', 'ok']);
    expect(plan.sections).toEqual([
      [
        'by_color',
        {
          groupBy: [['color', 'color']],
          measures: [
            ['n', { fn: 'count', expression: '*' }],
            ['mean_qty', { fn: 'avg', expression: 'qty' }],
            ['priced', { fn: 'count', expression: 'price' }],
          ],
        },
      ],
      [
        'by_day',
        { groupBy: [['d', "coalesce(day, DATE'1970-01-01')"]], measures: [['spread', { fn: 'stddev_samp', expression: 'price * qty' }]] },
      ],
    ]);
    expect(streamPlan(definitionOf(withStreams), 'other').sections).toEqual([
      ['all', { groupBy: [], measures: [['n', { fn: 'count', expression: '*' }]] }],
    ]);
  });

  it('names the stream jobs there are when one is unknown, and says when there are none', () => {
    expect(() => streamPlan(definitionOf(withStreams), 'nope')).toThrow('pipeline shop has no stream job "nope" (it has: live, other)');
    expect(() => streamPlan(definitionOf(FILE))).toThrow('pipeline shop declares no stream jobs');
  });
});

describe('records checked against a definition', () => {
  const shape = recordShape(definitionOf(FILE));
  const valid = { sku: 'abc', color: 'red', qty: 2, price: 1.5, at: '2026-01-01T10:00:00+01:00', ok: true };
  const issues = (records: unknown[]) => (errorOf(() => parseRecords(records, shape)) as RecordValidationError).issues;

  it('takes a valid record, an absent optional field and a null nullable one', () => {
    expect(parseRecords([valid, { ...valid, sku: 'abd', at: null, day: '2026-02-28' }], shape)).toHaveLength(2);
  });

  it('names every problem by record and field', () => {
    expect(issues([{ ...valid, color: 'green', qty: 11, sku: 'ab', ok: 'yes', at: '2026-01-01T10:00:00', extra: 1 }])).toEqual([
      { path: 'records[0].sku', message: 'must have at least 3 characters, got "ab"' },
      { path: 'records[0].color', message: 'must be one of "red", "blue", got "green"' },
      { path: 'records[0].qty', message: 'must be <= 10, got 11' },
      {
        path: 'records[0].at',
        message: 'must be a date-time as ISO 8601 with a zone (e.g. 2026-01-31T09:30:00Z), got "2026-01-01T10:00:00"',
      },
      { path: 'records[0].ok', message: 'expected true or false, got "yes"' },
      { path: 'records[0]', message: 'unknown field(s) "extra"' },
    ]);
    const { color: _color, ...noColor } = valid;
    expect(issues([noColor])).toEqual([{ path: 'records[0].color', message: 'is required' }]);
    expect(issues([valid, valid])).toEqual([{ path: 'records[1].sku', message: 'duplicate sku "abc" (first at records[0])' }]);
  });
});

describe('parameters', () => {
  const d = definitionOf(FILE);

  it('takes given values and defaults, `today` being the run date', () => {
    expect(bindParameters(d, { limit: 5 }, '2026-12-05')).toEqual({
      since: { type: 'date', value: '2026-12-05' },
      limit: { type: 'long', value: 5 },
    });
  });

  it('refuses a missing, unknown or mistyped one, naming each', () => {
    expect(errorOf(() => bindParameters(d, { since: '2026-02-30', other: 1 }, '2026-12-05')).message).toBe(
      'invalid pipeline input: params.other: unknown parameter (shop declares since, limit); params.since: expected a date as YYYY-MM-DD, got "2026-02-30"; params.limit: required (long)',
    );
  });

  it('makes runs share an execution only with the same version, job and parameters', () => {
    const key = (version: string, limit: number) =>
      planKey(jobPlan({ ...d, version }, 'totals', bindParameters(d, { limit }, '2026-12-05')));
    expect(key('v1', 5)).toBe(key('v1', 5));
    expect(key('v1', 5)).not.toBe(key('v1', 6));
    expect(key('v1', 5)).not.toBe(key('v2', 5));
  });
});

describe('loadDefinitions', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tree = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'definitions-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };

  it('reads the good ones and lists each broken one with its error, whatever else is in the directory', () => {
    const dir = tree({
      'shop/pipeline.yml': FILE.replace(
        'sql: "SELECT color, sum(qty) AS n FROM records WHERE day >= :since GROUP BY color;"',
        'file: q/totals.sql',
      ),
      'shop/q/totals.sql': 'SELECT 1 AS n',
      'zcopy/pipeline.yml': FILE,
      'bad/pipeline.yml': 'name: [',
      'empty/README': 'no definition here',
      '.hidden/pipeline.yml': 'name: [',
      'stray.txt': 'not a directory',
    });
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    const catalog = loadDefinitions(dir);
    expect([...catalog.definitions.keys()]).toEqual(['shop']);
    expect(catalog.definitions.get('shop')!.jobs.totals!.sections[0]![1]).toMatchObject({ sql: 'SELECT 1 AS n', file: 'q/totals.sql' });
    expect(catalog.broken.map((b) => [b.directory, b.error.split(':').slice(0, 2).join(':')])).toEqual([
      ['bad', 'bad/pipeline.yml: not valid YAML'],
      ['dangling', 'dangling: cannot be read (ENOENT)'],
      ['empty', 'empty/pipeline.yml: cannot be read (ENOENT)'],
      ['zcopy', 'zcopy/pipeline.yml: name "shop" is taken by another definition'],
    ]);
  });

  it('versions a definition by its files: the same files the same version, an edited SQL file another', () => {
    const files = { 'shop/pipeline.yml': FILE.replace(/sql: ".*;"/, 'file: t.sql'), 'shop/t.sql': 'SELECT 1 AS n' };
    const version = (dir: string) => loadDefinitions(dir).definitions.get('shop')!.version;
    const a = version(tree(files));
    expect(version(tree(files))).toBe(a);
    expect(version(tree({ ...files, 'shop/t.sql': 'SELECT 2 AS n' }))).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{12}$/);
  });
});
