// Group commit for POST /process: requests that arrive while earlier runs are busy are gathered into ONE pipeline
// run (each request a group of records, analysed separately), as databases gather commits into one fsync. With
// nothing in flight a request starts at once; under load each run takes everything that waited, so the batch
// size follows the load and a Spark execution serves many requests. The queue is bounded (admission control): a
// request that finds it full is refused at once (QueueFullError), and one whose client went away leaves it.
import { newRequestGroupId } from '../../contracts/groups';
import type { PipelineRecord } from '../../contracts/records';
import type { Config } from '../../lib/config';

export interface BatchRequest {
  id: string;
  records: PipelineRecord[];
}

/** Runs one batch; resolves with the run's workflow id and what each request gets, by request id. */
export type BatchRunner<R> = (batch: BatchRequest[]) => Promise<{ workflowId: string; results: Map<string, R> }>;

/** The size of records as the JSON of a workflow input carries them. */
export function recordsJsonBytes(records: PipelineRecord[]): number {
  return Buffer.byteLength(JSON.stringify(records), 'utf8');
}

/** How requests are coalesced and bounded (POST /process): lib/config.ts documents each field. */
export type BatcherOptions = Config['processBatching'];

/** The queue is full: the service is over capacity; the client should retry later. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

export interface BatchedAnswer<R> {
  requestId: string;
  workflowId: string;
  batchSize: number;
  result: R;
}

interface Waiting<R> extends BatchRequest {
  bytes: number;
  resolve(answer: BatchedAnswer<R>): void;
  reject(err: unknown): void;
}

export class ProcessBatcher<R> {
  private readonly queue: Waiting<R>[] = [];
  private inFlight = 0;
  private queuedBytes = 0;
  private lingering: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: BatchRunner<R>,
    private readonly options: BatcherOptions,
    private readonly onBatch: (size: number) => void = () => undefined,
  ) {}

  /**
   * Queues one request; `bytes` is the size of its records as JSON (recordsJsonBytes). Rejects at once with
   * QueueFullError when the queue is full; aborting `signal` (the client went away) takes a request that still
   * waits out of the queue (one whose run started completes with it).
   */
  submit(records: PipelineRecord[], bytes = recordsJsonBytes(records), signal?: AbortSignal): Promise<BatchedAnswer<R>> {
    return new Promise((resolve, reject) => {
      if (this.queue.length >= this.options.maxQueued || this.queuedBytes + bytes > this.options.maxQueuedBytes) {
        reject(
          new QueueFullError(`over capacity: ${this.queue.length} requests (${this.queuedBytes} bytes of records) are waiting already`),
        );
        return;
      }
      const waiting: Waiting<R> = { id: newRequestGroupId(), records, bytes, resolve, reject };
      this.queue.push(waiting);
      this.queuedBytes += bytes;
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.queue.indexOf(waiting);
          if (at < 0) return;
          this.queue.splice(at, 1);
          this.queuedBytes -= bytes;
          reject(signal.reason);
        },
        { once: true },
      );
      this.pump();
    });
  }

  /** Bytes of records waiting. */
  get waitingBytes(): number {
    return this.queuedBytes;
  }

  /** Requests waiting for a run. */
  get waiting(): number {
    return this.queue.length;
  }

  private pump(): void {
    if (this.inFlight > 0 && this.inFlight < this.options.maxInFlight && this.queue.length > 0 && this.options.lingerMs > 0) {
      this.lingering ??= setTimeout(() => {
        this.lingering = undefined;
        this.launch();
      }, this.options.lingerMs);
      return;
    }
    this.launch();
  }

  private launch(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      this.onBatch(batch.length);
      this.run(batch)
        .then(
          ({ workflowId, results }) => {
            for (const request of batch) {
              const result = results.get(request.id);
              if (result === undefined) request.reject(new Error(`run ${workflowId} returned no result for request ${request.id}`));
              else request.resolve({ requestId: request.id, workflowId, batchSize: batch.length, result });
            }
          },
          (err: unknown) => {
            for (const request of batch) request.reject(err);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  /** The oldest waiting requests, as many as fit one run (always at least one). */
  private take(): Waiting<R>[] {
    const batch: Waiting<R>[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < this.options.maxRequests) {
      const next = this.queue[0]!;
      if (batch.length > 0 && bytes + next.bytes > this.options.maxBytes) break;
      batch.push(this.queue.shift()!);
      bytes += next.bytes;
      this.queuedBytes -= next.bytes;
    }
    return batch;
  }
}
