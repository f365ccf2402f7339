// A worker for Temporal's floor (scripts/cost/floor-workflows.ts), a process of its own so that `npm run cost`
// charges its CPU apart from the stack's: TEMPORAL_TASK_QUEUE names its queue. Its options are the product
// worker's where they change the cost of a run (apps/worker/main.ts); it logs "worker started" when it polls.
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { runShapingOptions } from '../../apps/worker/main';
import { PinoTemporalLogger } from '../../apps/worker/temporal-logger';
import { floorActivities } from './floor-activities';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'streamforge-floor-worker');
  Runtime.install({ logger: new PinoTemporalLogger(logger) });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('./floor-workflows'),
    activities: floorActivities,
    ...runShapingOptions(config),
  });
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker started');
  await worker.run();
  await connection.close();
}

main().catch((err: Error) => {
  process.stderr.write(`floor worker: ${err.stack}\n`);
  process.exit(1);
});
