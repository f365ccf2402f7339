// The REST trigger's tokens: named, each with its scopes (contracts/resource-policy.ts Grant), stored as SHA-256
// hashes in a JSON file (API_TOKENS_FILE; on Kubernetes a Secret mounted as a file), plus API_TOKEN as one token
// with every scope. `npm run token` makes a token and the file entry for it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { fullGrant, type Grant } from '../../contracts/resource-policy';
import { ConfigError } from '../../lib/config';
import type { Logger } from '../../lib/logger';

/** A token's name: on log lines and as a metric label, so short and plain. */
export const TOKEN_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** The name API_TOKEN goes by. */
export const API_TOKEN_NAME = 'api-token';

const patterns = z.array(z.string().min(1).max(300)).default([]);
const TokenEntrySchema = z.strictObject({
  name: z.string().regex(TOKEN_NAME_PATTERN, 'expected 1-63 lower-case letters, digits and dashes'),
  /** Hex SHA-256 of the token (`npm run token` prints it); the token itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected the token's SHA-256 as 64 lower-case hex digits"),
  admin: z.boolean().default(false),
  topics: patterns,
  streams: patterns,
  files: patterns,
});
export const TokensFileSchema = z.strictObject({ tokens: z.array(TokenEntrySchema) });
export type TokenEntry = z.input<typeof TokenEntrySchema>;

export const sha256Hex = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

export class TokenStore {
  private readonly byHash: Map<string, Grant>;

  constructor(entries: { sha256: string; grant: Grant }[]) {
    this.byHash = new Map(entries.map((e) => [e.sha256, e.grant]));
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The grant of the token sent, or undefined for an unknown one. Only hashes are compared, never the tokens. */
  find(token: string): Grant | undefined {
    return this.byHash.get(sha256Hex(token));
  }
}

/**
 * The tokens API_TOKEN and the tokens file configure; undefined when neither is set (no authentication). A tokens
 * file that does not exist (an optional Kubernetes Secret not created) holds no tokens, with a warning: requests
 * still need a token, so it fails closed.
 */
export function loadTokens(http: { apiToken: string | undefined; tokensFile: string | undefined }, logger: Logger): TokenStore | undefined {
  const entries: { sha256: string; grant: Grant }[] = [];
  if (http.apiToken) entries.push({ sha256: sha256Hex(http.apiToken), grant: fullGrant(API_TOKEN_NAME) });
  if (http.tokensFile && !fs.existsSync(http.tokensFile)) {
    logger.warn({ file: http.tokensFile }, `API_TOKENS_FILE=${http.tokensFile} does not exist: no named tokens (npm run token makes one)`);
  } else if (http.tokensFile) {
    entries.push(...readTokensFile(http.tokensFile));
  }
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const { sha256, grant } of entries) {
    if (names.has(grant.name)) throw new ConfigError(`API_TOKENS_FILE=${http.tokensFile}: two tokens are named "${grant.name}"`);
    if (hashes.has(sha256))
      throw new ConfigError(`API_TOKENS_FILE=${http.tokensFile}: token "${grant.name}" has the hash of another token`);
    names.add(grant.name);
    hashes.add(sha256);
  }
  return entries.length || http.tokensFile ? new TokenStore(entries) : undefined;
}

function readTokensFile(file: string): { sha256: string; grant: Grant }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`API_TOKENS_FILE=${file}: cannot read it (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`API_TOKENS_FILE=${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = TokensFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`);
    throw new ConfigError(`API_TOKENS_FILE=${file}: ${problems.slice(0, 5).join('; ')}`);
  }
  return parsed.data.tokens.map(({ sha256, ...grant }) => ({ sha256, grant }));
}
