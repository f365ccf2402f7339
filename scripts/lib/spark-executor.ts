// A Spark Connect executor in a session of its own, for the tools that run Spark executions directly (the stack's
// warm-up, `npm run cost`): the workers' sessions are theirs to open. Kept alive like theirs: the first execution on
// a cold server can take longer than a short session timeout, and Spark would close the session under it.
import type { Config } from '../../lib/config';
import { SparkConnectClient } from '../../lib/spark-connect';
import { SparkConnectExecutor } from '../../spark/runtime/connect-executor';

export function ownSparkExecutor(config: Config): { client: SparkConnectClient; executor: SparkConnectExecutor } {
  const client = new SparkConnectClient({
    url: config.spark.connectUrl,
    descriptorSetPath: config.spark.descriptorSetPath,
    keepAliveMs: config.spark.sessionKeepAliveMs,
  });
  return { client, executor: new SparkConnectExecutor(client, { kafkaBootstrapServers: config.spark.kafkaBootstrapServers }) };
}
