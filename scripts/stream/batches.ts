// Where a stream's micro-batches spent their time, from the progress its workflow reported: each batch once (the
// status is sampled more often than batches end), its duration and `addBatch`, the cost of a record in it, and
// each stateful operator's update, removal and commit time. Pure, so a test pins it down.
import { percentile } from '../../contracts/stats';
import type { StreamProgress } from '../../contracts/streams';

export interface Spread {
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface BatchFigures {
  /** Distinct batches with records among those seen. */
  batches: number;
  batchDurationMs: Spread;
  addBatchMs: Spread;
  /** `addBatch` divided by the batch's records, in µs. */
  addBatchUsPerRecord: Spread;
  /** Per stateful operator (Spark's name), in ms a batch. */
  stateOperators: Record<string, { updatesMs: Spread; removalsMs: Spread; commitMs: Spread; rows: Spread }>;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1) ?? null) };
}

export function batchFigures(samples: readonly StreamProgress[]): BatchFigures {
  const byId = new Map<number, StreamProgress>();
  for (const p of samples) if (p.numInputRows > 0) byId.set(p.batchId, p);
  const batches = [...byId.values()];
  const operators = new Map<string, { updatesMs: number[]; removalsMs: number[]; commitMs: number[]; rows: number[] }>();
  for (const b of batches) {
    for (const op of b.stateOperators ?? []) {
      const o = operators.get(op.operator) ?? { updatesMs: [], removalsMs: [], commitMs: [], rows: [] };
      o.updatesMs.push(op.updatesMs);
      o.removalsMs.push(op.removalsMs);
      o.commitMs.push(op.commitMs);
      o.rows.push(op.rows);
      operators.set(op.operator, o);
    }
  }
  const withAddBatch = batches.filter((b) => b.durationsMs?.addBatch !== undefined);
  return {
    batches: batches.length,
    batchDurationMs: spread(batches.map((b) => b.batchDurationMs)),
    addBatchMs: spread(withAddBatch.map((b) => b.durationsMs!.addBatch!)),
    addBatchUsPerRecord: spread(withAddBatch.map((b) => (b.durationsMs!.addBatch! * 1000) / (b.records ?? b.numInputRows))),
    stateOperators: Object.fromEntries(
      [...operators].map(([name, o]) => [
        name,
        { updatesMs: spread(o.updatesMs), removalsMs: spread(o.removalsMs), commitMs: spread(o.commitMs), rows: spread(o.rows) },
      ]),
    ),
  };
}
