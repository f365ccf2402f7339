// Records that pass a definition's checks, made from its declared fields alone: what the stack's Spark warm-up runs
// each definition's jobs over (their plan shapes compiled before a user's first run). Not realistic data: each
// field takes a valid value of its type, the key field a unique one per record.
import type { Definition, FieldSpec } from '../contracts/definitions';

export function sampleRecords(definition: Pick<Definition, 'fields' | 'key'>, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) =>
    Object.fromEntries(definition.fields.map(([name, spec]) => [name, sampleValue(spec, i, name === definition.key)])),
  );
}

function sampleValue(spec: FieldSpec, i: number, unique: boolean): unknown {
  switch (spec.type) {
    case 'string': {
      if (spec.values) return spec.values[i % spec.values.length];
      const text = unique ? `k${i}` : `s${i % 3}`;
      return text.padEnd(spec.min_length ?? 1, 'x').slice(0, spec.max_length ?? text.length + (spec.min_length ?? 1));
    }
    case 'long':
    case 'int':
    case 'double': {
      const min = Math.ceil(spec.min ?? 0);
      const value = min + (unique ? i : i % 3);
      return spec.max === undefined ? value : Math.min(value, Math.floor(spec.max));
    }
    case 'boolean':
      return i % 2 === 0;
    case 'date':
      return `2024-0${1 + (i % 9)}-1${i % 10}`;
    case 'timestamp':
      return `2024-01-01T0${i % 10}:00:00Z`;
  }
}
