// Loads the Spark Connect protocol (a descriptor set generated from the pyspark wheel by
// scripts/stack/gen-spark-connect-descriptors.py) and types the subset of its messages this client uses.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';

// As loaded below: field names stay snake_case, int64 fields are decimal strings, enums are their names, map
// fields are arrays of { key, value }, and each oneof adds a field naming the member that is set (`response_type`).
export interface UserContext {
  user_id: string;
  user_name?: string;
}

interface RequestBase {
  session_id: string;
  user_context: UserContext;
  client_type?: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface DataSource {
  format: string;
  options?: KeyValue[];
  paths?: string[];
  /** DDL string, e.g. 'id INT, name STRING'; omitted means "infer" */
  schema?: string;
}

/** Identifies one run of a streaming query: `id` survives restarts from its checkpoint, `run_id` is per start. */
export interface StreamingQueryInstanceId {
  id: string;
  run_id: string;
}

/**
 * A typed constant (`Expression.Literal`), one member set: `date` counts days since 1970-01-01, `timestamp`
 * microseconds since the epoch (an instant, shown in the session time zone).
 */
export type Literal =
  { string: string } | { long: string } | { double: number } | { boolean: boolean } | { date: number } | { timestamp: string };

/** The subset of `Expression` we send: a literal, or SQL text that Spark parses (`count(1) AS records`). */
export type Expression = { literal: Literal } | { expression_string: { expression: string } };

export interface Sql {
  query: string;
  /** Values for the `:name` markers in the query (Spark 4's map; the older `args` map is deprecated). */
  named_arguments?: { key: string; value: { literal: Literal } }[];
}

export type Relation = { common?: { plan_id: number } } & (
  | { sql: Sql }
  | { read: { data_source: DataSource; is_streaming?: boolean } }
  /** SQL whose table names resolve to the references' aliases (each reference a `subquery_alias`). */
  | { with_relations: { root: Relation; references: Relation[] } }
  | { subquery_alias: { input: Relation; alias: string } }
  /** `withWatermark(event_time, delay)`: the event-time column and how late a row may arrive. */
  | { with_watermark: { input: Relation; event_time: string; delay_threshold: string } }
  /** `dropDuplicates(columns)`, or `dropDuplicatesWithinWatermark(columns)` with `within_watermark`. */
  | { deduplicate: { input: Relation; column_names: string[]; within_watermark?: boolean } }
  /** `observe(name, metrics)`: aggregates over the rows that pass, reported per micro-batch as `observedMetrics`. */
  | { collect_metrics: { input: Relation; name: string; metrics: Expression[] } }
);

/** `DataStreamWriter.start()`: the streaming relation, its sink and how it is triggered. */
export interface WriteStreamOperationStart {
  input: Relation;
  format: string;
  /** Sink options, `checkpointLocation` among them. */
  options: KeyValue[];
  /** e.g. `'1 second'` */
  processing_time_interval?: string;
  available_now?: boolean;
  output_mode: 'append' | 'update' | 'complete';
  query_name: string;
  path?: string;
}

export interface StreamingQueryCommand {
  query_id: StreamingQueryInstanceId;
  status?: boolean;
  last_progress?: boolean;
  recent_progress?: boolean;
  stop?: boolean;
  process_all_available?: boolean;
  exception?: boolean;
  await_termination?: { timeout_ms?: string };
  /** The plan of the query's last micro-batch, as text; `extended` adds the logical plans. */
  explain?: { extended?: boolean };
}

export interface StreamingQueryManagerCommand {
  active?: boolean;
  get_query?: string;
}

/**
 * `DataFrameWriter.save([path])`: the relation's rows written by the `source` data source: files at `path`, or
 * where its options say (Kafka: `kafka.bootstrap.servers`, `topic`).
 */
export interface WriteOperation {
  input: Relation;
  source: string;
  path?: string;
  mode: 'SAVE_MODE_APPEND' | 'SAVE_MODE_OVERWRITE' | 'SAVE_MODE_ERROR_IF_EXISTS' | 'SAVE_MODE_IGNORE';
  options?: KeyValue[];
}

export type Command =
  | { create_dataframe_view: { input: Relation; name: string; is_global: boolean; replace: boolean } }
  | { write_operation: WriteOperation }
  | { write_stream_operation_start: WriteStreamOperationStart }
  | { streaming_query_command: StreamingQueryCommand }
  | { streaming_query_manager_command: StreamingQueryManagerCommand };

export interface StreamingQueryCommandResult {
  query_id?: StreamingQueryInstanceId;
  result_type?: 'status' | 'recent_progress' | 'explain' | 'exception' | 'await_termination';
  status?: { status_message?: string; is_data_available?: boolean; is_trigger_active?: boolean; is_active?: boolean };
  /** Progress reports as JSON, oldest first (`last_progress` answers with the newest only). */
  recent_progress?: { recent_progress_json?: string[] };
  exception?: { exception_message?: string; error_class?: string; stack_trace?: string };
  await_termination?: { terminated?: boolean };
  explain?: { result?: string };
}

export interface StreamingQueryManagerCommandResult {
  result_type?: string;
  active?: { active_queries?: { id: StreamingQueryInstanceId; name?: string }[] };
  query?: { id: StreamingQueryInstanceId; name?: string };
}

export type Plan = { root: Relation } | { command: Command };

export interface ExecutePlanRequest extends RequestBase {
  operation_id?: string;
  plan: Plan;
  request_options?: { reattach_options: { reattachable: boolean } }[];
  tags?: string[];
}

export interface ExecutePlanResponse {
  session_id: string;
  server_side_session_id: string;
  operation_id: string;
  response_id: string;
  response_type?: string;
  arrow_batch?: { row_count: string; data: Buffer; start_offset?: string };
  result_complete?: Record<string, never>;
  execution_progress?: {
    num_inflight_tasks?: string;
    stages?: { stage_id?: string; num_tasks?: string; num_completed_tasks?: string; done?: boolean }[];
  };
  sql_command_result?: unknown;
  write_stream_operation_start_result?: { query_id: StreamingQueryInstanceId; name?: string };
  streaming_query_command_result?: StreamingQueryCommandResult;
  streaming_query_manager_command_result?: StreamingQueryManagerCommandResult;
  schema?: unknown;
}

export interface ReattachExecuteRequest extends RequestBase {
  operation_id: string;
  last_response_id?: string;
}

export interface ReleaseExecuteRequest extends RequestBase {
  operation_id: string;
  release_all?: Record<string, never>;
  release_until?: { response_id: string };
}

export interface InterruptRequest extends RequestBase {
  interrupt_type: 'INTERRUPT_TYPE_OPERATION_ID' | 'INTERRUPT_TYPE_TAG' | 'INTERRUPT_TYPE_ALL';
  operation_id?: string;
  operation_tag?: string;
}

export interface InterruptResponse {
  interrupted_ids: string[];
}

export type OperationState =
  | 'OPERATION_STATE_UNSPECIFIED'
  | 'OPERATION_STATE_UNKNOWN'
  | 'OPERATION_STATE_RUNNING'
  | 'OPERATION_STATE_TERMINATING'
  | 'OPERATION_STATE_SUCCEEDED'
  | 'OPERATION_STATE_FAILED'
  | 'OPERATION_STATE_CANCELLED';

export interface GetStatusRequest extends RequestBase {
  /** Without it, GetStatus only checks the session (and counts as activity that keeps it open). */
  operation_status?: { operation_ids: string[] };
}

export interface GetStatusResponse {
  server_side_session_id?: string;
  operation_statuses?: { operation_id: string; state: OperationState }[];
}

export interface ReleaseSessionRequest extends RequestBase {
  /** false: Spark refuses the session id from then on (SESSION_CLOSED), as after an idle timeout. */
  allow_reconnect?: boolean;
}

export interface FetchErrorDetailsRequest extends RequestBase {
  error_id: string;
}

export interface FetchErrorDetailsResponse {
  root_error_idx?: number;
  errors?: {
    error_type_hierarchy?: string[];
    message?: string;
    /** Index in `errors` of this error's cause. */
    cause_idx?: number;
    spark_throwable?: { error_class?: string; sql_state?: string };
  }[];
}

/**
 * A Spark data type as AnalyzePlan returns it: `kind` names the member that is set. Only the members whose
 * parameters we read are typed; the others are empty messages.
 */
export interface DataType {
  kind?: string;
  decimal?: { precision?: number; scale?: number };
  string?: { collation?: string };
  char?: { length?: number };
  var_char?: { length?: number };
  year_month_interval?: { start_field?: number; end_field?: number };
  day_time_interval?: { start_field?: number; end_field?: number };
  array?: { element_type?: DataType; contains_null?: boolean };
  map?: { key_type?: DataType; value_type?: DataType; value_contains_null?: boolean };
  struct?: { fields?: StructField[] };
  udt?: { type?: string; sql_type?: DataType };
  time?: { precision?: number };
  unparsed?: { data_type_string?: string };
}

export interface StructField {
  name: string;
  data_type?: DataType;
  nullable?: boolean;
}

/** Only the `schema` analysis is used: the output type of a plan, resolved but not run. */
export interface AnalyzePlanRequest extends RequestBase {
  schema: { plan: Plan };
}

export interface AnalyzePlanResponse {
  server_side_session_id?: string;
  result?: string;
  schema?: { schema?: DataType };
}

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

type ServerStream<Req, Res> = (request: Req, metadata: grpc.Metadata, options?: grpc.CallOptions) => grpc.ClientReadableStream<Res>;

/** The methods of `spark.connect.SparkConnectService` this client calls. */
export interface SparkConnectServiceClient extends grpc.Client {
  ExecutePlan: ServerStream<ExecutePlanRequest, ExecutePlanResponse>;
  ReattachExecute: ServerStream<ReattachExecuteRequest, ExecutePlanResponse>;
  AnalyzePlan: Unary<AnalyzePlanRequest, AnalyzePlanResponse>;
  ReleaseExecute: Unary<ReleaseExecuteRequest, unknown>;
  Interrupt: Unary<InterruptRequest, InterruptResponse>;
  GetStatus: Unary<GetStatusRequest, GetStatusResponse>;
  ReleaseSession: Unary<ReleaseSessionRequest, unknown>;
  FetchErrorDetails: Unary<FetchErrorDetailsRequest, FetchErrorDetailsResponse>;
}

export type SparkConnectServiceConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => SparkConnectServiceClient;

/** Reads the descriptor set at `descriptorSetPath` and returns the generated service client class. */
export function loadSparkConnectService(descriptorSetPath: string): SparkConnectServiceConstructor {
  let buffer: Buffer;
  try {
    buffer = readFileSync(descriptorSetPath);
  } catch (cause) {
    throw new Error(
      `Spark Connect descriptor set not found at ${descriptorSetPath} — generate it with ` +
        '`.stack/venv/bin/python scripts/stack/gen-spark-connect-descriptors.py <file>` (or `npm run stack -- up`)',
      { cause },
    );
  }
  const definition = loadFileDescriptorSetFromBuffer(buffer, {
    keepCase: true,
    longs: String,
    enums: String,
    oneofs: true,
    defaults: false,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    spark: { connect: { SparkConnectService: SparkConnectServiceConstructor } };
  };
  return loaded.spark.connect.SparkConnectService;
}
