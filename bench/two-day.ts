/**
 * The two-day case (issue 15): day one audits a synthetic account with no key index and saves one; overnight 1% of
 * the users change (rotations, new keys, deletions, deactivations), many keys are used, and some keys cross a
 * threshold; day two audits with a fresh credential report and the index. Day two is checked against the budget
 * (IAM calls <= changed users + newly flagged users + ceil(users / 1000) + 10) and its findings against a fully
 * live audit of the same state and the oracle. Runs in this process (no RSS measured): calls are what it is about.
 */
import { createAwsClients } from '../lambdas/audit/adapters/aws-clients';
import { IamGateway } from '../lambdas/audit/adapters/iam';
import { decodeShard, encodeShards } from '../lambdas/audit/adapters/key-index-store';
import { validateAuditConfig } from '../lambdas/audit/config';
import type { IndexedKey, KeyIndex, KeyIndexLoad } from '../lambdas/audit/domain/key-index';
import type { AuditReport } from '../lambdas/audit/domain/report';
import type { Finding } from '../lambdas/audit/domain/types';
import { audit } from '../lambdas/audit/engine';
import { seededRandom, type FakeIamAccount } from '../tools/fake-iam/account';
import { buildSyntheticAccount } from '../tools/fake-iam/sample-account';
import { startFakeIamServer } from '../tools/fake-iam/server';
import { BUDGETS, diffFindings, flaggedUsersOf, type BudgetLine, type FindingsDiff } from './budgets';
import { expectedAudit } from './expected';
import { runNaiveAudit } from './naive-audit';
import { renderBudgets, renderTable } from './format';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const BENCH_CREDENTIALS = { accessKeyId: 'AKIABENCHBENCHBENCH0', secretAccessKey: 'bench-not-a-secret' };

export interface TwoDaySpec {
  users: number;
  flaggedShare: number;
  /** The share of users changed overnight. Default 0.01. */
  changedShare: number;
  /** The share of users whose key crosses a threshold overnight (half key-expiring, half key-unused). */
  crossingShare: number;
  latencyMs: number;
  /** Day one and day two run under this rate limit; the fully live and naive comparisons without it. */
  ratePerSecond: number | null;
  seed: number;
  /** Day one's `now`, ISO 8601; day two is 24 hours later. */
  now: string;
  concurrency: number;
  /** Also run the naive per-user strategy on day two (without the rate limit), for the table. */
  naive: boolean;
}

export interface DayRun {
  label: string;
  rateLimited: boolean;
  wallMs: number;
  calls: Record<string, number>;
  totalCalls: number;
  throttled: number;
  verification: AuditReport['source']['verification'] | null;
  findings: number;
  flaggedUsers: number;
}

export interface TwoDayResult {
  users: number;
  flaggedShare: number;
  changedUsers: number;
  newlyFlaggedUsers: number;
  flaggedDayOne: number;
  flaggedDayTwo: number;
  indexUsers: number;
  indexShards: number;
  indexBytes: number;
  runs: DayRun[];
  comparisons: { dayTwoVsLive: FindingsDiff; dayTwoVsExpected: FindingsDiff; dayOneVsExpected: FindingsDiff };
  budgets: BudgetLine[];
}

/** Healthy users whose key crosses a threshold between day one and day two: set up before day one. */
function plantCrossings(account: FakeIamAccount, dayOne: Date, share: number, random: () => number): void {
  const healthy = [...account.users()].filter((u) =>
    u.tags.some((t) => t.Key === 'case' && t.Value === 'healthy'),
  );
  const count = Math.round(account.userCount * share);
  for (let i = 0; i < count && i < healthy.length; i++) {
    const user = healthy[Math.floor(random() * healthy.length)];
    const key = user?.keys[0];
    if (!key) continue;
    // IAM gives times to the second.
    const ago = (days: number) => new Date(Math.floor((dayOne.getTime() - days * DAY_MS) / 1000) * 1000);
    if (i % 2 === 0) {
      // Turns 83 days old (key-expiring, 90 - 7) overnight.
      key.createDate = ago(82.2 + random() * 0.6);
    } else {
      // Unused for 45 days overnight.
      key.createDate = ago(60);
      key.lastUsed = {
        date: ago(44.2 + random() * 0.6),
        service: 's3',
        region: 'eu-west-1',
      };
    }
  }
}

