// `npm start`: brings the local stack up, starts a worker, runs the demo workflow and prints what it did.
// The worker then keeps serving (so the README's `temporal workflow start` lines work) until Ctrl-C;
// `npm start -- --once` exits after the demo. The stack itself keeps running: `npm run stack -- down` stops it.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startWorker } from '../workers/worker';
import { stackCheckWorkflow } from '../workflows';
import { stackUp } from './stack/stack';

const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const config = loadConfig();
  const logFile = path.join(config.stackDir, 'logs', 'worker.log');
  const logger = createLogger(config.logLevel, 'streamforge-worker', logFile);

  say('Starting the local stack (first run installs Temporal, Kafka and Spark into .stack/; later runs reuse them)…');
  const t0 = Date.now();
  const up = await stackUp(config);
  for (const s of up.services) say(`  ${s.name.padEnd(9)} ${s.started ? 'started' : 'already running'}`);
  say(`Stack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s.`);

  const worker = await startWorker(config, logger, { shutdownSignals: [] });
  say(`Worker serving task queue "${config.temporal.taskQueue}" (logs: ${logFile}).`);

  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const workflowId = `stack-check-${Date.now()}`;
  const handle = await client.workflow.start(stackCheckWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{ message: `hello from npm start at ${new Date().toISOString()}` }],
  });
  const result = await handle.result();
  const runUrl = `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${workflowId}/${handle.firstExecutionRunId}/history`;
  say();
  say(`Temporal  workflow stackCheckWorkflow ${workflowId} completed`);
  say(`Kafka     wrote and read back "${result.kafka.value}" at ${result.kafka.topic}[${result.kafka.partition}]@${result.kafka.offset}`);
  say(`Spark     ${result.spark.query}`);
  for (const row of result.spark.rows) say(`          → ${JSON.stringify(row)}  (${result.spark.elapsedMs} ms through Spark Connect)`);
  say();
  say(`Web UI: ${runUrl}`);
  await connection.close();

  if (once) {
    await worker.shutdown();
    return;
  }
  say('Worker keeps running for `temporal workflow start …` (see README). Ctrl-C stops it; `npm run stack -- down` stops the stack.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  say('Stopping the worker…');
  await worker.shutdown();
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`start: ${err.message}\n`);
    process.exit(1);
  },
);
