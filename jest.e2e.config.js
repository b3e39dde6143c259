/**
 * The end-to-end suite (`npm run test:e2e`, also in `.ci/run`): the real handler against the synthesized stacks'
 * policies (iam-simulate), the synthesized organization state machine (aws-local-stepfunctions), and CDK's
 * CloudFormation validation of every stack. Kept out of `npm test` because each case synthesizes stacks, runs the
 * whole organization flow or starts the validation engine.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFilesAfterEnv: ['<rootDir>/test/support/setup.ts'],
  testTimeout: 120_000,
};
