// The three long-running services of the local stack (Temporal dev server, Kafka in KRaft mode, Spark Connect):
// how each is configured, started and judged ready.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeCliArgs } from '../../contracts/search-attributes';
import { splitHostPort, type Config } from '../../lib/config';
import { clusterAnswers } from '../../lib/kafka';
import { javaCommand } from './install';
import type { StackPaths } from './paths';
import { isPortOpen, StackError, type ProcessSpec } from './processes';
import { prometheusService } from './prometheus';
import { addMissingSearchAttributes } from './search-attributes';
import { warmSpark } from './spark-warmup';
import { temporalCluster, temporalMetricsTargets } from './temporal-cluster';
import { temporalUiService } from './temporal-ui';
import { dynamicConfigArgs, healthServing } from './temporal-server';

export interface Service {
  name: string;
  /** host:port pairs the service listens on; all must be free before it starts. */
  ports: { host: string; port: number }[];
  /** Work that must happen before the first start (formatting storage, writing config files). */
  prepare(): Promise<void>;
  spec(): ProcessSpec;
  isReady(): Promise<boolean>;
  /**
   * Work on every `up` once the service answers, whether it was started now or ran already; true when it changed
   * something the service sees only after a restart.
   */
  ensure?(): Promise<boolean>;
  /** Work after a fresh start, once every service is ready, before the stack reports ready (warming Spark). */
  warm?(): Promise<void>;
  startTimeoutMs: number;
  describe: string;
}

function temporal(config: Config, p: StackPaths): Service {
  const { host, port } = splitHostPort(config.temporal.address);
  const uiPort = Number(new URL(config.temporal.uiUrl).port || 8233);
  return {
    name: 'temporal',
    ports: [
      { host, port },
      { host, port: uiPort },
    ],
    describe: `Temporal ${config.temporal.address}, Web UI ${config.temporal.uiUrl}`,
    startTimeoutMs: 60_000,
    async prepare() {
      fs.mkdirSync(path.dirname(p.temporalDb), { recursive: true });
    },
    spec: () => ({
      name: 'temporal',
      command: p.temporalBin,
      args: [
        'server',
        'start-dev',
        '--ip',
        host,
        '--port',
        String(port),
        '--ui-port',
        String(uiPort),
        '--db-filename',
        p.temporalDb,
        // Without these two pragmas a file-backed dev server is ~2.5x slower (docs/architecture.md).
        '--sqlite-pragma',
        'journal_mode=wal',
        '--sqlite-pragma',
        'synchronous=normal',
        '--log-level',
        'warn',
        ...dynamicConfigArgs(),
        ...searchAttributeCliArgs(),
      ],
      cwd: path.dirname(p.temporalDb),
      marker: p.temporalDb,
    }),
    isReady: () => healthServing(config.temporal.address),
    // `--search-attribute` registers attributes only in a database the dev server creates: one made by an
    // earlier version of the stack (before the stream attributes) would lack the new ones, and every workflow
    // setting them would fail its tasks. So each `up` adds what is missing, and then restarts the server: it reads
    // its search attributes once (forceSearchAttributesCacheRefreshOnRead is off: temporal-server.ts).
    async ensure() {
      const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 5000 });
      try {
        return await addMissingSearchAttributes(connection, config.temporal.namespace);
      } finally {
        await connection.close();
      }
    },
  };
}

/** Kafka 4's logging: log4j 2, to the console (the service's log file). */
const KAFKA_LOG4J2 = [
  'status = warn',
  'appender.stdout.type = Console',
  'appender.stdout.name = STDOUT',
  'appender.stdout.layout.type = PatternLayout',
  'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = info',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  '',
].join('\n');

/** One local KRaft node: its id (1…n), the address clients use, and its controller's port (the next one). */
interface KafkaNode {
  id: number;
  host: string;
  port: number;
  controllerPort: number;
  /** `kafka` when the stack has one node, else `kafka-<id>`: the service's name, its pid and log files. */
  name: string;
  dir: string;
  dataDir: string;
}

