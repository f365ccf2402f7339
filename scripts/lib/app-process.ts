// Our own processes (the worker, the REST trigger) started as separate OS processes, the way they run in
// production, so the chaos run and the fault tests can SIGKILL or SIGTERM them for real.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config';
import { groupRssMb } from './proc-usage';

export interface AppProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves when the process has exited (however it ended). */
  exited: Promise<void>;
  /** Sends the signal to the process group and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resident memory of the process group, MB (undefined once it exited). */
  rssMb(): number | undefined;
}

export const ENTRY_POINTS = {
  worker: 'apps/worker/main.ts',
  rest: 'apps/rest/main.ts',
  /** Temporal's floor for `npm run cost`: no-op activities (scripts/cost/floor-workflows.ts). */
  'floor-worker': 'scripts/cost/floor-worker.ts',
} as const;

/**
 * Starts `entry` under tsx with `env` on top of this process's environment, logging to `logFile`, and resolves once
 * a line of the log contains its ready line (the workers log "worker started", the REST trigger "REST trigger
 * listening"). Fails with the log's last lines if the process exits or is not ready within a minute.
 */
export async function startAppProcess(
  name: string,
  entry: keyof typeof ENTRY_POINTS,
  env: Record<string, string>,
  logFile: string,
): Promise<AppProcess> {
  const readyLine = entry === 'rest' ? '"REST trigger listening"' : '"worker started"';
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const offset = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const out = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(PROJECT_ROOT, ENTRY_POINTS[entry])],
    {
      cwd: PROJECT_ROOT,
      // Metrics endpoints off unless asked for: several of these processes share one machine.
      env: { ...process.env, LOG_LEVEL: 'info', WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', ...env },
      detached: true, // its own process group: a signal reaches tsx and the node process it runs
      stdio: ['ignore', out, out],
    },
  );
  fs.closeSync(out);
  let exitedNow = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exitedNow = true;
      resolve();
    }),
  );
  const deadline = Date.now() + 60_000;
  const logSince = () => fs.readFileSync(logFile, 'utf8').slice(offset);
  while (!logSince().includes(readyLine)) {
    if (exitedNow || Date.now() > deadline) {
      throw new Error(
        `${name} did not start (${exitedNow ? 'it exited' : 'not ready after 60 s'}); last lines of ${logFile}:\n${logSince().trimEnd().split('\n').slice(-10).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    name,
    pid,
    logFile,
    exited,
    async kill(signal) {
      try {
        process.kill(-pid, signal);
      } catch {
        /* already gone */
      }
      await exited;
    },
    rssMb: () => (exitedNow ? undefined : groupRssMb(pid)),
  };
}
