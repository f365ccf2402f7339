// What activities need from the process that hosts them: config, a logger and the long-lived clients, created
// once per worker and shared by every activity execution.
import { Context } from '@temporalio/activity';
import type { Config } from '../lib/config';
import type { KafkaClient } from '../lib/kafka';
import type { Logger } from '../lib/logger';
import type { SparkConnectClient } from '../lib/spark-connect/client';

export interface ActivityDeps {
  config: Config;
  logger: Logger;
  kafka: KafkaClient;
  spark: SparkConnectClient;
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
