// Bearer-token authentication: with API_TOKEN set, every route but the probes, metrics and the API's own
// description needs `Authorization: Bearer <API_TOKEN>` (reads too: a run's status carries its records' analysis).
import crypto from 'node:crypto';
import fp from 'fastify-plugin';
import { HttpError } from './errors';

/** Routes that answer without the token: probes, metrics and the API's own description. */
const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);
const isOpen = (url: string) => OPEN_ROUTES.has(url.split('?')[0]!) || url.startsWith('/docs');

function checkBearerToken(expected: string, header: string | undefined): boolean {
  const given = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export const bearerAuth = fp<{ token: string }>(
  async (app, { token }) => {
    app.addHook('onRequest', async (request, reply) => {
      if (isOpen(request.url)) return;
      if (!checkBearerToken(token, request.headers.authorization)) {
        reply.header('www-authenticate', 'Bearer');
        throw new HttpError(401, 'missing or wrong bearer token: send "Authorization: Bearer <API_TOKEN>"');
      }
    });
  },
  { name: 'bearer-auth' },
);
