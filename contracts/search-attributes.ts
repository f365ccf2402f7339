// Search attributes our workflows set, so runs can be filtered in the Web UI and with `temporal workflow list
// --query`. The stack registers exactly these with the dev server at start.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PIPELINE_STATUS = defineSearchAttributeKey('PipelineStatus', SearchAttributeType.KEYWORD);
export const PIPELINE_JOBS = defineSearchAttributeKey('PipelineJobs', SearchAttributeType.KEYWORD_LIST);
export const RECORD_COUNT = defineSearchAttributeKey('RecordCount', SearchAttributeType.INT);

export const SEARCH_ATTRIBUTE_KEYS = [PIPELINE_STATUS, PIPELINE_JOBS, RECORD_COUNT];

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

export function searchAttributeCliArgs(): string[] {
  return SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE_NAMES[k.type]}`]);
}
