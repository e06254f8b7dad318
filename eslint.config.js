// @ts-check
/**
 * Lint for the whole repository, and the architecture's layering as rules (VS Code's `code-layering`
 * idea): where a file lives says what it may import.
 *   - main/engine, runtime, contract, native, cli and labs never import electron (only main/hosts/electron may);
 *   - the renderer imports values only from main/contract (the protocol both sides share) and nothing else
 *     of main/ but types;
 *   - the contract imports no Node module (the renderer loads it in the page);
 *   - the native addon's loader never imports the engine.
 * Formatting is Prettier's (`.prettierrc.json`), checked by `npm run lint` too.
 */
import js from '@eslint/js';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

const electron = { name: 'electron', message: 'Only main/hosts/electron may import electron: the engine runs under plain Node too.' };
const electronPaths = { paths: [electron], patterns: [{ group: ['electron/*'], message: electron.message }] };

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'release/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Empty catch blocks carry a comment saying why the error does not matter; that is enough.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // (Svelte files have the svelte plugin's own prefer-const, which knows $props and $state.)
    files: ['**/*.ts', '**/*.js'],
    ignores: ['**/*.svelte.ts'],
    // A handler declared before the value it uses is assigned (a socket, a guard known once listening) needs let.
    rules: { 'prefer-const': ['error', { ignoreReadBeforeAssign: true }] },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests read messages and payloads as the JSON they are; typing each shape there would only restate it.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // A failing assert.ok(x) without a message makes Node parse the call's source to write one; under tsx
      // it parses the TypeScript file at the compiled code's position and spun for 20 minutes in CI
      // instead of failing. Say what is wrong instead.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[arguments.length=1][callee.object.name='assert'][callee.property.name='ok'], CallExpression[arguments.length=1][callee.name='assert']",
          message: 'Give assert.ok a message: without one a failure can hang under tsx (Node parses the source to make one).',
        },
      ],
    },
  },
  {
    files: ['main/engine/**', 'main/runtime/**', 'main/contract/**', 'main/native/**', 'main/cli/**', 'labs/**'],
    rules: { 'no-restricted-imports': ['error', electronPaths] },
  },
  {
    files: ['main/contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [electron], patterns: [{ group: ['node:*'], message: 'The contract is loaded by the page too: no Node module here.' }] },
      ],
    },
  },
  {
    files: ['main/native/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...electronPaths,
          patterns: [...electronPaths.patterns, { group: ['**/engine/**'], message: 'The addon loader is used by lab programs: it never imports the engine.' }],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            {
              regex: '/main/(?!contract/)',
              allowTypeImports: true,
              message: 'The renderer reaches the engine only through the contract (main/contract); other main/ modules are for types only.',
            },
          ],
        },
      ],
    },
  },
);
