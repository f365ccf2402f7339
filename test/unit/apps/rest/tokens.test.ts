// The REST trigger's tokens: API_TOKEN as one token with every scope, named tokens from a file of hashes, and
// errors that name the file and the entry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokens, sha256Hex } from '../../../../apps/rest/tokens';
import { createLogger } from '../../../../lib/logger';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-tokens-unit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const logger = createLogger('silent');
const file = (name: string, content: unknown) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

describe('loadTokens', () => {
  it('without API_TOKEN or a tokens file: no authentication', () => {
    expect(loadTokens({ apiToken: undefined, tokensFile: undefined }, logger)).toBeUndefined();
  });

  it('API_TOKEN is "api-token" with every scope; file tokens have theirs; unknown tokens and the hashes themselves find nothing', () => {
    const tokensFile = file('ok.json', {
      tokens: [{ name: 'team-a', sha256: sha256Hex('team-a-secret'), streams: ['team-a-*'] }],
    });
    const store = loadTokens({ apiToken: 'the-api-token-0123', tokensFile }, logger)!;
    expect(store.find('the-api-token-0123')).toEqual({ name: 'api-token', admin: true, topics: ['*'], streams: ['*'], files: ['*'] });
    expect(store.find('team-a-secret')).toEqual({ name: 'team-a', admin: false, topics: [], streams: ['team-a-*'], files: [] });
    expect(store.find('nope')).toBeUndefined();
    expect(store.find(sha256Hex('team-a-secret'))).toBeUndefined();
  });

  it('a tokens file that does not exist holds no tokens, and authentication stays on (fails closed)', () => {
    const store = loadTokens({ apiToken: undefined, tokensFile: path.join(dir, 'missing.json') }, logger);
    expect(store?.size).toBe(0);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    [
      'an entry with the token instead of its hash',
      { tokens: [{ name: 'a', sha256: 'secret' }] },
      /tokens\.0\.sha256: expected the token's SHA-256/,
    ],
    ['a name that cannot be a log field', { tokens: [{ name: 'Team A', sha256: sha256Hex('x') }] }, /tokens\.0\.name: expected 1-63/],
    ['an unknown field', { tokens: [{ name: 'a', sha256: sha256Hex('x'), scopes: [] }] }, /tokens\.0: .*scopes/],
    [
      'two tokens of one name',
      {
        tokens: [
          { name: 'a', sha256: sha256Hex('x') },
          { name: 'a', sha256: sha256Hex('y') },
        ],
      },
      /two tokens are named "a"/,
    ],
    [
      'two tokens of one hash',
      {
        tokens: [
          { name: 'a', sha256: sha256Hex('x') },
          { name: 'b', sha256: sha256Hex('x') },
        ],
      },
      /"b" has the hash of another/,
    ],
  ])('refuses %s, naming the file', (name, content, message) => {
    const tokensFile = file(`${name.replace(/\W/g, '-')}.json`, content);
    expect(() => loadTokens({ apiToken: undefined, tokensFile }, logger)).toThrow(new RegExp(`API_TOKENS_FILE=${tokensFile}: `));
    expect(() => loadTokens({ apiToken: undefined, tokensFile }, logger)).toThrow(message);
  });
});
