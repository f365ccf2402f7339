// A stream's per-batch figures: each batch counted once however often it was sampled, empty batches left out, the
// cost of a record from addBatch and the batch's records, each stateful operator on its own.
import { describe, expect, it } from 'vitest';
import type { StreamProgress } from '../../../../contracts/streams';
import { batchFigures } from '../../../../scripts/stream/batches';

const batch = (batchId: number, rows: number, addBatch: number, dedupUpdatesMs = 0): StreamProgress => ({
  batchId,
  timestamp: 't',
  numInputRows: rows,
  inputRowsPerSecond: 0,
  processedRowsPerSecond: 0,
  records: rows,
  inputRecordsPerSecond: 0,
  processedRecordsPerSecond: 0,
  batchDurationMs: addBatch + 10,
  lag: 0,
  endOffsets: {},
  watermark: null,
  stateRows: 0,
  droppedLate: 0,
  durationsMs: { addBatch },
  stateOperators: [{ operator: 'dedupeWithinWatermark', rows: 100, updatesMs: dedupUpdatesMs, removalsMs: 1, commitMs: 2 }],
});

describe('batchFigures', () => {
  it('takes each batch once, leaves out empty ones, and spreads the figures', () => {
    const figures = batchFigures([batch(1, 1000, 50, 20), batch(1, 1000, 50, 20), batch(2, 2000, 200, 40), batch(3, 0, 5)]);
    expect(figures.batches).toBe(2);
    expect(figures.addBatchMs).toEqual({ p50: 125, p95: 192.5, max: 200 });
    expect(figures.addBatchUsPerRecord).toEqual({ p50: 75, p95: 97.5, max: 100 }); // 50 µs and 100 µs a record
    expect(figures.batchDurationMs.max).toBe(210);
    expect(figures.stateOperators.dedupeWithinWatermark!.updatesMs).toEqual({ p50: 30, p95: 39, max: 40 });
  });

  it('says nothing it was not told: no batches, no figures', () => {
    expect(batchFigures([])).toEqual({
      batches: 0,
      batchDurationMs: { p50: null, p95: null, max: null },
      addBatchMs: { p50: null, p95: null, max: null },
      addBatchUsPerRecord: { p50: null, p95: null, max: null },
      stateOperators: {},
    });
  });
});
