// The /process group commit: a lone request runs at once; requests that arrive while runs are busy go together
// into the next run; each request gets its own result; a failed run fails exactly its requests.
import { describe, expect, it } from 'vitest';
import { ProcessBatcher, recordsJsonBytes, type BatcherOptions, type BatchRequest } from '../../../../apps/rest/process-batcher';
import type { EmployeeRecord } from '../../../../contracts/records';

const records = (n: number): EmployeeRecord[] => Array.from({ length: n }, (_, i) => ({ id: i, gender: 'F', salary: i }));

/** A runner whose runs finish when the test says so; results echo each request's record count. */
function controlledRunner() {
  const runs: { batch: BatchRequest[]; finish(): void; fail(err: Error): void }[] = [];
  const run = (batch: BatchRequest[]) =>
    new Promise<{ workflowId: string; results: Map<string, number> }>((resolve, reject) => {
      runs.push({
        batch,
        finish: () => resolve({ workflowId: `run-${runs.length}`, results: new Map(batch.map((r) => [r.id, r.records.length])) }),
        fail: reject,
      });
    });
  return { runs, run };
}

const tick = () => new Promise((r) => setImmediate(r));
/** One run at a time, up to 10 requests of 100,000 bytes, no linger, an unbounded queue; `o` overrides. */
const options = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({
  maxInFlight: 1,
  maxRequests: 10,
  maxBytes: 100_000,
  lingerMs: 0,
  maxQueued: 10_000,
  maxQueuedBytes: 1e12,
  ...o,
});

describe('ProcessBatcher', () => {
  it('runs a lone request at once, then gathers the requests that wait into the next run', async () => {
    const { runs, run } = controlledRunner();
    const sizes: number[] = [];
    const batcher = new ProcessBatcher(run, options(), (n) => sizes.push(n));
    const first = batcher.submit(records(1));
    await tick();
    expect(runs).toHaveLength(1);
    const waiting = [batcher.submit(records(2)), batcher.submit(records(3)), batcher.submit(records(4))];
    await tick();
    expect(runs).toHaveLength(1);
    expect(batcher.waiting).toBe(3);

    runs[0]!.finish();
    expect(await first).toMatchObject({ workflowId: 'run-1', batchSize: 1, result: 1 });
    await tick();
    expect(runs).toHaveLength(2);
    expect(runs[1]!.batch.map((r) => r.records.length)).toEqual([2, 3, 4]);
    runs[1]!.finish();
    const answers = await Promise.all(waiting);
    expect(answers.map((a) => a.result)).toEqual([2, 3, 4]);
    expect(answers.every((a) => a.workflowId === 'run-2' && a.batchSize === 3)).toBe(true);
    expect(new Set(answers.map((a) => a.requestId)).size).toBe(3);
    expect(sizes).toEqual([1, 3]);
  });

  it('keeps runs within maxRequests and maxBytes, and runs up to maxInFlight at once', async () => {
    const { runs, run } = controlledRunner();
    const batcher = new ProcessBatcher(run, options({ maxInFlight: 2, maxRequests: 2, maxBytes: 1000 }));
    const submit = (n: number) => batcher.submit(records(n), n * 100);
    const all = [submit(1), submit(1), submit(6), submit(6), submit(1)];
    await tick();
    expect(runs.map((r) => r.batch.length)).toEqual([1, 1]);
    runs[0]!.finish();
    await tick();
    expect(runs[2]!.batch.map((r) => r.records.length)).toEqual([6]); // 600 + 600 bytes > maxBytes
    runs[1]!.finish();
    await tick();
    expect(runs[3]!.batch.map((r) => r.records.length)).toEqual([6, 1]);
    runs[2]!.finish();
    runs[3]!.finish();
    expect((await Promise.all(all)).map((a) => a.result)).toEqual([1, 1, 6, 6, 1]);
  });

  it('measures a request by the JSON of its records unless told its size', async () => {
    const { runs, run } = controlledRunner();
    const two = records(2);
    const bytes = recordsJsonBytes(two);
    expect(bytes).toBe(Buffer.byteLength(JSON.stringify(two)));
    // Room for exactly two such requests per run: the third waits for the next run.
    const batcher = new ProcessBatcher(run, options({ maxBytes: 2 * bytes }));
    const all = [batcher.submit(records(1), 1), batcher.submit(two), batcher.submit(two), batcher.submit(two)];
    await tick();
    runs[0]!.finish();
    await tick();
    expect(runs[1]!.batch.length).toBe(2);
    runs[1]!.finish();
    await tick();
    expect(runs[2]!.batch.length).toBe(1);
    runs[2]!.finish();
    await Promise.all(all);
  });

  it('fails every request of a failed run, and only those', async () => {
    const { runs, run } = controlledRunner();
    const batcher = new ProcessBatcher(run, options());
    const first = batcher.submit(records(1));
    await tick();
    const second = [batcher.submit(records(2)), batcher.submit(records(3))];
    runs[0]!.finish();
    await first;
    await tick();
    runs[1]!.fail(new Error('Temporal is unreachable'));
    for (const p of second) await expect(p).rejects.toThrow('Temporal is unreachable');
    const third = batcher.submit(records(4));
    await tick();
    runs[2]!.finish();
    expect((await third).result).toBe(4);
  });
});

