// A job's plan (contracts/definitions.ts JobPlan: a definition's sections of Spark SQL over `records`) as ONE query
// that one Spark execution runs for every group it carries. A group is one run's records, or one request's within a
// run (/process batches), and several runs may share an execution (spark/runtime/coalescing-scheduler.ts): the
// user's SQL knows nothing of that. Each group's `records` is a LATERAL subquery's view of exactly that group's
// records, so the user's SQL runs per group as written; Spark decorrelates it into one plan over all the groups
// (`GROUP BY _group, …` and a join), not one query per group. One group alone needs no LATERAL.
//
// Values never reach the SQL text: the plan's parameters go to Spark as named arguments (`:name` markers), record
// keys as hex binary literals, and group names are checked against the group patterns before they are written.
import { GROUP_COLUMN, MEMBER_TAG_PATTERN } from '../../contracts/groups';
import type { JobPlan, Section } from '../../contracts/definitions';
import type { PartitionRange } from '../../contracts/partition-ranges';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A group name as it is written into SQL: a member tag and a group id (contracts/groups.ts), or '' (no group). */
const GROUP_NAME = /^[A-Za-z0-9._:-]{0,250}$/;

const ROW_JSON_OPTIONS = "map('ignoreNullFields', 'false')";

/** The table under which the job's SQL reads every group's typed records (a CTE over the records query). */
const ALL_RECORDS = 'all_records';
const GROUPS = 'run_groups';

const checkedTable = (table: string) => {
  if (!IDENTIFIER.test(table)) throw new Error(`table name must be a plain identifier, got "${table}"`);
  return table;
};

/**
 * How the parts of a query read their groups. Several: a table of them (`run_groups`), each one's records through a
 * LATERAL subquery. One: its records are all the records, and its name a literal (no join, no table: a run alone
 * runs its SQL as written).
 */
interface Groups {
  /** Common table expressions to add (the table of groups), each with its leading comma. */
  cte: string;
  /** The group of a row, as an SQL expression. */
  group: string;
  /** The records view of the group (filtered to it when there are several). */
  records(plan: JobPlan): string;
  /** `body` (SQL over `records`) for each group, under `alias`. */
  from(body: string, alias: string): string;
}

function groupsOf(groups: readonly string[]): Groups {
  if (groups.length === 0) throw new Error('a job needs at least one group');
  for (const group of groups) if (!GROUP_NAME.test(group)) throw new Error(`group name must match ${GROUP_NAME}, got "${group}"`);
  const columns = (plan: JobPlan) => plan.columns.join(', ');
  if (groups.length === 1) {
    return {
      cte: '',
      group: `'${groups[0]}'`,
      records: (plan) => `records AS (SELECT ${columns(plan)} FROM ${ALL_RECORDS})`,
      from: (body, alias) => `(${body}) ${alias}`,
    };
  }
  return {
    cte: `,\n${GROUPS} AS (SELECT * FROM VALUES ${groups.map((g) => `('${g}')`).join(', ')} AS t(${GROUP_COLUMN}))`,
    group: `g.${GROUP_COLUMN}`,
    records: (plan) => `records AS (SELECT ${columns(plan)} FROM ${ALL_RECORDS} WHERE ${GROUP_COLUMN} = g.${GROUP_COLUMN})`,
    from: (body, alias) => `${GROUPS} g, LATERAL (${body}) ${alias}`,
  };
}

/** The user's SQL (a section's query) over a group's `records`. */
const overRecords = (plan: JobPlan, groups: Groups, sql: string) => `WITH ${groups.records(plan)}\nSELECT * FROM (\n${sql}\n)`;

/** `select` (a query over `relation`) over the job's relation of a group's `records`. */
const overRelation = (plan: JobPlan, groups: Groups, select: string) => `WITH ${groups.records(plan)},
relation AS (SELECT * FROM (
${plan.relation}
))
${select}`;

/** The query's head: every group's records (`all_records`) and, with several groups, the table of them. */
const allRecords = (records: string, groups: Groups) => `WITH ${ALL_RECORDS} AS (
${records}
)${groups.cte}`;

/**
 * The order columns every part of a job's query yields, one per section (`order_<index>`): a part gives its own
 * sections' `order_by` values and NULL for the others, so that one ORDER BY over all of them orders each section's
 * rows by its own expression. (A row_number() window per section did the same at the cost of one more shuffle.)
 */
const orderColumns = (plan: JobPlan, own: (index: number) => string | undefined) =>
  plan.sections.map((_s, i) => `${own(i) ?? 'NULL'} AS order_${i}`).join(', ');

