// Spark Connect client: runs plans as reattachable executions under our own operation ids, registers temp
// views, and returns results as plain rows. The only module that talks gRPC to Spark.
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { arrowBatchToRows, type Row } from './arrow';
import { isSessionLost, SparkConnectError, toSparkConnectError } from './errors';
import {
  loadSparkConnectService,
  type Command,
  type ExecutePlanResponse,
  type GetStatusResponse,
  type OperationState,
  type Plan,
  type Relation,
  type SparkConnectServiceClient,
} from './proto';
import { schemaFields, type SchemaField } from './schema';
import { SessionState, type SessionProbe } from './session';

export type { Row } from './arrow';
export type { DataSource, Plan, Relation, OperationState } from './proto';
export type { SchemaField } from './schema';

export interface SparkConnectClientOptions {
  /** `host:port` or `sc://host:port` */
  url: string;
  /** Descriptor set written by scripts/stack/gen-spark-connect-descriptors.py */
  descriptorSetPath: string;
  /**
   * Spark session, a UUID: temp views and operation ids live in it, so a process that must find an operation
   * another process started uses the same session id. When Spark closed the session (idle timeout) or lost it
   * (restart), the client moves to the next session of a sequence derived from this id, as every client with the
   * same id does (session.ts). Default: a new random UUID.
   */
  sessionId?: string;
  /**
   * How often an idle client tells Spark it is still there (a GetStatus of its session), so the session is not
   * closed for idleness while the client lives; 0: never. Default: 60 s (Spark's default idle timeout is 60 min).
   */
  keepAliveMs?: number;
  /** Default: `streamforge` */
  userId?: string;
  /** How often a lost stream is retried or reattached before giving up. Default: 4 attempts, 250 ms doubling. */
  retry?: { attempts: number; initialBackoffMs: number };
  /** gRPC client interceptors (tracing, auth; tests use one to drop streams) */
  interceptors?: grpc.Interceptor[];
}

export interface ExecuteOptions {
  /**
   * Our idempotency key, a UUID, scoped to the session: submitting an id the session still holds streams that
   * execution again instead of starting a second one (with a different plan: OPERATION_ALREADY_EXISTS).
   * Default: a random UUID.
   */
  operationId?: string;
  /** Aborting stops reading and interrupts the operation on the server. */
  signal?: AbortSignal;
  /**
   * Release the operation on the server once its result is read. Default: true when the client chose the id,
   * false when the caller passed `operationId` (the caller releases after storing the result, so a retried
   * submit can still read it).
   */
  release?: boolean;
  /** Called on every response (for heartbeats). */
  onProgress?: (progress: ExecuteProgress) => void;
}

export interface ExecuteProgress {
  operationId: string;
  responses: number;
  rows: number;
  /** From the latest execution_progress response: Spark tasks running and tasks done / total so far */
  tasks?: { inflight: number; completed: number; total: number };
}

export interface ExecuteResult {
  operationId: string;
  rows: Row[];
  /** How many times a dropped stream was resumed with ReattachExecute */
  reattaches: number;
}

export class SparkConnectClient {
  readonly address: string;
  private readonly userId: string;
  private readonly retry: { attempts: number; initialBackoffMs: number };
  private readonly stub: SparkConnectServiceClient;
  private readonly session: SessionState;
  /** A session id no one works in, for reachable(). */
  private readonly probeSessionId = randomUUID();
  private readonly keepAlive: NodeJS.Timeout | undefined;

