/** The benchmark's command line: `npm run bench -- --users 500,5000 --flagged 0.2 ...`, validated. */
import { parseArgs } from 'node:util';
import type { Strategy } from './worker';

export type BenchCase = 'standard' | 'two-day' | 'delivery';

export interface BenchOptions {
  /** Which cases to run: the one-audit cases per user count, and the two-day key index case. */
  cases: BenchCase[];
  /** One case per user count. */
  users: number[];
  /** The two-day case's users. */
  twoDayUsers: number;
  /** The share of users changed overnight in the two-day case. */
  changedShare: number;
  /** The share of users with a finding, 0 to 1. */
  flaggedShare: number;
  /** Latency the fake IAM adds to every call, throttled ones included. */
  latencyMs: number;
  /** Calls per second above which the fake IAM answers `Throttling` (burst: one second's worth). */
  ratePerSecond: number;
  strategies: Strategy[];
  /** The naive baseline is not run for cases with more users than this. */
  skipNaiveAbove: number;
  /**
   * Per strategy, the largest case run under the rate limit; larger cases run with the same latency and no
   * rate limit, their calls counted but their wall time not comparable (the table says so).
   */
  rateLimitedUpTo: Record<Strategy, number>;
  /** The results file; `latest.json` beside it gets a copy. */
  out: string;
  seed: number;
  /** The audit's `now`, ISO 8601: the synthetic accounts are built relative to it. */
  now: string;
  concurrency: number;
  /** Cold `require` timings of the built handler. */
  bundleRuns: number;
  bundle: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --cases standard,two-day,delivery
                                which cases: one audit per user count, the two-day key index case, and the
                                delivery of a 5,000-user day-two digest to a rate-limited local Slack webhook
  --users 500,5000,20000        one case per user count
  --two-day-users 5000          users of the two-day case
  --changed 0.01                share of users changed overnight in the two-day case
  --flagged 0.2                 share of users with a finding
  --latency 50                  milliseconds the fake IAM adds to every call
  --rate 10                     calls per second above which the fake IAM answers Throttling
  --strategies engine,naive     which strategies to run
  --skip-naive-above 5000       no naive baseline for larger cases
  --engine-rate-limited-up-to 5000
  --naive-rate-limited-up-to 500
                                larger cases run with the same latency but no rate limit (calls counted,
                                wall time not comparable): at 10 calls/s the naive strategy on 5,000 users
                                needs over 25 minutes
  --out bench/results/<time>.json
                                the results as JSON (bench/results/latest.json gets a copy)
  --seed 1                      seed of the synthetic accounts
  --now 2026-06-01T00:00:00Z    the audit's now (the accounts are built relative to it)
  --concurrency 8               users audited at once (both strategies)
  --bundle-runs 5               cold require timings of the built handler
  --no-bundle                   skip the bundle size and load time
  --help`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function number(name: string, raw: string, check: (value: number) => boolean, allowed: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`--${name} must be ${allowed}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

const positiveInteger = (value: number) => Number.isInteger(value) && value > 0;

function strategies(raw: string): Strategy[] {
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => name !== 'engine' && name !== 'naive');
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(`--strategies must be engine, naive or both; got ${JSON.stringify(raw)}`);
  }
  return [...new Set(names as Strategy[])];
}

/** `2026-06-01T09-30-00Z`: a timestamp fit for a file name. */
export function fileTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
}

/** Parses the command line; `startedAt` names the default results file. Throws `UsageError` on a bad flag. */
export function parseBenchOptions(argv: string[], startedAt: Date): BenchOptions | 'help' {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        cases: { type: 'string', default: 'standard,two-day,delivery' },
        users: { type: 'string', default: '500,5000,20000' },
        'two-day-users': { type: 'string', default: '5000' },
        changed: { type: 'string', default: '0.01' },
        flagged: { type: 'string', default: '0.2' },
        latency: { type: 'string', default: '50' },
        rate: { type: 'string', default: '10' },
        strategies: { type: 'string', default: 'engine,naive' },
        'skip-naive-above': { type: 'string', default: '5000' },
        'engine-rate-limited-up-to': { type: 'string', default: '5000' },
        'naive-rate-limited-up-to': { type: 'string', default: '500' },
        out: { type: 'string' },
        seed: { type: 'string', default: '1' },
        now: { type: 'string', default: '2026-06-01T00:00:00Z' },
        concurrency: { type: 'string', default: '8' },
        'bundle-runs': { type: 'string', default: '5' },
        'no-bundle': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const users = values.users
    .split(',')
    .map((raw) =>
      number('users', raw, (v) => Number.isInteger(v) && v >= 0, 'whole numbers, comma-separated'),
    );
  const whole = (name: keyof typeof values, min: number) =>
    number(name, String(values[name]), (v) => Number.isInteger(v) && v >= min, `a whole number >= ${min}`);
  if (Number.isNaN(Date.parse(values.now)))
    throw new UsageError(`--now must be an ISO 8601 instant; got ${values.now}`);
  const cases = values.cases.split(',').map((name) => name.trim());
  const known = ['standard', 'two-day', 'delivery'];
  if (cases.length === 0 || cases.some((name) => !known.includes(name))) {
    throw new UsageError(
      `--cases must be one or more of ${known.join(', ')}; got ${JSON.stringify(values.cases)}`,
    );
  }
  return {
    cases: [...new Set(cases as BenchCase[])],
    users,
    twoDayUsers: whole('two-day-users', 1),
    changedShare: number('changed', values.changed, (v) => v >= 0 && v <= 1, 'from 0 to 1'),
    flaggedShare: number('flagged', values.flagged, (v) => v >= 0 && v <= 1, 'from 0 to 1'),
    latencyMs: number('latency', values.latency, (v) => v >= 0, 'a number >= 0'),
    ratePerSecond: number('rate', values.rate, (v) => v > 0, 'a number > 0'),
    strategies: strategies(values.strategies),
    skipNaiveAbove: whole('skip-naive-above', 0),
    rateLimitedUpTo: {
      engine: whole('engine-rate-limited-up-to', 0),
      naive: whole('naive-rate-limited-up-to', 0),
    },
    out: values.out ?? `bench/results/${fileTimestamp(startedAt)}.json`,
    seed: whole('seed', 0),
    now: new Date(values.now).toISOString(),
    concurrency: number('concurrency', values.concurrency, positiveInteger, 'a whole number > 0'),
    bundleRuns: number('bundle-runs', values['bundle-runs'], positiveInteger, 'a whole number > 0'),
    bundle: !values['no-bundle'],
  };
}
