// Typed configuration, read once from environment variables (defaults fit the local stack) and validated,
// so a bad value fails at start with an error that names the variable.
import path from 'node:path';
import { z } from 'zod';
import { RUN_INPUT_MAX_RECORD_BYTES } from '../contracts/limits';
import type { ResourceRules } from '../contracts/resource-policy';
import { uuidV5 } from './idempotency';

const hostPort = z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:7233');

const port = z.coerce.number().int().min(1).max(65535);
/** A port to serve on, or 0: not served. */
const optionalPort = z.coerce.number().int().min(0).max(65535);

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('streamforge'),
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  TEMPORAL_WORKER_IDENTITY: z.string().min(1).optional(),
  WORKER_METRICS_PORT: optionalPort.default(9464),
  WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).default(200),
  WORKER_LOCAL_ACTIVITY_SLOTS: z.coerce.number().int().min(1).default(400),
  TEMPORAL_METRICS_PORT: optionalPort.default(9465),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(z.array(hostPort).min(1, 'expected at least one broker, e.g. 127.0.0.1:9092')),
  KAFKA_CLIENT_ID: z.string().min(1).default('streamforge'),
  KAFKA_RECORDS_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'expected a Kafka topic name')
    .default('streamforge.records'),
  KAFKA_RECORDS_PARTITIONS: z.coerce.number().int().min(1).max(64).default(2),
  KAFKA_TOPIC_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(16).default(1),
  KAFKA_RESULTS_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'expected a Kafka topic name')
    .default('streamforge.results'),
  KAFKA_EXECUTIONS_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'expected a Kafka topic name')
    .default('streamforge.spark-executions'),
  SPARK_CONNECT_URL: hostPort.default('127.0.0.1:15002'),
  SPARK_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(1),
  SPARK_GATHER_FACTOR: z.coerce.number().min(0).max(10).default(1),
  SPARK_UI_URL: z.url().default('http://127.0.0.1:4040'),
  SPARK_SESSION_ID: z.uuid().optional(),
  SPARK_SESSION_KEEPALIVE_MS: z.coerce.number().int().min(0).default(60_000),
  SPARK_KAFKA_BOOTSTRAP_SERVERS: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).optional(),
  DEFINITIONS_DIR: z.string().min(1).optional(),
  WAREHOUSE_DIR: z.string().min(1).optional(),
  STREAM_CHECKPOINT_DIR: z.string().min(1).optional(),
  RESULT_INLINE_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  SPARK_CONNECT_DESCRIPTORS: z.string().min(1).optional(),
  STACK_DIR: z.string().min(1).optional(),
  STACK_TOPOLOGY: z.enum(['single', 'cluster']).default('single'),
  SPARK_MASTER_PORT: port.default(7077),
  POSTGRES_PORT: port.default(5432),
  PROMETHEUS_PORT: port.default(9090),
  STACK_STATE_DIR: z.string().min(1).optional(),
  SPARK_SESSION_TIMEOUT: z
    .string()
    .regex(/^\d+(ms|s|m|min|h)$/, 'expected a Spark duration such as 60min or 30s')
    .optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(5000),
  OLD_SERVICE_PORT: port.default(5050),
  API_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  REST_ALLOW_UNAUTHENTICATED: z.enum(['true', 'false']).default('false'),
  CLIENT_TOPICS: z.string().optional(),
  /** The earlier name of CLIENT_TOPICS (it applied to pipelines' `topic` input only). */
  PIPELINE_INPUT_TOPICS: z.string().optional(),
  API_TOKENS_FILE: z.string().min(1).optional(),
  PROCESS_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(2),
  PROCESS_LINGER_MS: z.coerce.number().int().min(0).max(5000).default(25),
  PROCESS_MAX_BATCH_REQUESTS: z.coerce.number().int().min(1).max(500).default(50),
  PROCESS_MAX_QUEUED: z.coerce.number().int().min(1).default(200),
  PROCESS_MAX_QUEUED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  PROCESS_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable the configuration reads. */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape);

