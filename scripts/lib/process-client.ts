// A client of POST /process for the measuring scripts (`npm run cost`, `npm run bench:cold`): bodies shaped like the
// load test's, and one timed request.
import type { EmployeeRecord } from '../../contracts/records';
import { generateEmployees } from '../../lib/employee-generator';

export interface ProcessAnswer {
  batch_requests?: number;
  timings_ms?: Record<string, number>;
}

export class ProcessRequestError extends Error {
  override name = 'ProcessRequestError';
}

/** Body number `seq` of the load test's kind: 2-200 records (or `size`), ids unique across bodies. */
export function processBody(seq: number, size = 2 + ((seq * 7919) % 199)): EmployeeRecord[] {
  return [...generateEmployees(size, seq)].map((r, i) => ({ ...r, id: seq * 1_000 + i }));
}

/** POSTs the body; resolves with the latency (ms) and the answer, throws on anything but 200. */
export async function postProcess(url: string, body: unknown): Promise<{ ms: number; answer: ProcessAnswer }> {
  const t0 = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new ProcessRequestError(`POST ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return { ms: performance.now() - t0, answer: JSON.parse(text) as ProcessAnswer };
}
