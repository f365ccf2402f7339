// The benchmark's one step that makes data, as a local activity: generating a run's records. The generator is
// pure (seeded) and could run in the workflow, but then a change to it would change what a replayed history
// computes; as an activity its batch is recorded in history once.
import type { EmployeeRecord } from '../contracts/records';
import { generateEmployees } from '../lib/employee-generator';

export function createBenchmarkActivities() {
  return {
    /** `count` employee records from seed `seed`: the same records for the same arguments, on every worker. */
    async benchmarkRecords(count: number, seed: number): Promise<EmployeeRecord[]> {
      return [...generateEmployees(count, seed)];
    },
  };
}

export type BenchmarkActivities = ReturnType<typeof createBenchmarkActivities>;
