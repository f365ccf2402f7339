// Validates a Kubernetes object against its API schema, offline: built-in kinds, KEDA and prometheus-operator
// resources with the kubernetes-models packages; Strimzi and Spark operator resources with the openAPIV3Schema of
// their CRDs (vendored under test/fixtures/crds/, each file says where from), through ajv. Unknown fields in the
// former: known-fields.ts.
import fs from 'node:fs';
import path from 'node:path';
import * as keda from '@kubernetes-models/keda';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import Ajv, { type ValidateFunction } from 'ajv';
import * as k8s from 'kubernetes-models';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../../lib/config';
import type { K8sObject } from './render';

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: unknown): { validate(): void };
}

/** `apiVersion/kind` -> model, for every kind the packages define (found by walking their exports). */
const MODELS = new Map<string, ModelClass>();
function collectModels(exports: object, depth = 0): void {
  for (const value of Object.values(exports)) {
    if (typeof value === 'function' && typeof value.apiVersion === 'string' && typeof value.kind === 'string') {
      MODELS.set(`${value.apiVersion}/${value.kind}`, value as ModelClass);
    } else if (value && typeof value === 'object' && depth < 3) {
      collectModels(value, depth + 1);
    }
  }
}
collectModels(k8s);
collectModels(keda);
collectModels(prometheusOperator);

const CRD_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'crds');

/**
 * A CRD's structural schema as JSON Schema with the API server's strictness: an object with declared properties
 * takes no others (unless it preserves unknown fields), as `kubectl apply` refuses unknown fields; int-or-string
 * is either. Value-validation branches (oneOf/anyOf, which carry no type) are left as they are. CEL rules
 * (x-kubernetes-validations) are not checked.
 */
export function structuralToJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(structuralToJsonSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `properties` and `additionalProperties` hold schemas keyed by field name; everything else is a keyword.
    if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, structuralToJsonSchema(v)]));
    else if (!key.startsWith('x-kubernetes-') && key !== 'example') out[key] = structuralToJsonSchema(value);
  }
  const s = schema as Record<string, unknown>;
  if (s['x-kubernetes-int-or-string'] && !s.anyOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (s.type === 'object' && s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false });
const CRD_SCHEMAS = new Map<string, ValidateFunction>();
for (const file of fs.readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
  const crd = parse(fs.readFileSync(path.join(CRD_DIR, file), 'utf8')) as { apiVersion: string; kind: string; openAPIV3Schema: unknown };
  CRD_SCHEMAS.set(`${crd.apiVersion}/${crd.kind}`, ajv.compile(structuralToJsonSchema(crd.openAPIV3Schema) as object));
}

/** Kinds validated with a vendored CRD schema (unknown fields included), not with kubernetes-models. */
export function hasCrdSchema(apiVersion: string, kind: string): boolean {
  return CRD_SCHEMAS.has(`${apiVersion}/${kind}`);
}

/** Kinds this module can validate. */
export function isKnownKind(apiVersion: string, kind: string): boolean {
  return MODELS.has(`${apiVersion}/${kind}`) || CRD_SCHEMAS.has(`${apiVersion}/${kind}`);
}

/** The schema's complaints about `object` (none: valid); throws for a kind it has no schema for. */
export function schemaErrors(object: K8sObject): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS.get(key);
  if (Model) {
    try {
      new Model(object).validate();
      return [];
    } catch (err) {
      return [(err as Error).message];
    }
  }
  const validate = CRD_SCHEMAS.get(key);
  if (!validate) throw new Error(`no schema for ${key}: add its kubernetes-models package or its CRD under test/fixtures/crds/`);
  return validate(object) ? [] : validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`);
}

/** A pod template embedded in a custom resource (schemaless there), checked as a core/v1 PodTemplate. */
export function podTemplateErrors(name: string, template: unknown): string[] {
  return schemaErrors({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name }, template } as K8sObject);
}
