// The chaos run's steady load, and the record of every answer it got: `/process` clients (the old service's
// profile: bodies of 2-200 records, no pause), a benchmark of pipeline runs, and runs of the orders example
// definition. Every answer is checked against its oracle as it arrives.
import { isDeepStrictEqual } from 'node:util';
import { Client, WorkflowFailedError } from '@temporalio/client';
import type { JobName } from '../../contracts/jobs';
import type { PipelineResult } from '../../contracts/pipeline';
import type { EmployeeRecord } from '../../contracts/records';
import { generateEmployees } from '../../lib/employee-generator';
import { generateOrders } from '../../lib/order-generator';
import { expectedOrders } from '../../test/support/orders-oracle';
import { benchmarkWorkflow, pipelineWorkflow } from '../../workflows';
import { sleep } from '../stack/processes';
import { isRightJobResult, isRightProcessAnswer, utcDay } from './expected';

export type Outcome = 'right' | 'wrong' | 'error' | 'hung' | 'refused';

export interface Answer {
  kind: 'process' | 'pipeline';
  startedAt: number;
  answeredAt: number;
  outcome: Outcome;
  /** HTTP status of the last try (process), or the run's closing status (pipeline). */
  status: string;
  /** 503s with Retry-After the client waited out and retried after (a clear, actionable error). */
  retries: number;
  message?: string;
  /** The pipeline run that answered (its Spark executions and Kafka records are checked afterwards). */
  workflowId?: string;
  batchSize: number;
}

/** A request that gets no answer in this long is hung. */
export const HUNG_AFTER_MS = 90_000;

export interface ProcessClientOptions {
  baseUrl: string;
  token?: string;
  /** Retry a 503 after its Retry-After (a well-behaved client); false: a 503 is the answer (flood). */
  retryOverCapacity: boolean;
  /** Abort the request after a random 20-300 ms (a client that goes away mid-request). */
  disconnect?: boolean;
  minRecords?: number;
  maxRecords?: number;
  /** Send these bodies (one at random each time) instead of new ones: cheap for the client, as a flood must be. */
  bodies?: EmployeeRecord[][];
  /** Pause between requests (a probe); default none. */
  pauseMs?: number;
}

/** `count` closed-loop clients posting random bodies to /process until stopped. */
export class ProcessClients {
  readonly answers: Answer[] = [];
  /** Requests whose client went away on purpose (not checked: nobody reads the answer). */
  abandoned = 0;
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(
    count: number,
    private readonly options: ProcessClientOptions,
  ) {
    for (let i = 0; i < count; i++) this.loops.push(this.loop());
  }

  /** Stops starting requests; resolves when every request in flight has its answer (or is hung). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const { minRecords = 2, maxRecords = 200, bodies } = this.options;
      const count = minRecords + Math.floor(Math.random() * (maxRecords - minRecords + 1));
      const records = bodies
        ? bodies[Math.floor(Math.random() * bodies.length)]!
        : [...generateEmployees(count, Math.floor(Math.random() * 2 ** 31))];
      if (this.options.disconnect) {
        await this.abandon(records);
        continue;
      }
      const answer = await this.request(records);
      this.answers.push(answer);
      if (answer.outcome === 'refused') await sleep(100); // a flood: back again soon, whatever Retry-After says
      if (this.options.pauseMs) await sleep(this.options.pauseMs);
    }
  }

  private post(records: EmployeeRecord[], signal: AbortSignal): Promise<Response> {
    return fetch(`${this.options.baseUrl}/process`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}) },
      body: JSON.stringify(records),
      signal,
    });
  }

  private async abandon(records: EmployeeRecord[]): Promise<void> {
    try {
      await this.post(records, AbortSignal.timeout(20 + Math.floor(Math.random() * 280)));
    } catch {
      /* aborted: the point */
    }
    this.abandoned++;
  }

  private async request(records: EmployeeRecord[]): Promise<Answer> {
    const startedAt = Date.now();
    let retries = 0;
    const answer = (outcome: Outcome, status: string, message?: string, workflowId?: string): Answer => ({
      kind: 'process',
      startedAt,
      answeredAt: Date.now(),
      outcome,
      status,
      retries,
      batchSize: records.length,
      ...(message ? { message } : {}),
      ...(workflowId ? { workflowId } : {}),
    });
    for (;;) {
      const left = startedAt + HUNG_AFTER_MS - Date.now();
      if (left <= 0) return answer('hung', 'timeout', `no answer within ${HUNG_AFTER_MS} ms`);
      let res: Response;
      let body: Record<string, unknown>;
      try {
        res = await this.post(records, AbortSignal.timeout(left));
        body = (await res.json()) as Record<string, unknown>;
      } catch (err) {
        const e = err as Error;
        if (e.name === 'TimeoutError') return answer('hung', 'timeout', `no answer within ${HUNG_AFTER_MS} ms`);
        return answer('error', 'network', e.message);
      }
      if (res.status === 200) {
        const right = isRightProcessAnswer(body, records, [utcDay(startedAt), utcDay(Date.now())]);
        return answer(
          right ? 'right' : 'wrong',
          '200',
          right ? undefined : 'the analysis differs from the oracle',
          String(body.workflow_id),
        );
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      if (res.status === 503 && Number.isFinite(retryAfter) && retryAfter > 0) {
        if (!this.options.retryOverCapacity) return answer('refused', '503', String(body.message));
        retries++;
        await sleep(retryAfter * 1000);
        continue;
      }
      return answer('error', String(res.status), String(body.message));
    }
  }
}

