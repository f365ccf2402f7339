// npm run token -- --name NAME [--admin] [--topics P,…] [--streams P,…] [--files P,…] [--file tokens.json]
// Makes a REST token: prints the token once (store it where its client keeps secrets), and adds its entry (name,
// SHA-256, scopes; never the token) to the tokens file that API_TOKENS_FILE names, or prints the entry.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { sha256Hex, TOKEN_NAME_PATTERN, TokensFileSchema, type TokenEntry } from '../../apps/rest/tokens';

const USAGE =
  'usage: npm run token -- --name NAME [--admin] [--topics PATTERN,...] [--streams PATTERN,...] [--files PATTERN,...] [--file tokens.json]\n' +
  '  patterns are names, or prefixes ending in * (for example --streams "team-a-*")';

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      admin: { type: 'boolean', default: false },
      topics: { type: 'string', default: '' },
      streams: { type: 'string', default: '' },
      files: { type: 'string', default: '' },
      file: { type: 'string' },
    },
  });
  if (!values.name || !TOKEN_NAME_PATTERN.test(values.name))
    throw new Error(`--name: expected 1-63 lower-case letters, digits and dashes\n${USAGE}`);
  const list = (s: string) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  const token = crypto.randomBytes(24).toString('base64url');
  const entry: TokenEntry = {
    name: values.name,
    sha256: sha256Hex(token),
    admin: values.admin,
    topics: list(values.topics),
    streams: list(values.streams),
    files: list(values.files),
  };
  if (values.file) {
    const file = TokensFileSchema.parse(fs.existsSync(values.file) ? JSON.parse(fs.readFileSync(values.file, 'utf8')) : { tokens: [] });
    if (file.tokens.some((t) => t.name === entry.name))
      throw new Error(`${values.file} has a token named "${entry.name}" already; remove it first`);
    fs.writeFileSync(values.file, `${JSON.stringify({ tokens: [...file.tokens, entry] }, null, 2)}\n`, { mode: 0o600 });
    process.stdout.write(`added token "${entry.name}" to ${values.file} (the REST trigger reads it at start)\n`);
  } else {
    process.stdout.write(`the entry for API_TOKENS_FILE's "tokens" list:\n${JSON.stringify(entry, null, 2)}\n`);
  }
  process.stdout.write(`the token (shown once; send it as "Authorization: Bearer <token>"):\n${token}\n`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
