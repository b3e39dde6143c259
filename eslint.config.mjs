import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', 'dist/**', 'out/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read what the code logged from the console mocks (test/support/setup.ts).
      'no-console': 'off',
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'No focused tests.' },
        { object: 'it', property: 'only', message: 'No focused tests.' },
        { object: 'test', property: 'only', message: 'No focused tests.' },
        { object: 'describe', property: 'skip', message: 'No skipped tests.' },
        { object: 'it', property: 'skip', message: 'No skipped tests.' },
        { object: 'test', property: 'skip', message: 'No skipped tests.' },
      ],
    },
  },
  {
    // The pure core: domain/ imports only from domain/ (no '../', no package, no Node module), so it cannot reach
    // an SDK, the clock's source or the environment. Block Kit's type declarations are the one package allowed,
    // as types only.
    files: ['lambdas/audit/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./',
              message:
                'lambdas/audit/domain is the pure core: it imports only from domain/ (move the type down).',
            },
            {
              regex: '^@slack/types$',
              allowTypeImports: true,
              message: 'Only the types of @slack/types may be imported in lambdas/audit/domain.',
            },
            {
              regex: '^(?!\\./|\\.\\./|@slack/types$)',
              message:
                'lambdas/audit/domain is the pure core: no SDK, package or Node module (put the I/O in an adapter).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lambdas/audit/cli.ts', 'tools/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
