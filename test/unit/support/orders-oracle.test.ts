// Specification of the oracle for the example pipeline definitions/orders/ (on records computed by hand) and of the
// order generator that feeds it (deterministic, and valid against the schema in pipeline.yml).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateOrders, type OrderRecord } from '../../../lib/order-generator';
import { expectedOrders, roundHalfUp, type OracleOrder } from '../../support/orders-oracle';

const ROOT = path.resolve(__dirname, '../../..');

// Totals (quantity × unit_price): 0.125, 2.675, 30, 30, 10. Hours in UTC: 10:00, 10:00, 10:00 (12:30 at +02:00),
// 11:00, and 00:30 the next day (23:30 at -01:00). Coupons: a code, absent, null, a code, null.
const records: OracleOrder[] = [
  {
    order_id: 1,
    country: 'US',
    channel: 'phone',
    product: 'Mug',
    quantity: 1,
    unit_price: 0.125,
    ts: '2025-03-01T10:15:00Z',
    coupon: 'SAVE5',
  },
  { order_id: 2, country: 'US', channel: 'store', product: 'Pen', quantity: 1, unit_price: 2.675, ts: '2025-03-01T10:59:59.999Z' },
  {
    order_id: 3,
    country: 'DE',
    channel: 'web',
    product: 'Lamp',
    quantity: 3,
    unit_price: 10,
    ts: '2025-03-01T12:30:00+02:00',
    coupon: null,
  },
  { order_id: 4, country: 'DE', channel: 'web', product: 'Cup', quantity: 2, unit_price: 15, ts: '2025-03-01T11:00:00Z', coupon: 'VIP' },
  {
    order_id: 5,
    country: 'FR',
    channel: 'web',
    product: 'Bowl',
    quantity: 4,
    unit_price: 2.5,
    ts: '2025-03-01T23:30:00-01:00',
    coupon: null,
  },
];