/** Overnight: `share` of the users changed in one of the ways a report row can change; many keys used. */
function changeOvernight(account: FakeIamAccount, dayTwo: Date, share: number, random: () => number): number {
  const users = [...account.users()];
  const changed = new Set<string>();
  const target = Math.round(users.length * share);
  const at = () => new Date(Math.floor((dayTwo.getTime() - (1 + random() * 10) * HOUR_MS) / 1000) * 1000);
  while (changed.size < Math.min(target, users.length)) {
    const user = users[Math.floor(random() * users.length)];
    if (!user || changed.has(user.userName) || user.keys.length === 0) continue;
    changed.add(user.userName);
    const [first, second] = user.keys as [(typeof user.keys)[number], (typeof user.keys)[number] | undefined];
    switch (Math.floor(random() * 4)) {
      case 0:
        account.rotateKey(first.accessKeyId, at());
        break;
      case 1:
        if (second) account.deleteKey(first.accessKeyId);
        else account.addKey(user.userName, { createDate: at() });
        break;
      case 2:
        account.setKeyStatus(first.accessKeyId, first.status === 'Active' ? 'Inactive' : 'Active');
        break;
      default:
        if (second) account.deleteKey(second.accessKeyId);
        else account.addKey(user.userName, { createDate: at(), status: 'Inactive' });
    }
  }
  // Most keys are used every day: a use changes no report row's key slots.
  for (const user of users) {
    for (const key of user.keys) {
      if (
        key.status === 'Active' &&
        random() < 0.5 &&
        key.lastUsed &&
        dayTwo.getTime() - key.lastUsed.date.getTime() < 10 * DAY_MS
      ) {
        key.lastUsed = { ...key.lastUsed, date: at() };
      }
    }
  }
  return changed.size;
}

/** The index as the store would write and read it back: through its shards. */
function roundTrip(index: KeyIndex): { load: KeyIndexLoad; shards: number; bytes: number } {
  const shards = encodeShards(index);
  const users = new Map<string, IndexedKey[]>();
  for (const shard of shards) {
    const problem = decodeShard(shard, users);
    if (problem) throw new Error(`key index shard does not decode: ${problem}`);
  }
  return {
    load: { status: 'loaded', index: { verifiedAt: index.verifiedAt, users } },
    shards: shards.length,
    bytes: shards.reduce((sum, shard) => sum + Buffer.byteLength(shard), 0),
  };
}

async function auditDay(
  spec: TwoDaySpec,
  account: FakeIamAccount,
  now: Date,
  label: string,
  strategy: { keyIndex?: KeyIndexLoad; naive?: boolean; rateLimited: boolean },
): Promise<{ run: DayRun; report: { findings: Finding[] }; keyIndex: KeyIndex | null }> {
  const server = await startFakeIamServer(account, {
    latencyMs: spec.latencyMs,
    ...(strategy.rateLimited && spec.ratePerSecond ? { rateLimitPerSecond: spec.ratePerSecond } : {}),
    now: () => now,
  });
  try {
    const config = validateAuditConfig({ concurrency: spec.concurrency });
    const clients = createAwsClients({
      maxAttempts: config.maxAttempts,
      endpoint: server.url,
      credentials: BENCH_CREDENTIALS,
    });
    const started = performance.now();
    let report: AuditReport;
    let keyIndex: KeyIndex | null = null;
    if (strategy.naive) {
      report = await runNaiveAudit({ iam: clients.iam, sts: clients.sts, config }, now);
    } else {
      const outcome = await audit(
        { iam: IamGateway.fromClients(clients), config, pollIntervalMs: 100 },
        { now, ...(strategy.keyIndex ? { keyIndex: strategy.keyIndex } : {}) },
      );
      report = outcome.report;
      keyIndex = outcome.keyIndex;
    }
    const wallMs = performance.now() - started;
    const calls = { ...server.stats.callsByAction };
    return {
      run: {
        label,
        rateLimited: strategy.rateLimited && spec.ratePerSecond !== null,
        wallMs,
        calls,
        totalCalls: Object.values(calls).reduce((sum, n) => sum + n, 0),
        throttled: server.stats.throttled,
        verification: report.source.verification ?? null,
        findings: report.findings.length,
        flaggedUsers: flaggedUsersOf(report.findings),
      },
      report,
      keyIndex,
    };
  } finally {
    await server.close();
  }
}

