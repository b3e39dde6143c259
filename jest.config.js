/**
 * Two projects: `unit` (pure code, mocked SDK clients) and `integration` (CDK synthesis, and the tests that start a
 * local server or database: fake IAM, dynalite, the Slack webhook server). `npx jest --selectProjects unit` runs
 * the fast half.
 *
 * Jest only transpiles: ts-jest compiles each file on its own (`isolatedModules` in tsconfig.json), and
 * `npm run typecheck` checks the types.
 */
const os = require('node:os');

const INTEGRATION = [
  '<rootDir>/test/lib/**/*.test.ts',
  '<rootDir>/test/tools/**/*.test.ts',
  '<rootDir>/test/bench/delivery.test.ts',
  '<rootDir>/test/lambdas/faults.test.ts',
  '<rootDir>/test/lambdas/handler-notifications.test.ts',
  '<rootDir>/test/lambdas/handler-delivery.test.ts',
  '<rootDir>/test/lambdas/handler-organization-delivery.test.ts',
  '<rootDir>/test/lambdas/adapters/credential-report-content.test.ts',
  '<rootDir>/test/lambdas/adapters/delivery-store.test.ts',
  '<rootDir>/test/lambdas/adapters/slack.test.ts',
  '<rootDir>/test/lambdas/adapters/slack-deadline.test.ts',
  '<rootDir>/test/lambdas/adapters/state-store.test.ts',
  '<rootDir>/test/lambdas/organization/run-store.test.ts',
];

/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFilesAfterEnv: ['<rootDir>/test/support/setup.ts'],
  // Jest's runtime with a V8 code cache for the modules each worker compiles again for every test file.
  runtime: '<rootDir>/test/support/code-cache-runtime.js',
};

/** @type {import('jest').Config} */
module.exports = {
  // How long before a test counts as hung (Jest's own default is 5 s): an integration test starts a database, a
  // server or a synth, which takes longer on a shared 2-core machine. A global option: projects cannot set it.
  testTimeout: 30_000,
  // One worker more than the cores. Jest's default keeps a core for itself (one worker on a 2-core machine), but its
  // main process only waits here; and several suites wait on sockets, timers and child processes, which a third
  // worker fills: on 2 cores, 3 workers run the suite in 0.94 of the time of 2 (paired runs).
  maxWorkers: os.availableParallelism() + 1,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...INTEGRATION.map(globToPathPattern)],
    },
    { ...common, displayName: 'integration', testMatch: INTEGRATION },
  ],
};

/** `testPathIgnorePatterns` takes regular expressions: a glob above as one. */
function globToPathPattern(glob) {
  return glob
    .replace('<rootDir>/', '/')
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\/\*\*\//g, '/(.*/)?')
    .replace(/\*/g, '[^/]*')
    .concat('$');
}
