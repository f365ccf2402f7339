// Decodes the Arrow IPC streams of `ExecutePlanResponse.arrow_batch.data` into plain JSON-friendly row objects.
import { DataType, tableFromIPC, type Field, type Table } from 'apache-arrow';

export type Row = Record<string, unknown>;

/**
 * One Arrow IPC stream (one `arrow_batch`) → rows, converted so they survive JSON (Temporal payloads):
 * - 64-bit integers and decimals → `number` when exactly representable, else their exact decimal `string`;
 * - DATE → `'YYYY-MM-DD'`; TIMESTAMP → ISO-8601 with `Z`, TIMESTAMP_NTZ → the same without `Z` (millisecond
 *   precision: Spark's microseconds are truncated);
 * - ARRAY → array, STRUCT and MAP → object (map keys as strings); BINARY stays a `Uint8Array`; NULL → `null`.
 */
export function arrowBatchToRows(ipc: Uint8Array): Row[] {
  return tableToRows(tableFromIPC(ipc));
}

export function tableToRows(table: Table): Row[] {
  const columns = table.schema.fields.map((field, index) => ({
    name: field.name,
    vector: table.getChildAt(index),
    convert: converterFor(field.type),
  }));
  const rows: Row[] = [];
  for (let rowIndex = 0; rowIndex < table.numRows; rowIndex++) {
    const row: Row = {};
    for (const column of columns) {
      const value: unknown = column.vector?.get(rowIndex);
      row[column.name] = value === null || value === undefined ? null : column.convert(value);
    }
    rows.push(row);
  }
  return rows;
}

type Converter = (value: unknown) => unknown;

const identity: Converter = (value) => value;

function converterFor(type: DataType): Converter {
  if (DataType.isInt(type) && type.bitWidth === 64) return (value) => bigintToJson(value as bigint);
  if (DataType.isDecimal(type)) return (value) => decimalToJson(String(value), type.scale);
  if (DataType.isDate(type)) return (value) => new Date(value as number).toISOString().slice(0, 10);
  if (DataType.isTimestamp(type)) {
    const utc = type.timezone !== null && type.timezone !== undefined;
    return (value) => {
      const iso = new Date(value as number).toISOString();
      return utc ? iso : iso.slice(0, -1);
    };
  }
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const element = childConverter(type.children[0]);
    return (value) => Array.from(value as Iterable<unknown>, element);
  }
  if (DataType.isStruct(type)) {
    const fields = type.children.map((child) => ({ name: child.name, convert: childConverter(child) }));
    return (value) => {
      const struct = value as Record<string, unknown>;
      const out: Row = {};
      for (const field of fields) out[field.name] = field.convert(struct[field.name]);
      return out;
    };
  }
  if (DataType.isMap(type)) {
    const entry = type.children[0]?.type;
    const convertValue = childConverter(entry?.children[1]);
    return (value) => {
      const out: Row = {};
      for (const [key, item] of value as Iterable<[unknown, unknown]>) out[String(key)] = convertValue(item);
      return out;
    };
  }
  return identity;
}

function childConverter(field: Field | undefined): Converter {
  const convert = field ? converterFor(field.type) : identity;
  return (value) => (value === null || value === undefined ? null : convert(value));
}

/** A bigint as a `number` when it is a safe integer, otherwise as its decimal string. */
export function bigintToJson(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** An Arrow decimal (its unscaled integer as a string, plus the scale) as a `number` when exact enough. */
export function decimalToJson(unscaled: string, scale: number): number | string {
  const negative = unscaled.startsWith('-');
  const digits = (negative ? unscaled.slice(1) : unscaled).padStart(scale + 1, '0');
  const integerPart = digits.slice(0, digits.length - scale);
  const text = `${negative ? '-' : ''}${integerPart}${scale > 0 ? `.${digits.slice(-scale)}` : ''}`;
  // Up to 15 significant digits a double round-trips the decimal text exactly.
  return digits.replace(/^0+/, '').length <= 15 ? Number(text) : text;
}
