// A bound on the request bodies read at once (BODIES_IN_FLIGHT_MAX_BYTES, by Content-Length; a body without one
// counts as the body limit): beyond it a request gets 503 before its body is read, so a flood cannot grow the
// process without bound.
import fp from 'fastify-plugin';
import { BODIES_IN_FLIGHT_MAX_BYTES } from '../../../contracts/limits';
import { HttpError } from './errors';

export const bodyBudget = fp<{ bodyLimit: number }>(
  async (app, { bodyLimit }) => {
    let bodyBytesInFlight = 0;
    app.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'POST' && request.method !== 'PUT') return;
      const length = Number(request.headers['content-length'] ?? bodyLimit);
      const bytes = Number.isFinite(length) && length >= 0 ? Math.min(length, bodyLimit) : bodyLimit;
      if (bodyBytesInFlight + bytes > BODIES_IN_FLIGHT_MAX_BYTES) {
        throw new HttpError(503, 'over capacity: too many request bodies in flight; retry shortly', undefined, { 'retry-after': '1' });
      }
      bodyBytesInFlight += bytes;
      // The response's close, not the request's: it comes once whether the answer was sent or the client went away,
      // also for requests injected in-process, whose request stream never closes.
      reply.raw.once('close', () => (bodyBytesInFlight -= bytes));
    });
  },
  { name: 'body-budget' },
);
