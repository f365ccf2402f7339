// Data sources the original system read as jobs (the sample files in data/), as Spark data-source descriptions:
// a Spark Connect `Read.DataSource` (options as a plain object here) or `spark.read.format(..).options(..).load(..)`.
import path from 'node:path';
import { RECORD_SCHEMA_DDL } from './jobs';

export interface DataSourceSpec {
  format: string;
  options: Record<string, string>;
  paths: string[];
  /** DDL; given so that Spark does not infer types (it would read birth_date as a string). */
  schema: string;
}

export const DATA_DIR = path.resolve(__dirname, '../data');

/** Both files are one JSON array; Spark's JSON reader expects JSON lines unless `multiLine` is set. */
const JSON_ARRAY_OPTIONS = { multiLine: 'true', mode: 'FAILFAST' };

/** data/emp_data.json: an array of employee records, read as record columns. */
export function readEmpData(dataDir: string = DATA_DIR): DataSourceSpec {
  return { format: 'json', options: JSON_ARRAY_OPTIONS, paths: [path.join(dataDir, 'emp_data.json')], schema: RECORD_SCHEMA_DDL };
}

/**
 * data/json_topic.json: records wrapped as Kafka messages ({ topic, partition, offset, key, value }), with `value`
 * already a JSON object; `SELECT value.* FROM <view>` turns it into record columns.
 */
export function readJsonTopic(dataDir: string = DATA_DIR): DataSourceSpec {
  return {
    format: 'json',
    options: JSON_ARRAY_OPTIONS,
    paths: [path.join(dataDir, 'json_topic.json')],
    schema: `topic STRING, partition INT, offset BIGINT, key STRING, value STRUCT<${RECORD_SCHEMA_DDL}>`,
  };
}

export const SOURCES = { read_emp_data: readEmpData, read_json_topic: readJsonTopic } as const;
