// The Spark jobs as their callers know them: the closed set of names, their parameters, and the shape of a
// result (named sections of rows). What each job computes is in spark/jobs/sql.ts.

export const JOB_NAMES = ['count_gender', 'count_month', 'final_analysis', 'read_records'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobParams {
  /** 'YYYY-MM-DD'; ages are computed on this date rather than current_date(), so a run's result is reproducible. */
  referenceDate: string;
}

/** One row of a job's section, as Spark returns it (JSON values). */
export type Row = Record<string, string | number | null>;
/** Section name → rows. */
export type JobResult = Record<string, Row[]>;
