import type { AuditReport } from '../../../lambdas/audit/domain/report';
import { evaluateRoot } from '../../../lambdas/audit/domain/rules';
import type { IamUser, Severity } from '../../../lambdas/audit/domain/types';
import {
  buildOrganizationReport,
  failedAccountResult,
  MAX_FINDINGS_PER_ACCOUNT,
  NO_RESULT_ERROR,
  toAccountResult,
} from '../../../lambdas/audit/organization/account-result';
import type { AccountResult, OrgAccount } from '../../../lambdas/audit/domain/organization';
import {
  daysAgo,
  exempted,
  findingsOf,
  key,
  NOW,
  reportOfUsers,
  settings,
  used,
  user,
} from '../../support/builders';

const ZERO_BY_SEVERITY = { critical: 0, high: 0, medium: 0, low: 0 };

/** Member account number `n`: id `10000000000n`, name `account-n`. */
function account(n: number, name = `account-${n}`): OrgAccount {
  return { accountId: String(100000000000 + n), name };
}

/** A user whose one key gives one finding of `severity` (critical: none; use `root`). */
function userWith(severity: Exclude<Severity, 'critical'>, userName: string): IamUser {
  switch (severity) {
    case 'high':
      return user({ userName, keys: [key({ accessKeyId: `AKIA${userName}`, createdAt: daysAgo(100) })] });
    case 'medium':
      return user({ userName, keys: [key({ accessKeyId: `AKIA${userName}`, lastUsed: used(60) })] });
    case 'low':
      return user({ userName, keys: [key({ accessKeyId: `AKIA${userName}`, status: 'Inactive' })] });
  }
}

/** `count` users, each with one finding of `severity`, named `<severity>-000`, `<severity>-001`, ... */
function usersWith(severity: Exclude<Severity, 'critical'>, count: number): IamUser[] {
  return Array.from({ length: count }, (_, i) =>
    userWith(severity, `${severity}-${String(i).padStart(3, '0')}`),
  );
}

const ROOT_FINDING = evaluateRoot(
  [{ active: true, createdAt: daysAgo(500), lastUsed: null }],
  NOW,
  settings(),
);

/** The report of an audit of `acct` whose users hold findings of these severities (and a root key if asked). */
function reportOf(
  acct: OrgAccount,
  counts: Partial<Record<Severity, number>>,
  partial: Partial<Parameters<typeof reportOfUsers>[1]> = {},
): AuditReport {
  const users = [
    ...usersWith('high', counts.high ?? 0),
    ...usersWith('medium', counts.medium ?? 0),
    ...usersWith('low', counts.low ?? 0),
  ];
  const findings = [...findingsOf(users), ...(counts.critical ? ROOT_FINDING : [])];
  return reportOfUsers(users, { accountId: acct.accountId, findings, ...partial });
}

describe('toAccountResult', () => {
  it("keeps the account's findings, summary, source and counts", () => {
    const acct = account(1, 'prod');
    const report = reportOf(acct, { high: 1, low: 1 }, { accountAlias: 'prod-alias' });

    expect(toAccountResult(report, acct)).toEqual({
      accountId: acct.accountId,
      accountName: 'prod',
      accountAlias: 'prod-alias',
      status: 'audited',
      auditedAt: NOW.toISOString(),
      source: report.source,
      summary: report.summary,
      findings: report.findings,
      findingsOmitted: 0,
      exempted: 0,
    });
  });

  it('caps the findings at maxFindings, keeping the most severe, and counts the others as omitted', () => {
    const acct = account(1);
    const report = reportOf(acct, { low: 10, high: 5, medium: 5, critical: 1 });

    const result = toAccountResult(report, acct, 8);

    expect(result.findings.map((f) => f.severity)).toEqual([
      'critical',
      'high',
      'high',
      'high',
      'high',
      'high',
      'medium',
      'medium',
    ]);
    expect(result.findings.map((f) => f.userName).slice(6)).toEqual(['medium-000', 'medium-001']);
    expect(result.findingsOmitted).toBe(13);
    expect(result.summary?.findings).toBe(21);
  });

  it(`keeps at most ${MAX_FINDINGS_PER_ACCOUNT} findings by default`, () => {
    const acct = account(1);
    const report = reportOf(acct, { high: 100, low: 520 });

    const result = toAccountResult(report, acct);

    expect(result.findings).toHaveLength(500);
    expect(result.findingsOmitted).toBe(120);
    expect(result.findings.filter((f) => f.severity === 'high')).toHaveLength(100);
  });

  it('keeps no findings with a cap of 0, and refuses a cap that is not a whole number from 0', () => {
    const acct = account(1);
    const report = reportOf(acct, { high: 2 });

    expect(toAccountResult(report, acct, 0)).toMatchObject({ findings: [], findingsOmitted: 2 });
    expect(() => toAccountResult(report, acct, -1)).toThrow(
      'maxFindings must be a whole number from 0; got -1',
    );
    expect(() => toAccountResult(report, acct, 1.5)).toThrow('got 1.5');
  });

  it('counts the exempted findings and says how many users an incomplete audit did not reach', () => {
    const acct = account(1);
    const [finding] = findingsOf(usersWith('high', 1));
    const report = reportOf(
      acct,
      {},
      {
        exempted: finding ? [exempted(finding)] : [],
        notAudited: { reason: 'the audit neared the Lambda timeout', users: ['x', 'y', 'z'] },
      },
    );

    expect(toAccountResult(report, acct)).toMatchObject({
      exempted: 1,
      incomplete: { usersNotAudited: 3 },
    });
  });

  it('fails an audit that ran in another account than the one listed', () => {
    const listed = account(1);
    const report = reportOf(account(2), { high: 1 });

    expect(toAccountResult(report, listed)).toEqual({
      accountId: listed.accountId,
      accountName: listed.name,
      accountAlias: null,
      status: 'failed',
      error: `the audit ran in account ${account(2).accountId}, not ${listed.accountId}`,
      auditedAt: NOW.toISOString(),
      findings: [],
      findingsOmitted: 0,
      exempted: 0,
    });
  });
});

