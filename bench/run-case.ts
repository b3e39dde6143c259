/**
 * One benchmark case: a synthetic account served by a fresh fake IAM in this process, audited by each strategy
 * in a forked worker process (so each audit's peak RSS is its own and the fake's memory is not counted in it).
 */
import { fork } from 'node:child_process';
import { validateAuditConfig } from '../lambdas/audit/config';
import type { CallCounts } from '../lambdas/audit/adapters/call-counter';
import type { ReportSource } from '../lambdas/audit/domain/report';
import type { Finding } from '../lambdas/audit/domain/types';
import { buildSyntheticAccount } from '../tools/fake-iam/sample-account';
import { startFakeIamServer } from '../tools/fake-iam/server';
import {
  checkCaseBudgets,
  diffFindings,
  findingsDigest,
  flaggedUsersOf,
  type BudgetLine,
  type FindingsDiff,
} from './budgets';
import { expectedAudit, type ExpectedAudit } from './expected';
import type { Strategy, WorkerJob, WorkerOutcome, WorkerResult } from './worker';

export interface CaseSpec {
  users: number;
  flaggedShare: number;
  latencyMs: number;
  ratePerSecond: number;
  seed: number;
  now: string;
  concurrency: number;
  strategies: Strategy[];
  /** Strategies run with the rate limit lifted (same latency) in this case. */
  rateLimitLifted: Strategy[];
}

export interface StrategyRun {
  strategy: Strategy;
  /** False when the case ran this strategy without the rate limit: calls counted, wall time not comparable. */
  rateLimited: boolean;
  wallMs: number;
  /** For a run without the rate limit: the least wall time its calls need at the rate limit (calls / rate). */
  estimatedWallMsAtRate: number | null;
  peakRssBytes: number;
  rssBeforeBytes: number;
  heapUsedBytes: number;
  /** The largest heap in use, sampled every 10 ms. */
  peakHeapUsedBytes: number;
  /** What the fake IAM saw: calls it served by action (STS included) and attempts it throttled. */
  server: {
    calls: Record<string, number>;
    totalCalls: number;
    throttled: number;
    throttledByAction: Record<string, number>;
    errorsByCode: Record<string, number>;
  };
  /** What the SDK client's counter saw (IAM only). */
  client: CallCounts;
  report: {
    source: ReportSource;
    usersScanned: number;
    keysScanned: number;
    findings: number;
    flaggedUsers: number;
    /** A digest of the findings' full content, to compare with other runs and commits. */
    findingsDigest: string;
  };
}

export interface CaseResult {
  users: number;
  flaggedShare: number;
  latencyMs: number;
  ratePerSecond: number;
  seed: number;
  expected: Omit<ExpectedAudit, 'findings'> & { findings: number; findingsDigest: string };
  runs: Partial<Record<Strategy, StrategyRun>>;
  comparisons: {
    engineVsExpected?: FindingsDiff;
    naiveVsExpected?: FindingsDiff;
    engineVsNaive?: FindingsDiff;
  };
  /** Naive calls / engine calls, both as the fake IAM served them. */
  callRatio: number | null;
  budgets: BudgetLine[];
}

/** Forks the bundled worker with plain `node`, sends it the job and waits for its one answer. */
function runWorker(workerPath: string, job: WorkerJob): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath, [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let outcome: WorkerOutcome | undefined;
    child.once('message', (message: WorkerOutcome) => {
      outcome = message;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!outcome) reject(new Error(`bench worker exited (${signal ?? code}) without a result`));
      else if (!outcome.ok) reject(new Error(`${job.strategy} audit failed: ${outcome.error}`));
      else resolve(outcome);
    });
    child.send(job);
  });
}

