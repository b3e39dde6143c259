/**
 * Pure: what one account's audit leaves for the aggregate step, and the organization report built from all of them.
 * No SDK, no clock: `now` is passed in.
 */
import { compareFindings, type AuditReport } from '../domain/report';
import { SEVERITIES, type Severity } from '../domain/types';
import type { AccountResult, OrganizationReport, OrgAccount } from '../domain/organization';

/**
 * The most findings one account's result keeps (the most severe): enough for a digest, and far under the state
 * table's 400 KB item limit. The rest are counted in `findingsOmitted`.
 */
export const MAX_FINDINGS_PER_ACCOUNT = 500;

/** The error of an account listed for the run whose audit left no result. */
export const NO_RESULT_ERROR = 'no result (the audit of this account did not finish)';

/**
 * The result of an account's audit: its findings, most severe first, at most `maxFindings` (the others counted in
 * `findingsOmitted`), its summary and source, and how many findings exemptions covered. A report of another
 * account than `account` (credentials of the wrong account) is a failed result, not an audit of `account`.
 */
export function toAccountResult(
  report: AuditReport,
  account: OrgAccount,
  maxFindings: number = MAX_FINDINGS_PER_ACCOUNT,
): AccountResult {
  if (!Number.isInteger(maxFindings) || maxFindings < 0) {
    throw new Error(`maxFindings must be a whole number from 0; got ${maxFindings}`);
  }
  if (report.accountId !== account.accountId) {
    return failedAccountResult(
      account,
      `the audit ran in account ${report.accountId}, not ${account.accountId}`,
      new Date(report.auditedAt),
    );
  }
  const findings = [...report.findings].sort(compareFindings);
  const kept = findings.slice(0, maxFindings);
  return {
    accountId: account.accountId,
    accountName: account.name,
    accountAlias: report.accountAlias,
    status: 'audited',
    auditedAt: report.auditedAt,
    source: report.source,
    summary: report.summary,
    findings: kept,
    findingsOmitted: findings.length - kept.length,
    exempted: report.exempted.length,
    ...(report.incomplete ? { incomplete: { usersNotAudited: report.incomplete.usersNotAudited } } : {}),
  };
}

/** The result of an account that could not be audited, and why (`error` must not hold a secret). */
export function failedAccountResult(account: OrgAccount, error: string, now: Date): AccountResult {
  return {
    accountId: account.accountId,
    accountName: account.name,
    accountAlias: null,
    status: 'failed',
    error,
    auditedAt: now.toISOString(),
    findings: [],
    findingsOmitted: 0,
    exempted: 0,
  };
}

/**
 * The organization report of run `runId`: one entry per account listed for the run (a listed account without a
 * result failed with {@link NO_RESULT_ERROR}); a result of an account not listed (excluded, left the organization,
 * or stored by anything but this run's listing) is a data-perimeter breach and never reaches the report. Accounts are ordered by
 * their most severe finding (most severe first; accounts without findings, failed ones included, last), then by
 * name and id. The summary adds up every account's counts; an account's `findings` count includes those omitted
 * from its result.
 */
export function buildOrganizationReport(
  runId: string,
  now: Date,
  accounts: OrgAccount[],
  results: AccountResult[],
): OrganizationReport {
  const byAccount = new Map<string, AccountResult>();
  for (const result of results) {
    if (!byAccount.has(result.accountId)) byAccount.set(result.accountId, result);
  }
  const entries: AccountResult[] = [];
  const listed = new Set<string>();
  for (const account of accounts) {
    if (listed.has(account.accountId)) continue;
    listed.add(account.accountId);
    entries.push(byAccount.get(account.accountId) ?? failedAccountResult(account, NO_RESULT_ERROR, now));
  }
  const rank = new Map(entries.map((entry) => [entry, highestSeverityRank(entry)]));
  entries.sort(
    (a, b) =>
      (rank.get(a) ?? 0) - (rank.get(b) ?? 0) ||
      compareText(a.accountName.toLowerCase(), b.accountName.toLowerCase()) ||
      compareText(a.accountName, b.accountName) ||
      compareText(a.accountId, b.accountId),
  );

  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let usersScanned = 0;
  let keysScanned = 0;
  let findings = 0;
  for (const entry of entries) {
    usersScanned += entry.summary?.usersScanned ?? 0;
    keysScanned += entry.summary?.keysScanned ?? 0;
    const counts = accountSeverityCounts(entry);
    for (const severity of SEVERITIES) {
      bySeverity[severity] += counts[severity];
      findings += counts[severity];
    }
  }

  return {
    runId,
    auditedAt: now.toISOString(),
    accounts: entries,
    summary: {
      accounts: entries.length,
      accountsAudited: entries.filter((e) => e.status === 'audited').length,
      accountsFailed: entries.filter((e) => e.status === 'failed').length,
      usersScanned,
      keysScanned,
      findings,
      bySeverity,
    },
  };
}

/** The account's findings by severity: its summary's counts (omitted findings included), else its listed findings. */
function accountSeverityCounts(result: AccountResult): Record<Severity, number> {
  if (result.summary) return result.summary.bySeverity;
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of result.findings) counts[finding.severity] += 1;
  return counts;
}

/** The rank (0 = critical) of the account's most severe finding; `SEVERITIES.length` when it has none. */
function highestSeverityRank(result: AccountResult): number {
  const counts = accountSeverityCounts(result);
  const fromCounts = SEVERITIES.findIndex((s) => counts[s] > 0);
  let rank = fromCounts === -1 ? SEVERITIES.length : fromCounts;
  for (const finding of result.findings) rank = Math.min(rank, SEVERITIES.indexOf(finding.severity));
  return rank;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
