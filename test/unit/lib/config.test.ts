import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, PROJECT_ROOT } from '../../../lib/config';

describe('loadConfig', () => {
  it('defaults to the local stack', () => {
    const config = loadConfig({});
    expect(config.temporal).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'streamforge',
      uiUrl: 'http://127.0.0.1:8233',
      workerIdentity: undefined,
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.spark.connectUrl).toBe('127.0.0.1:15002');
    expect(config.spark.descriptorSetPath).toBe(`${PROJECT_ROOT}/.stack/spark/spark-connect.desc`);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 5000, apiToken: undefined, tokensFile: undefined, allowUnauthenticated: false });
  });

  it('STACK_TOPOLOGY=cluster: three brokers, three replicas and state of its own, unless the environment says otherwise', () => {
    const cluster = loadConfig({ STACK_TOPOLOGY: 'cluster' });
    expect(cluster.stackTopology).toBe('cluster');
    expect(cluster.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9094', '127.0.0.1:9096']);
    expect(cluster.kafka.replicationFactor).toBe(3);
    expect(cluster.stackStateDir).toBe(`${PROJECT_ROOT}/.stack/cluster`);
    expect(cluster.stackCluster).toEqual({ sparkMasterPort: 7077, postgresPort: 5432, prometheusPort: 9090 });
    expect(cluster.temporal.address).toBe('127.0.0.1:7233');
    const given = loadConfig({ STACK_TOPOLOGY: 'cluster', KAFKA_BROKERS: 'h:1', STACK_STATE_DIR: '/s', POSTGRES_PORT: '6543' });
    expect(given.kafka.brokers).toEqual(['h:1']);
    expect(given.stackStateDir).toBe('/s');
    expect(given.stackCluster.postgresPort).toBe(6543);
    expect(loadConfig({}).stackTopology).toBe('single');
    expect(() => loadConfig({ STACK_TOPOLOGY: 'mesh' })).toThrow(/STACK_TOPOLOGY="mesh"/);
  });

  it('reads and splits values from the environment', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', PORT: '8080', TEMPORAL_TASK_QUEUE: 'q' });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.http.port).toBe(8080);
    expect(config.temporal.taskQueue).toBe('q');
  });

  it.each([
    ['TEMPORAL_ADDRESS', 'localhost', /TEMPORAL_ADDRESS="localhost": expected host:port/],
    ['PORT', 'eighty', /PORT="eighty"/],
    ['PORT', '70000', /PORT="70000"/],
    ['KAFKA_BROKERS', 'a:1,nope', /KAFKA_BROKERS/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud"/],
    ['API_TOKEN', 'short', /API_TOKEN.*16 characters/],
  ])('rejects %s=%s with an error naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});

describe('resources', () => {
  it('names the configured own topics, whatever they are called, and the client topics (CLIENT_TOPICS, default any)', () => {
    const config = loadConfig({ KAFKA_RECORDS_TOPIC: 'team.records', CLIENT_TOPICS: 'emp_data, team.*' });
    expect(config.resources).toEqual({
      internalTopics: ['team.records', 'streamforge.results', 'streamforge.spark-executions'],
      clientTopics: ['emp_data', 'team.*'],
    });
    expect(loadConfig({}).resources.clientTopics).toEqual(['*']);
  });

  it('takes PIPELINE_INPUT_TOPICS, the earlier name, when CLIENT_TOPICS is not set', () => {
    expect(loadConfig({ PIPELINE_INPUT_TOPICS: 'a,b.*' }).resources.clientTopics).toEqual(['a', 'b.*']);
    expect(loadConfig({ PIPELINE_INPUT_TOPICS: 'a', CLIENT_TOPICS: 'c' }).resources.clientTopics).toEqual(['c']);
  });
});

describe('worker slots', () => {
  it('default to 200 workflow tasks and 400 local activities at once (a small run holds its task for its whole life)', () => {
    expect(loadConfig({}).worker).toMatchObject({ workflowTaskSlots: 200, localActivitySlots: 400 });
  });

  it('are read from WORKER_WORKFLOW_TASK_SLOTS and WORKER_LOCAL_ACTIVITY_SLOTS, and refused below what the SDK takes', () => {
    expect(loadConfig({ WORKER_WORKFLOW_TASK_SLOTS: '50', WORKER_LOCAL_ACTIVITY_SLOTS: '80' }).worker).toMatchObject({
      workflowTaskSlots: 50,
      localActivitySlots: 80,
    });
    expect(() => loadConfig({ WORKER_WORKFLOW_TASK_SLOTS: '1' })).toThrow(/WORKER_WORKFLOW_TASK_SLOTS/);
  });
});

describe('worker metrics ports', () => {
  it('default to 9464 (the worker`s own metrics and /readyz) and 9465 (the Temporal SDK`s exporter)', () => {
    expect(loadConfig({}).worker).toMatchObject({ metricsPort: 9464, sdkMetricsPort: 9465 });
  });

  it('are read from WORKER_METRICS_PORT and TEMPORAL_METRICS_PORT', () => {
    expect(loadConfig({ WORKER_METRICS_PORT: '9100', TEMPORAL_METRICS_PORT: '9101' }).worker).toMatchObject({
      metricsPort: 9100,
      sdkMetricsPort: 9101,
    });
  });

  it('are off at 0, both at once too (several workers on one machine)', () => {
    expect(loadConfig({ WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0' }).worker).toMatchObject({
      metricsPort: 0,
      sdkMetricsPort: 0,
    });
  });

  it.each([
    [{ WORKER_METRICS_PORT: 'metrics' }, /WORKER_METRICS_PORT="metrics"/],
    [{ TEMPORAL_METRICS_PORT: '-1' }, /TEMPORAL_METRICS_PORT="-1"/],
    [{ WORKER_METRICS_PORT: '9500', TEMPORAL_METRICS_PORT: '9500' }, /WORKER_METRICS_PORT and TEMPORAL_METRICS_PORT are both 9500/],
  ])('refuses %o with an error naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
