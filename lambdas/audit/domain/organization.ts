/**
 * Organization mode's data: the accounts, each account's result and the organization report that the digest and
 * the SNS message render. (The run itself, a Step Functions state machine that lists the accounts, audits each
 * and aggregates, is in `../organization/`; an account's result waits in the state table under the run's
 * partition because Step Functions caps a state's payload at 256 KiB.)
 */
import type { Finding, Severity } from './types';
import type { AuditSummary, ReportSource } from './report';

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
