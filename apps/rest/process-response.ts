// The answer of POST /process: the request's analysis in a flat, readable shape (what the old Flask service's
// users read: counts by gender and by birth month, salary statistics), plus the ids to find the run.
import { z } from 'zod';
import type { GroupedJobResult } from '../../contracts/groups';
import type { PipelineResult } from '../../contracts/pipeline';

type Rows = Record<string, unknown>[];
const RowsSchema = z.array(z.record(z.string(), z.unknown()));

export const ProcessResponseSchema = z.object({
  /** The pipeline run that analysed this request (shared with the requests coalesced into it). */
  workflow_id: z.string(),
  /** This request's group in that run. */
  request_id: z.string(),
  /** How many requests the run analysed together. */
  batch_requests: z.int(),
  record_count: z.int(),
  count_by_gender: z.record(z.string(), z.number()),
  /** Birth month name → head count, for records that have a birth date. */
  count_by_month: z.record(z.string(), z.number()),
  salary: z.record(z.string(), z.unknown()),
  salary_by_gender: RowsSchema,
  salary_by_department: RowsSchema,
  age_bands: RowsSchema,
  timings_ms: z.object({ ingest: z.number(), submit: z.number(), poll: z.number(), collect: z.number(), total: z.number() }),
});
export type ProcessResponse = z.infer<typeof ProcessResponseSchema>;

/** What one /process request gets from a (possibly shared) run. */
export interface RequestAnalysis {
  /** The request's final_analysis sections. */
  sections: Record<string, Rows>;
  recordCount: number;
  timings: PipelineResult['timings'];
}

/**
 * Splits a run's final_analysis result into what each request (group) gets. `analysis` is that result as sections
 * and groups (read back from the results topic if it was too large to return inline).
 */
export function analysesByRequest(
  result: PipelineResult,
  analysis: GroupedJobResult,
  requests: { id: string; records: unknown[] }[],
): Map<string, RequestAnalysis> {
  return new Map(
    requests.map((r) => [
      r.id,
      { sections: (analysis.groups[r.id] ?? {}) as Record<string, Rows>, recordCount: r.records.length, timings: result.timings },
    ]),
  );
}

export function toProcessResponse(answer: {
  requestId: string;
  workflowId: string;
  batchSize: number;
  result: RequestAnalysis;
}): ProcessResponse {
  const { sections: analysis, timings } = answer.result;
  const byGender = analysis.by_gender ?? [];
  const job = timings.jobs.final_analysis;
  return {
    workflow_id: answer.workflowId,
    request_id: answer.requestId,
    batch_requests: answer.batchSize,
    record_count: answer.result.recordCount,
    count_by_gender: Object.fromEntries(byGender.map((r) => [String(r.gender), Number(r.count)])),
    count_by_month: Object.fromEntries((analysis.by_month ?? []).map((r) => [String(r.month_name), Number(r.count)])),
    salary: analysis.overview?.[0] ?? {},
    salary_by_gender: byGender,
    salary_by_department: analysis.by_department ?? [],
    age_bands: analysis.age_bands ?? [],
    timings_ms: {
      ingest: timings.ingestMs,
      submit: job?.submitMs ?? 0,
      poll: job?.pollMs ?? 0,
      collect: job?.collectMs ?? 0,
      total: timings.totalMs,
    },
  };
}
