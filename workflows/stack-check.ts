// stackCheckWorkflow: proves every part of the stack works end to end from TypeScript — this workflow runs on
// the Temporal server, one activity round-trips a message through Kafka, another runs SQL on Spark Connect.
import { proxyActivities } from '@temporalio/workflow';
import type { KafkaRoundTripResult, SparkQueryResult, StackCheckActivities } from '../activities/stack-check';

const { kafkaRoundTrip, sparkQuery } = proxyActivities<StackCheckActivities>({
  startToCloseTimeout: '30s',
  // A stack that is still starting is worth a few quick retries; a stack that is down should fail within a minute.
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
});

export interface StackCheckInput {
  /** Text written to Kafka and read back. */
  message?: string;
}

export interface StackCheckResult {
  kafka: KafkaRoundTripResult;
  spark: SparkQueryResult;
}

export const STACK_CHECK_SQL = "SELECT 'spark ' || version() AS spark_version, count(*) AS numbers, sum(id) AS total FROM range(1, 1001)";

export async function stackCheckWorkflow(input: StackCheckInput = {}): Promise<StackCheckResult> {
  const [kafka, spark] = await Promise.all([kafkaRoundTrip(input.message ?? 'hello from streamforge'), sparkQuery(STACK_CHECK_SQL)]);
  return { kafka, spark };
}