  constructor(options: SparkConnectClientOptions) {
    this.address = options.url.replace(/^sc:\/\//, '').replace(/\/.*$/, '');
    this.session = new SessionState(options.sessionId ?? randomUUID(), (id) => this.probeSession(id));
    this.userId = options.userId ?? 'streamforge';
    this.retry = options.retry ?? { attempts: 4, initialBackoffMs: 250 };
    const Service = loadSparkConnectService(options.descriptorSetPath);
    this.stub = new Service(this.address, grpc.credentials.createInsecure(), {
      // Arrow batches are up to spark.connect.grpc.arrow.maxBatchSize (4 MiB) plus framing.
      'grpc.max_receive_message_length': 128 * 1024 * 1024,
      // Reconnect soon after a Spark restart (grpc-js backs off up to 120 s by default). At most 1 s: with 5 s, a
      // client found Spark back up to 5 s after its port opened (measured: npm run stream -- --kill-spark-at), and a
      // connection attempt a second to a server that is down costs nothing.
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 1_000,
      interceptors: options.interceptors ?? [],
    });
    const keepAliveMs = options.keepAliveMs ?? 60_000;
    if (keepAliveMs > 0) {
      this.keepAlive = setInterval(() => void this.ping().catch(() => undefined), keepAliveMs);
      this.keepAlive.unref();
    }
  }

  /** The session the client works in now. */
  get sessionId(): string {
    return this.session.id;
  }

  /** Checks the session (and keeps it open); moves to the agreed session if Spark closed or lost this one. */
  async ping(): Promise<void> {
    await this.inSession(() => this.unary('GetStatus', { ...this.base() })).catch((error: unknown) => {
      if (!(error instanceof SparkConnectError && error.errorClass === 'INVALID_HANDLE.SESSION_NOT_FOUND')) throw error;
      // Not created yet on this server: the next execution creates it.
    });
  }

  /**
   * Closes the client's session on the server for good (Spark refuses its id afterwards, as after an idle
   * timeout): every client of this session moves to the next one. For operators and tests.
   */
  async closeSession(): Promise<void> {
    await this.unary('ReleaseSession', { ...this.base(), allow_reconnect: false });
  }

  /** Runs one SQL statement and returns its rows. */
  async sql(query: string, options: ExecuteOptions = {}): Promise<Row[]> {
    return (await this.execute({ root: { sql: { query } } }, options)).rows;
  }

  /**
   * The columns a plan would return, from Spark's analysis without running it: unknown tables or columns, type
   * errors and unbound `:name` markers fail here as they would at execution (kind `user`, with Spark's error class).
   */
  async schema(plan: Plan): Promise<SchemaField[]> {
    try {
      // Analysis can read data: a JSON source without a schema infers one from its files.
      const response = await this.inSession(() => this.unary('AnalyzePlan', { ...this.base(), schema: { plan } }, undefined, 120_000));
      this.sawServerSideId(response.server_side_session_id);
      return schemaFields(response.schema?.schema ?? {});
    } catch (error) {
      throw error instanceof SparkConnectError ? await this.withDetails(error) : error;
    }
  }

  /** Registers (or replaces) a session temp view over a relation: SQL, or a data-source read (Kafka, JSON...). */
  async createTempView(name: string, relation: Relation, options: ExecuteOptions = {}): Promise<void> {
    await this.execute({ command: { create_dataframe_view: { input: relation, name, is_global: false, replace: true } } }, options);
  }

  /**
   * Runs a plan as a reattachable execution and reads it to the end: a stream that ends or breaks before
   * `result_complete` is resumed with ReattachExecute from the last response id.
   */
  async execute(plan: Plan, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const operationId = options.operationId ?? randomUUID();
    const release = options.release ?? options.operationId === undefined;
    let result: ExecuteResult;
    try {
      result = await this.readOperation(operationId, options, plan);
    } catch (error) {
      if (release) await this.release(operationId).catch(() => undefined); // best effort: free the server's copy
      throw error;
    }
    if (release) await this.release(operationId);
    return result;
  }

  /**
   * Runs a command that answers at once (a streaming query's start, status, progress or stop) and returns its
   * responses. Not reattachable: a command is cheap to send again, and the streaming commands are idempotent or
   * read-only, so a lost stream is simply an error for the caller to retry.
   */
  async command(command: Command): Promise<ExecutePlanResponse[]> {
    return this.inSession(async () => {
      const operationId = randomUUID();
      const stream = this.stub.ExecutePlan({ ...this.base(), operation_id: operationId, plan: { command } }, new grpc.Metadata());
      const responses: ExecutePlanResponse[] = [];
      const outcome = await this.readStream(stream, operationId, undefined, (response) => void responses.push(response));
      if (outcome instanceof SparkConnectError) throw await this.withDetails(outcome);
      return responses;
    });
  }

  /**
   * Starts a reattachable execution and returns as soon as the server holds it, without reading its results. The
   * execution runs on with no client attached (for up to spark.connect.execute.manager.detachedTimeout), and
   * `status`, `attach` and `interrupt` reach it by id from any client of the same session. Starting an id the
   * server still holds, with the same plan, starts nothing new.
   */
  async start(plan: Plan, operationId: string): Promise<void> {
    await this.inSession(() => this.startOnce(plan, operationId));
  }

  private async startOnce(plan: Plan, operationId: string): Promise<void> {
    const stream = this.stub.ExecutePlan(
      { ...this.base(), operation_id: operationId, plan, request_options: [{ reattach_options: { reattachable: true } }] },
      new grpc.Metadata(),
    );
    let detaching = false;
    const firstEvent = new Promise<SparkConnectError | undefined>((resolve) => {
      stream.once('data', (response: ExecutePlanResponse) => {
        this.sawServerSideId(response.server_side_session_id);
        resolve(undefined);
      });
      stream.once('end', () => resolve(undefined));
      stream.on('error', (error) => resolve(detaching ? undefined : toSparkConnectError(error, { address: this.address, operationId })));
    });
    try {
      // A quick execution answers at once; a long one may send nothing for seconds, so also ask whether it is held.
      for (;;) {
        const event = await Promise.race([firstEvent, delay(50).then(() => 'waiting' as const)]);
        if (event instanceof SparkConnectError) throw await this.withDetails(event);
        if (event === undefined) return;
        const state = (await this.statusOnce([operationId])).get(operationId);
        if (state && state !== 'OPERATION_STATE_UNKNOWN' && state !== 'OPERATION_STATE_UNSPECIFIED') return;
      }
    } finally {
      detaching = true;
      stream.cancel(); // detaches only: a reattachable execution keeps running
    }
  }

  /**
   * Attaches to an execution the server holds (started by `execute` with this id, possibly in another process)
   * and reads all of its responses again. Fails with INVALID_HANDLE.OPERATION_NOT_FOUND (kind `transient`) when
   * the server does not hold the id: never started, released, or lost in a restart (`status` tells which).
   */
  async attach(operationId: string, options: Pick<ExecuteOptions, 'signal' | 'onProgress'> = {}): Promise<ExecuteResult> {
    return this.readOperation(operationId, options, undefined);
  }

  /**
   * States of operations in this session, from GetStatus: OPERATION_STATE_UNKNOWN for ids it never saw,
   * TERMINATING for finished but unreleased, SUCCEEDED / FAILED / CANCELLED (kept after release), RUNNING.
   */
  async status(operationIds: string[]): Promise<Map<string, OperationState>> {
    return this.inSession(() => this.statusOnce(operationIds)).catch((error: unknown) => {
      // Still no such session after looking for the agreed one: it holds none of these operations.
      if (isSessionLost(error)) return new Map<string, OperationState>();
      throw error;
    });
  }

  private async statusOnce(operationIds: string[]): Promise<Map<string, OperationState>> {
    const request = { ...this.base(), operation_status: { operation_ids: operationIds } };
    const states = new Map<string, OperationState>();
    // GetStatus does not create the session: a server that has not seen it yet (fresh, restarted, or still
    // creating it for a concurrent ExecutePlan) answers SESSION_NOT_FOUND, i.e. it holds none of these operations.
    const response = await this.unary('GetStatus', request).catch((error: unknown) => {
      if (error instanceof SparkConnectError && error.errorClass === 'INVALID_HANDLE.SESSION_NOT_FOUND') return {} as GetStatusResponse;
      throw error;
    });
    this.sawServerSideId(response.server_side_session_id);
    for (const entry of response.operation_statuses ?? []) states.set(entry.operation_id, entry.state);
    return states;
  }

  /**
   * Frees the server's copy of an operation's results; afterwards the id is refused with OPERATION_ABANDONED. An
   * operation whose session is gone is freed already.
   */
  async release(operationId: string): Promise<void> {
    await this.inSession(() =>
      this.unary('ReleaseExecute', { ...this.base(), operation_id: operationId, release_all: {} }, operationId),
    ).catch((error: unknown) => {
      if (!isSessionLost(error)) throw error;
    });
  }

  /** Cancels a running operation; its stream ends with OPERATION_CANCELED. Returns the ids actually interrupted. */
  async interrupt(operationId: string): Promise<string[]> {
    const response = await this.inSession(() =>
      this.unary('Interrupt', { ...this.base(), interrupt_type: 'INTERRUPT_TYPE_OPERATION_ID', operation_id: operationId }, operationId),
    ).catch((error: unknown) => {
      if (isSessionLost(error)) return { interrupted_ids: [] }; // its session is gone, and the operation with it
      throw error;
    });
    return response.interrupted_ids ?? [];
  }

  close(): void {
    clearInterval(this.keepAlive);
    this.stub.close();
  }

  /**
   * Runs a request in the current session; if Spark says that session is gone, moves to the agreed one and runs
   * it once more there (the request reads the session id anew).
   */
  private async inSession<T>(request: () => Promise<T>): Promise<T> {
    const sessionId = this.session.id;
    try {
      return await request();
    } catch (error) {
      if (!isSessionLost(error)) throw error;
      await this.session.recover(sessionId);
      return request();
    }
  }

  /** What Spark says of a session id (exists, closed for good, never created), without creating the session. */
  /**
   * Whether the server answers, without touching the working session: a GetStatus of a session id nobody works in
   * (it creates none). A readiness check must not double as a keep-alive: the session's idle timeout is
   * SPARK_SESSION_KEEPALIVE_MS's to manage.
   */
  async reachable(): Promise<void> {
    await this.probeSession(this.probeSessionId);
  }

  async probeSession(sessionId: string): Promise<SessionProbe> {
    try {
      await this.unary('GetStatus', { session_id: sessionId, user_context: { user_id: this.userId }, client_type: 'streamforge' });
      return 'exists';
    } catch (error) {
      if (error instanceof SparkConnectError && error.errorClass === 'INVALID_HANDLE.SESSION_CLOSED') return 'closed';
      if (error instanceof SparkConnectError && error.errorClass === 'INVALID_HANDLE.SESSION_NOT_FOUND') return 'not-found';
      throw error;
    }
  }

  private sawServerSideId(id: string | undefined): void {
    if (id) this.session.serverSideId = id;
  }

  private async readOperation(operationId: string, options: ExecuteOptions, plan: Plan | undefined): Promise<ExecuteResult> {
    const rows: Row[] = [];
    let responses = 0;
    let lastResponseId: string | undefined;
    let reattaches = 0;
    let failures = 0;
    let tasks: ExecuteProgress['tasks'];
    // Without a plan we attach to an existing execution from its first response.
    let mode: 'execute' | 'reattach' = plan ? 'execute' : 'reattach';
    for (;;) {
      if (options.signal?.aborted) throw this.abort(operationId, options.signal);
      const stream =
        mode === 'execute' && plan
          ? this.stub.ExecutePlan(
              {
                ...this.base(),
                operation_id: operationId,
                plan,
                request_options: [{ reattach_options: { reattachable: true } }],
              },
              new grpc.Metadata(),
            )
          : this.stub.ReattachExecute({ ...this.base(), operation_id: operationId, last_response_id: lastResponseId }, new grpc.Metadata());
      const sessionId = this.session.id;
      const outcome = await this.readStream(stream, operationId, options.signal, (response) => {
        responses++;
        if (response.response_id) lastResponseId = response.response_id;
        if (response.arrow_batch?.data?.length) {
          for (const row of arrowBatchToRows(response.arrow_batch.data)) rows.push(row); // batches can be huge
        }
        if (response.execution_progress) tasks = taskProgress(response.execution_progress);
        options.onProgress?.({ operationId, responses, rows: rows.length, ...(tasks ? { tasks } : {}) });
      });
      if (outcome === 'complete') return { operationId, rows, reattaches };
      if (outcome instanceof SparkConnectError) {
        if (isSessionLost(outcome)) {
          // Spark closed or lost the session, and the operation with it: find the agreed session; a plan starts
          // again there from nothing, an attach has nothing left to read (the caller runs the job again).
          await this.session.recover(sessionId);
          if (!plan || ++failures >= this.retry.attempts) throw outcome;
          rows.length = 0;
          responses = 0;
          lastResponseId = undefined;
          mode = 'execute';
          continue;
        }
        // Another stream took the operation over (one still closing on the server, or another reader): read on.
        const takenOver = outcome.errorClass === 'INVALID_CURSOR.DISCONNECTED';
        if (!(outcome.isTransient || takenOver) || ++failures >= this.retry.attempts) throw await this.withDetails(outcome);
        const lost = outcome.errorClass === 'INVALID_HANDLE.OPERATION_NOT_FOUND';
        // Lost after we read part of it (or nothing to restart from): only a new submit can help.
        if (lost && (responses > 0 || !plan)) throw outcome;
        if (!lost) await sleep(this.retry.initialBackoffMs * 2 ** (failures - 1), options.signal);
        if (responses === 0 && plan) {
          // Nothing read yet: submit again under the same id; a server that has it streams it from the start.
          mode = 'execute';
          continue;
        }
      } else {
        failures = 0; // a clean end without result_complete: the server asks us to reattach
      }
      mode = 'reattach';
      reattaches++;
    }
  }

  /** Reads one stream; resolves 'complete', 'ended' (no result_complete) or the error that ended it. */
  private readStream(
    stream: grpc.ClientReadableStream<ExecutePlanResponse>,
    operationId: string,
    signal: AbortSignal | undefined,
    onResponse: (response: ExecutePlanResponse) => void,
  ): Promise<'complete' | 'ended' | SparkConnectError> {
    return new Promise((resolve, reject) => {
      let complete = false;
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        finish();
      };
      const onAbort = () => {
        stream.cancel();
        settle(() => reject(this.abort(operationId, signal)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (response: ExecutePlanResponse) => {
        if (settled) return;
        this.sawServerSideId(response.server_side_session_id);
        if (response.response_type === 'result_complete') complete = true;
        try {
          onResponse(response);
        } catch (error) {
          stream.cancel();
          settle(() => reject(error));
        }
      });
      stream.on('error', (error) => {
        settle(() => resolve(toSparkConnectError(error, { address: this.address, operationId })));
      });
      stream.on('end', () => settle(() => resolve(complete ? 'complete' : 'ended')));
    });
  }

  /** Interrupts the operation on the server (best effort) and returns the error the aborted caller gets. */
  private abort(operationId: string, signal: AbortSignal | undefined): SparkConnectError {
    this.interrupt(operationId).catch(() => undefined);
    return new SparkConnectError(`Spark operation ${operationId} aborted by the caller`, {
      kind: 'canceled',
      operationId,
      cause: signal?.reason,
    });
  }

  private base() {
    const serverSideId = this.session.serverSideId;
    return {
      session_id: this.session.id,
      user_context: { user_id: this.userId },
      client_type: 'streamforge',
      ...(serverSideId ? { client_observed_server_side_session_id: serverSideId } : {}),
    };
  }

  /**
   * Spark's message for a failed job often names only the outermost error (`FAILED_READ_FILE`), while what went
   * wrong is in its causes (`MALFORMED_RECORD_IN_PARSING` on line 2): FetchErrorDetails returns the chain, whose
   * messages are added to the error's. The error as it was if the details cannot be had.
   */
  private async withDetails(error: SparkConnectError): Promise<SparkConnectError> {
    if (!error.errorId || error.isTransient) return error;
    try {
      const response = await this.unary('FetchErrorDetails', { ...this.base(), error_id: error.errorId });
      const errors = response.errors ?? [];
      const causes: string[] = [];
      for (let i = errors[response.root_error_idx ?? 0]?.cause_idx; i !== undefined && causes.length < 3; i = errors[i]?.cause_idx) {
        const message = errors[i]?.message?.split('\n')[0]?.trim();
        if (message && !error.message.includes(message)) causes.push(message.slice(0, 300));
      }
      if (causes.length === 0) return error;
      return new SparkConnectError(`${error.message} (caused by: ${causes.join('; caused by: ')})`, {
        kind: error.kind,
        grpcCode: error.grpcCode,
        operationId: error.operationId,
        errorClass: error.errorClass,
        sqlState: error.sqlState,
        errorId: error.errorId,
        cause: error,
      });
    } catch {
      return error;
    }
  }

  private unary<M extends 'AnalyzePlan' | 'ReleaseExecute' | 'Interrupt' | 'GetStatus' | 'ReleaseSession' | 'FetchErrorDetails'>(
    method: M,
    request: Parameters<SparkConnectServiceClient[M]>[0],
    operationId?: string,
    timeoutMs = 30_000,
  ): Promise<NonNullable<Parameters<Parameters<SparkConnectServiceClient[M]>[3]>[1]>> {
    type Response = NonNullable<Parameters<Parameters<SparkConnectServiceClient[M]>[3]>[1]>;
    const call = this.stub[method].bind(this.stub) as (
      request: unknown,
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, response?: Response) => void,
    ) => grpc.ClientUnaryCall;
    return new Promise((resolve, reject) => {
      call(request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(toSparkConnectError(error, { address: this.address, operationId }));
        else resolve((response ?? {}) as Response);
      });
    });
  }
}

function taskProgress(progress: NonNullable<ExecutePlanResponse['execution_progress']>): ExecuteProgress['tasks'] {
  let completed = 0;
  let total = 0;
  for (const stage of progress.stages ?? []) {
    completed += Number(stage.num_completed_tasks ?? 0);
    total += Number(stage.num_tasks ?? 0);
  }
  return { inflight: Number(progress.num_inflight_tasks ?? 0), completed, total };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
