/**
 * The budgets, checked against one case's measurements, and the comparison of two sets of findings.
 * Pure: plain numbers in, PASS / FAIL lines out.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../lambdas/audit/domain/types';
import { verdictOf } from './expected';

/** The budgets as the issue states them. RSS in MiB (Lambda's "MB"); the bundle in decimal MB, the stricter reading. */
export const BUDGETS = {
  /** Calls other than ListAccessKeys and GetAccessKeyLastUsed: ceil(users / 1000) + this. */
  otherCallsAllowance: 10,
  /** The wall-time and call-ratio budgets are set for this case. */
  headlineCase: { users: 5000, flaggedShare: 0.2, latencyMs: 50, ratePerSecond: 10 },
  wallTimeMs: 180_000,
  callRatio: 10,
  peakRssBytes: 256 * 1024 * 1024,
  bundleBytes: 1_500_000,
  requireMs: 300,
} as const;

/** Actions whose budget is per flagged user or per key; every other call counts against the fixed allowance. */
export const PER_USER_ACTIONS = ['ListAccessKeys', 'GetAccessKeyLastUsed'] as const;

export type BudgetStatus = 'PASS' | 'FAIL' | 'n/a';

export interface BudgetLine {
  budget: string;
  measured: string;
  limit: string;
  status: BudgetStatus;
  note?: string;
}

export interface FindingsDiff {
  identical: boolean;
  /** Verdicts (rule, user, key, rotation step) found by only one side; at most `DIFF_SAMPLE` of each. */
  onlyLeft: string[];
  onlyRight: string[];
  onlyLeftCount: number;
  onlyRightCount: number;
  /** Findings with the same verdict whose other fields (action text, last use, ages) differ. */
  contentDiffers: number;
}

const DIFF_SAMPLE = 10;

function countVerdicts(findings: Finding[]): Map<string, string[]> {
  const byVerdict = new Map<string, string[]>();
  for (const finding of findings) {
    const verdict = verdictOf(finding);
    byVerdict.set(verdict, [...(byVerdict.get(verdict) ?? []), JSON.stringify(finding)]);
  }
  return byVerdict;
}

/** Compares two sets of findings verdict by verdict, then field by field. */
export function diffFindings(left: Finding[], right: Finding[]): FindingsDiff {
  const a = countVerdicts(left);
  const b = countVerdicts(right);
  const onlyIn = (x: Map<string, string[]>, y: Map<string, string[]>) =>
    [...x].flatMap(([verdict, items]) =>
      Array.from({ length: Math.max(0, items.length - (y.get(verdict)?.length ?? 0)) }, () => verdict),
    );
  const onlyLeft = onlyIn(a, b);
  const onlyRight = onlyIn(b, a);
  let contentDiffers = 0;
  for (const [verdict, items] of a) {
    const other = [...(b.get(verdict) ?? [])].sort();
    [...items].sort().forEach((item, i) => {
      if (other[i] !== undefined && other[i] !== item) contentDiffers += 1;
    });
  }
  return {
    identical: onlyLeft.length === 0 && onlyRight.length === 0 && contentDiffers === 0,
    onlyLeft: onlyLeft.slice(0, DIFF_SAMPLE),
    onlyRight: onlyRight.slice(0, DIFF_SAMPLE),
    onlyLeftCount: onlyLeft.length,
    onlyRightCount: onlyRight.length,
    contentDiffers,
  };
}

