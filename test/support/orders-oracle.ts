// The test oracle for the example pipeline definitions/orders/: what each of its jobs must return, computed with
// plain loops in the shape Spark returns (section name → rows, the SELECT's columns in order, rows in order_by
// order). It shares no code and no constants with lib/, contracts/, spark/ or definitions/ (the defaults of the
// parameters are written out again here), so a mistake there cannot hide by being repeated here.

/** An order record as the oracle reads it; `coupon` absent and `coupon: null` both mean no coupon. */
export interface OracleOrder {
  order_id?: number;
  country: string;
  channel: string;
  product: string;
  quantity: number;
  unit_price: number;
  ts: string;
  coupon?: string | null;
}

export type OrdersJob = 'revenue' | 'top_products';
export type OrdersResult = Record<string, Record<string, unknown>[]>;

export function expectedOrders(
  job: OrdersJob,
  records: readonly OracleOrder[],
  params: { min_total?: number; top_n?: number } = {},
): OrdersResult {
  const minTotal = params.min_total ?? 0;
  const topN = params.top_n ?? 3;
  // Every section filters per record on its own total, before grouping; input order is kept for the sums.
  const kept = records.filter((r) => total(r) >= minTotal);
  switch (job) {
    case 'revenue':
      return {
        by_country: groupBy(kept, (r) => r.country).map(([country, rs]) => ({
          country,
          orders: rs.length,
          units: rs.reduce((units, r) => units + r.quantity, 0),
          revenue: roundHalfUp(sumTotals(rs), 2),
          avg_order: roundHalfUp(sumTotals(rs) / rs.length, 2),
          with_coupon: rs.filter((r) => r.coupon !== undefined && r.coupon !== null).length,
        })),
        by_hour: groupBy(kept, (r) => utcHour(r.ts)).map(([hour, rs]) => ({
          hour,
          orders: rs.length,
          revenue: roundHalfUp(sumTotals(rs), 2),
        })),
        by_channel: groupBy(kept, (r) => r.channel).map(([channel, rs]) => ({
          channel,
          orders: rs.length,
          revenue: roundHalfUp(sumTotals(rs), 2),
        })),
      };
    case 'top_products': {
      // Ranked on the unrounded sum: two products whose revenue rounds alike still rank by their exact sums.
      const ranked = groupBy(kept, (r) => r.product)
        .map(([product, rs]) => ({ product, orders: rs.length, exact: sumTotals(rs) }))
        .sort((a, b) => b.exact - a.exact || compareCodePoints(a.product, b.product));
      return {
        top: ranked
          .map((p, i) => ({ rank: i + 1, product: p.product, orders: p.orders, revenue: roundHalfUp(p.exact, 2) }))
          .filter((row) => row.rank <= topN),
      };
    }
  }
}

/** quantity * unit_price: an int times a double is a double in Spark, the same IEEE product as here. */
const total = (r: OracleOrder): number => r.quantity * r.unit_price;
/** Summed in input order, as one Spark task adds the doubles of its partition. */
const sumTotals = (rs: readonly OracleOrder[]): number => rs.reduce((sum, r) => sum + total(r), 0);

/** The hour of `ts` in UTC as 'yyyy-MM-dd HH:00' (Spark's session time zone is UTC); the offset in `ts` counts. */
function utcHour(ts: string): string {
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) throw new Error(`orders oracle: ts "${ts}" is not an ISO 8601 timestamp`);
  const iso = new Date(ms).toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ
  return `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00`;
}

/** Groups keep their records in input order; groups are sorted by key (the sections' order_by is the key). */
function groupBy(records: readonly OracleOrder[], key: (r: OracleOrder) => string): [string, OracleOrder[]][] {
  const groups = new Map<string, OracleOrder[]>();
  for (const r of records) {
    const k = key(r);
    const group = groups.get(k);
    if (group) group.push(r);
    else groups.set(k, [r]);
  }
  return [...groups].sort(([a], [b]) => compareCodePoints(a, b));
}

/** Spark orders strings by their UTF-8 bytes, which is code point order (JS `<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  return ca.length - cb.length;
}

/**
 * Spark's round(x, scale) on a double: BigDecimal(Double.toString(x)).setScale(scale, HALF_UP).toDouble, i.e.
 * ties away from zero on the shortest decimal form of x, so round(2.675, 2) is 2.68 although the double 2.675 lies
 * slightly below it. Done on the decimal digits, so no second binary rounding can move a value across a tie.
 * `scale` >= 0 (the orders SQL rounds to 2 places).
 */
export function roundHalfUp(x: number, scale: number): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return 0; // a BigDecimal has no negative zero: round(-0.0, 2) is 0.0
  const [mantissa, exponent] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const kept = Number(exponent) + 1 + scale; // how many leading digits lie left of the rounding position
  if (kept >= digits.length) return x; // no digit beyond `scale`: already exact
  if (kept < 0) return 0; // below half a unit of the last place (and round(-0.001, 2) is 0.0, not -0.0)
  const rounded = BigInt(digits.slice(0, kept) || '0') + (digits[kept]! >= '5' ? 1n : 0n);
  return rounded === 0n ? 0 : Math.sign(x) * Number(`${rounded}e-${scale}`);
}

/** A row of the orders stream job (`live_revenue`) as the oracle expects it: the measures over every window. */
export interface ExpectedStreamRow {
  orders: number;
  revenue?: number;
  largest_order?: number;
  mean_order?: number;
  with_coupon?: number;
  /** Epoch milliseconds of the latest `ts`. */
  last_order_at?: number;
}

/**
 * What the orders definition's stream job must show for these (valid) orders: by country, the orders, their
 * revenue (quantity × unit price) and the largest order's; by channel, the orders, the mean order, those with a
 * coupon (present and not null) and the latest order time. Plain loops, unrounded.
 */
export function expectedOrdersStream(records: readonly OracleOrder[]): {
  by_country: Record<string, ExpectedStreamRow>;
  by_channel: Record<string, ExpectedStreamRow>;
} {
  const byCountry: Record<string, ExpectedStreamRow> = {};
  const byChannel: Record<string, ExpectedStreamRow & { sum: number }> = {};
  for (const r of records) {
    const amount = r.quantity * r.unit_price;
    const c = (byCountry[r.country] ??= { orders: 0, revenue: 0, largest_order: -Infinity });
    c.orders++;
    c.revenue! += amount;
    c.largest_order = Math.max(c.largest_order!, amount);
    const ch = (byChannel[r.channel] ??= { orders: 0, sum: 0, with_coupon: 0, last_order_at: -Infinity });
    ch.orders++;
    ch.sum += amount;
    if (r.coupon !== undefined && r.coupon !== null) ch.with_coupon!++;
    ch.last_order_at = Math.max(ch.last_order_at!, Date.parse(r.ts));
  }
  const by_channel = Object.fromEntries(
    Object.entries(byChannel).map(([k, { sum, ...row }]) => [k, { ...row, mean_order: sum / row.orders }]),
  );
  return { by_country: byCountry, by_channel };
}
