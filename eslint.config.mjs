// Lint: the recommended JavaScript and TypeScript rules (formatting is Prettier's), and the layering of the tree
// (docs/architecture.md): each folder imports only from the layers below it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'crypto',
  'os',
  'child_process',
  'net',
  'http',
  'stream',
  'stream/*',
  'events',
  'buffer',
  'util',
];
const folder = (name) => [`../${name}`, `../${name}/**`, `../../${name}`, `../../${name}/**`, `../../../${name}`, `../../../${name}/**`];
const layer = (files, forbidden, message, extra = []) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: forbidden.flatMap(folder), message }, ...extra] }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.stack/', 'results/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  // Plain JavaScript run by Node (scripts/with-node.mjs): Node's globals.
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
    },
  },
  // Tests read YAML, protocol messages and fixtures whose shapes they check, not declare.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // contracts/: pure shapes, the bottom layer; nothing above it, no Node built-in.
  layer(
    ['contracts/**/*.ts'],
    ['lib', 'spark', 'workflows', 'activities', 'apps', 'scripts', 'test'],
    'contracts/ is the bottom layer: it imports nothing of the tree but itself',
    [{ group: NODE_BUILTINS, message: 'contracts/ runs in the workflow sandbox too: no Node built-ins' }],
  ),
  layer(
    ['lib/**/*.ts'],
    ['spark', 'workflows', 'activities', 'apps', 'scripts', 'test'],
    'lib/ (clients, config) imports only contracts/ and lib/',
  ),
  layer(['spark/**/*.ts'], ['workflows', 'activities', 'apps', 'scripts', 'test'], 'spark/ imports only contracts/, lib/ and spark/'),
  // workflows/: orchestration in the sandbox: contracts/ and the types of the activities, nothing else.
  layer(['workflows/**/*.ts'], ['lib', 'spark', 'apps', 'scripts', 'test'], 'workflows import only contracts/ and activity types', [
    { group: folder('activities'), allowTypeImports: true, message: 'workflows may import only the types of activities' },
    { group: NODE_BUILTINS, message: 'workflows run in the sandbox: no Node built-ins' },
  ]),
  layer(['activities/**/*.ts'], ['workflows', 'apps', 'scripts', 'test'], 'activities import contracts/, lib/ and spark/ only'),
  layer(['apps/**/*.ts'], ['scripts', 'test'], 'processes never import dev tools or tests', [
    { group: folder('workflows'), allowTypeImports: true, message: 'clients start workflows by type name; import only their types' },
  ]),
);
