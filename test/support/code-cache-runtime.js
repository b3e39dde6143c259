/**
 * Jest's own runtime, with one addition: a V8 code cache for the modules it compiles, kept in each worker.
 *
 * Jest gives every test file a fresh module registry and compiles every module again for it, with
 * `vm.compileFunction`: about 250 MB of source over this suite, up to 25 MB of `aws-cdk-lib` and `cdk-nag` in each
 * CDK test file. Jest has no option to keep what V8 compiled. This keeps, for each module's source, the code cache
 * V8 produced the first time, and hands it back when the same source is compiled for a later test file of the same
 * worker: with it, `npm test` takes 0.95 of the time (paired runs). V8 checks the data against its own version and
 * flags, and compiles as usual when they differ (`cachedDataRejected`), so a stale entry costs a compile, never a
 * different result.
 *
 * It wraps `vm.compileFunction` in the worker (the call Jest's module executor makes), and only the calls that
 * compile into a test context (`parsingContext`) without data of their own.
 */
'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded by Jest as CommonJS, outside the transform */

const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

const compileFunction = vm.compileFunction;
/** The file and parameters compiled -> the source compiled and the cache V8 produced for it. */
const compiled = new Map();

vm.compileFunction = function compileWithCache(code, params, options) {
  if (
    !options ||
    !options.parsingContext ||
    !options.filename ||
    options.cachedData ||
    options.produceCachedData
  ) {
    return compileFunction.call(this, code, params, options);
  }
  const key = `${options.filename}\0${params.join(',')}`;
  const entry = compiled.get(key);
  if (entry !== undefined && entry.code === code) {
    const fn = compileFunction.call(this, code, params, { ...options, cachedData: entry.data });
    if (!fn.cachedDataRejected) return fn;
  }
  const fn = compileFunction.call(this, code, params, { ...options, produceCachedData: true });
  if (fn.cachedDataProduced) compiled.set(key, { code, data: fn.cachedData });
  return fn;
};

module.exports = Runtime;
