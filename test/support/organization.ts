/**
 * Organization results for the tests of the organization digest and SNS message, built by the production
 * functions of the audit and aggregate steps (lambdas/audit/organization/account-result.ts).
 */
import type { IamUser } from '../../lambdas/audit/domain/types';
import type { AccountResult, OrganizationReport } from '../../lambdas/audit/domain/organization';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import {
  buildOrganizationReport,
  failedAccountResult,
  toAccountResult,
} from '../../lambdas/audit/organization/account-result';
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
  return failedAccountResult({ accountId, name: accountName }, error, NOW);
}

/** The account's result from its report, as the audit step records it (`partial` overrides). */
export function fromReport(
  accountName: string,
  report: AuditReport,
  partial: Partial<AccountResult> = {},
): AccountResult {
  const account = { accountId: report.accountId, name: accountName };
  // Every finding kept: the tests cap a result themselves (`capped`).
  return { ...toAccountResult(report, account, report.findings.length), ...partial };
}

/** The organization report of `accounts` (each listed for the run), as the aggregate step builds it. */
export function organization(accounts: AccountResult[]): OrganizationReport {
  return buildOrganizationReport(
    'run-2026-11-28',
    NOW,
    accounts.map((a) => ({ accountId: a.accountId, name: a.accountName })),
    accounts,
  );
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
