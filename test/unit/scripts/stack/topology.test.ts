// The stack's two topologies, as configuration: which services each runs, that no two of them want one port, and
// the cluster's Temporal (its ports, its configuration, the search attributes SQL visibility can hold).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTE_KEYS } from '../../../../contracts/search-attributes';
import { loadConfig } from '../../../../lib/config';
import { stackPaths } from '../../../../scripts/stack/paths';
import { stackServices } from '../../../../scripts/stack/services';
import {
  checkSearchAttributeCapacity,
  temporalClusterPorts,
  temporalConfig,
  temporalMetricsTargets,
} from '../../../../scripts/stack/temporal-cluster';

const servicesOf = (env: Record<string, string>) => {
  const config = loadConfig(env);
  return stackServices(config, stackPaths(config));
};

describe('the stack topologies', () => {
  it('single: the dev server, one Kafka node, Spark Connect', () => {
    expect(servicesOf({}).map((s) => s.name)).toEqual(['temporal', 'kafka', 'spark']);
  });

  it("cluster: PostgreSQL and Temporal's four services with the UI, three brokers, a Spark master and two workers, Prometheus", () => {
    expect(servicesOf({ STACK_TOPOLOGY: 'cluster' }).map((s) => s.name)).toEqual([
      'postgres',
      'temporal-frontend',
      'temporal-history',
      'temporal-matching',
      'temporal-worker',
      'temporal-ui',
      'kafka-1',
      'kafka-2',
      'kafka-3',
      'spark-master',
      'spark-worker-1',
      'spark-worker-2',
      'spark',
      'prometheus',
    ]);
  });

  it.each([
    ['the default ports', { STACK_TOPOLOGY: 'cluster' }],
    [
      "the chaos run's ports",
      {
        STACK_TOPOLOGY: 'cluster',
        TEMPORAL_ADDRESS: '127.0.0.1:17233',
        TEMPORAL_UI_URL: 'http://127.0.0.1:18233',
        KAFKA_BROKERS: '127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096',
        SPARK_CONNECT_URL: '127.0.0.1:25002',
        SPARK_UI_URL: 'http://127.0.0.1:24040',
        SPARK_MASTER_PORT: '17077',
        POSTGRES_PORT: '15432',
        PROMETHEUS_PORT: '19090',
      },
    ],
  ])('cluster on %s: no two services listen on one port', (_name, env) => {
    const ports = servicesOf(env).flatMap((s) => s.ports.map((p) => `${p.host}:${p.port} (${s.name})`));
    const taken = ports.map((p) => p.split(' ')[0]);
    expect(ports.filter((_, i) => taken.indexOf(taken[i]) !== i)).toEqual([]);
  });

  it("derives the Temporal services' ports from the frontend's", () => {
    const ports = temporalClusterPorts('127.0.0.1:7233');
    expect(ports.roles.history).toEqual({ grpc: 7234, membership: 7244, metrics: 7254 });
    expect(ports.frontendHttp).toBe(7237);
    expect(temporalMetricsTargets('127.0.0.1:17233')).toEqual(['127.0.0.1:17253', '127.0.0.1:17254', '127.0.0.1:17255', '127.0.0.1:17256']);
  });

  it("configures Temporal on the stack's PostgreSQL, both stores, each service on its own ports", () => {
    const config = loadConfig({ STACK_TOPOLOGY: 'cluster', POSTGRES_PORT: '6543' });
    const text = temporalConfig(stackPaths(config), { address: '127.0.0.1:7233', postgresPort: 6543 });
    expect(text.startsWith('# enable-template')).toBe(true);
    const yaml = parse(text.replace(/\{\{[^}]*\}\}/g, 'x')) as {
      persistence: { datastores: Record<string, { sql: { connectAddr: string; databaseName: string; pluginName: string } }> };
      services: Record<string, { rpc: { grpcPort: number } }>;
    };
    expect(Object.values(yaml.persistence.datastores).map((d) => [d.sql.pluginName, d.sql.connectAddr, d.sql.databaseName])).toEqual([
      ['postgres12', '127.0.0.1:6543', 'temporal'],
      ['postgres12', '127.0.0.1:6543', 'temporal_visibility'],
    ]);
    expect(Object.fromEntries(Object.entries(yaml.services).map(([role, s]) => [role, s.rpc.grpcPort]))).toEqual({
      frontend: 7233,
      history: 7234,
      matching: 7235,
      worker: 7236,
    });
  });

  it("our search attributes fit SQL visibility's columns, and one more Int would not", () => {
    expect(() => checkSearchAttributeCapacity()).not.toThrow();
    expect(() => checkSearchAttributeCapacity([...SEARCH_ATTRIBUTE_KEYS, { name: 'Extra', type: 'INT' }])).toThrow(
      /4 custom search attributes of type INT .* SQL visibility holds 3/,
    );
  });
});
