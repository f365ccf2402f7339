// Temporal for tests: an ephemeral dev server started from the `temporal` binary the stack installed (the SDK's
// default would download one, which fails offline), and the workflow bundle built once per test file.
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { SEARCH_ATTRIBUTE_KEYS } from '../../contracts/search-attributes';
import { createWorkerMetrics } from '../../apps/worker/metrics';
import { loadConfig } from '../../lib/config';
import { stackPaths } from '../../scripts/stack/paths';

export async function createTestEnv(): Promise<TestWorkflowEnvironment> {
  const temporalBin = stackPaths(loadConfig()).temporalBin;
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBin },
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    },
  });
}

let bundle: Promise<WorkflowBundle> | undefined;

export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../../workflows'), logger: quietBundlerLogger });
  return bundle;
}

const noop = () => undefined;
/** A bundler logger that says nothing (webpack's report on every test file is noise). */
export const quietBundlerLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export interface TestWorker {
  /** Shuts the worker down and waits until it has stopped. */
  stop(): Promise<void>;
}

/** A worker of the real workflows with the given activities on `taskQueue`, running until `stop`. */
export async function startTestWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: object): Promise<TestWorker> {
  // The workers' metrics sink, as the worker process registers it (the pipeline workflow reports its runs to it).
  const { sinks } = createWorkerMetrics();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    sinks,
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/**
 * For a file of workflow-logic tests: one Temporal environment for the file, and a worker per test (`start`
 * replaces it; it is stopped after each test, so a test's fakes never serve the next test's tasks).
 */
export function workerPerTest(): { readonly env: TestWorkflowEnvironment; start(taskQueue: string, activities: object): Promise<void> } {
  let env: TestWorkflowEnvironment | undefined;
  let worker: TestWorker | undefined;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => {
    await env?.teardown();
  });
  return {
    get env() {
      if (!env) throw new Error('the Temporal test environment is not up yet (use it inside a test)');
      return env;
    },
    async start(taskQueue, activities) {
      worker = await startTestWorker(this.env, taskQueue, activities);
    },
  };
}
