// Lint: type-aware rules that catch floating promises and keep workflow code deterministic.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const nodeBuiltins = ['assert', 'buffer', 'child_process', 'crypto', 'dns', 'events', 'fs', 'fs/promises', 'http', 'https', 'net', 'os', 'path', 'process', 'stream', 'timers', 'tls', 'url', 'util', 'worker_threads', 'zlib'];

export default tseslint.config(
  { ignores: ['node_modules/', '.cache/', '.data/', 'test/histories/', 'console/dist/', 'console/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.mjs', 'test/fixtures/*.mjs'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // No regular expression that sees input may take super-linear time (a 32 KB field once took
    // 0.7 s of the event loop): these rules prove it for every pattern in the code.
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': ['error', { ignoreSticky: false, report: 'certain' }],
    },
  },
  {
    // No import circles: what a module imports never leads back to it (type-only imports aside, as
    // a workflow names its activities' types). Resolved as TypeScript resolves them (`.js` → `.ts`).
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'console/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node modules, no clocks or
    // randomness except the SDK's, and only type imports of activities.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins.flatMap((m) => [m, `node:${m}`]), 'mongoose', 'mongodb', 'express', 'nodemailer', 'zod', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity']
          .map((name) => ({ name, message: 'workflow code must stay deterministic: no I/O modules in workflows/' })),
        patterns: [{ group: ['activities', 'store', 'signing', 'api', 'worker'].flatMap((room) => [`../${room}/*`, `../../${room}/*`]), allowTypeImports: true, message: 'only type imports may cross into workflows/' }],
      }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'use the deterministic random from @temporalio/workflow' }],
    },
  },
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
