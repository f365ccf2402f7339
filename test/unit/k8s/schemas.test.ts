// Every object the overlays render is valid for its API: built-in kinds, KEDA and prometheus-operator resources
// through kubernetes-models, Strimzi and Spark operator resources through their CRDs' schemas.
import { describe, expect, it } from 'vitest';
import { unknownFieldErrors } from './known-fields';
import { HAS_KUBECTL, OVERLAYS, render, type K8sObject } from './render';
import { hasCrdSchema, isKnownKind, podTemplateErrors, schemaErrors } from './schemas';

describe.skipIf(!HAS_KUBECTL).each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
  const manifests = render(overlay);

  it('renders only kinds there is a schema for', () => {
    expect(manifests.objects.length).toBeGreaterThan(10);
    const unknown = manifests.objects.filter((o) => !isKnownKind(o.apiVersion, o.kind)).map((o) => `${o.apiVersion}/${o.kind}`);
    expect(unknown).toEqual([]);
  });

  it('renders objects their API accepts', () => {
    const invalid = manifests.objects
      .map((o) => ({ object: `${o.kind}/${o.metadata.name}`, errors: schemaErrors(o) }))
      .filter((r) => r.errors.length > 0);
    expect(invalid).toEqual([]);
  });

  it('gives the Spark operator pod templates that are valid pod templates (its CRD leaves them schemaless)', () => {
    for (const spark of manifests.all('SparkConnect')) {
      for (const role of ['server', 'executor']) {
        expect(podTemplateErrors(`${spark.metadata.name}-${role}`, spark.spec[role].template), role).toEqual([]);
      }
    }
  });

  it('renders no field the API does not know (kubectl apply refuses them)', () => {
    // Custom resources with a CRD schema had theirs checked above; their embedded pod templates are checked here.
    const objects = manifests.objects.filter((o) => !hasCrdSchema(o.apiVersion, o.kind)).map((o) => ({ where: `${o.kind}/${o.metadata.name}`, object: o }));
    for (const spark of manifests.all('SparkConnect')) {
      for (const role of ['server', 'executor']) {
        const template = { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: `${spark.metadata.name}-${role}` }, template: spark.spec[role].template };
        objects.push({ where: `SparkConnect/${spark.metadata.name} ${role} template`, object: template });
      }
    }
    expect(unknownFieldErrors(objects)).toEqual([]);
  });

  it('puts every namespaced object in namespace streamforge', () => {
    const elsewhere = manifests.objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'streamforge');
    expect(elsewhere.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });
});

describe('the schema check itself', () => {
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } },
  };

  it('accepts a valid object and refuses a wrong type in a built-in kind', () => {
    expect(schemaErrors(deployment)).toEqual([]);
    const wrong = structuredClone(deployment);
    wrong.spec.template.spec.containers[0].ports = [{ containerPort: '80' }];
    expect(schemaErrors(wrong).join()).toMatch(/containerPort must be integer/);
  });

  it('refuses an unknown field and a wrong type in a custom resource', () => {
    const topic: K8sObject = { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', metadata: { name: 't' }, spec: { partitions: 1, replicas: 1 } };
    expect(schemaErrors(topic)).toEqual([]);
    expect(schemaErrors({ ...topic, spec: { partitions: 1, replica: 1 } }).join()).toMatch(/must NOT have additional properties: replica/);
    expect(schemaErrors({ ...topic, spec: { partitions: '1' } }).join()).toMatch(/partitions must be integer/);
    const spark = { apiVersion: 'sparkoperator.k8s.io/v1alpha1', kind: 'SparkConnect', metadata: { name: 's' }, spec: { sparkVersion: '4.2.0', server: {}, executor: {}, sparkConf: { 'spark.sql.shuffle.partitions': 1 } } };
    expect(schemaErrors(spark as K8sObject).join()).toMatch(/sparkConf\/spark.sql.shuffle.partitions must be string/);
  });

  it('finds a field the API does not know in a built-in kind', () => {
    const typo = structuredClone(deployment);
    typo.spec.template.spec.containers[0].readinesProbe = { tcpSocket: { port: 80 } };
    expect(unknownFieldErrors([{ where: 'typo', object: deployment }, { where: 'typo', object: typo }])).toEqual([
      expect.stringMatching(/^typo: .*'"readinesProbe"' does not exist in type 'IContainer'/),
    ]);
  });

  it('refuses a kind it has no schema for, rather than passing it', () => {
    expect(() => schemaErrors({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' } })).toThrow(/no schema for example.com\/v1\/Thing/);
  });
});
