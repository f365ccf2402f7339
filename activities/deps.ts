// What activities need from the process that hosts them: config, a logger and the long-lived clients, created
// once per worker and shared by every activity execution.
import { Context } from '@temporalio/activity';
import type { Config } from '../lib/config';
import { KafkaClient } from '../lib/kafka';
import type { Logger } from '../lib/logger';
import { SparkConnectClient } from '../lib/spark-connect/client';
import type { SparkBackend } from '../spark/runtime/job-runner';
import { CoalescingSparkBackend, DEFAULT_COALESCING } from '../spark/runtime/coalescing-scheduler';
import { SparkConnectExecutor } from '../spark/runtime/connect-executor';
import { KafkaExecutionJournal } from '../spark/runtime/execution-journal';

export interface ActivityDeps {
  config: Config;
  logger: Logger;
  kafka: KafkaClient;
  /** The Spark side as the pipeline sees it. */
  sparkBackend: SparkBackend;
  /** Direct Spark Connect access, for the stack check only. */
  sparkClient: SparkConnectClient;
  /** Aborted when the worker begins to shut down: activities that only wait hand their step over at once. */
  draining: AbortSignal;
}

/** A child logger carrying the ids of the activity execution that is running now. */
export function activityLogger(logger: Logger): Logger {
  const info = Context.current().info;
  return logger.child({
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    activity: info.activityType,
    attempt: info.attempt,
  });
}

/** Creates the shared clients for one worker process; `close` releases them. */
export function createActivityDeps(config: Config, logger: Logger): ActivityDeps & { drain(): void; close(): Promise<void> } {
  const draining = new AbortController();
  const kafka = new KafkaClient(config.kafka, logger);
  const sparkClient = new SparkConnectClient({
    url: config.spark.connectUrl,
    descriptorSetPath: config.spark.descriptorSetPath,
    sessionId: config.spark.sessionId,
    keepAliveMs: config.spark.sessionKeepAliveMs,
  });
  const sparkBackend = new CoalescingSparkBackend(
    new SparkConnectExecutor(sparkClient, { kafkaBootstrapServers: config.spark.kafkaBootstrapServers }),
    new KafkaExecutionJournal(kafka, config.kafka.executionsTopic),
    { ...DEFAULT_COALESCING, maxInFlight: config.spark.maxInFlight },
  );
  return {
    config,
    logger,
    kafka,
    sparkBackend,
    sparkClient,
    draining: draining.signal,
    drain: () => draining.abort(),
    async close() {
      await kafka.close();
      sparkClient.close();
    },
  };
}
