// The chaos run's own stack and processes: Temporal, Kafka and Spark Connect on ports of their own (sharing the
// local stack's installs, keeping their state under .stack/chaos), Spark with a short idle-session timeout, and the
// workers and the REST trigger as OS processes this run starts, SIGKILLs and SIGTERMs.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config';
import { KafkaClient } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { startAppProcess, type AppProcess } from '../lib/app-process';
import { sparkUiJobs, type SparkUiJob } from '../lib/spark-ui';
import { stackDown, stackKill, stackUp } from '../stack/stack';

/** Spark's idle-session timeout on the chaos stack: short, so that an idle gap can outlast it. */
export const SESSION_TIMEOUT_S = 20;

const CHAOS_ENV = {
  TEMPORAL_ADDRESS: '127.0.0.1:17233',
  TEMPORAL_UI_URL: 'http://127.0.0.1:18233',
  TEMPORAL_TASK_QUEUE: 'chaos',
  KAFKA_BROKERS: '127.0.0.1:19092',
  SPARK_CONNECT_URL: '127.0.0.1:25002',
  SPARK_UI_URL: 'http://127.0.0.1:24040',
  SPARK_SESSION_TIMEOUT: `${SESSION_TIMEOUT_S}s`,
  STACK_STATE_DIR: '.stack/chaos',
  DATA_DIR: '.stack/chaos/data',
  HOST: '127.0.0.1',
  PORT: '15000',
  // Workers keep their session open well inside the short timeout (the expiry scenario turns this off).
  SPARK_SESSION_KEEPALIVE_MS: '5000',
};

/**
 * The chaos run's cluster topology (`npm run chaos -- --topology cluster`): three Kafka brokers, the Spark standalone
 * cluster, Temporal's own server on PostgreSQL, Prometheus, on ports of their own and state under .stack/chaos-cluster.
 */
const CHAOS_CLUSTER_ENV = {
  STACK_TOPOLOGY: 'cluster',
  KAFKA_BROKERS: '127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096',
  KAFKA_TOPIC_REPLICATION_FACTOR: '3',
  SPARK_MASTER_PORT: '17077',
  POSTGRES_PORT: '15432',
  PROMETHEUS_PORT: '19090',
  STACK_STATE_DIR: '.stack/chaos-cluster',
  DATA_DIR: '.stack/chaos-cluster/data',
};

export type Topology = 'single' | 'cluster';

/** A stack service by name (`npm run stack -- status` lists them); `kafka` is every Kafka node. */
export type Service = string;

export class ChaosCluster {
  readonly config: Config;
  readonly env: Record<string, string>;
  readonly workers: AppProcess[] = [];
  rest: AppProcess | undefined;
  temporal!: Client;
  kafka!: KafkaClient;
  /** Every Spark job seen, per Spark application (a restarted server is a new application). */
  readonly sparkJobs = new Map<string, Map<number, SparkUiJob>>();
  /** Spark applications whose server this run killed (what ran on them was lost with them). */
  readonly killedSparkApps = new Set<string>();
  private sparkApp: string | undefined;
  private workerCount = 0;
  private collector: NodeJS.Timeout | undefined;

  constructor(overrides: Record<string, string> = {}, topology: Topology = 'single') {
    this.env = { ...CHAOS_ENV, ...(topology === 'cluster' ? CHAOS_CLUSTER_ENV : {}), ...overrides };
    this.config = loadConfig({ ...process.env, ...this.env });
  }

  get baseUrl(): string {
    return `http://${this.config.http.host}:${this.config.http.port}`;
  }

  get logDir(): string {
    return path.join(this.config.stackStateDir, 'logs');
  }

  async up(): Promise<void> {
    await stackUp(this.config);
    this.temporal = new Client({
      connection: await Connection.connect({ address: this.config.temporal.address }),
      namespace: this.config.temporal.namespace,
    });
    this.kafka = new KafkaClient(this.config.kafka, createLogger('silent'));
    this.collector = setInterval(() => void this.collectSparkJobs().catch(() => undefined), 3_000);
  }

  async down(): Promise<void> {
    clearInterval(this.collector);
    await Promise.all([...this.workers.splice(0), ...(this.rest ? [this.rest] : [])].map((p) => p.kill('SIGTERM')));
    this.rest = undefined;
    await this.kafka?.close();
    await this.temporal?.connection.close();
    // The chaos stack is this run's own: it goes with it (3 GB of memory and its ports).
    await stackDown(this.config);
  }

  async startWorker(env: Record<string, string> = {}): Promise<AppProcess> {
    const name = `worker-${++this.workerCount}`;
    const worker = await startAppProcess(
      name,
      'worker',
      { ...this.env, TEMPORAL_WORKER_IDENTITY: name, ...env },
      path.join(this.logDir, `${name}.log`),
    );
    this.workers.push(worker);
    return worker;
  }

  /** Kills a worker (SIGKILL: a crash; SIGTERM: a rolling deploy) and forgets it. */
  async stopWorker(worker: AppProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    this.workers.splice(this.workers.indexOf(worker), 1);
    await worker.kill(signal);
  }

  async startRest(env: Record<string, string> = {}): Promise<AppProcess> {
    this.rest = await startAppProcess('rest', 'rest', { ...this.env, ...env }, path.join(this.logDir, 'rest.log'));
    return this.rest;
  }

  /** SIGKILLs a stack service (a snapshot of Spark's jobs is taken first: a killed server takes its UI along). */
  async kill(service: Service): Promise<void> {
    if (service === 'spark') {
      await this.collectSparkJobs().catch(() => undefined);
      if (this.sparkApp) this.killedSparkApps.add(this.sparkApp);
    }
    await stackKill(this.config, service);
  }

  /** Starts whatever stack service is down; resolves when every service is ready again. */
  async restart(): Promise<void> {
    await stackUp(this.config);
  }

  /** Reads the Spark UI's job list of the running application into `sparkJobs`. */
  async collectSparkJobs(): Promise<void> {
    const listed = await sparkUiJobs(this.config.spark.uiUrl);
    if (!listed) return;
    this.sparkApp = listed.app;
    const jobs = this.sparkJobs.get(listed.app) ?? new Map<number, SparkUiJob>();
    this.sparkJobs.set(listed.app, jobs);
    for (const job of listed.jobs) jobs.set(job.jobId, job);
  }
}
