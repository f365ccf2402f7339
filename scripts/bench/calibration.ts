// A short machine calibration, printed before a benchmark so a reader can tell the machine from the code: the same
// fixed work timed on one core and on every core at once, and how busy the machine was. Two machines of one kind
// can differ 1.6-3×; a figure read next to its calibration (or as a ratio to a reference of the same run) travels.
import crypto from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export interface Calibration {
  cpus: number;
  cpuModel: string | undefined;
  loadAverage1m: number;
  /** ms for the fixed single-core work (hashing and JSON of employee-like records): lower is faster. */
  singleCoreMs: number;
  /** ms for the same work done once per core, all at once; ≈ singleCoreMs when the cores are free and real. */
  allCoresMs: number;
  /** singleCoreMs / allCoresMs × cores: the cores' worth this machine gives now (2.0 on two free cores). */
  parallelCores: number;
}

/** The fixed work: ~0.3 s on the project's 2-core machine. Self-contained so a worker thread can run its text. */
function fixedWork(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof crypto;
  const records = Array.from({ length: 20_000 }, (_, i) => ({
    id: i,
    gender: i % 2 ? 'F' : 'M',
    salary: 30_000 + ((i * 7919) % 120_000),
    birth_date: `19${60 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`,
    department: ['Engineering', 'Sales', 'Finance'][i % 3],
  }));
  let checksum = 0;
  for (let round = 0; round < 6; round++) {
    const text = JSON.stringify(records);
    const back = JSON.parse(text) as { salary: number }[];
    checksum += back.length + createHash('sha256').update(text).digest()[0]!;
  }
  return checksum;
}

// An eval'd worker is a CommonJS script: `require` is there.
const WORK_SOURCE = `(${fixedWork.toString()})();`;

function timeInThread(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const worker = new Worker(WORK_SOURCE, { eval: true });
    worker.once('error', reject);
    worker.once('exit', () => resolve(performance.now() - t0));
  });
}

/** Times the fixed work alone, then once per core at once (best of three each, ~2 s in all). */
export async function calibrate(): Promise<Calibration> {
  const cpus = os.availableParallelism();
  let single = Infinity;
  let all = Infinity;
  for (let i = 0; i < 3; i++) {
    single = Math.min(single, await timeInThread());
    const t0 = performance.now();
    await Promise.all(Array.from({ length: cpus }, () => timeInThread()));
    all = Math.min(all, performance.now() - t0);
  }
  return {
    cpus,
    cpuModel: os.cpus()[0]?.model,
    loadAverage1m: os.loadavg()[0]!,
    singleCoreMs: Math.round(single),
    allCoresMs: Math.round(all),
    parallelCores: Math.round(((single * cpus) / all) * 100) / 100,
  };
}

export function formatCalibration(c: Calibration): string {
  return (
    `Machine calibration: ${c.cpus} cores (${c.cpuModel ?? 'unknown CPU'}), load ${c.loadAverage1m.toFixed(2)}; ` +
    `fixed work ${c.singleCoreMs} ms on one core, ${c.allCoresMs} ms on each of ${c.cpus} at once ` +
    `(${c.parallelCores} cores' worth free).`
  );
}
