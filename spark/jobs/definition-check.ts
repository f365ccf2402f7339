// A definition checked by Spark before any run: every section's SQL analysed (AnalyzePlan: resolved and typed,
// not run) against the declared record schema, alone and as runs sharing an execution compute it, and every stream
// section's group columns and measures as its stream's query computes them, so a misspelt column, a sum of text or
// SQL Spark cannot run per group is an error naming the file and the section, not a failed run or stream.
import {
  jobPlan,
  recordsDdl,
  streamPlan,
  type Definition,
  type JobPlan,
  type ParameterValue,
  type StreamPlan,
} from '../../contracts/definitions';
import { SparkConnectError, type SparkConnectClient } from '../../lib/spark-connect';
import { sqlRelation } from '../../lib/spark-connect/relations';
import { jobSql, sqlString } from './sql';
import { aggregateSql } from './streaming';

/** A stream's records as its query reads them (event time, JSON text), typed, no rows: a batch stands in for the stream. */
const EMPTY_STREAM = '(SELECT CAST(NULL AS TIMESTAMP) AS event_time, CAST(NULL AS STRING) AS json WHERE false) AS _records';

/** Spark unreachable, or restarting: nothing is known of the SQL, and the check fails as a whole. */
const unanswered = (err: unknown) => err instanceof SparkConnectError && err.isTransient;

/** What the check needs of Spark: a query's schema, or the analysis error (lib/spark-connect SparkConnectClient.schema). */
export type AnalyzeSql = (sql: string, params: Record<string, ParameterValue>) => Promise<unknown>;

/** Spark Connect's AnalyzePlan of the query, its parameters as named arguments. */
export function sparkAnalysis(client: Pick<SparkConnectClient, 'schema'>): AnalyzeSql {
  return (sql, params) => client.schema({ root: sqlRelation(sql, params) });
}

export interface DefinitionCheck {
  name: string;
  version: string;
  /** Each problem names the file, the job and section, and what Spark said. Empty: the definition is valid. */
  problems: string[];
}

/** Fields (a DDL) as an empty relation with the group column (what the job's SQL reads, typed, no rows). */
const emptyRecords = (ddl: string) =>
  `SELECT r.*, '' AS _group FROM (SELECT from_json(CAST(NULL AS STRING), ${sqlString(ddl)}) AS r) WHERE false`;

/**
 * Spark's "line N pos M" counts lines of the whole generated query: said as a line of the user's own SQL (as
 * stated after its leading blank lines) when it falls in it.
 */
function inOwnLines(message: string, generated: string, own: string): string {
  const at = generated.indexOf(own);
  if (at < 0) return message;
  const first = generated.slice(0, at).split('\n').length;
  const last = first + own.split('\n').length - 1;
  return message.replace(/; line (\d+) pos (\d+)/, (text, line: string, pos: string) =>
    Number(line) >= first && Number(line) <= last ? ` (line ${Number(line) - first + 1}, column ${Number(pos) + 1} of its SQL)` : text,
  );
}

/** Spark's message, its first line (the rest is the plan it could not resolve). */
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();

/**
 * Analyses each section of each job alone (one group), then each whole job as a shared execution computes it (two
 * groups: the SQL runs per group through a LATERAL subquery, which Spark refuses for a few constructs, e.g.
 * GROUPING SETS, ROLLUP and CUBE). Parameters take sample values of their types (defaults where there are some).
 */
export async function checkDefinition(definition: Definition, analyze: AnalyzeSql): Promise<DefinitionCheck> {
  const params = sampleParameters(definition);
  const problems: string[] = [];
  for (const job of Object.keys(definition.jobs)) {
    const plan = jobPlan(definition, job, params);
    const records = emptyRecords(plan.fields);
    let sectionsOk = true;
    for (const [name, section] of plan.sections) {
      const alone: JobPlan = { ...plan, sections: [[name, section]] };
      const sql = jobSql(alone, records, ['']);
      try {
        await analyze(sql, params);
      } catch (err) {
        if (unanswered(err)) throw err;
        sectionsOk = false;
        const where = section.kind === 'query' ? (section.file ?? 'pipeline.yml') : `pipeline.yml (a projection of jobs.${job}.relation)`;
        const own = section.kind === 'query' ? section.sql : plan.relation!;
        problems.push(`${definition.name}/${where}: jobs.${job}.sections.${name}: ${inOwnLines(firstLine(err), sql, own)}`);
      }
    }
    if (!sectionsOk) continue;
    try {
      await analyze(jobSql(plan, records, ['a', 'b']), params);
    } catch (err) {
      if (unanswered(err)) throw err;
      problems.push(
        `${definition.name}: jobs.${job}: Spark cannot run this job's SQL per run when runs share an execution (a LATERAL subquery over each run's records): ${firstLine(err)}`,
      );
    }
  }
  // Each stream job's sections, one at a time: the query a stream runs, over no records (the same SQL on a batch),
  // then the measures' inputs, whose types Spark's implicit casts would let through to fail at run time.
  for (const job of Object.keys(definition.streams)) {
    const plan = streamPlan(definition, job);
    for (const section of plan.sections) {
      const where = `${definition.name}/pipeline.yml: streams.${job}.sections.${section[0]}`;
      try {
        await analyze(aggregateSql({ ...plan, sections: [section] }, 10, 'check', EMPTY_STREAM), {});
        problems.push(...(await measureTypeProblems(plan, section, analyze)).map((p) => `${where}: ${p}`));
      } catch (err) {
        if (unanswered(err)) throw err;
        problems.push(`${where}: ${firstLine(err)}`);
      }
    }
  }
  return { name: definition.name, version: definition.version, problems };
}

/** Measures over numbers only: Spark would cast text to a number implicitly, and fail on the first record that is not one. */
const NUMERIC_MEASURES = new Set(['sum', 'avg', 'stddev_pop', 'stddev_samp']);
const NUMERIC_TYPE = /^(tinyint|smallint|int|bigint|float|double|decimal\(\d+,\d+\))$/;

/** A numeric measure over something not a number, each as `measures.<name>: …`. */
async function measureTypeProblems(plan: StreamPlan, [, section]: StreamPlan['sections'][number], analyze: AnalyzeSql): Promise<string[]> {
  const numeric = section.measures.filter(([, m]) => NUMERIC_MEASURES.has(m.fn));
  if (numeric.length === 0) return [];
  const select = numeric.map(([, m], i) => `(${m.expression}) AS m${i}`).join(', ');
  const schema = await analyze(`SELECT ${select} FROM (${emptyRecords(recordsDdl(plan))})`, {});
  if (!Array.isArray(schema)) return [];
  return numeric.flatMap(([name, m], i) => {
    const type = (schema[i] as { type?: string } | undefined)?.type ?? '';
    return NUMERIC_TYPE.test(type) ? [] : [`measures.${name}: ${m.fn} needs a number, and ${m.expression} is ${type}`];
  });
}

const SAMPLES: Record<ParameterValue['type'], ParameterValue['value']> = {
  string: 'x',
  long: 1,
  double: 1,
  boolean: true,
  date: '2000-01-01',
};

function sampleParameters(definition: Definition): Record<string, ParameterValue> {
  return Object.fromEntries(
    Object.entries(definition.parameters).map(([name, p]) => {
      const value = p.default === undefined || p.default === 'today' ? SAMPLES[p.type] : p.default;
      return [name, { type: p.type, value } as ParameterValue];
    }),
  );
}
