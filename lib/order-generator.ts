// Deterministic generator of order records (seeded PRNG) for the example pipeline definitions/orders/: the sample in
// data/orders.jsonl and input for tests. Pure (no I/O); scripts/examples/orders.ts writes its records to files.
import { mulberry32 } from './seeded-random';

/** One order as definitions/orders/pipeline.yml declares it; `coupon` may be absent, null or a code. */
export interface OrderRecord {
  order_id: number;
  country: string;
  channel: 'web' | 'store' | 'phone';
  product: string;
  quantity: number;
  unit_price: number;
  ts: string;
  coupon?: string | null;
}

/** Country and relative order volume: a few big markets and a tail, so by_country is not uniform. */
const COUNTRIES: [code: string, weight: number][] = [
  ['US', 30],
  ['DE', 16],
  ['GB', 13],
  ['FR', 10],
  ['IN', 9],
  ['BR', 8],
  ['JP', 8],
  ['NL', 6],
];
const CHANNELS: [channel: OrderRecord['channel'], weight: number][] = [
  ['web', 60],
  ['store', 28],
  ['phone', 12],
];
/** Product, relative popularity, and unit price range [min, max]; cheap items sell more often. */
const PRODUCTS: [name: string, weight: number, min: number, max: number][] = [
  ['USB cable', 20, 3, 15],
  ['Phone case', 16, 8, 35],
  ['Mouse', 12, 12, 80],
  ['Notebook', 12, 2, 12],
  ['Keyboard', 9, 25, 160],
  ['Headphones', 8, 30, 350],
  ['Water bottle', 8, 10, 40],
  ['Desk lamp', 6, 18, 90],
  ['Backpack', 6, 35, 180],
  ['Monitor', 4, 120, 500],
  ['Office chair', 3, 90, 500],
  ['Coffee grinder', 3, 25, 220],
];
const COUPONS = ['SPRING10', 'WELCOME5', 'FREESHIP', 'VIP20'];
/** Orders are placed over three days, so by_hour has many groups across day boundaries. */
const FIRST_TS = Date.UTC(2025, 2, 1);
const TS_SPAN_MS = 3 * 86_400_000;

/** The entry whose slice of [0, total weight) holds `roll` (roll in [0, 1)). */
function pickWeighted<T extends [unknown, number, ...unknown[]]>(items: readonly T[], roll: number): T {
  let rest = roll * items.reduce((sum, item) => sum + item[1], 0);
  for (const item of items) {
    rest -= item[1];
    if (rest < 0) return item;
  }
  return items[items.length - 1]!;
}

export function* generateOrders(count: number, seed: number): Generator<OrderRecord> {
  const random = mulberry32(seed);
  for (let i = 0; i < count; i++) {
    // Every record draws the same number of values, so a prefix of the output does not depend on `count`.
    const [country] = pickWeighted(COUNTRIES, random());
    const [channel] = pickWeighted(CHANNELS, random());
    const [product, , min, max] = pickWeighted(PRODUCTS, random());
    // Most orders are for one or a few items; the cube keeps 20 possible but rare.
    const quantity = 1 + Math.floor(20 * random() ** 3);
    const unitPrice = Math.round((min + (max - min) * random()) * 100) / 100;
    const iso = new Date(FIRST_TS + Math.floor(random() * TS_SPAN_MS)).toISOString();
    // About a third of the producers send milliseconds; the others send whole seconds, both with 'Z'.
    const ts = random() < 0.35 ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
    const record: OrderRecord = { order_id: i + 1, country, channel, product, quantity, unit_price: unitPrice, ts };
    // Mix all three forms the schema allows: no coupon field, an explicit null, and a code.
    const couponRoll = random();
    const code = COUPONS[Math.floor(random() * COUPONS.length)]!;
    if (couponRoll < 0.15) record.coupon = null;
    else if (couponRoll < 0.3) record.coupon = code;
    yield record;
  }
}
