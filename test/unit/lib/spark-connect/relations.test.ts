import { describe, expect, it } from 'vitest';
import { jsonFilesRelation, kafkaBatchRelation, sqlRelation } from '../../../../lib/spark-connect/relations';

describe('kafkaBatchRelation', () => {
  it('reads exactly the offset ranges, with assigned partitions and a fixed group id', () => {
    const relation = kafkaBatchRelation({
      bootstrapServers: '127.0.0.1:9092',
      topic: 'records',
      ranges: [
        { partition: 1, from: 5, to: 9 },
        { partition: 0, from: 0, to: 10 },
      ],
      groupId: 'streamforge-spark',
    });
    expect(relation).toEqual({
      read: {
        data_source: {
          format: 'kafka',
          paths: [],
          options: [
            { key: 'kafka.bootstrap.servers', value: '127.0.0.1:9092' },
            { key: 'assign', value: '{"records":[0,1]}' },
            { key: 'startingOffsets', value: '{"records":{"0":0,"1":5}}' },
            { key: 'endingOffsets', value: '{"records":{"0":10,"1":9}}' },
            { key: 'kafka.group.id', value: 'streamforge-spark' },
          ],
        },
      },
    });
  });
});

describe('jsonFilesRelation', () => {
  it('reads the given paths, with a DDL schema when one is given', () => {
    expect(jsonFilesRelation(['/data/a.json'], 'id BIGINT')).toEqual({
      read: { data_source: { format: 'json', options: [], paths: ['/data/a.json'], schema: 'id BIGINT' } },
    });
    expect(jsonFilesRelation(['/data'])).toEqual({
      read: { data_source: { format: 'json', options: [], paths: ['/data'] } },
    });
  });
});

describe('sqlRelation', () => {
  it('wraps the query text', () => {
    expect(sqlRelation('SELECT 1')).toEqual({ sql: { query: 'SELECT 1' } });
  });
});
