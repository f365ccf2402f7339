// The columns of a plan's result as AnalyzePlan reports them, with Spark's own names for their types, so a
// caller can check a query's output (names, types, nullability) before running it.
import type { DataType } from './proto';

export interface SchemaField {
  name: string;
  /** Spark's SQL name of the type: `bigint`, `decimal(10,2)`, `array<string>`, `struct<a:int,b:string>`… */
  type: string;
  nullable: boolean;
}

/** The fields of a result's top-level struct (a plan's output is always one). */
export function schemaFields(schema: DataType): SchemaField[] {
  if (schema.kind !== 'struct') throw new Error(`expected a struct schema from AnalyzePlan, got ${typeName(schema)}`);
  return (schema.struct?.fields ?? []).map((field) => ({
    name: field.name,
    type: typeName(field.data_type ?? {}),
    nullable: field.nullable ?? false,
  }));
}

// As Spark's DataType.simpleString names them, for the kinds whose name is not the proto member's.
const SIMPLE_NAMES: Record<string, string> = {
  null: 'void',
  byte: 'tinyint',
  short: 'smallint',
  integer: 'int',
  long: 'bigint',
  calendar_interval: 'interval',
};

const YEAR_MONTH_FIELDS = ['year', 'month'];
const DAY_TIME_FIELDS = ['day', 'hour', 'minute', 'second'];

/** Spark's SQL name of a type, e.g. `map<string,array<bigint>>`. */
export function typeName(type: DataType): string {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.decimal?.precision ?? 10},${type.decimal?.scale ?? 0})`;
    case 'string': {
      const collation = type.string?.collation;
      return collation && collation !== 'UTF8_BINARY' ? `string collate ${collation}` : 'string';
    }
    case 'char':
      return `char(${type.char?.length ?? 0})`;
    case 'var_char':
      return `varchar(${type.var_char?.length ?? 0})`;
    case 'year_month_interval':
      return intervalName(type.year_month_interval, YEAR_MONTH_FIELDS);
    case 'day_time_interval':
      return intervalName(type.day_time_interval, DAY_TIME_FIELDS);
    case 'array':
      return `array<${typeName(type.array?.element_type ?? {})}>`;
    case 'map':
      return `map<${typeName(type.map?.key_type ?? {})},${typeName(type.map?.value_type ?? {})}>`;
    case 'struct':
      return `struct<${(type.struct?.fields ?? []).map((field) => `${field.name}:${typeName(field.data_type ?? {})}`).join(',')}>`;
    case 'udt':
      return type.udt?.sql_type ? typeName(type.udt.sql_type) : (type.udt?.type ?? 'udt');
    case 'time':
      return `time(${type.time?.precision ?? 6})`;
    case 'unparsed':
      return type.unparsed?.data_type_string ?? 'unknown';
    case undefined:
      return 'unknown';
    default:
      return SIMPLE_NAMES[type.kind] ?? type.kind;
  }
}

function intervalName(interval: { start_field?: number; end_field?: number } | undefined, fields: string[]): string {
  const start = fields[interval?.start_field ?? 0] ?? '?';
  const end = fields[interval?.end_field ?? fields.length - 1] ?? '?';
  return start === end ? `interval ${start}` : `interval ${start} to ${end}`;
}
