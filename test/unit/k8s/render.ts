// The k8s/ overlays as `kubectl apply -k` would send them: rendered by kubectl's built-in kustomize, parsed, and
// looked up by kind and name. Shared by the tests in this folder.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from '../../../lib/config';

export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** kubectl renders the overlays; without it the k8s tests are skipped, and say so. */
export const HAS_KUBECTL = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!HAS_KUBECTL) {
  console.warn('kubectl is not installed: k8s/overlays were NOT rendered and none of the k8s manifest checks ran (install kubectl to run them)');
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, any>;
  livenessProbe?: any;
  readinessProbe?: any;
  startupProbe?: any;
  envFrom?: unknown[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

/** A pod streamforge declares: its owner (`Kind/name`, and which template for a SparkConnect), labels and spec. */
export interface DeclaredPod {
  owner: string;
  labels: Record<string, string>;
  spec: { containers: Container[]; volumes?: { name: string; emptyDir?: unknown }[]; [field: string]: any };
}

export class Manifests {
  constructor(
    readonly overlay: Overlay,
    readonly objects: K8sObject[],
  ) {}

  all(kind: string): K8sObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  find(kind: string, name: string): K8sObject {
    const found = this.objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`overlay ${this.overlay} renders no ${kind} ${name}`);
    return found;
  }

  /** The config map every container of ours takes its environment from. */
  get configData(): Record<string, string> {
    return this.find('ConfigMap', 'streamforge-config').data!;
  }

  /** Pods of ours: Deployments' and Jobs' templates, the SparkConnect's server and executor templates. */
  get pods(): DeclaredPod[] {
    const pods: DeclaredPod[] = [];
    for (const o of this.objects) {
      if (o.kind === 'Deployment' || o.kind === 'Job') {
        pods.push({ owner: `${o.kind}/${o.metadata.name}`, labels: o.spec.template.metadata?.labels ?? {}, spec: o.spec.template.spec });
      }
      if (o.kind === 'SparkConnect') {
        for (const role of ['server', 'executor'] as const) {
          const template = o.spec[role].template;
          const labels = { ...template.metadata?.labels, ...sparkOperatorLabels(o, role) };
          pods.push({ owner: `SparkConnect/${o.metadata.name} ${role}`, labels, spec: template.spec });
        }
      }
    }
    return pods;
  }

  /** The Deployment's pod template's first container. */
  container(deployment: string): Container {
    return this.find('Deployment', deployment).spec.template.spec.containers[0];
  }
}

/**
 * The labels the Spark operator (2.5) puts on a SparkConnect's pods besides the template's: the server pod's
 * selector labels, and on executors the SparkConnect's own labels (internal/controller/sparkconnect/util.go,
 * options.go) and Spark's `spark-role`.
 */
function sparkOperatorLabels(spark: K8sObject, role: 'server' | 'executor'): Record<string, string> {
  const common = { 'sparkoperator.k8s.io/launched-by-spark-operator': 'true', 'sparkoperator.k8s.io/connect-name': spark.metadata.name };
  return role === 'server'
    ? { ...common, 'spark-role': 'connect-server', 'spark-version': spark.spec.sparkVersion }
    : { ...spark.metadata.labels, ...common, 'spark-role': 'executor' };
}

const cache = new Map<Overlay, Manifests>();

/** `kubectl kustomize k8s/overlays/<overlay>`, parsed (once per overlay and test file). */
export function render(overlay: Overlay): Manifests {
  let manifests = cache.get(overlay);
  if (!manifests) {
    const dir = path.join(PROJECT_ROOT, 'k8s', 'overlays', overlay);
    const yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const objects = parseAllDocuments(yaml).map((d) => {
      if (d.errors.length) throw new Error(`k8s/overlays/${overlay}: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject;
    });
    manifests = new Manifests(overlay, objects);
    cache.set(overlay, manifests);
  }
  return manifests;
}

/** `labels` match `selector` (a matchLabels map). */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** The port of a `host:port` address. */
export function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}
