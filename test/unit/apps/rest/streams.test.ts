// The stream routes' validation, before anything reaches Temporal or Kafka: a bad stream input, or a records body
// that is no array of records, gets a 400 that names the field, and nothing is started or written (the fakes throw
// if they are called).
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

  // A record's fields are the stream's definition's, which only its workflow knows: records are checked against
  // them after the stream is looked up (test/integration/rest/streams.test.ts); a body that is no array of records
  // is refused before that.
  it.each([[{ id: 1 }], [[]], [[1, 2]]])('POST /streams/:name/records %j → 400', async (body) => {
    const res = await post('/streams/orders/records', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('invalid request: records: expected an array of 1-10000 records (JSON objects)');
  });

  it('a bad stream name in the URL → 400', async () => {
    expect((await app.inject({ method: 'GET', url: '/streams/Bad_Name' })).statusCode).toBe(400);
  });

  it('touched neither Temporal nor Kafka', () => {
    expect(touched).toEqual([]);
  });
});
