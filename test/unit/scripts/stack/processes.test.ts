import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPortOpen, pidFilePath, runningPid, startDetached, stopProcess, waitUntilReady } from '../../../../scripts/stack/processes';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-test-'));
});
afterEach(async () => {
  await stopProcess(dir, 'sleeper', 1000);
  fs.rmSync(dir, { recursive: true, force: true });
});

const sleeper = () => ({ name: 'sleeper', command: 'sleep', args: ['30'], cwd: dir, marker: 'sleep 30' });

describe('stack processes', () => {
  it('starts a detached process with a pid file and a log, finds it, and stops it', async () => {
    const pid = startDetached(sleeper(), dir, dir);
    expect(runningPid(dir, 'sleeper')).toBe(pid);
    expect(fs.readFileSync(path.join(dir, 'sleeper.log'), 'utf8')).toContain('starting sleeper: sleep 30');
    expect(await stopProcess(dir, 'sleeper', 2000)).toBe(true);
    expect(runningPid(dir, 'sleeper')).toBeUndefined();
    expect(fs.existsSync(pidFilePath(dir, 'sleeper'))).toBe(false);
    expect(await stopProcess(dir, 'sleeper')).toBe(false);
  });

  it('never treats a pid whose command line lacks the marker as ours', async () => {
    fs.writeFileSync(pidFilePath(dir, 'sleeper'), JSON.stringify({ pid: process.pid, marker: 'not-in-our-cmdline-xyz', startedAt: '' }));
    expect(runningPid(dir, 'sleeper')).toBeUndefined();
    expect(await stopProcess(dir, 'sleeper')).toBe(false);
    expect(fs.existsSync(pidFilePath(dir, 'sleeper'))).toBe(false);
  });

  it('reports a process that dies during start-up with its log tail', async () => {
    const pid = startDetached(
      { name: 'sleeper', command: 'sh', args: ['-c', 'echo boom-before-ready; exit 3'], cwd: dir, marker: 'boom' },
      dir,
      dir,
    );
    await expect(
      waitUntilReady('sleeper', async () => false, { timeoutMs: 5000, pid, logFile: path.join(dir, 'sleeper.log') }),
    ).rejects.toThrow(/sleeper exited during start-up[\s\S]*boom-before-ready/);
  });

  it('tells open from closed ports', async () => {
    const net = await import('node:net');
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    expect(await isPortOpen('127.0.0.1', port)).toBe(true);
    server.close();
    await new Promise((r) => server.once('close', r));
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  });
});
