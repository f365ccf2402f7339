// Property: whatever malformed body is thrown at POST /process, the answer is a 4xx with a message that says
// what is wrong, the service stays up, and nothing reaches Kafka (no run starts for a rejected body). A real worker
// serves the task queue, on a records topic of this test's own, so a body that slipped through would be written;
// one valid body at the end shows that the check sees a write.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { buildApp } from '../../../apps/rest/app';
import { createWorkerDeps } from '../../../apps/worker/deps';
import { parseRecords } from '../../../contracts/records';
import { employeeRecordShape } from '../../support/plans';
import { loadConfig } from '../../../lib/config';
import { createLogger } from '../../../lib/logger';
import { createTestEnv, startTestWorker, type TestWorker } from '../../support/temporal';

const taskQueue = 'fuzz';
const config = loadConfig({ ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, KAFKA_RECORDS_TOPIC: `test.fuzz.${Date.now()}` });
const logger = createLogger('silent');
const deps = createWorkerDeps(config, logger);
const kafka = deps.kafka;
let env: TestWorkflowEnvironment;
let app: FastifyInstance;
let worker: TestWorker;

beforeAll(async () => {
  env = await createTestEnv();
  worker = await startTestWorker(env, taskQueue, createActivities(deps));
  app = await buildApp({ config, logger, temporal: env.client, temporalConnection: env.connection, kafka });
});
afterAll(async () => {
  await app?.close();
  await worker?.stop();
  await deps.close();
  await env?.teardown();
});

const isValid = (body: unknown) => {
  try {
    parseRecords(body, employeeRecordShape(), { maxRecords: 10_000 });
    return true;
  } catch {
    return false;
  }
};

const validRecord = fc.record(
  {
    id: fc.integer(),
    gender: fc.constantFrom('F', 'M', 'X'),
    salary: fc.double({ min: 0, max: 1e7, noNaN: true }),
    birth_date: fc.constant('1990-01-31'),
  },
  { requiredKeys: ['id', 'gender', 'salary'] },
);
/** One record broken in one way: a field of the wrong type, a missing field, an unknown field. */
const brokenRecord = fc.oneof(
  fc
    .tuple(
      validRecord,
      fc.constantFrom('id', 'gender', 'salary', 'birth_date'),
      fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer())),
    )
    .map(([r, k, v]) => ({ ...r, [k]: v })),
  fc
    .tuple(validRecord, fc.constantFrom('id', 'gender', 'salary'))
    .map(([r, k]) => Object.fromEntries(Object.entries(r).filter(([key]) => key !== k))),
  fc
    .tuple(
      validRecord,
      fc.string({ minLength: 1 }).filter((k) => !['id', 'gender', 'salary', 'name', 'birth_date', 'department', '__proto__'].includes(k)),
      fc.jsonValue(),
    )
    .map(([r, k, v]) => ({ ...r, [k]: v })),
);
const malformedBody = fc.oneof(
  {
    arbitrary: fc
      .jsonValue()
      .filter((v) => !isValid(v))
      .map((v) => JSON.stringify(v)),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(fc.array(validRecord, { maxLength: 5 }), brokenRecord, fc.array(validRecord, { maxLength: 5 }))
      .map(([a, b, c]) => [...a, b, ...c])
      .filter((v) => !isValid(v))
      .map((v) => JSON.stringify(v)),
    weight: 4,
  },
  {
    arbitrary: fc.string().filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }),
    weight: 2,
  },
  {
    arbitrary: fc
      .jsonValue()
      .map((v) => JSON.stringify(v).slice(0, -1))
      .filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
    weight: 1,
  },
);

describe('POST /process under malformed input', () => {
  it('answers every malformed body with a 4xx naming the problem, stays up, and writes nothing to Kafka', async () => {
    await kafka.ensureTopic(config.kafka.recordsTopic, config.kafka.recordsPartitions);
    const before = await kafka.endOffsets(config.kafka.recordsTopic);
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(malformedBody, async (payload) => {
        const res = await app.inject({ method: 'POST', url: '/process', headers: { 'content-type': 'application/json' }, payload });
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        const body = res.json() as { message?: unknown };
        expect(typeof body.message).toBe('string');
        expect((body.message as string).length).toBeGreaterThan(10);
      }),
      { numRuns: 600 },
    );
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(600);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(await kafka.endOffsets(config.kafka.recordsTopic)).toEqual(before);
    const runs = await env.client.workflow.count(`TaskQueue = '${taskQueue}'`);
    expect(runs.count).toBe(0);

    // The control: a valid body is written (so the check above would have seen a malformed one that got through).
    const valid = await app.inject({
      method: 'POST',
      url: '/process',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify([{ id: 1, gender: 'F', salary: 1 }]),
    });
    expect(valid.statusCode).toBe(200);
    expect(await kafka.endOffsets(config.kafka.recordsTopic)).not.toEqual(before);
  });
});