describe('expectedOrders', () => {
  it('revenue: by country, by UTC hour and by channel, each ordered by its key', () => {
    const result = expectedOrders('revenue', records);
    expect(Object.keys(result)).toEqual(['by_country', 'by_hour', 'by_channel']);
    expect(result.by_country).toEqual([
      // Only order 4's coupon counts: order 3's is null.
      { country: 'DE', orders: 2, units: 5, revenue: 60, avg_order: 30, with_coupon: 1 },
      { country: 'FR', orders: 1, units: 4, revenue: 10, avg_order: 10, with_coupon: 0 },
      // 0.125 + 2.675 = 2.8, the mean 1.4; order 2 has no coupon field at all.
      { country: 'US', orders: 2, units: 2, revenue: 2.8, avg_order: 1.4, with_coupon: 1 },
    ]);
    expect(result.by_hour).toEqual([
      { hour: '2025-03-01 10:00', orders: 3, revenue: 32.8 },
      { hour: '2025-03-01 11:00', orders: 1, revenue: 30 },
      { hour: '2025-03-02 00:00', orders: 1, revenue: 10 },
    ]);
    // Alone in their channel, the ties round HALF_UP on the decimal: 0.125 → 0.13 (not 0.12), 2.675 → 2.68.
    expect(result.by_channel).toEqual([
      { channel: 'phone', orders: 1, revenue: 0.13 },
      { channel: 'store', orders: 1, revenue: 2.68 },
      { channel: 'web', orders: 3, revenue: 70 },
    ]);
  });

  it('rows have the columns of the SELECT, in its order', () => {
    const revenue = expectedOrders('revenue', records);
    expect(Object.keys(revenue.by_country![0]!)).toEqual(['country', 'orders', 'units', 'revenue', 'avg_order', 'with_coupon']);
    expect(Object.keys(revenue.by_hour![0]!)).toEqual(['hour', 'orders', 'revenue']);
    expect(Object.keys(revenue.by_channel![0]!)).toEqual(['channel', 'orders', 'revenue']);
    expect(Object.keys(expectedOrders('top_products', records).top![0]!)).toEqual(['rank', 'product', 'orders', 'revenue']);
  });

  it('min_total leaves out orders whose own total is below it, in every section; equal to it is kept', () => {
    const result = expectedOrders('revenue', records, { min_total: 10 });
    expect(result.by_country).toEqual([
      { country: 'DE', orders: 2, units: 5, revenue: 60, avg_order: 30, with_coupon: 1 },
      { country: 'FR', orders: 1, units: 4, revenue: 10, avg_order: 10, with_coupon: 0 },
    ]);
    expect(result.by_hour).toEqual([
      { hour: '2025-03-01 10:00', orders: 1, revenue: 30 },
      { hour: '2025-03-01 11:00', orders: 1, revenue: 30 },
      { hour: '2025-03-02 00:00', orders: 1, revenue: 10 },
    ]);
    expect(result.by_channel).toEqual([{ channel: 'web', orders: 3, revenue: 70 }]);
    expect(expectedOrders('revenue', records, { min_total: 10.01 }).by_channel).toEqual([{ channel: 'web', orders: 2, revenue: 60 }]);
    expect(expectedOrders('top_products', records, { min_total: 20, top_n: 1 })).toEqual({
      top: [{ rank: 1, product: 'Cup', orders: 1, revenue: 30 }],
    });
  });

  it('top_products: top_n (3 by default) by revenue, equal revenue ranked by product name', () => {
    // Cup and Lamp both make 30: Cup ranks first by name.
    expect(expectedOrders('top_products', records)).toEqual({
      top: [
        { rank: 1, product: 'Cup', orders: 1, revenue: 30 },
        { rank: 2, product: 'Lamp', orders: 1, revenue: 30 },
        { rank: 3, product: 'Bowl', orders: 1, revenue: 10 },
      ],
    });
    expect(expectedOrders('top_products', records, { top_n: 5 }).top!.slice(3)).toEqual([
      { rank: 4, product: 'Pen', orders: 1, revenue: 2.68 },
      { rank: 5, product: 'Mug', orders: 1, revenue: 0.13 },
    ]);
    expect(expectedOrders('top_products', records, { top_n: 0 })).toEqual({ top: [] });
  });

  it('top_products ranks by the unrounded revenue, not by the rounded one', () => {
    const nearlyEqual: OracleOrder[] = [
      { country: 'US', channel: 'web', product: 'Alpha', quantity: 1, unit_price: 1.001, ts: '2025-03-01T10:00:00Z' },
      { country: 'US', channel: 'web', product: 'Zeta', quantity: 1, unit_price: 1.004, ts: '2025-03-01T10:00:00Z' },
    ];
    expect(expectedOrders('top_products', nearlyEqual).top).toEqual([
      { rank: 1, product: 'Zeta', orders: 1, revenue: 1 },
      { rank: 2, product: 'Alpha', orders: 1, revenue: 1 },
    ]);
  });

  it('sums the totals of a group in input order, as one Spark task does', () => {
    // (0.1 + 0.2) + 0.345 is the double 0.645, which rounds to 0.65; (0.345 + 0.2) + 0.1 is 0.6449999999999999.
    const order = (unit_price: number): OracleOrder => ({
      country: 'US',
      channel: 'web',
      product: 'Pen',
      quantity: 1,
      unit_price,
      ts: '2025-03-01T10:00:00Z',
    });
    const forward = [order(0.1), order(0.2), order(0.345)];
    expect(expectedOrders('revenue', forward).by_channel).toEqual([{ channel: 'web', orders: 3, revenue: 0.65 }]);
    expect(expectedOrders('revenue', [...forward].reverse()).by_channel).toEqual([{ channel: 'web', orders: 3, revenue: 0.64 }]);
  });

  it('returns empty sections for no records', () => {
    expect(expectedOrders('revenue', [])).toEqual({ by_country: [], by_hour: [], by_channel: [] });
    expect(expectedOrders('top_products', [])).toEqual({ top: [] });
  });
});

describe('roundHalfUp', () => {
  it("rounds ties away from zero on the double's shortest decimal form, as Spark's round does", () => {
    expect((2.675).toFixed(2)).toBe('2.67'); // the binary value lies below the tie; Spark still gives 2.68
    expect(roundHalfUp(2.675, 2)).toBe(2.68);
    expect(roundHalfUp(0.125, 2)).toBe(0.13); // an exact binary tie: HALF_UP, not HALF_EVEN's 0.12
    expect(roundHalfUp(1.005, 2)).toBe(1.01);
    expect(roundHalfUp(-2.675, 2)).toBe(-2.68);
    expect(roundHalfUp(0.1 + 0.2, 2)).toBe(0.3);
    expect(roundHalfUp(1234567.895, 2)).toBe(1234567.9);
    expect(roundHalfUp(0.005, 2)).toBe(0.01);
    expect(roundHalfUp(0.0049, 2)).toBe(0);
    expect(roundHalfUp(1e-7, 2)).toBe(0);
    expect(roundHalfUp(123, 2)).toBe(123);
    expect(roundHalfUp(-0.001, 2)).toBe(0); // toBe uses Object.is: positive zero, as a BigDecimal has no -0
  });
});