describe('ProcessBatcher linger', () => {
  it('lets a freed slot wait lingerMs for more requests while other runs are busy, but starts at once when idle', async () => {
    const { runs, run } = controlledRunner();
    const batcher = new ProcessBatcher(run, options({ maxInFlight: 2, lingerMs: 30 }));
    void batcher.submit(records(1));
    await tick();
    expect(runs).toHaveLength(1); // idle: no linger
    void batcher.submit(records(2));
    await tick();
    expect(runs).toHaveLength(1); // a run is busy: the free slot lingers
    void batcher.submit(records(3));
    await new Promise((r) => setTimeout(r, 60));
    expect(runs).toHaveLength(2);
    expect(runs[1]!.batch.map((r) => r.records.length)).toEqual([2, 3]);
  });

  it('refuses a request at once when the queue is full (by count or by bytes), and takes it again once there is room', async () => {
    const { runs, run } = controlledRunner();
    const batcher = new ProcessBatcher(run, options({ maxQueued: 2, maxQueuedBytes: 500 }));
    const first = batcher.submit(records(1), 100);
    await tick();
    const queued = [batcher.submit(records(1), 100), batcher.submit(records(1), 100)];
    await expect(batcher.submit(records(1), 100)).rejects.toThrow(/over capacity: 2 requests/);
    runs[0]!.finish();
    await first;
    await tick();
    expect(batcher.waiting).toBe(0);
    const big = batcher.submit(records(1), 400);
    await expect(batcher.submit(records(1), 200)).rejects.toThrow(/over capacity/); // 400 + 200 bytes > 500
    runs[1]!.finish();
    await Promise.all(queued);
    await tick();
    runs[2]!.finish();
    expect((await big).result).toBe(1);
  });

  it('takes a request whose client went away out of the queue, and never runs it', async () => {
    const { runs, run } = controlledRunner();
    const batcher = new ProcessBatcher(run, options());
    const first = batcher.submit(records(1));
    await tick();
    const gone = new AbortController();
    const abandoned = batcher.submit(records(5), undefined, gone.signal);
    const kept = batcher.submit(records(2));
    gone.abort(new Error('client disconnected'));
    await expect(abandoned).rejects.toThrow('client disconnected');
    expect(batcher.waiting).toBe(1);
    runs[0]!.finish();
    await first;
    await tick();
    expect(runs[1]!.batch.map((r) => r.records.length)).toEqual([2]);
    runs[1]!.finish();
    expect((await kept).result).toBe(2);
  });
});