async function runStrategy(
  spec: CaseSpec,
  strategy: Strategy,
  workerPath: string,
): Promise<{ run: StrategyRun; findings: Finding[] }> {
  const now = new Date(spec.now);
  const rateLimited = !spec.rateLimitLifted.includes(strategy);
  // A fresh account (the same seed gives the same one) and server: no state or counts carried over.
  const account = buildSyntheticAccount({
    users: spec.users,
    flaggedShare: spec.flaggedShare,
    now,
    seed: spec.seed,
  });
  const server = await startFakeIamServer(account, {
    latencyMs: spec.latencyMs,
    ...(rateLimited ? { rateLimitPerSecond: spec.ratePerSecond } : {}),
    now: () => now,
  });
  try {
    const defaults = validateAuditConfig({});
    const result = await runWorker(workerPath, {
      strategy,
      endpoint: server.url,
      now: spec.now,
      concurrency: spec.concurrency,
      maxAttempts: defaults.maxAttempts,
      reportWaitSeconds: defaults.reportWaitSeconds,
      pollIntervalMs: 100,
    });
    const { stats } = server;
    const totalCalls = Object.values(stats.callsByAction).reduce((sum, n) => sum + n, 0);
    const { findings } = result.report;
    return {
      findings,
      run: {
        strategy,
        rateLimited,
        wallMs: result.wallMs,
        estimatedWallMsAtRate: rateLimited ? null : (totalCalls / spec.ratePerSecond) * 1000,
        peakRssBytes: result.peakRssBytes,
        rssBeforeBytes: result.rssBeforeBytes,
        heapUsedBytes: result.heapUsedBytes,
        peakHeapUsedBytes: result.peakHeapUsedBytes,
        server: {
          calls: { ...stats.callsByAction },
          totalCalls,
          throttled: stats.throttled,
          throttledByAction: { ...stats.throttledByAction },
          errorsByCode: { ...stats.errorsByCode },
        },
        client: result.client,
        report: {
          source: result.report.source,
          usersScanned: result.report.summary.usersScanned,
          keysScanned: result.report.summary.keysScanned,
          findings: findings.length,
          flaggedUsers: flaggedUsersOf(findings),
          findingsDigest: findingsDigest(findings),
        },
      },
    };
  } finally {
    await server.close();
  }
}

export async function runCase(
  spec: CaseSpec,
  workerPath: string,
  progress: (line: string) => void,
): Promise<CaseResult> {
  const now = new Date(spec.now);
  const expected = expectedAudit(
    buildSyntheticAccount({ users: spec.users, flaggedShare: spec.flaggedShare, now, seed: spec.seed }),
    now,
    validateAuditConfig({}),
  );
  const runs: CaseResult['runs'] = {};
  const findings: Partial<Record<Strategy, Finding[]>> = {};
  for (const strategy of spec.strategies) {
    const limit = spec.rateLimitLifted.includes(strategy)
      ? 'rate limit lifted'
      : `${spec.ratePerSecond} calls/s`;
    progress(`${spec.users.toLocaleString('en-US')} users: ${strategy} (${limit}) ...`);
    const outcome = await runStrategy(spec, strategy, workerPath);
    runs[strategy] = outcome.run;
    findings[strategy] = outcome.findings;
    progress(
      `${spec.users.toLocaleString('en-US')} users: ${strategy} done in ${(outcome.run.wallMs / 1000).toFixed(1)} s, ` +
        `${outcome.run.server.totalCalls.toLocaleString('en-US')} calls`,
    );
  }
  const comparisons: CaseResult['comparisons'] = {};
  if (findings.engine) comparisons.engineVsExpected = diffFindings(findings.engine, expected.findings);
  if (findings.naive) comparisons.naiveVsExpected = diffFindings(findings.naive, expected.findings);
  if (findings.engine && findings.naive)
    comparisons.engineVsNaive = diffFindings(findings.engine, findings.naive);
  const { engine, naive } = runs;
  const budgets = checkCaseBudgets({
    users: spec.users,
    flaggedShare: spec.flaggedShare,
    latencyMs: spec.latencyMs,
    ratePerSecond: spec.ratePerSecond,
    expected,
    ...(engine && comparisons.engineVsExpected
      ? {
          engine: {
            calls: engine.server.calls,
            totalCalls: engine.server.totalCalls,
            wallMs: engine.wallMs,
            rateLimited: engine.rateLimited,
            peakRssBytes: engine.peakRssBytes,
            vsExpected: comparisons.engineVsExpected,
          },
        }
      : {}),
    ...(naive && comparisons.naiveVsExpected
      ? { naive: { totalCalls: naive.server.totalCalls, vsExpected: comparisons.naiveVsExpected } }
      : {}),
    ...(comparisons.engineVsNaive ? { engineVsNaive: comparisons.engineVsNaive } : {}),
  });
  const { findings: expectedFindings, ...expectedCounts } = expected;
  return {
    users: spec.users,
    flaggedShare: spec.flaggedShare,
    latencyMs: spec.latencyMs,
    ratePerSecond: spec.ratePerSecond,
    seed: spec.seed,
    expected: {
      ...expectedCounts,
      findings: expectedFindings.length,
      findingsDigest: findingsDigest(expectedFindings),
    },
    runs,
    comparisons,
    callRatio: engine && naive ? naive.server.totalCalls / engine.server.totalCalls : null,
    budgets,
  };
}
