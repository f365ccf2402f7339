// Writes generated order records (lib/order-generator.ts) as JSON lines: input for the example pipeline in
// definitions/orders/. CLI: npm run example:orders -- [--count N] [--seed S] [--out FILE] (stdout without --out)
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { generateOrders } from '../../lib/order-generator';

const USAGE = 'usage: npm run example:orders -- [--count N] [--seed S] [--out FILE]';

/** Writes one record a line, respecting backpressure, so a large count never sits in memory. */
export async function writeOrders(out: Writable, opts: { count: number; seed: number }): Promise<void> {
  for (const record of generateOrders(opts.count, opts.seed)) {
    if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
  }
}

function parseArgs(argv: string[]): { count: number; seed: number; out?: string } {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (!['--count', '--seed', '--out'].includes(flag) || value === undefined) {
      throw new Error(`unknown or incomplete option "${flag}"; ${USAGE}`);
    }
    args.set(flag.slice(2), value);
  }
  const count = Number(args.get('count') ?? 1000);
  const seed = Number(args.get('seed') ?? 1);
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`--count must be a non-negative integer, got ${args.get('count')}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${args.get('seed')}`);
  return { count, seed, out: args.get('out') };
}

async function main(): Promise<void> {
  const { out, ...opts } = parseArgs(process.argv.slice(2));
  const stream = out ? createWriteStream(out) : process.stdout;
  await writeOrders(stream, opts);
  if (out) await finished(stream.end());
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