/** A digest of the findings' full content, order-independent, to compare runs across commits. */
export function findingsDigest(findings: Finding[]): string {
  const lines = findings.map((finding) => JSON.stringify(finding)).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** Users with at least one finding, root excluded. */
export function flaggedUsersOf(findings: Finding[]): number {
  return new Set(findings.filter((f) => f.rule !== 'root-access-key').map((f) => f.userName)).size;
}

export interface CaseMeasurements {
  users: number;
  flaggedShare: number;
  latencyMs: number;
  ratePerSecond: number;
  expected: { flaggedUsers: number; keysNeedingLastUse: number };
  engine?: {
    /** Calls the fake IAM served (throttled attempts excluded), by action, STS included. */
    calls: Record<string, number>;
    totalCalls: number;
    wallMs: number;
    rateLimited: boolean;
    peakRssBytes: number;
    vsExpected: FindingsDiff;
  };
  naive?: { totalCalls: number; vsExpected: FindingsDiff };
  engineVsNaive?: FindingsDiff;
}

const formatInt = (n: number) => n.toLocaleString('en-US');
const status = (pass: boolean): BudgetStatus => (pass ? 'PASS' : 'FAIL');

function describeDiff(diff: FindingsDiff, left: string, right: string): string {
  if (diff.identical) return 'identical';
  const parts = [];
  if (diff.onlyLeftCount > 0) parts.push(`${formatInt(diff.onlyLeftCount)} only in ${left}`);
  if (diff.onlyRightCount > 0) parts.push(`${formatInt(diff.onlyRightCount)} only in ${right}`);
  if (diff.contentDiffers > 0) parts.push(`${formatInt(diff.contentDiffers)} differ in content`);
  return parts.join(', ');
}

function isHeadlineCase(m: CaseMeasurements): boolean {
  const h = BUDGETS.headlineCase;
  return (
    m.users === h.users &&
    m.flaggedShare === h.flaggedShare &&
    m.latencyMs === h.latencyMs &&
    m.ratePerSecond === h.ratePerSecond
  );
}

/** The budget lines of one case: the call budget, correctness, memory, and (for the case) time and ratio. */
export function checkCaseBudgets(m: CaseMeasurements): BudgetLine[] {
  const lines: BudgetLine[] = [];
  const { engine, naive } = m;
  if (engine) {
    const calls = (action: string) => engine.calls[action] ?? 0;
    const others = engine.totalCalls - PER_USER_ACTIONS.reduce((sum, action) => sum + calls(action), 0);
    const otherLimit = Math.ceil(m.users / 1000) + BUDGETS.otherCallsAllowance;
    lines.push(
      {
        budget: 'ListAccessKeys <= flagged users',
        measured: formatInt(calls('ListAccessKeys')),
        limit: formatInt(m.expected.flaggedUsers),
        status: status(calls('ListAccessKeys') <= m.expected.flaggedUsers),
      },
      {
        budget: 'GetAccessKeyLastUsed <= keys whose verdict depends on last use',
        measured: formatInt(calls('GetAccessKeyLastUsed')),
        limit: formatInt(m.expected.keysNeedingLastUse),
        status: status(calls('GetAccessKeyLastUsed') <= m.expected.keysNeedingLastUse),
      },
      {
        budget: 'other calls <= ceil(users / 1000) + 10 (STS included)',
        measured: formatInt(others),
        limit: formatInt(otherLimit),
        status: status(others <= otherLimit),
      },
      {
        budget: 'engine findings = expected (oracle)',
        measured: describeDiff(engine.vsExpected, 'engine', 'expected'),
        limit: 'identical',
        status: status(engine.vsExpected.identical),
      },
      {
        budget: 'engine peak RSS < 256 MiB',
        measured: `${(engine.peakRssBytes / 2 ** 20).toFixed(1)} MiB`,
        limit: '256 MiB',
        status: status(engine.peakRssBytes < BUDGETS.peakRssBytes),
        ...(m.users === 20000 ? {} : { note: 'the issue sets it for 20,000 users' }),
      },
    );
  }
  if (naive) {
    lines.push({
      budget: 'naive findings = expected (the baseline is sound)',
      measured: describeDiff(naive.vsExpected, 'naive', 'expected'),
      limit: 'identical',
      status: status(naive.vsExpected.identical),
    });
  }
  if (engine && naive && m.engineVsNaive) {
    lines.push({
      budget: 'engine findings = naive findings',
      measured: describeDiff(m.engineVsNaive, 'engine', 'naive'),
      limit: 'identical',
      status: status(m.engineVsNaive.identical),
    });
  }
  if (isHeadlineCase(m)) {
    lines.push(
      engine?.rateLimited
        ? {
            budget: 'wall time < 180 s',
            measured: `${(engine.wallMs / 1000).toFixed(1)} s`,
            limit: '180 s',
            status: status(engine.wallMs < BUDGETS.wallTimeMs),
          }
        : {
            budget: 'wall time < 180 s',
            measured: 'not measured',
            limit: '180 s',
            status: 'n/a',
            note: 'the engine ran without the rate limit',
          },
    );
    const ratio = engine && naive ? naive.totalCalls / engine.totalCalls : undefined;
    lines.push({
      budget: '>= 10x fewer IAM calls than naive',
      measured: ratio === undefined ? 'not measured' : `${ratio.toFixed(2)}x`,
      limit: '10x',
      status: ratio === undefined ? 'n/a' : status(ratio >= BUDGETS.callRatio),
    });
  }
  return lines;
}

export interface BundleMeasurements {
  bytes: number;
  /** Cold require of the handler, as deployed (NODE_OPTIONS=--enable-source-maps). */
  requireMedianMs: number;
}

export function checkBundleBudgets(m: BundleMeasurements): BudgetLine[] {
  return [
    {
      budget: 'handler bundle < 1.5 MB minified',
      measured: `${formatInt(m.bytes)} B`,
      limit: '1,500,000 B',
      status: status(m.bytes < BUDGETS.bundleBytes),
    },
    {
      budget: 'cold require of the handler < 300 ms (median, as deployed)',
      measured: `${m.requireMedianMs.toFixed(0)} ms`,
      limit: '300 ms',
      status: status(m.requireMedianMs < BUDGETS.requireMs),
    },
  ];
}
