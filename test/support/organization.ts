/** Organization results for the tests of the organization digest and SNS message. */
import { SEVERITIES, type IamUser } from '../../lambdas/audit/domain/types';
import type { AccountResult, OrganizationReport } from '../../lambdas/audit/domain/organization';
import { daysAgo, key, NOW, used, user } from './builders';

/** The id of the `i`th test account. */
export const accountId = (i: number) => String(100000000000 + i);

/** The account's result keeping only its `max` most severe findings, as the audit step caps them. */
export function capped(account: AccountResult, max: number): AccountResult {
  return {
    ...account,
    findings: account.findings.slice(0, max),
    findingsOmitted: account.findings.length - max,
  };
}

export function failedAccount(accountName: string, accountId: string, error: string): AccountResult {
  return {
    accountId,
    accountName,
    accountAlias: null,
    status: 'failed',
    error,
    auditedAt: NOW.toISOString(),
    findings: [],
    findingsOmitted: 0,
    exempted: 0,
  };
}

/** The organization report of `accounts`, counted as the aggregate step counts it. */
export function organization(accounts: AccountResult[]): OrganizationReport {
  const bySeverity = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const a of accounts) for (const s of SEVERITIES) bySeverity[s] += a.summary?.bySeverity[s] ?? 0;
  return {
    runId: 'run-2026-11-28',
    auditedAt: NOW.toISOString(),
    accounts,
    summary: {
      accounts: accounts.length,
      accountsAudited: accounts.filter((a) => a.status === 'audited').length,
      accountsFailed: accounts.filter((a) => a.status === 'failed').length,
      usersScanned: accounts.reduce((n, a) => n + (a.summary?.usersScanned ?? 0), 0),
      keysScanned: accounts.reduce((n, a) => n + (a.summary?.keysScanned ?? 0), 0),
      findings: accounts.reduce((n, a) => n + a.findings.length + a.findingsOmitted, 0),
      bySeverity,
    },
  };
}

/** `n` users with one finding each (key descriptions from `describe`), across four rules and three severities (high, medium, low). */
export function usersWithFindings(
  n: number,
  prefix = 'user',
  describe: (i: number) => string = (i) => `service ${i}`,
): IamUser[] {
  return Array.from({ length: n }, (_, i) => {
    const userName = `${prefix}-${String(i + 1).padStart(4, '0')}`;
    const accessKeyId = `AKIA${String(i + 1).padStart(16, '0')}`;
    const variants = [
      key({ accessKeyId, createdAt: daysAgo(91), lastUsed: used(1) }), // key-too-old, high
      key({ accessKeyId, createdAt: daysAgo(60), lastUsed: used(50) }), // key-unused, medium
      key({ accessKeyId, status: 'Inactive', createdAt: daysAgo(10), lastUsed: used(5) }), // inactive-key, low
      key({ accessKeyId, createdAt: daysAgo(85), lastUsed: used(1) }), // key-expiring, low
    ];
    return user({ userName, keys: [variants[i % 4]!], tags: { [accessKeyId]: describe(i + 1) } });
  });
}
