// Search attributes our workflows set, so runs can be filtered in the Web UI and with `temporal workflow list
// --query`. The stack registers exactly these with the dev server at start.
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { DEFAULT_PIPELINE, inlineRecordCount, type PipelineInput } from './pipeline-input';

export const PIPELINE_STATUS = defineSearchAttributeKey('PipelineStatus', SearchAttributeType.KEYWORD);
export const PIPELINE_JOBS = defineSearchAttributeKey('PipelineJobs', SearchAttributeType.KEYWORD_LIST);
export const RECORD_COUNT = defineSearchAttributeKey('RecordCount', SearchAttributeType.INT);
/**
 * The pipeline definition a run computes: its name and `name@version` (the hash of its files), so that
 * `StreamforgePipeline = 'orders'` lists every run of a pipeline and `StreamforgePipeline = 'orders@<version>'`
 * those of one version of it.
 */
export const PIPELINE_DEFINITION = defineSearchAttributeKey('StreamforgePipeline', SearchAttributeType.KEYWORD_LIST);
/**
 * The REST token (its name) that started a run, benchmark or stream, given at start (a benchmark gives it to its
 * runs): only that token, or an admin one, sees it. Unset on runs started from the Temporal CLI and on /process runs (they carry several clients' records).
 */
export const CLIENT = defineSearchAttributeKey('StreamforgeClient', SearchAttributeType.KEYWORD);

// A stream's workflow (workflows/streaming.ts) sets these when its progress changes. The dev server's SQLite
// visibility store takes at most 3 attributes each of Int and Double: the batch duration is a Double for that
// reason, and the restart count is in the workflow's status query only.
export const STREAM_STATE = defineSearchAttributeKey('StreamState', SearchAttributeType.KEYWORD);
export const STREAM_INPUT_RATE = defineSearchAttributeKey('StreamInputRate', SearchAttributeType.DOUBLE);
export const STREAM_PROCESSED_RATE = defineSearchAttributeKey('StreamProcessedRate', SearchAttributeType.DOUBLE);
export const STREAM_BATCH_DURATION_MS = defineSearchAttributeKey('StreamBatchDurationMs', SearchAttributeType.DOUBLE);
export const STREAM_LAST_BATCH_ID = defineSearchAttributeKey('StreamLastBatchId', SearchAttributeType.INT);
/** Kafka messages in the topic the query has not processed yet (a message is one record or an array of them). */
export const STREAM_LAG = defineSearchAttributeKey('StreamLag', SearchAttributeType.INT);

/**
 * What a starter knows of a run before it starts, given with the start so that the Web UI lists and filters the
 * run by them while it runs: its pipeline's name, its jobs and its record count when the input names them. The run
 * sets them again, with its status and `name@version`, once it knows them (a small run in its one update, when it
 * ends).
 */
export function runStartAttributes(input: PipelineInput): SearchAttributePair[] {
  const records = inlineRecordCount(input);
  return [
    { key: PIPELINE_DEFINITION, value: [input.pipeline ?? DEFAULT_PIPELINE] },
    ...(input.jobs ? [{ key: PIPELINE_JOBS, value: input.jobs }] : []),
    ...(records === undefined ? [] : [{ key: RECORD_COUNT, value: records }]),
  ];
}

export const SEARCH_ATTRIBUTE_KEYS = [
  PIPELINE_STATUS,
  PIPELINE_JOBS,
  RECORD_COUNT,
  PIPELINE_DEFINITION,
  CLIENT,
  STREAM_STATE,
  STREAM_INPUT_RATE,
  STREAM_PROCESSED_RATE,
  STREAM_BATCH_DURATION_MS,
  STREAM_LAST_BATCH_ID,
  STREAM_LAG,
];

/** The `temporal server start-dev --search-attribute` type names. */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** Temporal's IndexedValueType numbers (temporal/api/enums/v1/common.proto), for the operator service. */
export const INDEXED_VALUE_TYPES: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

export function searchAttributeCliArgs(): string[] {
  return SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE_NAMES[k.type]}`]);
}
