// What activities need from the process that hosts them, as interfaces: config, a logger, Kafka topics and the
// Spark side. The worker process builds the concrete clients (apps/worker/deps.ts) and hands them in.
import { Context } from '@temporalio/activity';
import type { Config } from '../lib/config';
import type { KafkaTopics } from '../lib/kafka';
import type { Logger } from '../lib/logger';
import type { SectionSinks, SparkJobRunner } from '../spark/runtime/job-runner';
import type { StreamRunner } from '../spark/runtime/stream-runner';

/** One SQL query on Spark, its rows back: all the stack check asks of Spark. */
export interface SparkSql {
  sql(query: string): Promise<Record<string, unknown>[]>;
}

/** What activities count for the worker's /metrics. */
export interface ActivityMetrics {
  recordsWritten(count: number): void;
}

export interface ActivityDeps {
  config: Config;
  logger: Logger;
  kafka: KafkaTopics;
  /** The Spark side as the pipeline sees it. */
  spark: SparkJobRunner;
  /** Where definitions' sections are written besides a run's result (Parquet under the warehouse). */
  sinks: SectionSinks;
  /** The streams' Structured Streaming queries. */
  streams: StreamRunner;
  /** Plain queries, for the stack check only. */
  sparkSql: SparkSql;
  metrics: ActivityMetrics;
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
