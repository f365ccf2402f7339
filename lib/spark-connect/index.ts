// Our Spark Connect client: the one entry point the rest of the code imports.
export { SparkConnectClient } from './client';
export type { SparkConnectClientOptions, ExecuteOptions, ExecuteProgress, ExecuteResult, Row, SchemaField } from './client';
export type { DataSource, OperationState, Plan, Relation } from './client';
export { isOperationGone, isSessionLost, SparkConnectError, type SparkConnectErrorKind } from './errors';
export {
  dataSourceRelation,
  dropDuplicatesWithinWatermark,
  observe,
  jsonFilesRelation,
  kafkaBatchRelation,
  kafkaStreamRelation,
  sqlOverRelations,
  sqlRelation,
  withWatermark,
  type KafkaBatchRead,
  type KafkaStreamRead,
  type SqlParameter,
} from './relations';
export {
  kafkaOffsets,
  observedMetric,
  progressRates,
  StreamingQueries,
  type StreamingQueryException,
  type StreamingQueryProgress,
  type StreamingQueryRef,
  type StreamingQueryStatus,
  type WriteStreamSpec,
} from './streaming';
