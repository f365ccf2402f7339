// Writes generated employee records (lib/employee-generator.ts) as a JSON array, JSON lines, or topic records.
// CLI: tsx scripts/data/generate.ts [--count N] [--seed S] [--format json|jsonl|topic] [--topic NAME] [--out FILE]
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { generateEmployees } from '../../lib/employee-generator';

type Format = 'json' | 'jsonl' | 'topic';

/** Writes records one line each, respecting backpressure, so millions of records never sit in memory. */
export async function writeEmployees(
  out: Writable,
  opts: { count: number; seed: number; format: Format; topic?: string },
): Promise<void> {
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const array = opts.format !== 'jsonl';
  if (array) await write('[\n');
  let offset = 0;
  for (const record of generateEmployees(opts.count, opts.seed)) {
    const value =
      opts.format === 'topic' ? { topic: opts.topic ?? 'emp_data', partition: 0, offset, key: null, value: record } : record;
    await write(`${array && offset > 0 ? ',\n' : ''}${JSON.stringify(value)}${array ? '' : '\n'}`);
    offset++;
  }
  if (array) await write(offset > 0 ? '\n]\n' : ']\n');
}

function parseArgs(argv: string[]): { count: number; seed: number; format: Format; topic?: string; out?: string } {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (!['--count', '--seed', '--format', '--topic', '--out'].includes(flag) || value === undefined) {
      throw new Error(`unknown or incomplete option "${flag}"; usage: generate.ts [--count N] [--seed S] [--format json|jsonl|topic] [--topic NAME] [--out FILE]`);
    }
    args.set(flag.slice(2), value);
  }
  const count = Number(args.get('count') ?? 1000);
  const seed = Number(args.get('seed') ?? 42);
  const format = (args.get('format') ?? 'json') as Format;
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`--count must be a non-negative integer, got ${args.get('count')}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${args.get('seed')}`);
  if (!['json', 'jsonl', 'topic'].includes(format)) throw new Error(`--format must be json, jsonl or topic, got ${format}`);
  return { count, seed, format, topic: args.get('topic'), out: args.get('out') };
}

async function main(): Promise<void> {
  const { out, ...opts } = parseArgs(process.argv.slice(2));
  const stream = out ? createWriteStream(out) : process.stdout;
  await writeEmployees(stream, opts);
  if (out) await finished(stream.end());
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
