// The closed set of Spark jobs (contracts/jobs.ts names them), as Spark SQL over a temp view of one run's records;
// each job is named sections. test/support/oracle.ts computes the same sections in TypeScript, so a test can hold
// Spark's answers against it.
import { z } from 'zod';
import { GROUP_COLUMN, MEMBER_TAG_PATTERN } from '../../contracts/groups';
import type { JobName, JobParams } from '../../contracts/jobs';
import type { PartitionRange } from '../../contracts/partition-ranges';

/** The record columns as Spark sees them (matches contracts/records.ts). */
export const RECORD_SCHEMA_DDL = 'id BIGINT, name STRING, gender STRING, salary DOUBLE, birth_date DATE, department STRING';

/** Age bands: [lower bound in whole years, label]; a record belongs to the last band whose bound is <= its age. */
export const AGE_BANDS: readonly (readonly [number, string])[] = [
  [0, 'under 25'],
  [25, '25-34'],
  [35, '35-44'],
  [45, '45-54'],
  [55, '55-64'],
  [65, '65 and over'],
];
export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

const sqlList = (items: readonly string[]) => items.map((s) => `'${s}'`).join(', ');
const AGE_BAND_LABELS = sqlList(AGE_BANDS.map(([, label]) => label));

interface Section {
  sql: string;
  orderBy: string;
}

const BY_MONTH: Section = {
  sql: `SELECT _group, month(birth_date) AS month, element_at(array(${sqlList(MONTH_NAMES)}), month(birth_date)) AS month_name, count(*) AS count
FROM {view} WHERE birth_date IS NOT NULL
GROUP BY _group, month(birth_date)`,
  orderBy: 'month',
};

/** Age in whole years on {ref}: years between, minus one if the birthday has not come yet that year. */
const AGE = `year({ref}) - year(birth_date)
  - CASE WHEN month(birth_date) > month({ref}) OR (month(birth_date) = month({ref}) AND day(birth_date) > day({ref})) THEN 1 ELSE 0 END`;
const BAND = `CASE ${AGE_BANDS.slice(1)
  .map(([from], i) => `WHEN age < ${from} THEN ${i}`)
  .join(' ')} ELSE ${AGE_BANDS.length - 1} END`;

/** A job whose sections are separate queries over the run's view, run together as a UNION ALL. */
interface QueriesJob {
  sections: Record<string, Section>;
}

/** A section that projects rows of the job's shared relation: which rows, which columns (name, expression), in what order. */
interface Projection {
  where: string;
  columns: [string, string][];
  orderBy: string;
}

/**
 * A job whose sections all project one relation computed by its common table expressions. It runs as ONE pass
 * over that relation: Spark inlines a CTE at every reference, so a UNION ALL of five filtered reads of it computed
 * the aggregate five times (~3x slower).
 */
interface ProjectedJob {
  /** `name AS (query), ...` */
  with: string;
  /** The CTE every section projects. */
  from: string;
  sections: Record<string, Projection>;
}

type Job = QueriesJob | ProjectedJob;

/**
 * final_analysis reads the records once: one aggregate over grouping sets (everything, by gender, by department,
 * by birth month, by age band) that every section projects (about 3x faster than an aggregate per section).
 * grouping_id(_group, gender, department, month, band) tells the sets apart: a bit is 1 when that column is
 * aggregated away, the last column being the lowest bit (`_group` is in every set, so its bit is 0).
 */
const FINAL_ANALYSIS_WITH = `aged AS (
  SELECT _group, gender, coalesce(department, 'Unknown') AS department, salary, birth_date, month(birth_date) AS month,
    CASE WHEN birth_date IS NULL THEN NULL ELSE ${AGE} END AS age
  FROM {view}
),
records AS (
  SELECT _group, gender, department, salary, birth_date, month, CASE WHEN age IS NULL THEN NULL ELSE ${BAND} END AS band FROM aged
),
totals AS (
  SELECT grouping_id(_group, gender, department, month, band) AS set_id, _group, gender, department, month, band,
    count(*) AS count, min(salary) AS min_salary, round(avg(salary), 2) AS avg_salary, max(salary) AS max_salary,
    round(sum(salary), 2) AS total_salary, round(stddev_samp(salary), 2) AS stddev_salary,
    round(percentile(salary, 0.5), 2) AS median_salary, count(birth_date) AS with_birth_date
  FROM records
  GROUP BY GROUPING SETS ((_group), (_group, gender), (_group, department), (_group, month), (_group, band))
)`;
const SET = { all: 15, gender: 7, department: 11, month: 13, band: 14 } as const;

