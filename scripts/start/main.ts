// `npm start`: brings the local stack up, starts a worker, checks the stack in one line, then runs the real
// pipeline over data/emp_data.json and prints its analysis. Then the worker and the REST trigger (port 5000) keep
// serving until Ctrl-C; `npm start -- --once` exits after the run. The stack itself keeps running:
// `npm run stack -- down` stops it.
import path from 'node:path';
import { Client } from '@temporalio/client';
import { startRestServer } from '../../apps/rest/main';
import { startWorker } from '../../apps/worker/main';
import type { JobName } from '../../contracts/jobs';
import type { PipelineInput } from '../../contracts/pipeline-input';
import { runStartAttributes } from '../../contracts/search-attributes';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { pipelineWorkflow, stackCheckWorkflow } from '../../workflows';
import { formatNumber, formatRunReport } from '../lib/text-table';
import { stackUp } from '../stack/stack';

const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const config = loadConfig();
  const logFile = path.join(config.stackDir, 'logs', 'worker.log');
  const logger = createLogger(config.logLevel, 'streamforge-worker', logFile);

  say('Starting the local stack (first run installs Temporal, Kafka and Spark into .stack/; later runs reuse them)…');
  const t0 = Date.now();
  const up = await stackUp(config);
  for (const s of up.services) {
    const warmed = s.warmSeconds === undefined ? '' : `, of which warming up ${s.warmSeconds.toFixed(1)}s`;
    say(`  ${s.name.padEnd(9)} ${s.started ? `started in ${s.seconds.toFixed(1)}s${warmed}` : 'already running'}`);
  }
  say(`Stack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s.`);

  const worker = await startWorker(config, logger, { shutdownSignals: [] });
  say(`Worker serving task queue "${config.temporal.taskQueue}" (logs: ${logFile}).`);

  // The worker's own connection: the runs below start eagerly, their first workflow task straight to this worker.
  const client = new Client({ connection: worker.connection, namespace: config.temporal.namespace });
  const runUrl = (workflowId: string, runId: string) =>
    `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${workflowId}/${runId}/history`;
  const stamp = Date.now();

  // One line proving Temporal, Kafka and Spark are wired together before the real run.
  const check = await client.workflow.execute(stackCheckWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `stack-check-${stamp}`,
    args: [{ message: `hello from npm start at ${new Date(stamp).toISOString()}` }],
  });
  const sparkRow = check.spark.rows[0] ?? {};
  const sparkVersion = String(sparkRow.spark_version).split(' ').slice(0, 2).join(' '); // "spark 4.2.0 <commit>"
  say(
    `Stack check: Temporal ran the workflow, Kafka round-tripped ${check.kafka.topic}[${check.kafka.partition}]@${check.kafka.offset}, ` +
      `${sparkVersion} summed 1..1000 = ${formatNumber(Number(sparkRow.total))} in ${check.spark.elapsedMs} ms.`,
  );

  const jobs: JobName[] = ['count_gender', 'count_month', 'final_analysis'];
  const input: PipelineInput = { file: 'emp_data.json', jobs }; // relative to the data directory
  const workflowId = `pipeline-start-${stamp}`;
  say();
  say(`Running pipelineWorkflow ${workflowId} over data/${input.file} (jobs: ${jobs.join(', ')})…`);
  const handle = await client.workflow.start(pipelineWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [input],
    typedSearchAttributes: runStartAttributes(input),
    requestEagerStart: true,
  });
  const result = await handle.result();
  say(`Done: ${formatNumber(result.recordCount ?? 0)} records through Kafka and Spark in ${formatNumber(result.timings.totalMs)} ms.`);
  say();
  say(formatRunReport(result, { runUrl: runUrl(workflowId, handle.firstExecutionRunId) }));
  say();

  if (once) {
    await worker.shutdown();
    return;
  }
  const rest = await startRestServer(config, logger, { beside: worker.connection });
  say(`REST trigger on ${rest.url} (OpenAPI: ${rest.url}/docs). Try:`);
  say(
    `  curl -s -X POST ${rest.url}/process -H 'content-type: application/json' ` +
      `-d '[{"id": 1, "gender": "M", "salary": 5000}, {"id": 2, "gender": "F", "salary": 7000, "birth_date": "1990-03-04"}]'`,
  );
  say('Worker and REST trigger keep running (and serve `temporal workflow start …`, see README). Ctrl-C stops them;');
  say('`npm run stack -- down` stops the stack.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  say('Draining the REST trigger and stopping the worker…');
  await rest.close();
  await worker.shutdown();
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`start: ${err.message}\n`);
    process.exit(1);
  },
);
