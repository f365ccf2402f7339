// The cluster topology's Temporal: Temporal's own server (built from source with `go install`) on PostgreSQL, its four
// services (frontend, history, matching, worker) each a process of its own, as a Kubernetes install runs them. The
// single topology's dev server (services.ts) keeps everything in one process and SQLite.
//
// Ports, all on the frontend's host (loopback), derived from the frontend's gRPC port F (7233 by default):
//   gRPC        F (frontend), F+1 (history), F+2 (matching), F+3 (worker)
//   HTTP API    F+4 (frontend)
//   membership  F+10 … F+13 (same order)
//   metrics     F+20 … F+23 (Prometheus, http://host:port/metrics)
// PostgreSQL listens on 127.0.0.1 on a port of its own (POSTGRES_PORT, 5432 by default), its socket in the state dir.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { stringify } from 'yaml';
import { SEARCH_ATTRIBUTE_KEYS } from '../../contracts/search-attributes';
import { splitHostPort, type Config } from '../../lib/config';
import { goInstall, run, timed, type InstallReport } from './install';
import type { StackPaths } from './paths';
import { sleep, StackError } from './processes';
import { addMissingSearchAttributes } from './search-attributes';
import type { Service } from './services';
import { healthServing, STACK_DYNAMIC_CONFIG } from './temporal-server';

const execFileP = promisify(execFile);

/** The Temporal server release the cluster topology builds and runs (its schema tool is the same release's). */
export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
const GO_PACKAGES = [
  `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
  `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
];

export const TEMPORAL_ROLES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalRole = (typeof TEMPORAL_ROLES)[number];

/** What each service answers grpc.health.v1 for (they all serve it on their gRPC port; "" is SERVING from the start). */
const HEALTH_SERVICE: Record<TemporalRole, string> = {
  frontend: 'temporal.api.workflowservice.v1.WorkflowService',
  history: 'temporal.api.workflowservice.v1.HistoryService',
  matching: 'temporal.api.workflowservice.v1.MatchingService',
  worker: 'temporal.api.workflowservice.v1.WorkerService',
};

/** Databases (the schema tool's embedded schemas of the same names under postgresql/v12/). */
const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;
/** PostgreSQL's role for Temporal; loopback connections are trusted (a local stack), so the password is a formality. */
const PG_USER = 'temporal';
const PG_PASSWORD = 'temporal';

/**
 * Custom search attributes SQL visibility holds per namespace: one generated column each in executions_visibility
 * (schema/postgresql/v12/visibility/schema.sql, v1.32). The dev server's SQLite visibility has the same columns.
 */
export const SQL_VISIBILITY_CAPACITY: Record<SearchAttributeType, number> = {
  KEYWORD: 10,
  KEYWORD_LIST: 3,
  INT: 3,
  DOUBLE: 3,
  BOOL: 3,
  DATETIME: 3,
  TEXT: 3,
};

/** How often the services re-read namespaces (and with them SQL visibility's custom search attributes): v1.32's default. */
const NAMESPACE_REFRESH_MS = 2000;

export interface TemporalRolePorts {
  grpc: number;
  membership: number;
  metrics: number;
}

export interface TemporalClusterPorts {
  host: string;
  /** The frontend's HTTP API (grpc-gateway), for clients that speak HTTP. */
  frontendHttp: number;
  roles: Record<TemporalRole, TemporalRolePorts>;
}

/** Every port of the four services, derived from the frontend's address (the scheme at the top of this file). */
export function temporalClusterPorts(frontendAddress: string): TemporalClusterPorts {
  const { host, port } = splitHostPort(frontendAddress);
  if (port + 23 > 65535) throw new StackError(`Temporal frontend port ${port} too high: the cluster's services use ports up to ${port}+23`);
  const roles = Object.fromEntries(
    TEMPORAL_ROLES.map((role, i) => [role, { grpc: port + i, membership: port + 10 + i, metrics: port + 20 + i }]),
  ) as Record<TemporalRole, TemporalRolePorts>;
  return { host, frontendHttp: port + 4, roles };
}

