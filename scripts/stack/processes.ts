// Starting, finding and stopping the stack's background processes. Each process runs detached in its own
// process group, logs to .stack/logs/<name>.log and has a pid file; `down` only kills a pid whose command line
// still carries the marker it was started with, so a recycled pid is never touched.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** A string that appears in /proc/<pid>/cmdline of this process and of no unrelated one. */
  marker: string;
}

interface PidFile {
  pid: number;
  marker: string;
  startedAt: string;
}

export class StackError extends Error {
  override name = 'StackError';
}

export function pidFilePath(runDir: string, name: string): string {
  return path.join(runDir, `${name}.pid`);
}

export function logFilePath(logDir: string, name: string): string {
  return path.join(logDir, `${name}.log`);
}

function readCmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** The pid of our running process `name`, or undefined (a stale pid file is removed). */
export function runningPid(runDir: string, name: string): number | undefined {
  const file = pidFilePath(runDir, name);
  let info: PidFile;
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
  const cmdline = readCmdline(info.pid);
  if (cmdline?.includes(info.marker)) return info.pid;
  fs.rmSync(file, { force: true });
  return undefined;
}

export function startDetached(spec: ProcessSpec, runDir: string, logDir: string): number {
  fs.mkdirSync(runDir, { recursive: true });
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(spec.cwd, { recursive: true });
  const logFile = logFilePath(logDir, spec.name);
  fs.appendFileSync(logFile, `\n===== ${new Date().toISOString()} starting ${spec.name}: ${spec.command} ${spec.args.join(' ')}\n`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new StackError(`could not start ${spec.name}: ${spec.command} did not spawn`);
  child.unref();
  const info: PidFile = { pid: child.pid, marker: spec.marker, startedAt: new Date().toISOString() };
  fs.writeFileSync(pidFilePath(runDir, spec.name), JSON.stringify(info));
  return child.pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to a process group (or to the process alone if it has none). */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** SIGKILL to the process group, as a crash would (the chaos run); resolves once it is gone. False if not running. */
export async function killProcess(runDir: string, name: string): Promise<boolean> {
  const pid = runningPid(runDir, name);
  if (pid === undefined) return false;
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  fs.rmSync(pidFilePath(runDir, name), { force: true });
  return true;
}

/** SIGTERM to the process group, SIGKILL after the grace period. Returns false if it was not running. */
export async function stopProcess(runDir: string, name: string, graceMs = 15_000): Promise<boolean> {
  const pid = runningPid(runDir, name);
  if (pid === undefined) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(100);
  fs.rmSync(pidFilePath(runDir, name), { force: true });
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True if something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it resolves true; fails with the log tail if the process dies or time runs out. */
export async function waitUntilReady(
  name: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; pid: number; logFile: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (!isAlive(opts.pid)) {
      throw new StackError(`${name} exited during start-up; last lines of ${opts.logFile}:\n${tail(opts.logFile, 15)}`);
    }
    await sleep(250);
  }
  throw new StackError(`${name} not ready after ${opts.timeoutMs / 1000}s; see ${opts.logFile}:\n${tail(opts.logFile, 15)}`);
}

export function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log yet)';
  }
}
