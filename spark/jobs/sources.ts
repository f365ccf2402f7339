// Spark's own JSON reader over a file of records (the old service's read_emp_data job; the pipeline's `file`
// input with `ingest: false`), as a data-source description: format, options, paths and an explicit schema.

export interface DataSourceSpec {
  format: string;
  options: Record<string, string>;
  paths: string[];
  /** DDL; given so that Spark does not infer types (it would read birth_date as a string). */
  schema: string;
}

/** `schema`: the records' DDL (a definition's fields). A `.json` file is one JSON array, which Spark's reader reads only with multiLine; any other name is JSON lines. */
export function recordsFileSource(path: string, schema: string): DataSourceSpec {
  return {
    format: 'json',
    options: { mode: 'FAILFAST', ...(path.endsWith('.json') ? { multiLine: 'true' } : {}) },
    paths: [path],
    schema,
  };
}
