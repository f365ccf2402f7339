// What the prod overlay adds on the base: autoscalers that own the replica counts, spread and disruption budgets,
// network policies that let through exactly the connections the code makes, an Ingress; dev keeps to one node.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { HAS_KUBECTL, portOf, render, selects, type DeclaredPod, type K8sObject } from './render';

interface Peer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
}
interface Rule {
  to?: Peer[];
  from?: Peer[];
  ports?: { port?: number | string; protocol?: string }[];
}

describe.skipIf(!HAS_KUBECTL)('k8s/overlays/prod', () => {
  const m = render('prod');
  const config = loadConfig(m.configData);
  const deployments = m.all('Deployment');
  const policies = m.all('NetworkPolicy');
  const podOf = (deployment: string) => m.pods.find((p) => p.owner === `Deployment/${deployment}`)!;
  const sparkServer = () => m.pods.find((p) => p.owner.endsWith(' server'))!;

  describe('autoscaling', () => {
    it('scales the workers with KEDA`s temporal scaler on the configured task queue', () => {
      const scaled = m.find('ScaledObject', 'streamforge-worker');
      expect(scaled.spec.scaleTargetRef.name).toBe('streamforge-worker');
      expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
      expect(scaled.spec.maxReplicaCount).toBeGreaterThan(scaled.spec.minReplicaCount);
      const [trigger] = scaled.spec.triggers;
      expect(trigger.type).toBe('temporal');
      expect(trigger.metadata).toMatchObject({
        endpoint: config.temporal.address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        targetQueueSize: expect.stringMatching(/^[1-9]\d*$/),
      });
      // KEDA's temporal scaler knows these queue types (pkg/scalers/temporal_scaler.go).
      for (const type of trigger.metadata.queueTypes.split(',')) expect(['workflow', 'activity', 'nexus']).toContain(type);
    });

    it('scales the REST service on CPU with an HPA, from several replicas', () => {
      const hpa = m.find('HorizontalPodAutoscaler', 'streamforge-rest');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'streamforge-rest' });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
      // An HPA on CPU utilisation needs a CPU request to measure against.
      expect(m.container('streamforge-rest').resources!.requests!.cpu).toBeDefined();
    });

    it('leaves the replica counts to the autoscalers (an apply would reset them otherwise)', () => {
      for (const d of deployments) expect(d.spec.replicas, d.metadata.name).toBeUndefined();
      const scaled = [...m.all('ScaledObject'), ...m.all('HorizontalPodAutoscaler')].map((s) => s.spec.scaleTargetRef.name).sort();
      expect(scaled).toEqual(deployments.map((d) => d.metadata.name).sort());
    });
  });

  it('spreads every Deployment`s pods over nodes', () => {
    for (const d of deployments) {
      const [term] = d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      expect(term.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
      expect(selects(term.podAffinityTerm.labelSelector.matchLabels, d.spec.template.metadata.labels), d.metadata.name).toBe(true);
    }
  });

  it('has a disruption budget for every Deployment, letting one pod go at a time', () => {
    for (const d of deployments) {
      const budgets = m.all('PodDisruptionBudget').filter((b) => selects(b.spec.selector.matchLabels, d.spec.template.metadata.labels));
      expect(budgets.length, d.metadata.name).toBe(1);
      expect(budgets[0]!.spec.maxUnavailable).toBe(1);
    }
  });

  it('routes the Ingress to the REST Service`s port', () => {
    const ingress = m.find('Ingress', 'streamforge-rest');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    const service = m.find('Service', backend.name);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(backend.port.name);
  });

  describe('network policies', () => {
    const selecting = (pod: DeclaredPod) => policies.filter((p) => selects(p.spec.podSelector.matchLabels, pod.labels));
    const rules = (pod: DeclaredPod, direction: 'ingress' | 'egress'): Rule[] => selecting(pod).flatMap((p) => p.spec[direction] ?? []);
    /** A rule of `pod`'s lets it reach `port` on pods with `labels` (in its own namespace unless `namespace`). */
    const reaches = (pod: DeclaredPod, port: number, labels: Record<string, string>, namespace?: string) =>
      rules(pod, 'egress').some(
        (r) =>
          (r.ports ?? []).some((p) => p.port === port) &&
          (r.to ?? []).some(
            (peer) =>
              selects(peer.podSelector?.matchLabels, labels) &&
              (namespace ? peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === namespace : !peer.namespaceSelector),
          ),
      );
    const temporalFrontend = { 'app.kubernetes.io/name': 'temporal', 'app.kubernetes.io/component': 'frontend' };
    const temporalNamespace = config.temporal.address.split(':')[0]!.split('.')[1]!;
    const kafkaPods = { 'strimzi.io/cluster': 'streamforge', 'strimzi.io/kind': 'Kafka', 'strimzi.io/name': 'streamforge-kafka' };
    const kafkaPort = portOf(config.kafka.brokers[0]!);

    it('deny everything not allowed, in and out', () => {
      const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress);
      expect(deny?.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
      const dns = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && p.spec.egress);
      expect(dns!.spec.egress[0].ports).toEqual(expect.arrayContaining([{ protocol: 'UDP', port: 53 }]));
    });

    it('cover every pod of ours', () => {
      for (const pod of m.pods) {
        const own = selecting(pod).filter((p) => Object.keys(p.spec.podSelector).length > 0);
        expect(own.length, pod.owner).toBeGreaterThan(0);
      }
    });

    it('let the REST service reach the Temporal frontend and Kafka, and nothing reach it but the ingress controller and Prometheus', () => {
      const rest = podOf('streamforge-rest');
      expect(reaches(rest, portOf(config.temporal.address), temporalFrontend, temporalNamespace)).toBe(true);
      expect(reaches(rest, kafkaPort, kafkaPods)).toBe(true);
      const sources = rules(rest, 'ingress').flatMap((r) => r.from ?? []).map((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']);
      expect(sources.sort()).toEqual(['ingress-nginx', 'monitoring']);
      expect(rules(rest, 'ingress').flatMap((r) => r.ports).map((p) => p!.port)).toEqual(['http']);
    });

    it('let the workers reach the Temporal frontend, Kafka and Spark Connect, and only Prometheus reach their metrics', () => {
      const worker = podOf('streamforge-worker');
      expect(reaches(worker, portOf(config.temporal.address), temporalFrontend, temporalNamespace)).toBe(true);
      expect(reaches(worker, kafkaPort, kafkaPods)).toBe(true);
      expect(reaches(worker, portOf(config.spark.connectUrl), sparkServer().labels)).toBe(true);
      const ingress = rules(worker, 'ingress');
      expect(ingress.flatMap((r) => r.from ?? []).map((p) => p.podSelector?.matchLabels?.['app.kubernetes.io/name'])).toEqual(['prometheus']);
      expect(ingress.flatMap((r) => r.ports).map((p) => p!.port).sort()).toEqual(['metrics', 'sdk-metrics']);
    });

    it('name only ports the selected pods open', () => {
      for (const pod of m.pods) {
        const named = new Set(pod.spec.containers.flatMap((c) => c.ports ?? []).map((p) => p.name));
        for (const r of rules(pod, 'ingress')) {
          for (const p of r.ports ?? []) if (typeof p.port === 'string') expect(named, `${pod.owner} ${p.port}`).toContain(p.port);
        }
      }
    });

    it('let Spark Connect be reached by the workers only, and reach its executors and Kafka', () => {
      const server = sparkServer();
      const connect = rules(server, 'ingress').filter((r) => (r.ports ?? []).some((p) => p.port === portOf(config.spark.connectUrl)));
      const from = connect.flatMap((r) => r.from ?? []);
      expect(from.length).toBeGreaterThan(0);
      for (const peer of from) {
        expect(peer.namespaceSelector).toBeUndefined();
        expect(selects(peer.podSelector?.matchLabels, podOf('streamforge-worker').labels)).toBe(true);
        expect(selects(peer.podSelector?.matchLabels, podOf('streamforge-rest').labels)).toBe(false);
      }
      const executor = { ...server.labels, 'spark-role': 'executor' };
      expect(reaches(server, 7079, executor)).toBe(true);
      expect(reaches(server, kafkaPort, kafkaPods)).toBe(true);
    });

    it('let only our pods reach Kafka`s client listener (Strimzi generates that policy from the listener`s peers)', () => {
      const listener = m.find('Kafka', 'streamforge').spec.kafka.listeners.find((l: { port: number }) => l.port === kafkaPort);
      const peers = (listener.networkPolicyPeers as Peer[]).map((p) => p.podSelector!.matchLabels!);
      for (const pod of [podOf('streamforge-worker'), podOf('streamforge-rest'), sparkServer()]) {
        expect(peers.some((p) => selects(p, pod.labels)), pod.owner).toBe(true);
      }
      expect(peers).toHaveLength(3);
    });
  });
});

