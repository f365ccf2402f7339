// The stream routes' validation, before anything reaches Temporal or Kafka: a bad stream input or a bad record
// gets a 400 that names the field, and nothing is started or written (the fakes throw if they are called).
import type { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../../apps/rest/app';
import { loadConfig } from '../../../../lib/config';
import type { KafkaTopics } from '../../../../lib/kafka';
import { createLogger } from '../../../../lib/logger';

const untouchable = (what: string) =>
  new Proxy(
    {},
    { get: (_, prop) => (prop === 'then' ? undefined : () => Promise.reject(new Error(`${what}.${String(prop)} was called`))) },
  );

let app: FastifyInstance;
const touched: string[] = [];

beforeAll(async () => {
  const record = (what: string) =>
    new Proxy(
      {},
      {
        get: (_, prop) => {
          if (prop === 'then') return undefined;
          touched.push(`${what}.${String(prop)}`);
          return untouchable(`${what}.${String(prop)}`);
        },
      },
    );
  app = await buildApp({
    config: loadConfig({}),
    logger: createLogger('silent'),
    temporal: record('temporal') as Client,
    temporalConnection: record('connection') as Connection,
    kafka: record('kafka') as KafkaTopics,
  });
});
afterAll(async () => {
  await app?.close();
});

const post = (url: string, body: unknown) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

describe('stream routes refuse bad input before touching Temporal or Kafka', () => {
  it.each([
    [{ name: 'Not Valid' }, 'name: expected 1-63 lower-case letters'],
    [{ name: 'ok', windowSeconds: 0 }, 'windowSeconds'],
    [{ name: 'ok', surprise: true }, 'surprise'],
  ])('POST /streams %j → 400 naming the field', async (body, field) => {
    const res = await post('/streams', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain(field);
  });

  it('POST /streams/:name/records with a bad record → 400 naming the record and the field', async () => {
    const res = await post('/streams/orders/records', [
      { id: 1, gender: 'F', salary: 10 },
      { id: 2, gender: 'M', salary: -3 },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('records[1].salary');
    expect(res.json().issues).toEqual([{ path: 'records[1].salary', message: 'must be >= 0, got -3' }]);
  });

  it('a bad stream name in the URL → 400', async () => {
    expect((await app.inject({ method: 'GET', url: '/streams/Bad_Name' })).statusCode).toBe(400);
  });

  it('touched neither Temporal nor Kafka', () => {
    expect(touched).toEqual([]);
  });
});
