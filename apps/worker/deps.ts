// The worker's wiring: the concrete clients (Kafka, Spark Connect), the Spark job runner on top of them and the
// worker's metrics, created once per worker process and shared by every activity execution.
import type { ActivityDeps } from '../../activities/deps';
import type { Config } from '../../lib/config';
import { KafkaClient } from '../../lib/kafka';
import type { Logger } from '../../lib/logger';
import { SparkConnectClient } from '../../lib/spark-connect/client';
import { sparkAnalysis, type AnalyzeSql } from '../../spark/jobs/definition-check';
import { StreamingQueries } from '../../lib/spark-connect/streaming';
import { CoalescingScheduler, DEFAULT_COALESCING } from '../../spark/runtime/coalescing-scheduler';
import { SparkConnectExecutor } from '../../spark/runtime/connect-executor';
import { KafkaExecutionJournal } from '../../spark/runtime/execution-journal';
import { SparkStreamRunner } from '../../spark/runtime/stream-runner';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';

export interface WorkerDeps extends ActivityDeps {
  /** Spark's analysis of a query (its schema, or its error), for checking pipeline definitions. */
  analyze: AnalyzeSql;
  kafka: KafkaClient;
  metrics: WorkerMetrics;
  /** Whether Kafka and Spark answer now (they throw when not): the worker's readiness. */
  ping: { kafka(): Promise<void>; spark(): Promise<void> };
  /** Begins the drain: activities that only wait hand their step over. */
  drain(): void;
  /** Releases the clients. */
  close(): Promise<void>;
}

export function createWorkerDeps(config: Config, logger: Logger): WorkerDeps {
  const draining = new AbortController();
  const metrics = createWorkerMetrics();
  const kafka = new KafkaClient(config.kafka, logger);
  const sparkClient = new SparkConnectClient({
    url: config.spark.connectUrl,
    descriptorSetPath: config.spark.descriptorSetPath,
    sessionId: config.spark.sessionId,
    keepAliveMs: config.spark.sessionKeepAliveMs,
  });
  const executor = new SparkConnectExecutor(sparkClient, { kafkaBootstrapServers: config.spark.kafkaBootstrapServers });
  const spark = new CoalescingScheduler(
    executor,
    new KafkaExecutionJournal(kafka, config.kafka.executionsTopic, {
      skipped: (offset, reason) => {
        metrics.journalMessageSkipped();
        logger.warn(
          { topic: config.kafka.executionsTopic, partition: 0, offset, reason },
          'skipped a message in the executions journal that no worker wrote; only workers may write this topic',
        );
      },
    }),
    { ...DEFAULT_COALESCING, maxInFlight: config.spark.maxInFlight, gatherFactor: config.spark.gatherFactor },
    metrics,
  );
  metrics.queueDepthFrom(() => spark.queued);
  // Streams share the worker's Spark session: any worker finds a query another one started.
  const streams = new SparkStreamRunner(new StreamingQueries(sparkClient), kafka, {
    kafkaBootstrapServers: config.spark.kafkaBootstrapServers,
    checkpointDir: config.streams.checkpointDir,
  });
  return {
    config,
    logger,
    kafka,
    spark,
    sinks: executor,
    streams,
    sparkSql: sparkClient,
    analyze: sparkAnalysis(sparkClient),
    metrics,
    ping: { kafka: () => kafka.ping(), spark: () => sparkClient.reachable() },
    draining: draining.signal,
    drain: () => draining.abort(),
    async close() {
      await kafka.close();
      sparkClient.close();
    },
  };
}