const formatInt = (n: number) => n.toLocaleString('en-US');
const describeDiff = (diff: FindingsDiff) =>
  diff.identical
    ? 'identical'
    : `${diff.onlyLeftCount} only in day two, ${diff.onlyRightCount} only in the other, ${diff.contentDiffers} differ`;

export async function runTwoDayCase(
  spec: TwoDaySpec,
  progress: (line: string) => void,
): Promise<TwoDayResult> {
  const dayOne = new Date(spec.now);
  const dayTwo = new Date(dayOne.getTime() + DAY_MS);
  const random = seededRandom(spec.seed ^ 0x2da7);
  const account = buildSyntheticAccount({
    users: spec.users,
    flaggedShare: spec.flaggedShare,
    now: dayOne,
    seed: spec.seed,
  });
  plantCrossings(account, dayOne, spec.crossingShare, random);
  const config = validateAuditConfig({});
  const expectedOne = expectedAudit(account, dayOne, config);
  const flaggedOne = new Set(
    expectedOne.findings.filter((f) => f.rule !== 'root-access-key').map((f) => f.userName),
  );

  const label = `${formatInt(spec.users)} users, two days`;
  progress(`${label}: day one (no index) ...`);
  const one = await auditDay(spec, account, dayOne, 'day one (no index)', {
    keyIndex: { status: 'missing' },
    rateLimited: true,
  });
  if (!one.keyIndex) throw new Error('day one returned no key index');
  const saved = roundTrip(one.keyIndex);

  const changedUsers = changeOvernight(account, dayTwo, spec.changedShare, random);
  const expectedTwo = expectedAudit(account, dayTwo, config);
  const flaggedTwo = new Set(
    expectedTwo.findings.filter((f) => f.rule !== 'root-access-key').map((f) => f.userName),
  );
  const newlyFlaggedUsers = [...flaggedTwo].filter((name) => !flaggedOne.has(name)).length;

  progress(`${label}: day two (key index) ...`);
  const two = await auditDay(spec, account, dayTwo, 'day two (key index)', {
    keyIndex: saved.load,
    rateLimited: true,
  });
  progress(`${label}: day two, fully live (rate limit lifted) ...`);
  const live = await auditDay(spec, account, dayTwo, 'day two, fully live', { rateLimited: false });
  const runs = [one.run, two.run, live.run];
  if (spec.naive) {
    progress(`${label}: day two, naive (rate limit lifted) ...`);
    runs.push(
      (await auditDay(spec, account, dayTwo, 'day two, naive', { naive: true, rateLimited: false })).run,
    );
  }

  const comparisons = {
    dayTwoVsLive: diffFindings(two.report.findings, live.report.findings),
    dayTwoVsExpected: diffFindings(two.report.findings, expectedTwo.findings),
    dayOneVsExpected: diffFindings(one.report.findings, expectedOne.findings),
  };
  const limit = changedUsers + newlyFlaggedUsers + Math.ceil(spec.users / 1000) + BUDGETS.otherCallsAllowance;
  const listOne = one.run.calls.ListAccessKeys ?? 0;
  const budgets: BudgetLine[] = [
    {
      budget: 'day two: IAM calls <= changed + newly flagged + ceil(users / 1000) + 10 (STS included)',
      measured: formatInt(two.run.totalCalls),
      limit: `${formatInt(limit)} (${changedUsers} + ${newlyFlaggedUsers} + ${Math.ceil(spec.users / 1000)} + 10)`,
      status: two.run.totalCalls <= limit ? 'PASS' : 'FAIL',
    },
    {
      budget: 'day two findings = a fully live audit of the same state',
      measured: describeDiff(comparisons.dayTwoVsLive),
      limit: 'identical',
      status: comparisons.dayTwoVsLive.identical ? 'PASS' : 'FAIL',
    },
    {
      budget: 'day two findings = expected (oracle)',
      measured: describeDiff(comparisons.dayTwoVsExpected),
      limit: 'identical',
      status: comparisons.dayTwoVsExpected.identical ? 'PASS' : 'FAIL',
    },
    {
      budget: 'day one unchanged: ListAccessKeys <= flagged users',
      measured: formatInt(listOne),
      limit: formatInt(expectedOne.flaggedUsers),
      status: listOne <= expectedOne.flaggedUsers ? 'PASS' : 'FAIL',
    },
    {
      budget: 'day one findings = expected (oracle)',
      measured: describeDiff(comparisons.dayOneVsExpected),
      limit: 'identical',
      status: comparisons.dayOneVsExpected.identical ? 'PASS' : 'FAIL',
    },
  ];
  return {
    users: spec.users,
    flaggedShare: spec.flaggedShare,
    changedUsers,
    newlyFlaggedUsers,
    flaggedDayOne: expectedOne.flaggedUsers,
    flaggedDayTwo: expectedTwo.flaggedUsers,
    indexUsers: one.keyIndex.users.size,
    indexShards: saved.shards,
    indexBytes: saved.bytes,
    runs,
    comparisons,
    budgets,
  };
}

