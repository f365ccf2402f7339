// The benchmark's one non-deterministic-looking step, as a local activity: generating a run's records. The
// generator is pure (seeded), but data/generate.ts also holds its file-writing CLI (node:fs), which the workflow
// sandbox refuses to bundle; a local activity runs it in the worker and records the batch in history.
import { generateEmployees } from '../data/generate';
import type { EmployeeRecord } from '../lib/records';

export function createBenchmarkActivities() {
  return {
    /** `count` employee records from seed `seed`: the same records for the same arguments, on every worker. */
    async benchmarkRecords(count: number, seed: number): Promise<EmployeeRecord[]> {
      return [...generateEmployees(count, seed)];
    },
  };
}

export type BenchmarkActivities = ReturnType<typeof createBenchmarkActivities>;