/** The rows of one query section: the user's SQL over `records`, each row as JSON, with its order value. */
function queryPart(plan: JobPlan, index: number, name: string, section: Extract<Section, { kind: 'query' }>, groups: Groups): string {
  const body = overRecords(plan, groups, section.sql);
  return `SELECT ${groups.group} AS ${GROUP_COLUMN}, ${index} AS section_index, '${name}' AS section,
  to_json(struct(s.*), ${ROW_JSON_OPTIONS}) AS row,
  ${orderColumns(plan, (i) => (i === index ? `(${section.orderBy})` : undefined))}
FROM ${groups.from(body, 's')}`;
}

/**
 * The rows of a job whose sections project its relation, in one pass: each row of the relation becomes the row of
 * the (first) section whose `where` it meets (its order values NULL for the sections before, which it does not meet).
 */
function projectionPart(plan: JobPlan, groups: Groups): string {
  const sections = plan.sections
    .map(([name, section], index) => ({ name, section, index }))
    .filter(
      (s): s is { name: string; section: Extract<Section, { kind: 'projection' }>; index: number } => s.section.kind === 'projection',
    );
  const when = (pick: (s: (typeof sections)[number], k: number) => string) =>
    `CASE ${sections.map((s, k) => `WHEN (${s.section.where}) THEN ${pick(s, k)}`).join(' ')} END`;
  const row = when(
    (s) => `to_json(named_struct(${s.section.select.map(([column, expr]) => `'${column}', ${expr}`).join(', ')}), ${ROW_JSON_OPTIONS})`,
  );
  const order = (i: number) => {
    const s = sections.find((p) => p.index === i);
    return s && `CASE WHEN (${s.section.where}) THEN ${s.section.orderBy} END`;
  };
  const body = overRelation(
    plan,
    groups,
    `SELECT ${when((s) => String(s.index))} AS section_index, ${when((s) => `'${s.name}'`)} AS section, ${row} AS row,
  ${orderColumns(plan, order)}
FROM relation WHERE ${sections.map((s) => `(${s.section.where})`).join(' OR ')}`,
  );
  return `SELECT ${groups.group} AS ${GROUP_COLUMN}, p.section_index, p.section, p.row, ${plan.sections.map((_s, i) => `p.order_${i}`).join(', ')}
FROM ${groups.from(body, 'p')}`;
}

/**
 * The whole job as one query over `records` (SQL yielding the plan's columns and a non-null `_group`, '' for
 * records without a group) for the given groups: rows of (group, section, row), `group` null for '', `row` a
 * section's row as JSON (nulls kept), ordered by group, section and the section's own order. Its `:name` markers
 * take the plan's parameters (named arguments). Groups with no records give no rows (none are asked for).
 */
export function jobSql(plan: JobPlan, records: string, groupNames: readonly string[]): string {
  const groups = groupsOf(groupNames);
  const parts: string[] = [];
  if (plan.relation !== undefined) parts.push(projectionPart(plan, groups));
  plan.sections.forEach(([name, section], i) => {
    if (section.kind === 'query') parts.push(queryPart(plan, i, name, section, groups));
  });
  return `${allRecords(records, groups)}
SELECT nullif(${GROUP_COLUMN}, '') AS ${GROUP_COLUMN}, section, row FROM (
${parts.join('\nUNION ALL\n')}
) ORDER BY ${GROUP_COLUMN}, section_index, ${plan.sections.map((_s, i) => `order_${i}`).join(', ')}`;
}

/**
 * One section's rows, typed (not JSON), for a sink: its columns, and the group column first when the records carry
 * groups (a grouped run's rows of each group). Unordered: files have no order.
 */
export function sectionRowsSql(plan: JobPlan, name: string, records: string, groupNames: readonly string[]): string {
  const section = plan.sections.find(([n]) => n === name)?.[1];
  if (!section) throw new Error(`${plan.definition}.${plan.job} has no section "${name}"`);
  const groups = groupsOf(groupNames);
  const body =
    section.kind === 'query'
      ? overRecords(plan, groups, section.sql)
      : overRelation(
          plan,
          groups,
          `SELECT ${section.select.map(([column, expr]) => `${expr} AS ${column}`).join(', ')} FROM relation WHERE (${section.where})`,
        );
  const grouped = groupNames.length > 1 || groupNames[0] !== '';
  return `${allRecords(records, groups)}
SELECT ${grouped ? `${groups.group} AS ${GROUP_COLUMN}, ` : ''}s.* FROM ${groups.from(body, 's')}`;
}

const hexKey = (key: string) => `X'${Buffer.from(key, 'utf8').toString('hex')}'`;
/** `text` as a Spark SQL string literal (backslashes and quotes escaped). */
export const sqlString = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
/**
 * A message's records, parsed: a message's value is a JSON array of records (activities/ingest.ts), or one record,
 * which from_json reads as an array of one when the schema is an array of structs (a topic of someone else's, or
 * messages written before records went a hundred to a message).
 */