/** A node for each address in KAFKA_BROKERS: one (the default), or a cluster (e.g. three, each its own JVM). */
function kafkaNodes(config: Config, p: StackPaths): KafkaNode[] {
  const single = config.kafka.brokers.length === 1;
  return config.kafka.brokers.map((address, i) => {
    const { host, port } = splitHostPort(address);
    const name = single ? 'kafka' : `kafka-${i + 1}`;
    return {
      id: i + 1,
      host,
      port,
      controllerPort: port + 1,
      name,
      dir: single ? p.kafkaDir : path.join(p.kafkaDir, name),
      dataDir: single ? p.kafkaDataDir : path.join(p.kafkaDir, name, 'data'),
    };
  });
}

/**
 * A node's server.properties: broker and controller at once, every node a voter of the one quorum. Replication
 * follows the cluster's size: with three nodes, internal topics have three replicas and a write needs two in sync
 * (`min.insync.replicas=2`), so one node may be lost without refusing a write.
 */
function kafkaServerProperties(config: Config, nodes: KafkaNode[], node: KafkaNode): string {
  const replicas = Math.min(3, nodes.length);
  const inSync = Math.min(2, nodes.length);
  return [
    `# Written by the stack installer: KRaft node ${node.id} of ${nodes.length} (broker + controller) for local use.`,
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${nodes.map((n) => `${n.id}@${n.host}:${n.controllerPort}`).join(',')}`,
    `listeners=PLAINTEXT://${node.host}:${node.port},CONTROLLER://${node.host}:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${node.host}:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${node.dataDir}`,
    `num.partitions=${config.kafka.recordsPartitions}`,
    `default.replication.factor=${config.kafka.replicationFactor}`,
    `min.insync.replicas=${inSync}`,
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=4',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${inSync}`,
    'group.initial.rebalance.delay.ms=0',
    // Topics are created explicitly (with the partition count we want), never by a typo in a producer.
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

/** The cluster's id, made once and kept: every node is formatted with it. */
function kafkaClusterId(p: StackPaths, classpath: string, log4jFile: string): string {
  const file = path.join(p.kafkaDir, 'cluster-id');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const id = execFileSync(
    javaCommand(),
    ['-cp', classpath, `-Dlog4j2.configurationFile=${log4jFile}`, 'kafka.tools.StorageTool', 'random-uuid'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  )
    .toString()
    .trim()
    .split('\n')
    .pop()!;
  fs.writeFileSync(file, id);
  return id;
}

function kafka(config: Config, p: StackPaths, nodes: KafkaNode[], node: KafkaNode): Service {
  const propsFile = path.join(node.dir, 'server.properties');
  const log4jFile = path.join(p.kafkaDir, 'log4j2.properties');
  const classpath = `${p.kafkaLibDir}/*`;
  return {
    name: node.name,
    ports: [
      { host: node.host, port: node.port },
      { host: node.host, port: node.controllerPort },
    ],
    describe: `Kafka ${node.host}:${node.port} (KRaft controller on ${node.controllerPort}${nodes.length > 1 ? `; node ${node.id} of ${nodes.length}` : ''})`,
    startTimeoutMs: 60_000,
    async prepare() {
      fs.mkdirSync(node.dir, { recursive: true });
      fs.writeFileSync(propsFile, kafkaServerProperties(config, nodes, node));
      fs.writeFileSync(log4jFile, KAFKA_LOG4J2);
      if (fs.existsSync(path.join(node.dataDir, 'meta.properties'))) return;
      const clusterId = kafkaClusterId(p, classpath, log4jFile);
      execFileSync(
        javaCommand(),
        [
          '-cp',
          classpath,
          `-Dlog4j2.configurationFile=${log4jFile}`,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          propsFile,
        ],
        { stdio: 'ignore' },
      );
    },
    spec: () => ({
      name: node.name,
      command: javaCommand(),
      args: ['-Xms256m', '-Xmx512m', `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', classpath, 'kafka.Kafka', propsFile],
      cwd: node.dir,
      marker: propsFile,
    }),
    async isReady() {
      if (!(await isPortOpen(node.host, node.port))) return false;
      return clusterAnswers({ ...config.kafka, brokers: [`${node.host}:${node.port}`] });
    },
  };
}

/**
 * Spark's logging for a long-running server: warnings and up, minus two per-query messages that filled 84 MB in
 * half an hour of load: WindowExec's "No Partition Defined" warning, and ErrorUtils logging, as an ERROR, every
 * error it returns to a client (including the harmless INVALID_CURSOR.DISCONNECTED when submit detaches; real
 * errors reach the activity that ran the operation, which logs them with the run's ids).
 */
const SPARK_LOG4J2 = [
  'rootLogger.level = warn',
  'rootLogger.appenderRef.stdout.ref = console',
  'appender.console.type = Console',
  'appender.console.name = console',
  'appender.console.target = SYSTEM_ERR',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex',
  'logger.connect.name = org.apache.spark.sql.connect.service',
  'logger.connect.level = info',
  'logger.window.name = org.apache.spark.sql.execution.window.WindowExec',
  'logger.window.level = error',
  'logger.errorutils.name = org.apache.spark.sql.connect.utils.ErrorUtils',
  'logger.errorutils.level = off',
  '',
].join('\n');

/** pyspark ships Spark itself; its folder inside the venv is SPARK_HOME. */
export function sparkHome(p: StackPaths): string {
  const lib = path.join(p.venvDir, 'lib');
  const pythonDir = fs.existsSync(lib) ? fs.readdirSync(lib).find((d) => d.startsWith('python3')) : undefined;
  if (!pythonDir) throw new StackError(`no Python in ${lib} — run \`npm run stack -- up\` to install the stack`);
  return path.join(lib, pythonDir, 'site-packages', 'pyspark');
}

/**
 * The cluster topology's Spark standalone cluster: a master and two workers of one core each, every one its own JVM
 * started by the wheel's `bin/spark-class` (the wheel has no `sbin/start-*.sh`). Executors run in JVMs of their own,
 * launched by the workers for the Connect server (the driver), which submits to the master.
 */
interface SparkStandalone {
  master: { host: string; port: number; uiPort: number; url: string };
  workers: { name: string; uiPort: number; workDir: string }[];
}

const SPARK_WORKERS = 2;

function sparkStandalone(config: Config, p: StackPaths): SparkStandalone {
  const { host } = splitHostPort(config.spark.connectUrl);
  const uiPort = Number(new URL(config.spark.uiUrl).port || 4040);
  const port = config.stackCluster.sparkMasterPort;
  return {
    master: { host, port, uiPort: uiPort + 50, url: `spark://${host}:${port}` },
    workers: Array.from({ length: SPARK_WORKERS }, (_, i) => ({
      name: `spark-worker-${i + 1}`,
      uiPort: uiPort + 51 + i,
      workDir: path.join(p.sparkDir, `worker-${i + 1}`),
    })),
  };
}

/** The master's view of its workers (its web UI's JSON), or undefined while it does not answer. */
async function sparkMasterState(standalone: SparkStandalone): Promise<{ workers: { webuiaddress: string; state: string }[] } | undefined> {
  const { host, uiPort } = standalone.master;
  const res = await fetch(`http://${host}:${uiPort}/json/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return res?.ok ? ((await res.json()) as { workers: { webuiaddress: string; state: string }[] }) : undefined;
}

function sparkClassSpec(p: StackPaths, name: string, host: string, args: string[], marker: string, cwd: string): ProcessSpec {
  const home = sparkHome(p);
  const log4jFile = path.join(p.sparkDir, 'log4j2.properties');
  return {
    name,
    command: path.join(home, 'bin', 'spark-class'),
    args,
    cwd,
    env: {
      SPARK_HOME: home,
      SPARK_LOCAL_IP: host,
      SPARK_LOG_DIR: p.logDir,
      SPARK_DAEMON_JAVA_OPTS: `-Dlog4j2.configurationFile=file:${log4jFile}`,
      SPARK_DAEMON_MEMORY: '256m',
    },
    marker,
  };
}

function sparkMaster(p: StackPaths, standalone: SparkStandalone): Service {
  const { host, port, uiPort } = standalone.master;
  const dir = path.join(p.sparkDir, 'master');
  const propsFile = path.join(dir, 'master.conf');
  return {
    name: 'spark-master',
    ports: [
      { host, port },
      { host, port: uiPort },
    ],
    describe: `Spark standalone master ${standalone.master.url}, web UI http://${host}:${uiPort}`,
    startTimeoutMs: 90_000,
    async prepare() {
      fs.mkdirSync(path.join(dir, 'recovery'), { recursive: true });
      fs.writeFileSync(path.join(p.sparkDir, 'log4j2.properties'), SPARK_LOG4J2);
      fs.writeFileSync(
        propsFile,
        [
          // A worker that stops answering is declared dead after 15 s (60 s by default), so its executors are
          // replaced sooner.
          'spark.worker.timeout=15',
          // A master that restarts reads back the applications and workers it had. Without it, a new master treats
          // the running Connect server's executors as unknown and has the workers kill them, and gives the
          // application none again: every job then waits forever (the chaos run's spark-master-restart found it).
          'spark.deploy.recoveryMode=FILESYSTEM',
          `spark.deploy.recoveryDirectory=${path.join(dir, 'recovery')}`,
          '',
        ].join('\n'),
      );
    },
    spec: () =>
      sparkClassSpec(
        p,
        'spark-master',
        host,
        [
          'org.apache.spark.deploy.master.Master',
          '--host',
          host,
          '--port',
          String(port),
          '--webui-port',
          String(uiPort),
          '--properties-file',
          propsFile,
        ],
        propsFile,
        dir,
      ),
    isReady: async () => (await sparkMasterState(standalone)) !== undefined,
  };
}

function sparkWorker(p: StackPaths, standalone: SparkStandalone, worker: SparkStandalone['workers'][number]): Service {
  const { host } = standalone.master;
  return {
    name: worker.name,
    ports: [{ host, port: worker.uiPort }],
    describe: `Spark standalone worker (1 core, 1.5 GB for executors), web UI http://${host}:${worker.uiPort}`,
    startTimeoutMs: 90_000,
    async prepare() {
      fs.mkdirSync(worker.workDir, { recursive: true });
      fs.writeFileSync(path.join(p.sparkDir, 'log4j2.properties'), SPARK_LOG4J2);
    },
    spec: () =>
      sparkClassSpec(
        p,
        worker.name,
        host,
        [
          'org.apache.spark.deploy.worker.Worker',
          '--host',
          host,
          '--cores',
          '1',
          '--memory',
          '1536m',
          '--webui-port',
          String(worker.uiPort),
          '--work-dir',
          worker.workDir,
          standalone.master.url,
        ],
        worker.workDir,
        worker.workDir,
      ),
    // Ready when the master counts it alive: registered, so the driver's executors can be placed on it.
    async isReady() {
      const state = await sparkMasterState(standalone);
      return state?.workers.some((w) => w.state === 'ALIVE' && w.webuiaddress.endsWith(`:${worker.uiPort}`)) ?? false;
    },
  };
}

function spark(config: Config, p: StackPaths): Service {
  const { host, port } = splitHostPort(config.spark.connectUrl);
  const uiPort = Number(new URL(config.spark.uiUrl).port || 4040);
  const workDir = path.join(p.sparkDir, 'work');
  const log4jFile = path.join(p.sparkDir, 'log4j2.properties');
  const standalone = config.stackTopology === 'cluster' ? sparkStandalone(config, p) : undefined;
  // On the standalone cluster the driver runs no tasks: each worker's one executor does (1 GB each).
  const master = standalone
    ? [
        '--master',
        standalone.master.url,
        '--driver-memory',
        '1g',
        '--executor-memory',
        '1g',
        '--executor-cores',
        '1',
        '--total-executor-cores',
        String(SPARK_WORKERS),
      ]
    : ['--master', 'local[*]', '--driver-memory', '2g'];
  return {
    name: 'spark',
    ports: [
      { host, port },
      { host, port: uiPort },
    ],
    describe: `Spark Connect ${host}:${port} (${standalone ? `driver of ${standalone.master.url}` : 'local[*]'}), Spark UI ${config.spark.uiUrl}`,
    startTimeoutMs: 120_000,
    async prepare() {
      fs.mkdirSync(workDir, { recursive: true });
      fs.writeFileSync(log4jFile, SPARK_LOG4J2);
    },
    spec: () => {
      const jars = fs
        .readdirSync(p.sparkJarDir)
        .filter((f) => f.endsWith('.jar'))
        .map((f) => path.join(p.sparkJarDir, f));
      const home = sparkHome(p);
      return {
        name: 'spark',
        command: path.join(home, 'bin', 'spark-submit'),
        args: [
          '--class',
          'org.apache.spark.sql.connect.service.SparkConnectServer',
          '--name',
          `streamforge-spark-connect-${port}`,
          ...master,
          '--conf',
          `spark.connect.grpc.binding.address=${host}`,
          '--conf',
          `spark.connect.grpc.binding.port=${port}`,
          // The Spark UI (and its REST API, which the crash test reads) binds to SPARK_LOCAL_IP, i.e. loopback.
          '--conf',
          `spark.ui.port=${uiPort}`,
          '--conf',
          'spark.ui.retainedJobs=2000',
          // Our executions are many and small (their shuffles carry partial aggregates): one shuffle partition and
          // no adaptive re-planning cost ~25 % less driver CPU per execution than AQE with 4 partitions (and
          // Spark's default of 200 partitions turned each job into hundreds of tiny tasks).
          '--conf',
          'spark.sql.shuffle.partitions=1',
          '--conf',
          'spark.sql.adaptive.enabled=false',
          // An aggregate with a function Spark keeps as an object (percentile: final_analysis' median) hashes its groups
          // only up to this many per task, then sorts every remaining row by its grouping key. Shared executions carry
          // hundreds to thousands of groups (dimension × value × request): hashing them costs less than the sort. Beyond
          // 10,000 groups a task still falls back to sorting, which bounds the memory the hash map takes.
          '--conf',
          'spark.sql.objectHashAggregate.sortBased.fallbackThreshold=10000',
          // Definitions' SQL reads timestamps (hour(ts), date_trunc) in the session's time zone: UTC everywhere, not
          // whatever the machine's zone is, so a pipeline's answer does not depend on where Spark runs.
          '--conf',
          'spark.sql.session.timeZone=UTC',
          // Submit detaches from an execution and poll only asks its status, so an execution may run this long with no
          // client attached before Spark abandons it (the default is 5 minutes).
          '--conf',
          'spark.connect.execute.manager.detachedTimeout=30min',
          // A shorter idle-session timeout (the chaos run's), checked every 5 s instead of every 30 s.
          ...(config.stackSparkSessionTimeout
            ? [
                '--conf',
                `spark.connect.session.manager.defaultSessionTimeout=${config.stackSparkSessionTimeout}`,
                '--conf',
                'spark.connect.session.manager.maintenanceInterval=5s',
              ]
            : []),
          '--conf',
          `spark.sql.warehouse.dir=${path.join(workDir, 'warehouse')}`,
          '--conf',
          `spark.driver.extraJavaOptions=-Dderby.system.home=${workDir} -Dlog4j2.configurationFile=file:${log4jFile}`,
          '--jars',
          jars.join(','),
          'spark-internal',
        ],
        cwd: workDir,
        env: { SPARK_HOME: home, SPARK_LOCAL_IP: host, SPARK_LOG_DIR: p.logDir },
        marker: `streamforge-spark-connect-${port}`,
      };
    },
    isReady: () => isPortOpen(host, port),
    warm: async () => void (await warmSpark(config)),
  };
}

/**
 * The stack's services. Single: the Temporal dev server, one Kafka node, Spark Connect in local mode. Cluster: PostgreSQL
 * and Temporal's four services with its Web UI, three Kafka nodes, a Spark standalone master and two workers with the
 * Connect server as their driver, and Prometheus.
 */
export function stackServices(config: Config, p: StackPaths): Service[] {
  const nodes = kafkaNodes(config, p);
  const kafkas = nodes.map((node) => kafka(config, p, nodes, node));
  if (config.stackTopology === 'single') return [temporal(config, p), ...kafkas, spark(config, p)];
  const standalone = sparkStandalone(config, p);
  return [
    ...temporalCluster(config, p),
    temporalUiService(config, p),
    ...kafkas,
    sparkMaster(p, standalone),
    ...standalone.workers.map((worker) => sparkWorker(p, standalone, worker)),
    spark(config, p),
    prometheusService(config, p, temporalMetricsTargets(config.temporal.address)),
  ];
}
