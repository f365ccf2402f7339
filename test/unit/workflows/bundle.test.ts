// The workflow bundle holds workflow code and the contracts only: no SQL builder, no client, no Node built-in
// (the sandbox refuses them, and a workflow that imported them would not be deterministic).
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

describe('the workflow bundle', () => {
  it('contains only workflows/, contracts/ and the Temporal SDK and zod, and no Node built-in', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../../../workflows'), logger: quiet });
    const modules = [...new Set([...code.matchAll(/"\.\/([^"]+\.(?:ts|js))"/g)].map((m) => m[1]!))];
    const ours = modules.filter((m) => !m.startsWith('node_modules/') && m !== 'schemas.js');
    expect(ours.length).toBeGreaterThan(5);
    for (const m of ours) expect(m).toMatch(/^(workflows|contracts)\//);
    const packages = new Set(
      modules
        .filter((m) => m.startsWith('node_modules/'))
        .map((m) =>
          m
            .split('/')
            .slice(1, m.startsWith('node_modules/@') ? 3 : 2)
            .join('/'),
        ),
    );
    expect([...packages].sort()).toEqual(['@temporalio/common', '@temporalio/workflow', 'long', 'nexus-rpc', 'zod']);
    expect(code).not.toMatch(/require\("(node:[a-z/_]+|fs|path|crypto|buffer|child_process|net|os)"\)/);
  }, 60_000);
});
