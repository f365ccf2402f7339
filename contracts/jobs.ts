// The shape of a Spark job's result as its callers know it: named sections of rows. What a job computes is its
// definition's (contracts/definitions.ts: Spark SQL declared in definitions/<name>/).

/** A job's name within its pipeline definition. */
export type JobName = string;

/** One row of a job's section, as Spark returns it (JSON values). */
export type Row = Record<string, string | number | boolean | null>;
/** Section name → rows. */
export type JobResult = Record<string, Row[]>;