export interface Config {
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string; workerIdentity: string | undefined };
  /**
   * Where the worker serves Prometheus metrics: `metricsPort` its own (/metrics, and /readyz for probes),
   * `sdkMetricsPort` the Temporal SDK's exporter (lib/metric-names.ts lists the names of both); 0: not served
   * (several workers on one machine).
   */
  worker: {
    metricsPort: number;
    sdkMetricsPort: number;
    /**
     * Workflow tasks and local activities the worker runs at once. A small run holds its one workflow task from its
     * start to its end (its steps are local activities in it), mostly waiting for Kafka and Spark: the task slots
     * bound how many small runs are under way at once, and so how many can share one Spark execution. The SDK's
     * defaults (40 tasks, 100 local activities) cut a burst of 100 runs into waves of ~30.
     */
    workflowTaskSlots: number;
    localActivitySlots: number;
  };
  /** `executionsTopic`: the journal of shared Spark executions (spark/runtime/execution-journal.ts). */
  kafka: {
    brokers: string[];
    clientId: string;
    recordsTopic: string;
    recordsPartitions: number;
    resultsTopic: string;
    executionsTopic: string;
    /** Copies of each topic the code creates itself (where an operator has not created it first). */
    replicationFactor: number;
  };
  /**
   * `maxInFlight`: Spark executions a worker runs at once; runs submitted meanwhile share the next one.
   * `gatherFactor`: under load, the next execution gathers runs for this multiple of the last one's duration.
   */
  /**
   * `sessionId`: the first of the Spark session ids all workers share (session.ts); `sessionKeepAliveMs`: how often
   * an idle worker keeps it open (0: never).
   */
  spark: {
    connectUrl: string;
    uiUrl: string;
    descriptorSetPath: string;
    sessionId: string;
    sessionKeepAliveMs: number;
    kafkaBootstrapServers: string;
    maxInFlight: number;
    gatherFactor: number;
  };
  /** Files a pipeline may read (`file` input) must be under this directory. */
  dataDir: string;
  /** Where pipeline definitions are read from: one directory per definition, each with a pipeline.yml. */
  definitionsDir: string;
  /** Where definitions' sinks write (Parquet files): a directory Spark writes to, or a URI its executors reach (s3a://…). */
  warehouseDir: string;
  /**
   * Where each stream's Spark query keeps its checkpoint (`<checkpointDir>/<stream name>`), as the Spark server
   * sees it: under the stack's state locally, a shared path (HDFS, S3, a volume) on a cluster.
   */
  streams: { checkpointDir: string };
  /** A job result larger than this (as JSON) is stored in the results topic and referenced, not returned inline. */
  resultInlineLimitBytes: number;
  /**
   * `apiToken`: one token with every scope; `tokensFile`: named tokens with their scopes (apps/rest/tokens.ts);
   * `allowUnauthenticated`: serve a non-loopback address without either (behind an authenticating proxy).
   */
  http: { host: string; port: number; apiToken: string | undefined; tokensFile: string | undefined; allowUnauthenticated: boolean };
  /** The old Flask service's reconstruction (scripts/old-service), started on demand by `npm run load`: its port on loopback. */
  oldServicePort: number;
  /** What clients may name (contracts/resource-policy.ts): streamforge's own topics never, other topics as listed. */
  resources: ResourceRules;
  /** How POST /process coalesces requests into pipeline runs (apps/rest/process-batcher.ts), and bounds them. */
  processBatching: {
    /** Runs in flight at once; more requests wait and go together into the next run. */
    maxInFlight: number;
    /** Requests per run (bounds the size of the run's result in workflow history). */
    maxRequests: number;
    /**
     * Bytes of records (as JSON) per run: a run's records travel in its workflow input, which Temporal refuses over
     * its blob size limit (2 MiB by default; contracts/limits.ts). A request bigger than this alone is the caller's to refuse.
     */
    maxBytes: number;
    /**
     * While other runs are busy, how long a freed slot waits for more requests before it starts a run (like Kafka's
     * linger.ms): users whose requests just finished send their next ones a few ms apart, and a run started on the
     * first of them alone would hold a slot for a whole run. With nothing in flight a request starts at once.
     */
    lingerMs: number;
    /** Requests that may wait at once; more are refused. */
    maxQueued: number;
    /** Bytes of records (as JSON) that may wait at once; more are refused. */
    maxQueuedBytes: number;
  };
  /** How long a /process request may take (queue and run) before it gets 503. */
  processTimeoutMs: number;
  /**
   * The local stack's shape: one node of each engine (`single`), or `cluster`: three Kafka brokers, a Spark
   * standalone master with two workers, Temporal's own server on PostgreSQL, Prometheus (CLUSTER_DEFAULTS).
   */
  stackTopology: 'single' | 'cluster';
  /** The ports of what only the cluster topology runs (all on loopback). */
  stackCluster: {
    /** The Spark standalone master (its web UI on the Spark UI's port + 50, its workers' on + 51, + 52). */
    sparkMasterPort: number;
    /** PostgreSQL, Temporal's persistence and visibility store. */
    postgresPort: number;
    prometheusPort: number;
  };
  /** Installs of the local stack (venv, jars); `stackStateDir`: its data, logs and pid files (default: the same). */
  stackDir: string;
  stackStateDir: string;
  /** The local stack's Spark Connect idle-session timeout (Spark's default, 60min, when unset). */
  stackSparkSessionTimeout: string | undefined;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The repository root: config defaults are relative to it, wherever the process was started from. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * What STACK_TOPOLOGY=cluster changes when the environment does not say otherwise: three brokers, topics with three
 * replicas, and state of its own (the cluster's Temporal, Kafka and Spark keep their data apart from the single
 * stack's). Every other address is the single stack's: Temporal's frontend, Spark Connect (the driver) and the REST
 * trigger answer where they always do.
 */
export const CLUSTER_DEFAULTS = {
  KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096',
  KAFKA_TOPIC_REPLICATION_FACTOR: '3',
  STACK_STATE_DIR: '.stack/cluster',
} as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env.STACK_TOPOLOGY === 'cluster' ? { ...CLUSTER_DEFAULTS, ...definedOnly(env) } : env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}=${JSON.stringify(env[String(i.path[0])] ?? '')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.WORKER_METRICS_PORT !== 0 && e.WORKER_METRICS_PORT === e.TEMPORAL_METRICS_PORT) {
    throw new ConfigError(
      `Invalid configuration: WORKER_METRICS_PORT and TEMPORAL_METRICS_PORT are both ${e.WORKER_METRICS_PORT}; the worker serves its own metrics and the Temporal SDK's on two ports`,
    );
  }
  const stackDir = path.resolve(PROJECT_ROOT, e.STACK_DIR ?? '.stack');
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
      workerIdentity: e.TEMPORAL_WORKER_IDENTITY,
    },
    worker: {
      metricsPort: e.WORKER_METRICS_PORT,
      sdkMetricsPort: e.TEMPORAL_METRICS_PORT,
      workflowTaskSlots: e.WORKER_WORKFLOW_TASK_SLOTS,
      localActivitySlots: e.WORKER_LOCAL_ACTIVITY_SLOTS,
    },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      recordsTopic: e.KAFKA_RECORDS_TOPIC,
      recordsPartitions: e.KAFKA_RECORDS_PARTITIONS,
      resultsTopic: e.KAFKA_RESULTS_TOPIC,
      executionsTopic: e.KAFKA_EXECUTIONS_TOPIC,
      replicationFactor: e.KAFKA_TOPIC_REPLICATION_FACTOR,
    },
    spark: {
      connectUrl: e.SPARK_CONNECT_URL,
      uiUrl: e.SPARK_UI_URL,
      descriptorSetPath: path.resolve(PROJECT_ROOT, e.SPARK_CONNECT_DESCRIPTORS ?? path.join(stackDir, 'spark', 'spark-connect.desc')),
      // One Spark session shared by every worker of the task queue, so any worker reaches any run's execution.
      sessionId: e.SPARK_SESSION_ID ?? uuidV5(`spark-session:${e.TEMPORAL_NAMESPACE}:${e.TEMPORAL_TASK_QUEUE}`),
      sessionKeepAliveMs: e.SPARK_SESSION_KEEPALIVE_MS,
      kafkaBootstrapServers: e.SPARK_KAFKA_BOOTSTRAP_SERVERS ?? e.KAFKA_BROKERS.join(','),
      maxInFlight: e.SPARK_MAX_IN_FLIGHT,
      gatherFactor: e.SPARK_GATHER_FACTOR,
    },
    dataDir: path.resolve(PROJECT_ROOT, e.DATA_DIR ?? 'data'),
    definitionsDir: path.resolve(PROJECT_ROOT, e.DEFINITIONS_DIR ?? 'definitions'),
    warehouseDir: /^[a-z][a-z0-9+.-]*:\/\//.test(e.WAREHOUSE_DIR ?? '')
      ? e.WAREHOUSE_DIR!.replace(/\/+$/, '')
      : path.resolve(PROJECT_ROOT, e.WAREHOUSE_DIR ?? path.join(e.STACK_STATE_DIR ?? stackDir, 'warehouse')),
    streams: {
      // A URI (s3a://, hdfs://) is Spark's to resolve; a plain path is taken from the project root.
      checkpointDir: /^[a-z][a-z0-9+.-]*:\/\//.test(e.STREAM_CHECKPOINT_DIR ?? '')
        ? e.STREAM_CHECKPOINT_DIR!
        : path.resolve(PROJECT_ROOT, e.STREAM_CHECKPOINT_DIR ?? path.join(e.STACK_STATE_DIR ?? stackDir, 'spark', 'checkpoints')),
    },
    resultInlineLimitBytes: e.RESULT_INLINE_LIMIT_BYTES,
    http: {
      host: e.HOST,
      port: e.PORT,
      apiToken: e.API_TOKEN,
      tokensFile: e.API_TOKENS_FILE === undefined ? undefined : path.resolve(PROJECT_ROOT, e.API_TOKENS_FILE),
      allowUnauthenticated: e.REST_ALLOW_UNAUTHENTICATED === 'true',
    },
    oldServicePort: e.OLD_SERVICE_PORT,
    resources: {
      internalTopics: [e.KAFKA_RECORDS_TOPIC, e.KAFKA_RESULTS_TOPIC, e.KAFKA_EXECUTIONS_TOPIC],
      clientTopics: (e.CLIENT_TOPICS ?? e.PIPELINE_INPUT_TOPICS ?? '*')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    },
    processBatching: {
      maxInFlight: e.PROCESS_MAX_IN_FLIGHT,
      maxRequests: e.PROCESS_MAX_BATCH_REQUESTS,
      maxBytes: RUN_INPUT_MAX_RECORD_BYTES,
      lingerMs: e.PROCESS_LINGER_MS,
      maxQueued: e.PROCESS_MAX_QUEUED,
      maxQueuedBytes: e.PROCESS_MAX_QUEUED_BYTES,
    },
    processTimeoutMs: e.PROCESS_TIMEOUT_MS,
    stackTopology: e.STACK_TOPOLOGY,
    stackCluster: { sparkMasterPort: e.SPARK_MASTER_PORT, postgresPort: e.POSTGRES_PORT, prometheusPort: e.PROMETHEUS_PORT },
    stackDir,
    stackStateDir: path.resolve(PROJECT_ROOT, e.STACK_STATE_DIR ?? stackDir),
    stackSparkSessionTimeout: e.SPARK_SESSION_TIMEOUT,
    logLevel: e.LOG_LEVEL,
  };
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Splits "host:port" into its parts (validated by the schema above). */
export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}
