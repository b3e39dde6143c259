#!/usr/bin/env node
// `npx iam-key-auditor ...` from a clone: runs the TypeScript CLI through tsx (a devDependency), as `npm run audit` does.
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports */
require('tsx/cjs');
require('../lambdas/audit/cli.ts').run();