export interface BenchmarkLoad {
  /** Resolves with one answer per run once the benchmark ended, or after HUNG_AFTER_MS past `deadline`. */
  done: Promise<Answer[]>;
}

/**
 * Starts a benchmarkWorkflow of `runs` pipeline runs (each a child workflow over generated records) and, when it
 * ends, checks every run's results against the oracle.
 */
export function startBenchmark(temporal: Client, taskQueue: string, id: string, runs: number, concurrency: number): BenchmarkLoad {
  const seed = Math.floor(Math.random() * 2 ** 30);
  const recordsPerRun = 10;
  const jobs: JobName[] = ['count_gender', 'final_analysis'];
  const done = (async () => {
    const handle = await temporal.workflow.start(benchmarkWorkflow, {
      taskQueue,
      workflowId: id,
      args: [{ runs, recordsPerRun, jobs, concurrency, seed }],
    });
    await Promise.race([handle.result().catch(() => undefined), sleep(10 * HUNG_AFTER_MS)]);
    return Promise.all(
      Array.from({ length: runs }, async (_, i): Promise<Answer> => {
        const child = temporal.workflow.getHandle(`${id}-run-${i}`);
        const records = [...generateEmployees(recordsPerRun, seed + i)];
        const base = { kind: 'pipeline' as const, retries: 0, batchSize: recordsPerRun, workflowId: child.workflowId };
        let description;
        try {
          description = await child.describe();
        } catch (err) {
          return {
            ...base,
            startedAt: Date.now(),
            answeredAt: Date.now(),
            outcome: 'error',
            status: 'NOT_STARTED',
            message: (err as Error).message,
          };
        }
        const startedAt = description.startTime.getTime();
        const answeredAt = description.closeTime?.getTime() ?? Date.now();
        if (description.status.name === 'RUNNING') return { ...base, startedAt, answeredAt, outcome: 'hung', status: 'RUNNING' };
        try {
          const result: PipelineResult = await child.result();
          const day = utcDay(startedAt);
          const right = jobs.every((job) => {
            const collected = result.results[job];
            return collected !== undefined && 'inline' in collected && isRightJobResult(job, collected.inline, records, day);
          });
          return { ...base, startedAt, answeredAt, outcome: right ? 'right' : 'wrong', status: description.status.name };
        } catch (err) {
          const message = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : (err as Error).message;
          return { ...base, startedAt, answeredAt, outcome: 'error', status: description.status.name, message };
        }
      }),
    );
  })();
  return { done };
}

export interface OrdersLoad {
  /** Resolves with one answer per run once every run ended (or is hung). */
  done: Promise<Answer[]>;
}

/**
 * Runs of the orders example definition (a second, unrelated pipeline) beside the benchmark: `runs` runs in
 * `lanes` lanes (a lane starts its next run when its last one ended), each over its own generated orders with its
 * own parameters, every answer checked against the orders oracle (test/support/orders-oracle.ts).
 */
export function startOrders(temporal: Client, taskQueue: string, id: string, runs: number, lanes = 2): OrdersLoad {
  const seed = Math.floor(Math.random() * 2 ** 30);
  const jobs = ['revenue', 'top_products'] as const;
  const one = async (i: number): Promise<Answer> => {
    const records = [...generateOrders(5 + ((i * 37) % 60), seed + i)];
    const params = { min_total: (i % 4) * 25, top_n: 1 + (i % 5) };
    const workflowId = `${id}-orders-${i}`;
    const startedAt = Date.now();
    const base = { kind: 'pipeline' as const, retries: 0, batchSize: records.length, workflowId, startedAt };
    try {
      const handle = await temporal.workflow.start(pipelineWorkflow, {
        taskQueue,
        workflowId,
        args: [{ pipeline: 'orders', records, jobs: [...jobs], params }],
      });
      const result = await Promise.race([handle.result(), sleep(HUNG_AFTER_MS).then(() => undefined)]);
      if (!result) return { ...base, answeredAt: Date.now(), outcome: 'hung', status: 'RUNNING' };
      const right = jobs.every((job) => {
        const collected = result.results[job];
        return (
          collected !== undefined && 'inline' in collected && isDeepStrictEqual(collected.inline, expectedOrders(job, records, params))
        );
      });
      return {
        ...base,
        answeredAt: Date.now(),
        outcome: right ? 'right' : 'wrong',
        status: 'COMPLETED',
        ...(right ? {} : { message: 'an orders result differs from the oracle' }),
      };
    } catch (err) {
      const message = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : (err as Error).message;
      return { ...base, answeredAt: Date.now(), outcome: 'error', status: 'FAILED', message };
    }
  };
  const done = (async () => {
    const answers: Answer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let i = next++; i < runs; i = next++) answers.push(await one(i));
      }),
    );
    return answers;
  })();
  return { done };
}