describe.skipIf(!HAS_KUBECTL)('k8s/overlays/dev', () => {
  const m = render('dev');

  it('runs one replica of each Deployment, one Kafka node and few Spark executors, without the prod machinery', () => {
    for (const d of m.all('Deployment')) expect(d.spec.replicas ?? 1, d.metadata.name).toBe(1);
    expect(m.all('KafkaNodePool').map((p) => p.spec.replicas)).toEqual([1]);
    expect(m.find('SparkConnect', 'spark-connect').spec.dynamicAllocation.maxExecutors).toBeLessThanOrEqual(2);
    const prodOnly = (o: K8sObject) => ['NetworkPolicy', 'PodDisruptionBudget', 'ScaledObject', 'HorizontalPodAutoscaler', 'Ingress'].includes(o.kind);
    expect(m.objects.filter(prodOnly)).toEqual([]);
  });

  it('asks for less than one small node has', () => {
    const milli = (cpu: string) => (cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000);
    const requested = m.pods
      .filter((p) => !p.owner.startsWith('Job/'))
      .flatMap((p) => p.spec.containers)
      .reduce((n, c) => n + milli(c.resources!.requests!.cpu!), 0);
    const kafka = m.all('KafkaNodePool').reduce((n, p) => n + milli(p.spec.resources.requests.cpu) * p.spec.replicas, 0);
    // Every executor the Spark server may ask for, on top.
    const spark = m.find('SparkConnect', 'spark-connect').spec;
    const executors = (spark.dynamicAllocation.maxExecutors - 1) * milli(spark.executor.template.spec.containers[0].resources.requests.cpu);
    expect(requested + kafka + executors).toBeLessThanOrEqual(4000);
  });
});