const ACTIONS = [
  'GenerateCredentialReport',
  'GetCredentialReport',
  'GetAccountAuthorizationDetails',
  'ListUsers',
  'ListAccessKeys',
  'GetAccessKeyLastUsed',
  'ListUserTags',
  'ListAccountAliases',
  'GetAccountSummary',
  'GetCallerIdentity',
];

/** The two-day table: one column per run, calls by action, then the budgets. */
export function renderTwoDay(result: TwoDayResult): string {
  const seen = new Set(result.runs.flatMap((run) => Object.keys(run.calls)));
  const actions = [
    ...ACTIONS.filter((a) => seen.has(a)),
    ...[...seen].filter((a) => !ACTIONS.includes(a)).sort(),
  ];
  const rows: string[][] = [
    ['', ...result.runs.map((run) => run.label)],
    [
      'wall time',
      ...result.runs.map((run) => `${(run.wallMs / 1000).toFixed(1)} s${run.rateLimited ? '' : ' *'}`),
    ],
    ['IAM calls (STS included)', ...result.runs.map((run) => formatInt(run.totalCalls))],
    ...actions.map((action) => [
      `  ${action}`,
      ...result.runs.map((run) => formatInt(run.calls[action] ?? 0)),
    ]),
    [
      'users verified live / from index',
      ...result.runs.map((run) =>
        run.verification
          ? `${formatInt(run.verification.live)} / ${formatInt(run.verification.fromIndex)}`
          : '-',
      ),
    ],
    ['findings', ...result.runs.map((run) => formatInt(run.findings))],
    ['flagged users', ...result.runs.map((run) => formatInt(run.flaggedUsers))],
  ];
  return [
    `Two days, ${formatInt(result.users)} users, ${Math.round(result.flaggedShare * 100)}% flagged: ` +
      `${formatInt(result.changedUsers)} users changed overnight, ${formatInt(result.newlyFlaggedUsers)} newly flagged ` +
      `(${formatInt(result.flaggedDayOne)} flagged on day one, ${formatInt(result.flaggedDayTwo)} on day two); ` +
      `key index: ${formatInt(result.indexUsers)} users, ${result.indexShards} shard(s), ${formatInt(result.indexBytes)} B`,
    renderTable(rows),
    '  * rate limit lifted (same latency): calls counted, wall time not comparable',
    renderBudgets(result.budgets),
  ].join('\n');
}