/**
 * Job name → its sections: SQL with {view} (and {ref}, the reference date as a DATE literal) placeholders, and
 * the order of the section's rows as an expression over its output columns (kept apart from the SQL so that a
 * whole job can run as one query whose sections keep their order).
 */
export const JOBS: Record<JobName, Job> = {
  count_gender: {
    sections: { by_gender: { sql: 'SELECT _group, gender, count(*) AS count FROM {view} GROUP BY _group, gender', orderBy: 'gender' } },
  },
  count_month: { sections: { by_month: BY_MONTH } },
  final_analysis: {
    with: FINAL_ANALYSIS_WITH,
    from: 'totals',
    sections: {
      overview: {
        where: `set_id = ${SET.all}`,
        columns: [
          ['head_count', 'count'],
          ['total_salary', 'total_salary'],
          ['min_salary', 'min_salary'],
          ['avg_salary', 'avg_salary'],
          ['max_salary', 'max_salary'],
          ['stddev_salary', 'stddev_salary'],
          ['with_birth_date', 'with_birth_date'],
          ['without_birth_date', 'count - with_birth_date'],
        ],
        orderBy: 'count',
      },
      by_gender: {
        where: `set_id = ${SET.gender}`,
        columns: [
          ['gender', 'gender'],
          ['count', 'count'],
          ['min_salary', 'min_salary'],
          ['avg_salary', 'avg_salary'],
          ['max_salary', 'max_salary'],
          ['share_pct', 'round(100 * count / sum(count) OVER (PARTITION BY _group, set_id), 2)'],
        ],
        orderBy: 'gender',
      },
      by_department: {
        where: `set_id = ${SET.department}`,
        columns: [
          ['department', 'department'],
          ['count', 'count'],
          ['min_salary', 'min_salary'],
          ['avg_salary', 'avg_salary'],
          ['median_salary', 'median_salary'],
          ['max_salary', 'max_salary'],
          ['total_salary', 'total_salary'],
        ],
        orderBy: 'department',
      },
      by_month: {
        where: `set_id = ${SET.month} AND month IS NOT NULL`,
        columns: [
          ['month', 'month'],
          ['month_name', `element_at(array(${sqlList(MONTH_NAMES)}), month)`],
          ['count', 'count'],
        ],
        orderBy: 'month',
      },
      age_bands: {
        where: `set_id = ${SET.band} AND band IS NOT NULL`,
        columns: [
          ['age_band', `element_at(array(${AGE_BAND_LABELS}), band + 1)`],
          ['count', 'count'],
          ['avg_salary', 'avg_salary'],
        ],
        orderBy: 'band',
      },
    },
  },
  read_records: {
    sections: {
      // The run's records as Spark read them (the old service's read_emp_data / read_json_from_topic jobs).
      records: { sql: 'SELECT _group, id, name, gender, salary, birth_date, department FROM {view}', orderBy: 'id' },
    },
  },
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ISO_DATE = z.iso.date();

function substitute(sql: string, view: string, params: JobParams): string {
  return sql.replaceAll('{view}', view).replaceAll('{ref}', `DATE '${params.referenceDate}'`);
}

function checked(view: string, params: JobParams): void {
  if (!IDENTIFIER.test(view)) throw new Error(`view name must be a plain identifier, got "${view}"`);
  if (!ISO_DATE.safeParse(params.referenceDate).success) {
    throw new Error(`referenceDate must be a date as YYYY-MM-DD, got "${params.referenceDate}"`);
  }
}

const isProjected = (job: Job): job is ProjectedJob => 'from' in job;

/** The job's sections as runnable SQL over `view`; view and date are checked, since they are spliced into SQL. */
export function jobQueries(job: JobName, view: string, params: JobParams): { section: string; sql: string }[] {
  checked(view, params);
  const def = JOBS[job];
  if (!isProjected(def)) {
    return Object.entries(def.sections).map(([section, { sql, orderBy }]) => ({
      section,
      sql: substitute(`SELECT * FROM (${sql}) ORDER BY ${GROUP_COLUMN} NULLS FIRST, ${orderBy}`, view, params),
    }));
  }
  return Object.entries(def.sections).map(([section, { where, columns, orderBy }]) => ({
    section,
    sql: substitute(
      `WITH ${def.with}\nSELECT ${GROUP_COLUMN}, ${columns.map(([name, expr]) => `${expr} AS ${name}`).join(', ')} FROM ${def.from} WHERE ${where} ` +
        `ORDER BY ${GROUP_COLUMN} NULLS FIRST, ${orderBy}`,
      view,
      params,
    ),
  }));
}

const ROW_JSON_OPTIONS = "map('ignoreNullFields', 'false')";

/** The table name under which a job's SQL reads the run's typed records (a CTE over the records query). */
export const RECORDS_TABLE = 'run_records';

/**
 * The whole job as one query, so that one Spark execution (one operation id) computes every section of every
 * group: rows of (section, row), `row` being a section's row as JSON (nulls kept, `_group` included), ordered by
 * group, section and the section's own order. `records` is a query yielding the run's typed records (with
 * `_group`), e.g. recordsFromKafkaSql; it becomes the first common table expression.
 */
export function jobSql(job: JobName, params: JobParams, records: string): string {
  const view = RECORDS_TABLE;
  checked(view, params);
  const def = JOBS[job];
  const recordsCte = `${view} AS (\n${records}\n)`;
  if (!isProjected(def)) {
    const parts = Object.entries(def.sections).map(
      ([section, { sql, orderBy }], i) =>
        `SELECT ${GROUP_COLUMN}, ${i} AS section_index, '${section}' AS section,
  row_number() OVER (PARTITION BY ${GROUP_COLUMN} ORDER BY ${orderBy}) AS seq,
  to_json(struct(*), ${ROW_JSON_OPTIONS}) AS row
FROM (${sql})`,
    );
    return substitute(
      `WITH ${recordsCte}\nSELECT section, row FROM (\n${parts.join('\nUNION ALL\n')}\n) ORDER BY ${GROUP_COLUMN} NULLS FIRST, section_index, seq`,
      view,
      params,
    );
  }
  // One pass: each row of the shared relation becomes the row of the section whose filter it meets.
  const sections = Object.entries(def.sections);
  const when = (pick: (p: Projection, i: number, name: string) => string) =>
    `CASE ${sections.map(([name, p], i) => `WHEN ${p.where} THEN ${pick(p, i, name)}`).join(' ')} END`;
  const row = when(
    (p) =>
      `to_json(named_struct('${GROUP_COLUMN}', ${GROUP_COLUMN}, ${p.columns.map(([n, e]) => `'${n}', ${e}`).join(', ')}), ${ROW_JSON_OPTIONS})`,
  );
  const orderTerms = sections.map(([, p]) => `CASE WHEN ${p.where} THEN ${p.orderBy} END`);
  return substitute(
    `WITH ${recordsCte},
${def.with}
SELECT section, row FROM (
  SELECT ${GROUP_COLUMN}, ${when((_p, i) => String(i))} AS section_index, ${when((_p, _i, name) => `'${name}'`)} AS section, ${row} AS row,
    ${orderTerms.map((t, i) => `${t} AS order_${i}`).join(', ')}
  FROM ${def.from} WHERE ${sections.map(([, p]) => `(${p.where})`).join(' OR ')}
) ORDER BY ${GROUP_COLUMN} NULLS FIRST, section_index, ${orderTerms.map((_t, i) => `order_${i}`).join(', ')}`,
    view,
    params,
  );
}

const JSON_SCHEMA = `'${RECORD_SCHEMA_DDL}, ${GROUP_COLUMN} STRING'`;
const hexKey = (key: string) => `X'${Buffer.from(key, 'utf8').toString('hex')}'`;
const checkedTable = (table: string) => {
  if (!IDENTIFIER.test(table)) throw new Error(`table name must be a plain identifier, got "${table}"`);
  return table;
};

/** A message's `seq` header (its place in its run's batch, activities/ingest.ts); needs the source's headers. */
const SEQ_HEADER = "CAST(get(filter(headers, h -> h.key = 'seq'), 0).value AS STRING)";

/**
 * SQL turning a Kafka source (binary `value` column holding one JSON record) into typed record columns; with
 * `recordKey`, only the messages with that key (one run's records in a shared topic). The key goes in as a hex
 * binary literal, so no text of a caller's reaches the SQL parser. With `deduplicate` (the source read with its
 * headers), a record that more than one ingest attempt wrote counts once: the same key and seq is the same record.
 * That costs an aggregation over the records (1,000,000 records: ~2x the job's time), so it is asked for only when
 * an ingest was retried.
 */
export function recordsFromKafkaSql(rawTable: string, recordKey?: string, options: { deduplicate?: boolean } = {}): string {
  const where = recordKey === undefined ? '' : ` WHERE key = ${hexKey(recordKey)}`;
  if (recordKey !== undefined && options.deduplicate) {
    return `SELECT r.* FROM (SELECT from_json(CAST(any_value(value) AS STRING), ${JSON_SCHEMA}) AS r FROM ${checkedTable(rawTable)}${where} GROUP BY ${SEQ_HEADER})`;
  }
  return `SELECT r.* FROM (SELECT from_json(CAST(value AS STRING), ${JSON_SCHEMA}) AS r FROM ${checkedTable(rawTable)}${where})`;
}

/** One run's share of a coalesced execution: its record key and offset ranges, and the tag its rows carry. */
export interface SourceMember {
  tag: string;
  recordKey: string;
  ranges: readonly PartitionRange[];
}

/**
 * The records of several runs read in one pass over a Kafka source that spans all their offset ranges: a message
 * belongs to a member when it has the member's key and lies in one of its ranges. Each record's group becomes
 * `<tag>` (a record without a group) or `<tag>:<group>`, so that a job's per-group sections split back per run
 * (contracts/groups.ts memberPart). The members are a VALUES table joined on (key, partition), not literals in the predicate:
 * numeric literals are compiled into Spark's generated code, so every execution with other offsets compiled its
 * own (~0.5 s of CPU each), while a join over a table of values reuses the compiled code.
 */
export function membersFromKafkaSql(rawTable: string, members: readonly SourceMember[]): string {
  const rows = members.flatMap(({ tag, recordKey, ranges }) => {
    if (!MEMBER_TAG_PATTERN.test(tag)) throw new Error(`member tag must be letters, digits or _, got "${tag}"`);
    return ranges
      .filter((r) => r.to > r.from)
      .map((r) => `(${hexKey(recordKey)}, ${Math.trunc(r.partition)}, ${Math.trunc(r.from)}L, ${Math.trunc(r.to)}L, '${tag}')`);
  });
  if (rows.length === 0) throw new Error('a coalesced read needs at least one member with records');
  return `SELECT r.id, r.name, r.gender, r.salary, r.birth_date, r.department,
  CASE WHEN r.${GROUP_COLUMN} IS NULL THEN tag ELSE concat(tag, ':', r.${GROUP_COLUMN}) END AS ${GROUP_COLUMN}
FROM (
  SELECT from_json(CAST(s.value AS STRING), ${JSON_SCHEMA}) AS r, m.tag
  FROM ${checkedTable(rawTable)} s
  JOIN (VALUES ${rows.join(', ')}) AS m(key, partition, from_offset, to_offset, tag)
    ON s.key = m.key AND s.partition = m.partition AND s.offset >= m.from_offset AND s.offset < m.to_offset
)`;
}

/** SQL giving records read from a JSON file source their (absent) group. */
export function recordsFromFileSql(fileTable: string): string {
  return `SELECT *, CAST(NULL AS STRING) AS ${GROUP_COLUMN} FROM ${checkedTable(fileTable)}`;
}
