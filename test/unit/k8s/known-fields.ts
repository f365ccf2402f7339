// Fields the API does not know, in built-in, KEDA and prometheus-operator objects. kubernetes-models' validators
// check types and required fields but let unknown fields through, while `kubectl apply` refuses them (strict field
// validation): a misspelt `readinesProbe` would pass the schema check and fail on the cluster. The models' own
// TypeScript interfaces are exact, so the compiler's excess-property check over the objects as literals finds them.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../../lib/config';
import type { K8sObject } from './render';

const PACKAGES = ['kubernetes-models', '@kubernetes-models/keda', '@kubernetes-models/prometheus-operator'];

/** The module that declares `I<kind>` for an apiVersion/kind, e.g. kubernetes-models/apps/v1/Deployment. */
function modelModule(apiVersion: string, kind: string): string | undefined {
  return PACKAGES.map((p) => `${p}/${apiVersion}/${kind}`).find((m) => fs.existsSync(path.join(PROJECT_ROOT, 'node_modules', `${m}.d.ts`)));
}

/** `I<kind>` objects' fields that their interface does not declare (and any other type error the compiler finds). */
export function unknownFieldErrors(objects: { where: string; object: K8sObject }[]): string[] {
  const lines: string[] = [];
  const where: string[] = [];
  for (const [i, { where: w, object }] of objects.entries()) {
    const module = modelModule(object.apiVersion, object.kind);
    if (!module) throw new Error(`${w}: no kubernetes-models interface for ${object.apiVersion}/${object.kind}`);
    lines.push(`import type { I${object.kind} as T${i} } from '${module}';`);
  }
  const header = lines.length;
  for (const [i, { where: w, object }] of objects.entries()) {
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(object)};`);
    where.push(w);
  }
  const file = path.join(PROJECT_ROOT, 'test', 'unit', 'k8s', '__manifests__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const source = ts.createSourceFile(file, lines.join('\n'), ts.ScriptTarget.ES2022, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, ...rest) => (path.resolve(name) === file ? source : getSourceFile(name, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const line = d.start === undefined ? -1 : source.getLineAndCharacterOfPosition(d.start).line;
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    return line >= header ? `${where[line - header]}: ${text}` : text;
  });
}