const messageRecords = (value: string, fields: string) =>
  `explode(from_json(CAST(${value} AS STRING), ${sqlString(`ARRAY<STRUCT<${fields}, ${GROUP_COLUMN} STRING>>`)}))`;

/** A message's `seq` header (its place in its run's batch, activities/ingest.ts); needs the source's headers. */
const SEQ_HEADER = "CAST(get(filter(headers, h -> h.key = 'seq'), 0).value AS STRING)";

/**
 * SQL turning a Kafka source (binary `value` column holding a JSON array of records, or one record) into typed record
 * columns (`fields`, a DDL) and their group; with `recordKey`, only the messages with that key (one run's records in a shared topic),
 * each keeping the group it was written with. The key goes in as a hex binary literal, so no text of a caller's
 * reaches the SQL parser. A topic read as it is (no key) is one group: its messages' own `_group` is not ours.
 * With `deduplicate` (the source read with its headers), a message that more than one ingest attempt wrote counts
 * once: the same key and seq is the same message, with the same records. That costs an aggregation over the
 * messages, so it is asked for only when an ingest was retried.
 */
export function recordsFromKafkaSql(
  rawTable: string,
  fields: string,
  columns: readonly string[],
  recordKey?: string,
  options: { deduplicate?: boolean } = {},
): string {
  const group = `${columns.map((c) => `r.${c}`).join(', ')}, ${recordKey === undefined ? "''" : `coalesce(r.${GROUP_COLUMN}, '')`} AS ${GROUP_COLUMN}`;
  const where = recordKey === undefined ? '' : ` WHERE key = ${hexKey(recordKey)}`;
  if (recordKey !== undefined && options.deduplicate) {
    return `SELECT ${group} FROM (SELECT ${messageRecords('value', fields)} AS r FROM (SELECT any_value(value) AS value FROM ${checkedTable(rawTable)}${where} GROUP BY ${SEQ_HEADER}))`;
  }
  return `SELECT ${group} FROM (SELECT ${messageRecords('value', fields)} AS r FROM ${checkedTable(rawTable)}${where})`;
}

/** One run's share of a coalesced execution: its record key and offset ranges, the tag its rows carry, its groups. */
export interface SourceMember {
  tag: string;
  recordKey: string;
  ranges: readonly PartitionRange[];
  /** The run's groups (a grouped run: /process batches); none: its records have no group. */
  groups?: readonly string[];
}

/** The group names a member's records carry in a shared execution: `<tag>`, or `<tag>:<group>` for each group. */
export function memberGroups(member: Pick<SourceMember, 'tag' | 'groups'>): string[] {
  return member.groups?.length ? member.groups.map((g) => `${member.tag}:${g}`) : [member.tag];
}

/**
 * The records of several runs read in one pass over a Kafka source that spans all their offset ranges: a message
 * belongs to a member when it has the member's key and lies in one of its ranges. Each record's group becomes
 * `<tag>` (a record without a group) or `<tag>:<group>`, so that a job's per-group sections split back per run
 * (contracts/groups.ts memberPart). The members are a VALUES table joined on (key, partition), not literals in the predicate:
 * numeric literals are compiled into Spark's generated code, so every execution with other offsets compiled its
 * own (~0.5 s of CPU each), while a join over a table of values reuses the compiled code.
 */
export function membersFromKafkaSql(
  rawTable: string,
  fields: string,
  columns: readonly string[],
  members: readonly SourceMember[],
): string {
  const rows = members.flatMap(({ tag, recordKey, ranges }) => {
    if (!MEMBER_TAG_PATTERN.test(tag)) throw new Error(`member tag must be letters, digits or _, got "${tag}"`);
    return ranges
      .filter((r) => r.to > r.from)
      .map((r) => `(${hexKey(recordKey)}, ${Math.trunc(r.partition)}, ${Math.trunc(r.from)}L, ${Math.trunc(r.to)}L, '${tag}')`);
  });
  if (rows.length === 0) throw new Error('a coalesced read needs at least one member with records');
  return `SELECT ${columns.map((c) => `r.${c}`).join(', ')},
  CASE WHEN r.${GROUP_COLUMN} IS NULL THEN tag ELSE concat(tag, ':', r.${GROUP_COLUMN}) END AS ${GROUP_COLUMN}
FROM (
  SELECT ${messageRecords('s.value', fields)} AS r, m.tag
  FROM ${checkedTable(rawTable)} s
  JOIN (VALUES ${rows.join(', ')}) AS m(key, partition, from_offset, to_offset, tag)
    ON s.key = m.key AND s.partition = m.partition AND s.offset >= m.from_offset AND s.offset < m.to_offset
)`;
}

/** SQL giving records read from a JSON file source their (absent) group. */
export function recordsFromFileSql(fileTable: string): string {
  return `SELECT *, '' AS ${GROUP_COLUMN} FROM ${checkedTable(fileTable)}`;
}
