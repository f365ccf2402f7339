// The Kubernetes manifests, checked offline: they parse, agree with each other, and agree with the code they run.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { searchAttributeCliArgs } from '../../contracts/search-attributes';
import { CONFIG_VARIABLES, loadConfig, PROJECT_ROOT } from '../../lib/config';

const K8S = path.join(PROJECT_ROOT, 'k8s');
type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};

const kustomization = parseAllDocuments(fs.readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as {
  resources: string[];
};
const docs: Doc[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(K8S, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Doc;
  }),
);
const find = (kind: string, name: string) => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name} in k8s/`);
  return doc;
};
const deployments = docs.filter((d) => d.kind === 'Deployment');

describe('k8s manifests', () => {
  it('list only files that exist, each with apiVersion, kind and name', () => {
    expect(docs.length).toBeGreaterThanOrEqual(9);
    for (const d of docs)
      expect(d).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String), metadata: { name: expect.any(String) } });
  });

  it('configure the code with variables it reads and values it accepts', () => {
    const data = find('ConfigMap', 'streamforge-config').data!;
    for (const key of Object.keys(data)) expect(CONFIG_VARIABLES).toContain(key);
    const config = loadConfig(data);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.spark.connectUrl).toBe('spark-connect:15002');
  });

  it('run files the build produces, from one image', () => {
    const build = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { outDir: string };
    };
    for (const name of ['streamforge-worker', 'streamforge-rest']) {
      const [container] = find('Deployment', name).spec.template.spec.containers;
      expect(container.image).toBe('streamforge');
      const [node, script] = container.command as string[];
      expect(node).toBe('node');
      expect(script!.startsWith(`${build.compilerOptions.outDir}/`)).toBe(true);
      const source = script!.slice(build.compilerOptions.outDir.length + 1).replace(/\.js$/, '.ts');
      expect(fs.existsSync(path.join(PROJECT_ROOT, source))).toBe(true);
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'streamforge-config' } }]);
    }
  });

  it('select their own pods, and services reach the ports containers open', () => {
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels;
      expect(labels).toMatchObject(d.spec.selector.matchLabels);
    }
    for (const service of docs.filter((d) => d.kind === 'Service')) {
      const target = deployments.find((d) =>
        Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect(target, `service ${service.metadata.name} selects no deployment`).toBeDefined();
      const ports = target!.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []).map((p: any) => p.name);
      for (const p of service.spec.ports) expect(ports).toContain(p.targetPort);
    }
  });

  it('serve the REST trigger on the configured port, probed on its health routes', () => {
    const data = find('ConfigMap', 'streamforge-config').data!;
    const [rest] = find('Deployment', 'streamforge-rest').spec.template.spec.containers;
    expect(rest.ports).toEqual([{ name: 'http', containerPort: Number(data.PORT) }]);
    expect(rest.livenessProbe.httpGet.path).toBe('/healthz');
    expect(rest.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('point the workers at the Spark Connect service with the stack`s Spark version and settings', () => {
    const [spark] = find('Deployment', 'spark-connect').spec.template.spec.containers;
    const pyspark = /pyspark==([\d.]+)/.exec(fs.readFileSync(path.join(PROJECT_ROOT, 'scripts/stack/requirements.txt'), 'utf8'))![1];
    expect(spark.image).toBe(`apache/spark:${pyspark}`);
    expect(spark.args).toContain(`org.apache.spark:spark-sql-kafka-0-10_2.13:${pyspark}`);
    expect(spark.args).toContain('spark.connect.execute.manager.detachedTimeout=30min');
    const data = find('ConfigMap', 'streamforge-config').data!;
    expect(data.SPARK_CONNECT_URL).toBe(`${find('Service', 'spark-connect').metadata.name}:15002`);
  });

  it('register exactly the search attributes the workflows set', () => {
    const job = find('Job', 'temporal-search-attributes');
    const env = job.spec.template.spec.containers[0].env as { name: string; value: string }[];
    const registered = env
      .find((e) => e.name === 'SEARCH_ATTRIBUTES')!
      .value.split(' ')
      .sort();
    const ours = searchAttributeCliArgs()
      .filter((a) => a !== '--search-attribute')
      .sort();
    expect(registered).toEqual(ours);
  });

  it('run Kafka 3.9.x, as the local stack does (kafkajs needs protocol versions Kafka 4 removed)', () => {
    const kafka = find('Kafka', 'streamforge');
    const pom = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts/stack/maven/kafka-pom.xml'), 'utf8');
    expect(pom).toContain(`<version>${kafka.spec.kafka.version}</version>`);
  });
});
