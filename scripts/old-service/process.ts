// Installing (on demand, from PyPI into the stack's venv), starting and stopping the old Flask service's
// reconstruction (scripts/old-service/app.py, docs/old-service.md): a detached process of the stack's kind, with a
// pid file in the stack's run dir and its log in the stack's log dir, ready once GET /healthz answers.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../../lib/config';
import type { StackPaths } from '../stack/paths';
import { ensurePipRequirements } from '../stack/pip-requirements';
import { isPortOpen, logFilePath, runningPid, startDetached, StackError, stopProcess, waitUntilReady } from '../stack/processes';
import { sparkHome } from '../stack/services';

export const OLD_SERVICE = 'old-service';
const HERE = path.join(PROJECT_ROOT, 'scripts', 'old-service');
export const OLD_SERVICE_APP = path.join(HERE, 'app.py');
export const OLD_SERVICE_REQUIREMENTS = path.join(HERE, 'requirements.txt');
/** JVM start, session creation and three warm-up requests, on a busy 2-core machine. */
const START_TIMEOUT_MS = 180_000;

export interface OldService {
  url: string;
  pid: number;
  logFile: string;
}

/** Flask and kafka-python into the stack's venv (pyspark is the stack's own). True when it installed. */
export function installOldService(p: StackPaths): Promise<boolean> {
  return ensurePipRequirements({
    name: OLD_SERVICE,
    venvDir: p.venvDir,
    requirementsFile: OLD_SERVICE_REQUIREMENTS,
    probe: path.join(p.venvDir, 'bin', 'flask'),
    logFile: path.join(p.logDir, 'install.log'),
  });
}

async function isHealthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
  return res.ok;
}

/** Starts the old service (installing it first if needed) and resolves once it is ready. */
export async function startOldService(config: Config, p: StackPaths): Promise<OldService> {
  await installOldService(p);
  const port = config.oldServicePort;
  const url = `http://127.0.0.1:${port}`;
  const logFile = logFilePath(p.logDir, OLD_SERVICE);
  if (runningPid(p.runDir, OLD_SERVICE) !== undefined)
    throw new StackError(`the old service is already running (pid file in ${p.runDir}) — stop it first: its load run must start it fresh`);
  if (await isPortOpen('127.0.0.1', port))
    throw new StackError(`port 127.0.0.1:${port} (the old service) is in use by another process — stop it, or set OLD_SERVICE_PORT`);
  const jars = fs
    .readdirSync(p.sparkJarDir)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => path.join(p.sparkJarDir, f));
  if (jars.length === 0) throw new StackError(`no Kafka connector jars in ${p.sparkJarDir} — run \`npm run stack -- up\` to install them`);
  const workDir = path.join(p.state, OLD_SERVICE);
  const pid = startDetached(
    {
      name: OLD_SERVICE,
      command: path.join(p.venvDir, 'bin', 'python'),
      // The port on the command line is the marker: it names this one process among any other old services.
      args: [OLD_SERVICE_APP, `--port=${port}`],
      cwd: workDir,
      env: {
        OLD_SERVICE_PORT: String(port),
        KAFKA_BROKERS: config.kafka.brokers.join(','),
        OLD_SERVICE_SPARK_JARS: jars.join(','),
        SPARK_HOME: sparkHome(p),
        SPARK_LOCAL_IP: '127.0.0.1',
        PYTHONUNBUFFERED: '1',
      },
      marker: `${OLD_SERVICE_APP} --port=${port}`,
    },
    p.runDir,
    p.logDir,
  );
  await waitUntilReady(OLD_SERVICE, () => isHealthy(url), { timeoutMs: START_TIMEOUT_MS, pid, logFile });
  return { url, pid, logFile };
}

/** Stops the old service if it runs (SIGTERM to its group: Flask, and Spark's JVM with it). */
export function stopOldService(p: StackPaths): Promise<boolean> {
  return stopProcess(p.runDir, OLD_SERVICE);
}