/** `host:port` of each service's Prometheus metrics (path /metrics), for the stack's Prometheus to scrape. */
export function temporalMetricsTargets(frontendAddress: string): string[] {
  const { host, roles } = temporalClusterPorts(frontendAddress);
  return TEMPORAL_ROLES.map((role) => `${host}:${roles[role].metrics}`);
}

/** Where the server's binaries are installed (shared by every stack) and where a stack keeps its Temporal and PostgreSQL state. */
export function temporalClusterPaths(p: StackPaths) {
  const binDir = path.join(p.root, 'temporal-server', 'bin');
  const dir = path.join(p.state, 'temporal-server');
  const pgDir = path.join(p.state, 'postgres');
  return {
    binDir,
    serverBin: path.join(binDir, 'server'),
    sqlBin: path.join(binDir, 'sql'),
    dir,
    configFile: path.join(dir, 'temporal.yaml'),
    dynamicConfigFile: path.join(dir, 'dynamicconfig.yaml'),
    schemaLog: path.join(p.logDir, 'temporal-schema.log'),
    pgDir,
    pgData: path.join(pgDir, 'data'),
    pgSocketDir: path.join(pgDir, 'socket'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Install

/**
 * Temporal's server and its SQL schema tool (`sql`), built by `go install` from the Go module proxy into
 * <stack dir>/temporal-server/bin (a few minutes, once; cached behind a marker naming the version).
 */
export function installTemporalServer(p: StackPaths): Promise<InstallReport> {
  const { binDir } = temporalClusterPaths(p);
  return timed(`temporal server ${TEMPORAL_SERVER_VERSION} (go install)`, () =>
    goInstall(GO_PACKAGES, binDir, path.join(p.logDir, 'install.log')),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

interface PostgresInstall {
  binDir: string;
  major: number;
}

let foundPostgres: PostgresInstall | undefined;

/** PostgreSQL's server binaries: Debian's newest /usr/lib/postgresql/<n>/bin, else `pg_config --bindir`, else PATH's. */
function postgresInstall(): PostgresInstall {
  foundPostgres ??= findPostgres();
  return foundPostgres;
}

function findPostgres(): PostgresInstall {
  const candidates: string[] = [];
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian))
    candidates.push(
      ...fs
        .readdirSync(debian)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => path.join(debian, v, 'bin')),
    );
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const onPath = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) candidates.push(path.dirname(onPath));
  for (const binDir of candidates) {
    if (!fs.existsSync(path.join(binDir, 'postgres')) || !fs.existsSync(path.join(binDir, 'initdb'))) continue;
    const version = spawnSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout ?? '';
    const major = Number(/\(PostgreSQL\) (\d+)/.exec(version)?.[1] ?? 0);
    if (major < 12) throw new StackError(`PostgreSQL ${major || '?'} found in ${binDir}; Temporal needs 12 or newer — install a newer one`);
    return { binDir, major };
  }
  throw new StackError(
    'the cluster topology runs Temporal on PostgreSQL, and PostgreSQL is not installed: `apt-get install postgresql` (Debian), or put its bin directory (postgres, initdb, pg_isready) on PATH',
  );
}

let postgresIds: { uid: number; gid: number } | undefined;

/** PostgreSQL refuses to run as root: as root the stack runs it as the `postgres` user (its uid and gid). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  postgresIds ??= postgresUserIds();
  return postgresIds;
}

function postgresUserIds(): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0)
    throw new StackError(
      "PostgreSQL does not run as root, and there is no `postgres` user to run it as: create one (`useradd --system postgres`; Debian's postgresql package does) or run the stack as a non-root user",
    );
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** `bin args…` as the postgres user when we are root (setpriv drops to it and execs `bin`), else as is. */
function asPostgres(bin: string, args: string[]): { command: string; args: string[] } {
  if (postgresUser() === undefined) return { command: bin, args };
  return { command: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', bin, ...args] };
}

/** True when PostgreSQL on 127.0.0.1:port accepts connections (pg_isready exits 0). */
async function postgresAccepts(binDir: string, port: number): Promise<boolean> {
  const bin = fs.existsSync(path.join(binDir, 'pg_isready')) ? path.join(binDir, 'pg_isready') : 'pg_isready';
  try {
    await execFileP(bin, ['-q', '-h', '127.0.0.1', '-p', String(port), '-d', 'postgres', '-U', 'postgres', '-t', '2']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the postmaster (its command line is the script's arguments) and bounds how long the SIGTERM that stopping the
 * stack sends takes. On SIGTERM PostgreSQL shuts down "smart": it waits for every client to disconnect, which is right
 * when the stack stops Temporal's services at the same time (they finish their last writes, then go), but would last
 * until the stack's grace period ran out and it SIGKILLed the group if Temporal kept running; and its backends are not
 * in that group (each calls setsid). So after 5 s the script asks for a fast shutdown (SIGINT: sessions are ended, the
 * server checkpoints and exits). A SIGKILL to the group (a crash, `stackKill`) still kills the postmaster at once.
 */
const POSTGRES_STOP = [
  '"$@" &',
  'pg=$!',
  // The postmaster is our child: once it exits it stays a zombie until reaped, which `kill -0` would count as alive.
  'alive() { s=$(sed -n \'s/^.*) \\(.\\).*/\\1/p\' /proc/$pg/stat 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ]; }',
  'stop() { kill -TERM $pg 2>/dev/null; i=0; while alive && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; kill -INT $pg 2>/dev/null; }',
  'trap stop TERM INT',
  'while :; do wait $pg; status=$?; alive || break; done',
  'wait $pg 2>/dev/null; reaped=$?; [ $reaped -eq 127 ] || status=$reaped',
  'exit $status',
].join('\n');

/**
 * After a crash (a SIGKILL to the stack's process group: the postmaster) PostgreSQL refuses to start while the pid in
 * its lock file still exists (until the orphaned postmaster is reaped) or a backend still holds its shared memory
 * (backends leave the group, and exit once they notice the postmaster is gone): a start right after the kill would
 * fail. Waits, up to 20 s, for both; then PostgreSQL decides.
 */
async function awaitStalePostmaster(dataDir: string): Promise<void> {
  let lock: string[];
  try {
    lock = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return; // shut down cleanly
  }
  const pid = Number(lock[0]);
  const shmid = Number(lock[6]?.trim().split(/\s+/)[1]);
  const attached = () => {
    try {
      const row = fs
        .readFileSync('/proc/sysvipc/shm', 'utf8')
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .find((cols) => Number(cols[1]) === shmid);
      return Number(row?.[6] ?? 0) > 0; // nattch
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && ((pid > 0 && fs.existsSync(`/proc/${pid}`)) || (shmid > 0 && attached()))) await sleep(100);
}

/**
 * PostgreSQL for Temporal: a cluster of its own in <state>/postgres/data (initdb once, trust on loopback, the
 * `temporal` role), listening on 127.0.0.1:port and on a socket in <state>/postgres/socket.
 */
export function postgresService(p: StackPaths, port = 5432): Service {
  const host = '127.0.0.1';
  const paths = temporalClusterPaths(p);
  const logFile = path.join(p.logDir, 'postgres.log');
  const roleMarker = path.join(paths.pgDir, 'role-created');
  return {
    name: 'postgres',
    ports: [{ host, port }],
    describe: `PostgreSQL ${host}:${port} (Temporal's persistence and visibility; data ${paths.pgData})`,
    startTimeoutMs: 60_000,
    async prepare() {
      const { binDir } = postgresInstall();
      const user = postgresUser();
      for (const dir of [paths.pgDir, paths.pgData, paths.pgSocketDir]) fs.mkdirSync(dir, { recursive: true });
      if (user) {
        fs.chownSync(paths.pgData, user.uid, user.gid);
        fs.chownSync(paths.pgSocketDir, user.uid, user.gid);
      }
      fs.chmodSync(paths.pgData, 0o700);
      if (!fs.existsSync(path.join(paths.pgData, 'PG_VERSION'))) {
        fs.rmSync(roleMarker, { force: true });
        const initdb = asPostgres(path.join(binDir, 'initdb'), [
          '-D',
          paths.pgData,
          '-U',
          'postgres',
          '--auth=trust',
          '--encoding=UTF8',
          '--no-locale',
        ]);
        await run(initdb.command, initdb.args, logFile);
      }
      if (fs.existsSync(roleMarker)) return awaitStalePostmaster(paths.pgData);
      // The role Temporal connects as, made in single-user mode (the server is not running): it creates its own databases.
      const single = asPostgres(path.join(binDir, 'postgres'), ['--single', '-D', paths.pgData, 'postgres']);
      await run(
        single.command,
        single.args,
        logFile,
        undefined,
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${PG_USER}') THEN ` +
          `CREATE ROLE ${PG_USER} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}'; END IF; END $$;\n`,
      );
      fs.writeFileSync(roleMarker, PG_USER);
    },
    spec: () => {
      const { binDir } = postgresInstall();
      const postgres = [
        path.join(binDir, 'postgres'),
        '-D',
        paths.pgData,
        '-p',
        String(port),
        '-c',
        `listen_addresses=${host}`,
        '-c',
        `unix_socket_directories=${paths.pgSocketDir}`,
        // Four Temporal processes, each with pools of up to 10 + 4 connections (temporalConfig), and psql besides.
        '-c',
        'max_connections=150',
      ];
      const cmd = asPostgres('sh', ['-c', POSTGRES_STOP, 'postgres-stop', ...postgres]);
      // The wrapper's command line carries the postmaster's: the data directory and port mark it.
      return { name: 'postgres', command: cmd.command, args: cmd.args, cwd: paths.pgDir, marker: `-D ${paths.pgData} -p ${port}` };
    },
    isReady: () => postgresAccepts(postgresInstall().binDir, port),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Temporal

export interface TemporalClusterOptions {
  /** The frontend's gRPC address, host:port (TEMPORAL_ADDRESS); the other ports follow from it. */
  address: string;
  /** The namespace to create (1 day retention) and register the search attributes in. */
  namespace?: string;
  /** PostgreSQL's port on 127.0.0.1. */
  postgresPort?: number;
  /** The servers' log level (warn: start-up and errors only; info logs every shard movement). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

const METRICS_ENV = 'STREAMFORGE_TEMPORAL_METRICS_ADDRESS';

/**
 * The servers' configuration: one file for all four services. It is a template (the `# enable-template` line): each
 * process gets its own metrics address from METRICS_ENV, as v1.32's config has one metrics section for the process.
 */
export function temporalConfig(p: StackPaths, opts: TemporalClusterOptions): string {
  const { host, port } = splitHostPort(opts.address);
  const ports = temporalClusterPorts(opts.address);
  const paths = temporalClusterPaths(p);
  const pgAddress = `127.0.0.1:${opts.postgresPort ?? 5432}`;
  const sql = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: pgAddress,
      connectProtocol: 'tcp',
      user: PG_USER,
      password: PG_PASSWORD,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const config = {
    log: { stdout: true, level: opts.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': sql(DATABASES.temporal, 10), 'postgres-visibility': sql(DATABASES.visibility, 4) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: host },
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `{{ env "${METRICS_ENV}" | default "${host}:${ports.roles.frontend.metrics}" }}`,
        },
      },
    },
    services: Object.fromEntries(
      TEMPORAL_ROLES.map((role) => [
        role,
        {
          rpc: {
            grpcPort: ports.roles[role].grpc,
            membershipPort: ports.roles[role].membership,
            bindOnIP: host,
            ...(role === 'frontend' ? { httpPort: ports.frontendHttp } : {}),
          },
        },
      ]),
    ),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${host}:${port}`,
          httpAddress: `${host}:${ports.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: paths.dynamicConfigFile, pollInterval: '10s' },
  };
  return `# enable-template\n# Written by the stack (scripts/stack/temporal-cluster.ts): Temporal ${TEMPORAL_SERVER_VERSION}, its four services on PostgreSQL.\n${stringify(config, { lineWidth: 0 })}`;
}

/** Dynamic configuration: the stack's (temporal-server.ts), and what the dev server has on by default. */
export function temporalDynamicConfig(): string {
  const values: Record<string, unknown> = {
    ...STACK_DYNAMIC_CONFIG,
    // A start that asks for it gets its first workflow task in the answer (the REST trigger's /process runs).
    'system.enableEagerWorkflowStart': true,
    'frontend.enableUpdateWorkflowExecution': true,
  };
  return stringify(Object.fromEntries(Object.entries(values).map(([key, value]) => [key, [{ value }]])));
}

function writeIfChanged(file: string, text: string): void {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

/** The schema tool against our PostgreSQL, as Temporal's role. */
function sqlTool(sqlBin: string, postgresPort: number, database: string, args: string[], logFile: string): Promise<void> {
  return run(
    sqlBin,
    [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '--port',
      String(postgresPort),
      '--user',
      PG_USER,
      '--password',
      PG_PASSWORD,
      '--db',
      database,
      ...args,
    ],
    logFile,
  );
}

/**
 * Creates both databases and brings their schemas to the version the server expects: create-database (a no-op on an
 * existing one), setup-schema -v 0.0 (versioning tables only, skipped past 0.0), update-schema from the tool's
 * embedded postgresql/v12 schemas (a no-op when current). Idempotent: runs before every start, ~0.3 s when current.
 */
async function setupSchemas(sqlBin: string, postgresPort: number, logFile: string): Promise<void> {
  await Promise.all(
    (Object.keys(DATABASES) as (keyof typeof DATABASES)[]).map(async (kind) => {
      const db = DATABASES[kind];
      await sqlTool(sqlBin, postgresPort, db, ['create-database'], logFile);
      await sqlTool(sqlBin, postgresPort, db, ['setup-schema', '-v', '0.0'], logFile);
      await sqlTool(sqlBin, postgresPort, db, ['update-schema', '--schema-name', `postgresql/v12/${kind}`], logFile);
    }),
  );
}

/** Fails naming the type when our search attributes do not fit SQL visibility's columns. */
export function checkSearchAttributeCapacity(keys: readonly { name: string; type: SearchAttributeType }[] = SEARCH_ATTRIBUTE_KEYS): void {
  const byType = new Map<SearchAttributeType, string[]>();
  for (const k of keys) byType.set(k.type, [...(byType.get(k.type) ?? []), k.name]);
  for (const [type, names] of byType) {
    if (names.length > SQL_VISIBILITY_CAPACITY[type])
      throw new StackError(
        `${names.length} custom search attributes of type ${type} (${names.join(', ')}), SQL visibility holds ${SQL_VISIBILITY_CAPACITY[type]}`,
      );
  }
}

/** Resolves when `check` does; fails after `timeoutMs` with `what`. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new StackError(`${what} after ${timeoutMs / 1000}s`);
    await sleep(500);
  }
}

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * On a frontend that answers: the namespace (1 day retention) when it is missing, and our search attributes where
 * they are missing. With SQL visibility they belong to the namespace (each mapped to a column): after adding any it
 * waits for the services' namespace caches to see them, so a workflow that sets one at once is not refused.
 * True when it created or added something.
 */
export async function ensureNamespaceAndSearchAttributes(address: string, namespace: string): Promise<boolean> {
  checkSearchAttributeCapacity();
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    let changed = false;
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (err) {
      if (grpcCode(err) !== 5) throw err; // NOT_FOUND
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      } catch (e) {
        if (grpcCode(e) !== 6) throw e; // ALREADY_EXISTS: another `up` made it meanwhile
      }
      changed = true;
    }
    // A namespace made a moment ago may be missing from the frontend's cache for a moment (NOT_FOUND): retried.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if (!(await addMissingSearchAttributes(connection, namespace))) break;
        changed = true;
      } catch (err) {
        if (grpcCode(err) !== 5 || Date.now() > deadline) throw err;
        await sleep(500);
      }
    }
    if (changed) await sleep(2 * NAMESPACE_REFRESH_MS + 500);
    return changed;
  } finally {
    await connection.close();
  }
}

/**
 * Temporal's four services, each a process of `server start --service <role>`, named temporal-<role>. Before they
 * start (one preparation shared by those starting together), the config files are written and, once PostgreSQL
 * answers, the databases and their schemas made current. The frontend's `ensure` creates the namespace and registers
 * the search attributes. Append after postgresService: they wait for it (up to 2 minutes) rather than fail.
 */
export function temporalClusterServices(p: StackPaths, opts: TemporalClusterOptions): Service[] {
  const paths = temporalClusterPaths(p);
  const ports = temporalClusterPorts(opts.address);
  const postgresPort = opts.postgresPort ?? 5432;
  const namespace = opts.namespace ?? 'default';
  let prepared: Promise<void> | undefined;
  const prepareOnce = () => {
    prepared ??= (async () => {
      for (const bin of [paths.serverBin, paths.sqlBin])
        if (!fs.existsSync(bin))
          throw new StackError(`${bin} is missing — \`npm run stack -- up --topology cluster\` builds it (installTemporalServer)`);
      fs.mkdirSync(paths.dir, { recursive: true });
      // Running services re-read the dynamic config every 10 s: rewritten only when it changes.
      writeIfChanged(paths.dynamicConfigFile, temporalDynamicConfig());
      writeIfChanged(paths.configFile, temporalConfig(p, opts));
      const { binDir } = postgresInstall();
      await waitFor(
        `PostgreSQL on 127.0.0.1:${postgresPort} does not accept connections (\`npm run stack -- logs postgres\`)`,
        () => postgresAccepts(binDir, postgresPort),
        120_000,
      );
      await setupSchemas(paths.sqlBin, postgresPort, paths.schemaLog);
    })().finally(() => {
      prepared = undefined; // shared by the four starting together; a later restart of one prepares again
    });
    return prepared;
  };
  return TEMPORAL_ROLES.map((role): Service => {
    const { host } = ports;
    const own = ports.roles[role];
    const name = `temporal-${role}`;
    const args = ['--config-file', paths.configFile, '--allow-no-auth', 'start', '--service', role];
    return {
      name,
      ports: [own.grpc, own.membership, own.metrics, ...(role === 'frontend' ? [ports.frontendHttp] : [])].map((port) => ({ host, port })),
      describe:
        role === 'frontend'
          ? `Temporal ${TEMPORAL_SERVER_VERSION} frontend ${host}:${own.grpc} (HTTP ${ports.frontendHttp}, metrics ${own.metrics}) on PostgreSQL 127.0.0.1:${postgresPort}`
          : `Temporal ${TEMPORAL_SERVER_VERSION} ${role} ${host}:${own.grpc} (metrics ${own.metrics})`,
      // A cold history waits for its shards and then 5 s more before it reports SERVING.
      startTimeoutMs: 120_000,
      prepare: prepareOnce,
      spec: () => ({
        name,
        command: paths.serverBin,
        args,
        cwd: paths.dir,
        env: { [METRICS_ENV]: `${host}:${own.metrics}` },
        // The one config file with the role: unique to this stack's state dir and this service.
        marker: args.join(' '),
      }),
      isReady: () => healthServing(`${host}:${own.grpc}`, HEALTH_SERVICE[role]),
      // It waits until the services see what it added, so nothing needs a restart: false.
      ...(role === 'frontend'
        ? {
            ensure: async () => {
              await ensureNamespaceAndSearchAttributes(opts.address, namespace);
              return false;
            },
          }
        : {}),
    };
  });
}

/** The cluster topology's Temporal from the stack's configuration: PostgreSQL, then the four services. */
export function temporalCluster(config: Config, p: StackPaths): Service[] {
  const postgresPort = config.stackCluster.postgresPort;
  return [
    postgresService(p, postgresPort),
    ...temporalClusterServices(p, { address: config.temporal.address, namespace: config.temporal.namespace, postgresPort }),
  ];
}
