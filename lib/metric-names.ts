// The Prometheus metric names the worker serves, in one place: the code that registers them and the dashboards and
// alerts in k8s/ (checked by test/unit/k8s/observability.test.ts) must agree on every name.

/** Steps of a pipeline run, the `step` label of `pipelineStepDuration`. */
export const PIPELINE_STEPS = ['ingest', 'submit', 'poll', 'collect'] as const;

/** What a worker depends on, the `dependency` label of `dependencyUp`. */
export const WORKER_DEPENDENCIES = ['temporal', 'kafka', 'spark'] as const;

/** The worker's own metrics, served on WORKER_METRICS_PORT (config.worker.metricsPort) at /metrics. */
export const WORKER_METRIC_NAMES = {
  /** Counter, label `spark_job` (not `job`: Prometheus' own label). */
  pipelineRunsStarted: 'streamforge_pipeline_runs_started_total',
  /** Counter, label `spark_job` (not `job`: Prometheus' own label). */
  pipelineRunsCompleted: 'streamforge_pipeline_runs_completed_total',
  /** Counter, label `spark_job` (not `job`: Prometheus' own label). */
  pipelineRunsFailed: 'streamforge_pipeline_runs_failed_total',
  /** Histogram in seconds, label `step` (PIPELINE_STEPS). */
  pipelineStepDuration: 'streamforge_pipeline_step_duration_seconds',
  /** Counter, label `spark_job`: Spark executions started (one may serve several coalesced runs). */
  sparkExecutions: 'streamforge_spark_executions_total',
  /** Histogram: runs served by one Spark execution. */
  sparkExecutionRuns: 'streamforge_spark_execution_runs',
  /** Counter: records the worker wrote to Kafka. */
  kafkaRecordsWritten: 'streamforge_kafka_records_written_total',
  /** Gauge: runs waiting to join the next Spark execution. */
  coalescingQueueDepth: 'streamforge_coalescing_queue_depth',
  /** Counter: messages in the executions journal the journal did not write (spark/runtime/execution-journal.ts), skipped. */
  journalMessagesSkipped: 'streamforge_journal_messages_skipped_total',
  /** Gauge, label `dependency` (WORKER_DEPENDENCIES): 1 when the worker reaches it, else 0. */
  dependencyUp: 'streamforge_worker_dependency_up',
} as const;

/** Of the worker's metrics, the histograms: Prometheus serves each as `_bucket`, `_sum` and `_count` series. */
export const WORKER_HISTOGRAMS: readonly string[] = [WORKER_METRIC_NAMES.pipelineStepDuration, WORKER_METRIC_NAMES.sparkExecutionRuns];

/**
 * Metrics of the Temporal SDK's own Prometheus exporter (TEMPORAL_METRICS_PORT, config.worker.sdkMetricsPort) that
 * k8s/ uses, as the exporter names them by default: prefix `temporal_`, counters without a `_total` suffix, durations
 * in milliseconds without a unit suffix (the defaults of the runtime's `telemetryOptions.metrics.prometheus`).
 */
export const TEMPORAL_SDK_METRIC_NAMES = {
  workflowCompleted: 'temporal_workflow_completed',
  workflowFailed: 'temporal_workflow_failed',
  activityExecutionFailed: 'temporal_activity_execution_failed',
  /** Histogram in milliseconds: how long activity tasks waited in the task queue (its backlog, as time). */
  activityScheduleToStartLatency: 'temporal_activity_schedule_to_start_latency',
  /** Histogram in milliseconds: how long workflow tasks waited in the task queue. */
  workflowTaskScheduleToStartLatency: 'temporal_workflow_task_schedule_to_start_latency',
  /** Gauge, label `worker_type` (WorkflowWorker, ActivityWorker, LocalActivityWorker): free task slots of a worker. */
  workerTaskSlotsAvailable: 'temporal_worker_task_slots_available',
} as const;

export const TEMPORAL_SDK_HISTOGRAMS: readonly string[] = [
  TEMPORAL_SDK_METRIC_NAMES.activityScheduleToStartLatency,
  TEMPORAL_SDK_METRIC_NAMES.workflowTaskScheduleToStartLatency,
];
