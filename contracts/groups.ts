// The group contract. One pipeline run may carry the records of several independent requests (coalesced /process
// requests): each request is a group, and the run's results come back per group. Several runs may in turn share
// one Spark execution (coalesced submits): each run is a member with a tag, and the execution's groups are
// `<tag>` (a run's records without a group) or `<tag>:<group>`. This module owns every part of that naming: the
// ids, the column, and the two splits (an execution's rows by group, an execution's groups by member).
import type { JobResult, Row } from './jobs';

/**
 * The column that carries a record's group through Spark: part of the Kafka message value
 * (`{"_group": ..., ...record}`), never of a user's record; null in a run without groups.
 */
export const GROUP_COLUMN = '_group';

/** A group id: what a pipeline input's `groups[].id` may be. */
export const GROUP_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;
export const GROUP_ID_RULE = 'expected letters, digits and ._:- (at most 100)';

/** A member's tag in a shared execution: no ':' (the separator from the group) and safe in a SQL literal. */
export const MEMBER_TAG_PATTERN = /^[A-Za-z0-9_]+$/;

/** The group id of one /process request. */
export function newRequestGroupId(): string {
  return `req-${crypto.randomUUID()}`;
}

/** A job's result: its sections over the records without a group, and per group for grouped records. */
export interface GroupedJobResult {
  sections: JobResult;
  groups: Record<string, JobResult>;
}

/** An execution's rows (its group in GROUP_COLUMN, null for none; a section's row as JSON) as sections and groups. */
export function groupRows(rows: Iterable<{ [GROUP_COLUMN]: string | null; section: string; row: string }>): GroupedJobResult {
  const result: GroupedJobResult = { sections: {}, groups: {} };
  for (const { [GROUP_COLUMN]: group, section, row } of rows) {
    const target = group === null || group === undefined ? result.sections : (result.groups[group] ??= {});
    (target[section] ??= []).push(JSON.parse(row) as Row);
  }
  return result;
}

/** A shared execution's group name as the member's tag and the record's own group (null: none). */
export function splitMemberGroup(name: string): { tag: string; group: string | null } {
  const colon = name.indexOf(':');
  return colon < 0 ? { tag: name, group: null } : { tag: name.slice(0, colon), group: name.slice(colon + 1) };
}

/** One member's part of a shared execution's result, under the member's own group names. */
export function memberPart(execution: GroupedJobResult, tag: string): GroupedJobResult {
  const part: GroupedJobResult = { sections: {}, groups: {} };
  for (const [name, sections] of Object.entries(execution.groups)) {
    const { tag: memberTag, group } = splitMemberGroup(name);
    if (memberTag !== tag) continue;
    if (group === null) part.sections = sections;
    else part.groups[group] = sections;
  }
  return part;
}
