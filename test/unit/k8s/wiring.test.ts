// The rendered manifests agree with each other and with the code they run: config the code reads, files the build
// produces, selectors, ports and probes, the Spark and Kafka the local stack runs, the search attributes, topics.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig, PROJECT_ROOT } from '../../../lib/config';
import { searchAttributeCliArgs } from '../../../contracts/search-attributes';
import { HAS_KUBECTL, OVERLAYS, portOf, render, selects, type K8sObject } from './render';

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const pysparkVersion = /pyspark==([\d.]+)/.exec(read('scripts/stack/requirements.txt'))![1]!;

describe.skipIf(!HAS_KUBECTL).each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
  const m = render(overlay);
  const config = () => loadConfig(m.configData);

  it('configure the code with variables it reads and values it accepts', () => {
    for (const key of Object.keys(m.configData)) expect(CONFIG_VARIABLES).toContain(key);
    expect(config().http.host).toBe('0.0.0.0');
    for (const pod of m.pods.filter((p) => p.owner.startsWith('Deployment/'))) {
      const [container] = pod.spec.containers;
      expect(container!.envFrom, pod.owner).toEqual([{ configMapRef: { name: 'streamforge-config' } }]);
      for (const e of container!.env ?? []) expect(CONFIG_VARIABLES, `${pod.owner} env ${e.name}`).toContain(e.name);
    }
  });

  it('run files the build produces, from one image', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { outDir: string } };
    const images = new Set<string>();
    for (const name of ['streamforge-worker', 'streamforge-rest']) {
      const container = m.container(name);
      images.add(container.image!);
      expect(container.image).toMatch(/(^|\/)streamforge:[\w.-]+$/);
      const [node, script] = container.command!;
      expect(node).toBe('node');
      expect(script!.startsWith(`${build.compilerOptions.outDir}/`)).toBe(true);
      const source = script!.slice(build.compilerOptions.outDir.length + 1).replace(/\.js$/, '.ts');
      expect(fs.existsSync(path.join(PROJECT_ROOT, source)), source).toBe(true);
    }
    expect(images.size).toBe(1);
  });

  it('select their own pods, and services reach ports containers open', () => {
    for (const d of m.all('Deployment')) expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    for (const service of m.all('Service')) {
      const pods = m.pods.filter((p) => selects(service.spec.selector, p.labels));
      expect(pods.length, `Service ${service.metadata.name} selects no pod`).toBeGreaterThan(0);
      const ports = pods.flatMap((p) => p.spec.containers.flatMap((c) => c.ports ?? []).map((p) => p.name));
      for (const p of service.spec.ports) expect(ports, `Service ${service.metadata.name}`).toContain(p.targetPort);
    }
  });

  it('serve the REST trigger on the configured port, probed on its health routes', () => {
    const rest = m.container('streamforge-rest');
    expect(rest.ports).toEqual([{ name: 'http', containerPort: config().http.port }]);
    expect(rest.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(rest.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const routes = read('apps/rest/routes/ops.ts');
    for (const route of ['/healthz', '/readyz', '/metrics']) expect(routes).toContain(`'${route}'`);
  });

  it('open the worker`s metrics ports as configured, probed on its metrics server', () => {
    const worker = m.container('streamforge-worker');
    const { metricsPort, sdkMetricsPort } = config().worker;
    expect(worker.ports).toEqual([
      { name: 'metrics', containerPort: metricsPort },
      { name: 'sdk-metrics', containerPort: sdkMetricsPort },
    ]);
    expect(worker.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(worker.livenessProbe.httpGet.port).toBe('metrics');
    expect(worker.startupProbe.httpGet.port).toBe('metrics');
  });

  it('give a draining worker longer than its shutdown grace (SHUTDOWN_GRACE_MS in apps/worker/main.ts)', () => {
    const grace = /export const SHUTDOWN_GRACE_MS = ([\d_]+);/.exec(read('apps/worker/main.ts'));
    expect(grace, 'apps/worker/main.ts no longer exports SHUTDOWN_GRACE_MS as a number').not.toBeNull();
    const graceSeconds = Number(grace![1]!.replaceAll('_', '')) / 1000;
    const pod = m.find('Deployment', 'streamforge-worker').spec.template.spec;
    // The activities' grace, then closing the Kafka, Spark and Temporal clients.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(graceSeconds + 10);
  });

  it('lock every container down and bound its resources', () => {
    const containers = m.pods.flatMap((p) => p.spec.containers.map((c) => ({ where: `${p.owner} ${c.name}`, c, volumes: p.spec.volumes ?? [] })));
    expect(containers.length).toBeGreaterThanOrEqual(5);
    for (const { where, c, volumes } of containers) {
      expect(c.securityContext, where).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const kind of ['requests', 'limits'] as const) {
        expect(c.resources?.[kind], `${where} ${kind}`).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      }
      // A read-only root needs somewhere to write temporary files.
      const tmp = c.volumeMounts?.find((v) => v.mountPath === '/tmp');
      expect(tmp, `${where} mounts no /tmp`).toBeDefined();
      expect(volumes.find((v) => v.name === tmp!.name)?.emptyDir, `${where} /tmp`).toBeDefined();
    }
  });

  it('probe every long-running container (Deployments, the Spark Connect server)', () => {
    const longRunning = m.pods.filter((p) => p.owner.startsWith('Deployment/') || p.owner.endsWith(' server'));
    expect(longRunning.length).toBe(3);
    for (const pod of longRunning) {
      for (const c of pod.spec.containers) {
        expect(c.livenessProbe, `${pod.owner} liveness`).toBeDefined();
        expect(c.readinessProbe, `${pod.owner} readiness`).toBeDefined();
      }
    }
  });

  it('lock the Strimzi pods down and bound their resources', () => {
    const locked = { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
    for (const pool of m.all('KafkaNodePool')) {
      expect(pool.spec.template.kafkaContainer.securityContext).toMatchObject(locked);
      expect(pool.spec.resources).toMatchObject({ requests: { cpu: expect.any(String), memory: expect.any(String) }, limits: { cpu: expect.any(String), memory: expect.any(String) } });
    }
    const entity = m.find('Kafka', 'streamforge').spec.entityOperator;
    expect(entity.template.topicOperatorContainer.securityContext).toMatchObject(locked);
    expect(entity.topicOperator.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });

  describe('Spark Connect', () => {
    const spark = () => m.find('SparkConnect', 'spark-connect');

    it('is reached at the Service the operator creates for it, on the port the server binds', () => {
      // The operator names the server's Service `<name>-server` unless spec.server.service names one
      // (internal/controller/sparkconnect/util.go, GetServerServiceName), with port 15002 among its fixed ports.
      const s = spark();
      const service = s.spec.server.service?.metadata?.name ?? `${s.metadata.name}-server`;
      const url = config().spark.connectUrl;
      expect(url).toBe(`${service}:15002`);
      expect(s.spec.sparkConf['spark.connect.grpc.binding.port']).toBe(String(portOf(url)));
      expect(new URL(config().spark.uiUrl).host).toBe(`${service}:4040`);
    });

    it('runs the stack`s Spark version with its Kafka connector', () => {
      const s = spark();
      expect(s.spec.sparkVersion).toBe(pysparkVersion);
      expect(s.spec.image).toBe(`apache/spark:${pysparkVersion}`);
      for (const role of ['server', 'executor']) {
        for (const c of s.spec[role].template.spec.containers) expect(c.image, role).toBe(s.spec.image);
      }
      expect(s.spec.sparkConf['spark.jars.packages']).toBe(`org.apache.spark:spark-sql-kafka-0-10_2.13:${pysparkVersion}`);
      expect(read('scripts/stack/maven/spark-kafka-pom.xml')).toContain(`<version>${pysparkVersion}</version>`);
    });

    it('has every fixed setting the local stack gives its server (scripts/stack/services.ts)', () => {
      const stack = read('scripts/stack/services.ts');
      // The maintenance interval comes only with the chaos run's short session timeout.
      const settings = [...stack.matchAll(/'--conf',\s*'([\w.]+)=([^'$]+)'/g)]
        .map(([, key, value]) => [key!, value!] as const)
        .filter(([key]) => key !== 'spark.connect.session.manager.maintenanceInterval');
      expect(settings.map(([key]) => key)).toContain('spark.connect.execute.manager.detachedTimeout');
      for (const [key, value] of settings) expect(spark().spec.sparkConf[key], key).toBe(value);
      expect(spark().spec.sparkConf['spark.connect.session.manager.defaultSessionTimeout']).toMatch(/^\d+min$/);
    });

    it('scales its executors with the load (dynamic allocation)', () => {
      const d = spark().spec.dynamicAllocation;
      expect(d.enabled).toBe(true);
      expect(d.minExecutors).toBeLessThanOrEqual(d.initialExecutors);
      expect(d.initialExecutors).toBeLessThanOrEqual(d.maxExecutors);
      expect(d.maxExecutors).toBeGreaterThan(d.minExecutors);
    });

    it('passes the operator`s admission checks (internal/webhook/sparkconnect_validator.go, sparkconf_validator.go)', () => {
      const s = spark();
      // A DNS-1035 label short enough for `<name>-server`.
      expect(s.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,54}[a-z0-9])?$/);
      const denied = [
        /^spark\.kubernetes\.authenticate\./,
        /^spark\.master$/,
        /^spark\.kubernetes\.driver\.master$/,
        /^spark\.kubernetes\.(driver\.|executor\.)?container\.image$/,
      ];
      for (const key of Object.keys(s.spec.sparkConf)) expect(denied.some((d) => d.test(key)), key).toBe(false);
      for (const memory of [s.spec.server.memory, s.spec.executor.memory]) expect(memory).toMatch(/^\d+[kmgtp]?b?$/i);
    });

    it('keeps streams` checkpoints on a volume the server and every executor mount, which outlives their pods', () => {
      const dir = config().streams.checkpointDir;
      expect(dir).toBe(m.configData.STREAM_CHECKPOINT_DIR);
      const claims = new Set<string>();
      for (const pod of m.pods.filter((p) => p.owner.startsWith('SparkConnect/'))) {
        const mount = pod.spec.containers[0]!.volumeMounts?.find((v) => dir === v.mountPath || dir.startsWith(`${v.mountPath}/`));
        expect(mount, `${pod.owner} mounts ${dir}`).toBeDefined();
        const volume = pod.spec.volumes?.find((v) => v.name === mount!.name) as { persistentVolumeClaim?: { claimName: string } };
        expect(volume?.persistentVolumeClaim, `${pod.owner} ${dir} is a PersistentVolumeClaim`).toBeDefined();
        claims.add(volume.persistentVolumeClaim!.claimName);
      }
      expect(claims.size).toBe(1);
      const claim = m.find('PersistentVolumeClaim', [...claims][0]!);
      // Executors on other nodes write the state store beside the server: only a single node may do with ReadWriteOnce.
      expect(claim.spec.accessModes).toEqual(overlay === 'prod' ? ['ReadWriteMany'] : ['ReadWriteOnce']);
    });

    it('leaves the server and its executors room for the JVM heap Spark gives them', () => {
      const gib = (q: string) => Number(/^(\d+)(Gi|Mi)$/.exec(q)![1]) / (q.endsWith('Mi') ? 1024 : 1);
      const heap = (q: string) => Number(/^(\d+)g$/.exec(q)![1]);
      const s = spark();
      const server = s.spec.server.template.spec.containers[0].resources;
      expect(gib(server.limits.memory)).toBeGreaterThan(heap(s.spec.server.memory));
      const executor = s.spec.executor.template.spec.containers[0].resources;
      // Spark's overhead: 10 % of the heap, at least 384 MiB.
      expect(gib(executor.limits.memory)).toBeCloseTo(heap(s.spec.executor.memory) + Math.max(0.375, heap(s.spec.executor.memory) * 0.1), 2);
    });
  });

  it('register exactly the search attributes the workflows set, on the configured Temporal', () => {
    const job = m.find('Job', 'temporal-search-attributes');
    const env = job.spec.template.spec.containers[0].env as { name: string; value: string }[];
    const registered = env.find((e) => e.name === 'SEARCH_ATTRIBUTES')!.value.split(' ').sort();
    const ours = searchAttributeCliArgs().filter((a) => a !== '--search-attribute').sort();
    expect(registered).toEqual(ours);
    expect(env.find((e) => e.name === 'TEMPORAL_ADDRESS')!.value).toBe(config().temporal.address);
    expect(job.spec.template.spec.containers[0].args[0]).toContain(`--namespace ${config().temporal.namespace}`);
  });

  describe('Kafka', () => {
    const kafka = () => m.find('Kafka', 'streamforge');

    it('runs the Kafka version the local stack runs', () => {
      expect(read('scripts/stack/maven/kafka-pom.xml')).toContain(`<version>${kafka().spec.kafka.version}</version>`);
    });

    it('serves clients on the port and bootstrap Service the config map names', () => {
      const plain = kafka().spec.kafka.listeners.find((l: { name: string }) => l.name === 'plain');
      for (const broker of [...config().kafka.brokers, config().spark.kafkaBootstrapServers]) {
        expect(broker).toBe(`${kafka().metadata.name}-kafka-bootstrap:${plain.port}`);
      }
    });

    it('has a topic for each of ours, with the partitions the code uses', () => {
      const c = config();
      const topics: Record<string, K8sObject> = Object.fromEntries(m.all('KafkaTopic').map((t) => [t.spec.topicName, t]));
      const expected = { [c.kafka.recordsTopic]: c.kafka.recordsPartitions, [c.kafka.resultsTopic]: 1, [c.kafka.executionsTopic]: 1 };
      const stackCheck = /STACK_CHECK_TOPIC = '([^']+)'/.exec(read('activities/stack-check.ts'))![1]!;
      expected[stackCheck] = 1;
      expect(Object.fromEntries(Object.entries(topics).map(([name, t]) => [name, t.spec.partitions]))).toEqual(expected);
      for (const t of Object.values(topics)) expect(t.metadata.labels!['strimzi.io/cluster']).toBe(kafka().metadata.name);
    });

    it('replicates no wider than it has brokers, and accepts writes with one broker down where it has three', () => {
      const brokers = m
        .all('KafkaNodePool')
        .filter((p) => p.spec.roles.includes('broker') && p.metadata.labels!['strimzi.io/cluster'] === kafka().metadata.name)
        .reduce((n, p) => n + p.spec.replicas, 0);
      const conf = kafka().spec.kafka.config;
      const minIsr = conf['min.insync.replicas'];
      for (const rf of [conf['default.replication.factor'], conf['offsets.topic.replication.factor'], conf['transaction.state.log.replication.factor'], ...m.all('KafkaTopic').map((t) => t.spec.replicas)]) {
        expect(rf).toBeLessThanOrEqual(brokers);
        // acks=all writes (the idempotent producer's) need min.insync.replicas copies in sync.
        expect(minIsr).toBeLessThanOrEqual(rf);
        if (brokers >= 3) expect(rf - minIsr).toBeGreaterThanOrEqual(1);
      }
      expect(conf['auto.create.topics.enable']).toBe(false);
    });

    it('creates the topics the code makes itself with as many copies as the KafkaTopics have', () => {
      const replicas = new Set(m.all('KafkaTopic').map((t) => t.spec.replicas));
      expect([...replicas]).toEqual([config().kafka.replicationFactor]);
    });
  });
});
