// A real worker as a separate OS process (`apps/worker/main.ts`), so fault tests can SIGKILL it mid-run.
import { startAppProcess, type AppProcess } from '../../scripts/lib/app-process';

export type WorkerProcess = AppProcess;

export function startWorkerProcess(env: Record<string, string>, logFile: string): Promise<WorkerProcess> {
  return startAppProcess(env.TEMPORAL_WORKER_IDENTITY ?? 'worker', 'worker', env, logFile);
}
