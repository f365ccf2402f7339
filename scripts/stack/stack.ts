// The local stack as a whole: `up` installs (cached) and starts every service that is not already running and
// healthy, `down` stops exactly the processes it started, `status` reports each one's health and memory.
import type { Config } from '../../lib/config';
import { groupRssMb } from '../lib/proc-usage';
import { installStack, type InstallReport } from './install';
import { stackPaths } from './paths';
import { isPortOpen, killProcess, logFilePath, runningPid, startDetached, StackError, stopProcess, waitUntilReady } from './processes';
import { stackServices, type Service } from './services';
import { installTemporalServer } from './temporal-cluster';
import { installTemporalUi } from './temporal-ui';

export interface ServiceStatus {
  name: string;
  describe: string;
  pid: number | undefined;
  ready: boolean;
  rssMb: number | undefined;
  logFile: string;
}

export interface UpReport {
  installs: InstallReport[];
  /** `warmSeconds`: warming after a fresh start (Spark), included in `seconds`. */
  services: { name: string; started: boolean; seconds: number; warmSeconds?: number }[];
}

async function bringUp(service: Service, runDir: string, logDir: string): Promise<{ started: boolean; seconds: number }> {
  const t0 = Date.now();
  const logFile = logFilePath(logDir, service.name);
  const existing = runningPid(runDir, service.name);
  if (existing !== undefined) {
    await waitUntilReady(service.name, () => service.isReady(), { timeoutMs: service.startTimeoutMs, pid: existing, logFile });
    return { started: false, seconds: (Date.now() - t0) / 1000 };
  }
  for (const { host, port } of service.ports) {
    if (await isPortOpen(host, port)) {
      throw new StackError(
        `port ${host}:${port} (${service.name}) is already in use by a process this stack did not start — stop it, or change the address in the environment (see README, "Configuration")`,
      );
    }
  }
  await service.prepare();
  const pid = startDetached(service.spec(), runDir, logDir);
  await waitUntilReady(service.name, () => service.isReady(), { timeoutMs: service.startTimeoutMs, pid, logFile });
  return { started: true, seconds: (Date.now() - t0) / 1000 };
}

export async function stackUp(config: Config): Promise<UpReport> {
  const p = stackPaths(config);
  const installs = await installStack(p);
  // The cluster's Temporal is built from source, once (a few minutes), with its Web UI.
  if (config.stackTopology === 'cluster') installs.push(await installTemporalServer(p), await installTemporalUi(p));
  const services = stackServices(config, p);
  const results = await Promise.allSettled(services.map((s) => bringUp(s, p.runDir, p.logDir)));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) throw new StackError(failures.map((e) => e.message).join('\n'));
  const report: UpReport['services'] = services.map((s, i) => ({
    name: s.name,
    ...(results[i] as PromiseFulfilledResult<{ started: boolean; seconds: number }>).value,
  }));
  for (const service of services) {
    if (!(await service.ensure?.())) continue;
    await stopProcess(p.runDir, service.name); // it sees what `ensure` changed only after a restart
    await bringUp(service, p.runDir, p.logDir);
  }
  // Warming needs every service (Spark reads from Kafka), so it runs once all are ready.
  for (const [i, service] of services.entries()) {
    if (!report[i]!.started || !service.warm) continue;
    const t0 = Date.now();
    // A failed warm-up leaves a working service that is slow at first: said, not fatal.
    await service.warm().catch((err: Error) => {
      process.stderr.write(
        `stack: ${service.name} started, but warming it up failed (${err.message}): its first runs will be slow; see ${logFilePath(p.logDir, service.name)}\n`,
      );
    });
    report[i]!.warmSeconds = (Date.now() - t0) / 1000;
    report[i]!.seconds += report[i]!.warmSeconds;
  }
  return { installs, services: report };
}

export async function stackDown(config: Config): Promise<string[]> {
  const p = stackPaths(config);
  const services = stackServices(config, p).reverse();
  const stopped = await Promise.all(services.map(async (s) => ((await stopProcess(p.runDir, s.name)) ? s.name : undefined)));
  return stopped.filter((n): n is string => n !== undefined);
}

/**
 * SIGKILLs a service, as a crash would; `stackUp` starts it again. `kafka` is every Kafka node (one, or each of a
 * cluster's); any other name is one service (`npm run stack -- status` lists them). False if none was running.
 */
export async function stackKill(config: Config, service: string): Promise<boolean> {
  const p = stackPaths(config);
  const names = stackServices(config, p)
    .map((s) => s.name)
    .filter((name) => name === service || (service === 'kafka' && name.startsWith('kafka-')));
  if (names.length === 0) throw new StackError(`no service "${service}" in this stack (${config.stackTopology} topology)`);
  const killed = await Promise.all(names.map((name) => killProcess(p.runDir, name)));
  return killed.some(Boolean);
}

export async function stackStatus(config: Config): Promise<ServiceStatus[]> {
  const p = stackPaths(config);
  return Promise.all(
    stackServices(config, p).map(async (s) => {
      const pid = runningPid(p.runDir, s.name);
      const ready = pid !== undefined && (await s.isReady().catch(() => false));
      return {
        name: s.name,
        describe: s.describe,
        pid,
        ready,
        rssMb: pid === undefined ? undefined : groupRssMb(pid),
        logFile: logFilePath(p.logDir, s.name),
      };
    }),
  );
}

export function stackLogFiles(config: Config): { name: string; file: string }[] {
  const p = stackPaths(config);
  return stackServices(config, p).map((s) => ({ name: s.name, file: logFilePath(p.logDir, s.name) }));
}