describe('generateOrders', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = [...generateOrders(200, 1)];
    expect([...generateOrders(200, 1)]).toEqual(a);
    expect([...generateOrders(200, 2)]).not.toEqual(a);
    expect([...generateOrders(50, 1)]).toEqual(a.slice(0, 50)); // a prefix does not depend on the count
    expect([...generateOrders(0, 1)]).toEqual([]);
  });

  it('every record satisfies the record schema of definitions/orders/pipeline.yml', () => {
    const orders = [...generateOrders(3000, 11)];
    // The checks below are written per field; this fails if the schema gains or loses a field they do not cover.
    const declared = parse(readFileSync(path.join(ROOT, 'definitions/orders/pipeline.yml'), 'utf8')).records;
    expect(declared.key).toBe('order_id');
    expect(Object.keys(declared.fields)).toEqual(['order_id', 'country', 'channel', 'product', 'quantity', 'unit_price', 'ts', 'coupon']);
    expect(declared.fields.channel.values).toEqual(['web', 'store', 'phone']);

    expect(orders.map((r) => r.order_id)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1)); // long >= 1, unique key
    for (const r of orders) expect(violations(r), JSON.stringify(r)).toEqual([]);
  });

  it('yields realistic values: skewed countries, all channels and products, small quantities, all coupon forms', () => {
    const orders = [...generateOrders(3000, 11)];
    const countries = countBy(orders, (r) => r.country);
    expect(countries.size).toBeGreaterThanOrEqual(6);
    expect(countries.size).toBeLessThanOrEqual(10);
    expect(Math.max(...countries.values())).toBeGreaterThan(2 * Math.min(...countries.values()));
    expect(new Set(countBy(orders, (r) => r.channel).keys())).toEqual(new Set(['web', 'store', 'phone']));
    expect(countBy(orders, (r) => r.product).size).toBeGreaterThanOrEqual(10);
    expect(orders.filter((r) => r.quantity <= 5).length).toBeGreaterThan(orders.length / 2);
    expect(orders.some((r) => r.quantity === 20)).toBe(true);
    expect(new Set(orders.map((r) => r.ts.slice(0, 10))).size).toBeGreaterThanOrEqual(2);
    expect(orders.some((r) => /\.\d{3}Z$/.test(r.ts))).toBe(true);
    expect(orders.some((r) => /:\d{2}Z$/.test(r.ts))).toBe(true);
    expect(orders.some((r) => !('coupon' in r))).toBe(true);
    expect(orders.some((r) => 'coupon' in r && r.coupon === null)).toBe(true);
    expect(orders.some((r) => typeof r.coupon === 'string')).toBe(true);
  });

  it('data/orders.jsonl is generateOrders(500, 7), one record a line', () => {
    const lines = readFileSync(path.join(ROOT, 'data/orders.jsonl'), 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    expect(lines.map((line) => JSON.parse(line))).toEqual([...generateOrders(500, 7)]);
  });

  it('feeds the oracle: every section accounts for every order', () => {
    const orders = [...generateOrders(500, 7)];
    const revenue = expectedOrders('revenue', orders);
    for (const section of ['by_country', 'by_hour', 'by_channel']) {
      expect(revenue[section]!.reduce((n, row) => n + (row.orders as number), 0)).toBe(500);
    }
    const all = expectedOrders('top_products', orders, { top_n: 100 }).top!;
    expect(all.reduce((n, row) => n + (row.orders as number), 0)).toBe(500);
    expect(expectedOrders('top_products', orders).top).toEqual(all.slice(0, 3));
  });
});

/**
 * What is wrong with one record against pipeline.yml's field declarations (and the generator's own narrower
 * ranges: quantity 1..20, prices with 2 decimals in 1..500, UTC timestamps with 'Z'); [] when nothing is.
 */
function violations(r: OrderRecord): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  check(Number.isSafeInteger(r.order_id) && r.order_id >= 1, 'order_id: a long >= 1');
  check(typeof r.country === 'string' && /^[A-Z]{2}$/.test(r.country), 'country: 2 capital letters');
  check(['web', 'store', 'phone'].includes(r.channel), 'channel: web, store or phone');
  check(typeof r.product === 'string' && r.product.length >= 1, 'product: a non-empty string');
  check(Number.isInteger(r.quantity) && r.quantity >= 1 && r.quantity <= 20, 'quantity: an int in 1..20 (schema: 1..1000)');
  check(Number.isFinite(r.unit_price) && r.unit_price >= 1 && r.unit_price <= 500, 'unit_price: a double in 1..500 (schema: >= 0)');
  check(Math.round(r.unit_price * 100) / 100 === r.unit_price, 'unit_price: 2 decimals at most');
  // A real instant: the string is what toISOString() prints for it, with or without the milliseconds.
  const instant = Date.parse(r.ts);
  const printed = Number.isNaN(instant) ? '' : new Date(instant).toISOString();
  check(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(r.ts) && [r.ts, r.ts.replace(/Z$/, '.000Z')].includes(printed),
    'ts: ISO 8601 in UTC with Z',
  );
  check(!('coupon' in r) || r.coupon === null || (typeof r.coupon === 'string' && r.coupon.length > 0), 'coupon: absent, null or a code');
  const known = ['order_id', 'country', 'channel', 'product', 'quantity', 'unit_price', 'ts', 'coupon'];
  check(
    Object.keys(r).every((k) => known.includes(k)),
    'no field the schema does not declare',
  );
  return problems;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
