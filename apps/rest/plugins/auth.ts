// Who is calling: with tokens configured (API_TOKEN, API_TOKENS_FILE), every route but the probes, metrics and the
// API's own description needs `Authorization: Bearer <token>` (reads too: a run's status carries its records'
// analysis), and the request carries that token's grant. Without tokens (the local default, on loopback) every
// caller has every scope. The token's name goes on every log line of the request.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { fullGrant, type Grant } from '../../../contracts/resource-policy';
import type { TokenStore } from '../tokens';
import { HttpError } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the caller's token may reach (contracts/resource-policy.ts); unset on the open routes. */
    grant: Grant;
  }
}

/** The caller when no tokens are configured. */
export const ANONYMOUS = fullGrant('anonymous');

/** Routes that answer without the token: probes, metrics and the API's own description. */
const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);
const isOpen = (url: string) => OPEN_ROUTES.has(url.split('?')[0]!) || url.startsWith('/docs');

/**
 * Logs each request's arrival once it knows the caller (app.ts keeps Fastify from logging it earlier, when nobody
 * knows the caller yet); Fastify's own line at the end names the caller too.
 */
export const bearerAuth = fp<{ tokens: TokenStore | undefined }>(
  async (app, { tokens }) => {
    app.decorateRequest('grant', null as unknown as Grant);
    app.addHook('onRequest', async (request, reply) => {
      try {
        identifyCaller(tokens, request);
      } catch (err) {
        reply.header('www-authenticate', 'Bearer');
        throw err;
      } finally {
        request.log.info({ req: request }, 'incoming request');
      }
    });
  },
  { name: 'bearer-auth' },
);

/**
 * Sets the request's grant and names its token on the request's own child logger (each of its lines names the
 * token, never the token itself). Throws 401 without a known token when tokens are configured. Also for errors
 * Fastify's router answers before any hook (app.ts, frameworkErrors).
 */
export function identifyCaller(tokens: TokenStore | undefined, request: FastifyRequest): void {
  const grant = identify(tokens, request.url, request.headers.authorization);
  if (!grant) return;
  request.grant = grant;
  if (tokens) (request.log as unknown as { setBindings(b: object): void }).setBindings({ client: grant.name });
}

/** The caller's grant; undefined on an open route; 401 without a known token when tokens are configured. */
function identify(tokens: TokenStore | undefined, url: string, authorization: string | undefined): Grant | undefined {
  if (!tokens) return ANONYMOUS;
  if (isOpen(url)) return undefined;
  const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  const grant = given === undefined ? undefined : tokens.find(given);
  if (!grant)
    throw new HttpError(
      401,
      'missing or unknown bearer token: send "Authorization: Bearer <token>" (API_TOKEN, or one of API_TOKENS_FILE)',
    );
  return grant;
}
