// The answer of POST /process: the run's analysis in a flat, readable shape (what the old Flask service's users
// read: counts by gender and by birth month, salary statistics), plus the workflow id to find the run.
import type { CollectedResult } from '../../activities/spark-job';
import type { PipelineResult } from '../../workflows/pipeline';

type Rows = Record<string, unknown>[];

export interface ProcessResponse {
  workflow_id: string;
  record_count: number | undefined;
  count_by_gender: Record<string, number>;
  /** Birth month name → head count, for records that have a birth date. */
  count_by_month: Record<string, number>;
  salary: Record<string, unknown>;
  salary_by_gender: Rows;
  salary_by_department: Rows;
  age_bands: Rows;
  timings_ms: { ingest: number; submit: number; poll: number; collect: number; total: number };
}

function sections(result: CollectedResult | undefined): Record<string, Rows> {
  if (!result || !('inline' in result)) throw new Error('the analysis result was not returned inline');
  return result.inline as Record<string, Rows>;
}

export function toProcessResponse(workflowId: string, result: PipelineResult): ProcessResponse {
  const analysis = sections(result.results.final_analysis);
  const byGender = analysis.by_gender ?? [];
  const job = result.timings.jobs.final_analysis;
  return {
    workflow_id: workflowId,
    record_count: result.recordCount,
    count_by_gender: Object.fromEntries(byGender.map((r) => [String(r.gender), Number(r.count)])),
    count_by_month: Object.fromEntries((analysis.by_month ?? []).map((r) => [String(r.month_name), Number(r.count)])),
    salary: analysis.overview?.[0] ?? {},
    salary_by_gender: byGender,
    salary_by_department: analysis.by_department ?? [],
    age_bands: analysis.age_bands ?? [],
    timings_ms: {
      ingest: result.timings.ingestMs,
      submit: job?.submitMs ?? 0,
      poll: job?.pollMs ?? 0,
      collect: job?.collectMs ?? 0,
      total: result.timings.totalMs,
    },
  };
}