describe('failedAccountResult', () => {
  it('is a failed result with the error, at now, without findings', () => {
    expect(failedAccountResult(account(7, 'sandbox'), 'AccessDenied', NOW)).toEqual({
      accountId: account(7).accountId,
      accountName: 'sandbox',
      accountAlias: null,
      status: 'failed',
      error: 'AccessDenied',
      auditedAt: NOW.toISOString(),
      findings: [],
      findingsOmitted: 0,
      exempted: 0,
    });
  });
});

describe('buildOrganizationReport', () => {
  const critical = account(1, 'zeta-critical');
  const high = account(2, 'Beta-high');
  const medium = account(3, 'alpha-medium');
  const clean = account(4, 'gamma-clean');
  const failed = account(5, 'delta-failed');
  const missing = account(6, 'epsilon-missing');
  const listed = [critical, high, medium, clean, failed, missing];

  const results: AccountResult[] = [
    toAccountResult(reportOf(medium, { medium: 2, low: 1 }), medium),
    toAccountResult(reportOf(clean, {}), clean),
    failedAccountResult(failed, 'cannot assume ...: AccessDenied (is the member role deployed there?)', NOW),
    // Capped: the critical and 1 of the 3 high findings kept, but the counts still say 4.
    toAccountResult(reportOf(critical, { critical: 1, high: 3 }), critical, 2),
    toAccountResult(reportOf(high, { high: 1, low: 2 }), high),
  ];

  it('orders accounts by their most severe finding, then by name; accounts without findings last', () => {
    const report = buildOrganizationReport('run-1', NOW, listed, results);

    expect(report.accounts.map((a) => [a.accountName, a.status])).toEqual([
      ['zeta-critical', 'audited'],
      ['Beta-high', 'audited'],
      ['alpha-medium', 'audited'],
      ['delta-failed', 'failed'],
      ['epsilon-missing', 'failed'],
      ['gamma-clean', 'audited'],
    ]);
  });

  it('reports a listed account without a result as failed: its audit did not finish', () => {
    const report = buildOrganizationReport('run-1', NOW, listed, results);

    expect(report.accounts.find((a) => a.accountId === missing.accountId)).toEqual(
      failedAccountResult(missing, NO_RESULT_ERROR, NOW),
    );
    expect(NO_RESULT_ERROR).toBe('no result (the audit of this account did not finish)');
  });

  it('adds up the accounts, users, keys and findings, omitted findings included', () => {
    const report = buildOrganizationReport('run-1', NOW, listed, results);

    expect(report).toMatchObject({ runId: 'run-1', auditedAt: NOW.toISOString() });
    expect(report.summary).toEqual({
      accounts: 6,
      accountsAudited: 4,
      accountsFailed: 2,
      // Users: medium 3, clean 0, critical 3, high 3; one key each.
      usersScanned: 9,
      keysScanned: 9,
      findings: 3 + 4 + 3,
      bySeverity: { critical: 1, high: 4, medium: 2, low: 3 },
    });
  });

  it('counts the findings of a result without a summary from its findings', () => {
    const acct = account(9);
    const result: AccountResult = {
      ...failedAccountResult(acct, 'partial', NOW),
      findings: findingsOf(usersWith('medium', 2)),
    };

    expect(buildOrganizationReport('run-1', NOW, [acct], [result]).summary).toMatchObject({
      findings: 2,
      bySeverity: { ...ZERO_BY_SEVERITY, medium: 2 },
    });
  });

  it('drops a result of an account not listed, and lists each account once', () => {
    const extra = account(8, 'extra');
    const report = buildOrganizationReport(
      'run-1',
      NOW,
      [clean, clean],
      [failedAccountResult(extra, 'AccessDenied', NOW), toAccountResult(reportOf(clean, {}), clean)],
    );

    expect(report.accounts.map((a) => a.accountName)).toEqual(['gamma-clean']);
    expect(report.summary.accounts).toBe(1);
  });

  it('is an empty report for an organization with no auditable account', () => {
    expect(buildOrganizationReport('run-1', NOW, [], [])).toEqual({
      runId: 'run-1',
      auditedAt: NOW.toISOString(),
      accounts: [],
      summary: {
        accounts: 0,
        accountsAudited: 0,
        accountsFailed: 0,
        usersScanned: 0,
        keysScanned: 0,
        findings: 0,
        bySeverity: ZERO_BY_SEVERITY,
      },
    });
  });

  it('reports 300 accounts, of which none finished, as 300 failures', () => {
    const accounts = Array.from({ length: 300 }, (_, i) =>
      account(i, `account-${String(i).padStart(3, '0')}`),
    );

    const report = buildOrganizationReport('run-1', NOW, accounts, []);

    expect(report.summary).toMatchObject({ accounts: 300, accountsAudited: 0, accountsFailed: 300 });
    expect(report.accounts.map((a) => a.accountId)).toEqual(accounts.map((a) => a.accountId));
  });
});
