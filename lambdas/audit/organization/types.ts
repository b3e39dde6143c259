/**
 * Organization mode: one deployment audits every member account. The scheduled run is a Step Functions state
 * machine: list the accounts, audit each (assuming its read-only role), then aggregate and notify once.
 * Step Functions caps a state's payload at 256 KiB, so an account's result goes to the state table under the
 * run's partition; the Map passes ids and statuses only, and the aggregate step reads the results back.
 */
import type { Finding, Severity } from '../domain/types';
import type { AuditSummary, ReportSource } from '../domain/report';

/** A member account as Organizations lists it. */
export interface OrgAccount {
  accountId: string;
  name: string;
}

/** What one account's audit left for the aggregate step: its findings (most severe first, capped) and counts. */
export interface AccountResult {
  accountId: string;
  accountName: string;
  accountAlias: string | null;
  status: 'audited' | 'failed';
  /** For a failed account: why (role missing, AccessDenied, throttled, ...); never a secret. */
  error?: string;
  auditedAt: string;
  source?: ReportSource;
  summary?: AuditSummary;
  /** The account's alerting findings, most severe first, at most `MAX_FINDINGS_PER_ACCOUNT`. */
  findings: Finding[];
  /** How many of the account's findings are not in `findings`. */
  findingsOmitted: number;
  exempted: number;
  incomplete?: { usersNotAudited: number };
  /** What changed since the account's previous audit (absent without a state table): for `notifyMode: changes`. */
  changes?: { newFindings: number; resolved: number; stateError?: string };
}

/** The organization report: the aggregate step's return value, and what the digest and SNS message render. */
export interface OrganizationReport {
  runId: string;
  auditedAt: string;
  accounts: AccountResult[];
  summary: {
    accounts: number;
    accountsAudited: number;
    accountsFailed: number;
    usersScanned: number;
    keysScanned: number;
    findings: number;
    bySeverity: Record<Severity, number>;
  };
}
