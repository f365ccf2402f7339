// The old service's reconstruction (scripts/old-service) on the real stack's Kafka, as `npm run load -- --target
// old` starts it: its POST /process answers what the test oracle computes for the same records (so the load test
// compares two services doing the same work), and a body that is not an array of records gets a 400.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../../contracts/jobs';
import type { EmployeeRecord } from '../../../contracts/records';
import { loadConfig } from '../../../lib/config';
import { startOldService, stopOldService, type OldService } from '../../../scripts/old-service/process';
import { stackPaths } from '../../../scripts/stack/paths';
import { referenceResult } from '../../support/oracle';

const config = loadConfig();
const paths = stackPaths(config);
// Sample records, and the cases a sample may lack: no birth date, no department, no name, one gender alone.
const records: EmployeeRecord[] = [
  ...(JSON.parse(fs.readFileSync(path.join(config.dataDir, 'emp_data.json'), 'utf8')) as EmployeeRecord[]).slice(0, 120),
  { id: 100_001, gender: 'X', salary: 0 },
  { id: 100_002, gender: 'M', salary: 123_456.78, department: 'Research' },
  { id: 100_003, gender: 'F', salary: 2.675, birth_date: '2000-02-29', name: 'Leap' },
];
let service: OldService;

beforeAll(async () => {
  service = await startOldService(config, paths);
});

afterAll(async () => {
  await stopOldService(paths);
});

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${service.url}/process`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** What the old service must answer for `body`, computed by the oracle. */
function expectedAnswer(body: EmployeeRecord[]) {
  const referenceDate = new Date().toISOString().slice(0, 10); // the service's "today", in UTC
  const expected: JobResult = referenceResult('final_analysis', body, { referenceDate });
  const counts = (rows: JobResult[string] | undefined, key: string) => Object.fromEntries((rows ?? []).map((r) => [r[key], r.count]));
  return {
    record_count: body.length,
    count_by_gender: counts(referenceResult('count_gender', body, { referenceDate }).by_gender, 'gender'),
    count_by_month: counts(referenceResult('count_month', body, { referenceDate }).by_month, 'month_name'),
    salary: expected.overview![0],
    salary_by_gender: expected.by_gender,
    salary_by_department: expected.by_department,
    age_bands: expected.age_bands,
  };
}

describe('the old service reconstruction', () => {
  it('answers POST /process with the analysis the oracle computes', async () => {
    const { status, json } = await post(records);
    expect(status).toBe(200);
    expect(json).toMatchObject(expectedAnswer(records));
  });

  it('answers concurrent requests each over its own records (their writes interleave in its topic)', async () => {
    const sample = JSON.parse(fs.readFileSync(path.join(config.dataDir, 'emp_data.json'), 'utf8')) as EmployeeRecord[];
    const bodies = Array.from({ length: 10 }, (_, i) => sample.slice(i * 100, i * 100 + 60 + 4 * i));
    const answers = await Promise.all(bodies.map((body) => post(body)));
    answers.forEach(({ status, json }, i) => {
      expect(status).toBe(200);
      expect(json).toMatchObject(expectedAnswer(bodies[i]!));
    });
  });

  it('refuses a body that is not a non-empty array of records', async () => {
    for (const body of [{ records: [] }, [], [1, 2]]) {
      const { status, json } = await post(body);
      expect(status).toBe(400);
      expect(json.message).toMatch(/non-empty JSON array of record objects/);
    }
  });
});
