// scripts/with-node.mjs runs the command on Node 24 or newer with the command's exit status.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/config';

const launcher = path.join(PROJECT_ROOT, 'scripts', 'with-node.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [launcher, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });

describe('with-node', () => {
  it('runs the command on Node 24 or newer', () => {
    const result = run('node', '-p', 'process.versions.node');
    expect(result.status).toBe(0);
    expect(Number(result.stdout.trim().split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it("exits with the command's status, and names a command that does not exist", () => {
    expect(run('node', '-e', 'process.exit(3)').status).toBe(3);
    const missing = run('no-such-command-here');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('with-node: no-such-command-here');
  });
});
