// Activities of the stack check: one real round trip through Kafka, one real query through Spark Connect.
import crypto from 'node:crypto';
import { activityLogger, type ActivityDeps } from './deps';

export const STACK_CHECK_TOPIC = 'streamforge.stack-check';

export interface KafkaRoundTripResult {
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

export interface SparkQueryResult {
  query: string;
  rows: Record<string, unknown>[];
  elapsedMs: number;
}

export function createStackCheckActivities({ kafka, sparkSql, logger }: ActivityDeps) {
  return {
    /** Produces one message and consumes it back by its offset. */
    async kafkaRoundTrip(payload: string): Promise<KafkaRoundTripResult> {
      const log = activityLogger(logger);
      await kafka.ensureTopic(STACK_CHECK_TOPIC, 1);
      const key = crypto.randomUUID();
      const [range] = await kafka.produce(STACK_CHECK_TOPIC, [{ key, value: payload, partition: 0 }]);
      if (!range) throw new Error(`Kafka returned no offset for the message written to ${STACK_CHECK_TOPIC}`);
      const [message] = await kafka.readRanges(STACK_CHECK_TOPIC, [range], { key });
      if (!message) throw new Error(`message ${key} written to ${STACK_CHECK_TOPIC}@${range.from} could not be read back`);
      log.info({ topic: STACK_CHECK_TOPIC, offset: message.offset }, 'kafka round trip');
      return { topic: STACK_CHECK_TOPIC, partition: message.partition, offset: message.offset, value: message.value };
    },

    /** Runs one SQL query on the Spark Connect server. */
    async sparkQuery(query: string): Promise<SparkQueryResult> {
      const log = activityLogger(logger);
      const t0 = Date.now();
      const rows = await sparkSql.sql(query);
      const elapsedMs = Date.now() - t0;
      log.info({ elapsedMs, rows: rows.length }, 'spark query');
      return { query, rows, elapsedMs };
    },
  };
}

export type StackCheckActivities = ReturnType<typeof createStackCheckActivities>;
