import type { UserVerification } from './key-index';
import type { NotificationResults } from './notification';
import {
  RULE_IDS,
  SEVERITIES,
  SEVERITY_RANK,
  type AuditChanges,
  type ExemptedFinding,
  type Finding,
  type RuleId,
  type Severity,
  type Thresholds,
} from './types';

/**
 * Where the audit's data came from; `verification` (full-account and named-user audits) says how many users were
 * verified live and how many from the key index.
 */
export type ReportSource = (
  { type: 'credential-report'; generatedAt: string } | { type: 'live'; reason: string }
) & { verification?: UserVerification };

/** What was audited: the whole account, or users named in a manual re-audit. */
export type AuditScope = { type: 'account' } | { type: 'users'; users: string[] };

export interface AuditSummary {
  usersScanned: number;
  keysScanned: number;
  findings: number;
  byRule: Record<RuleId, number>;
  bySeverity: Record<Severity, number>;
}

/** The audit's result: the Lambda's return value and the CLI's `--json` output. */
export interface AuditReport {
  auditedAt: string;
  accountId: string;
  accountAlias: string | null;
  scope: AuditScope;
  dryRun: boolean;
  source: ReportSource;
  thresholds: Thresholds;
  summary: AuditSummary;
  findings: Finding[];
  /** Users named in a manual re-audit that do not exist. */
  usersNotFound: string[];
  /** Findings an exemption covers: listed, not alerted. */
  exempted: ExemptedFinding[];
  /** New, open and resolved findings since the previous audit (absent when no state store is configured). */
  changes?: AuditChanges;
  /** Per channel: sent, skipped or failed. Set once the notifications have been attempted. */
  notifications?: NotificationResults;
  /** Where the full report (JSON and CSV) was written, or why not. Set before the notifications are planned. */
  fullReport?: FullReportResult;
  /** Present only when the audit stopped before covering every user (it neared the Lambda timeout). */
  incomplete?: IncompleteAudit;
}

/** One object of the full report in S3. */
export interface FullReportObject {
  bucket: string;
  key: string;
  /** `s3://bucket/key`, for the AWS CLI. */
  s3Uri: string;
  /** The object's page in the S3 console (absent in a partition without a public console). */
  consoleUrl?: string;
  /** The object's version, in a versioned bucket. */
  versionId?: string;
}

/**
 * The full report of an audit: `written` (where its JSON and CSV are), `failed` (why not: the digest says it could
 * not be written, the invocation ends in an error after delivery), or `skipped` (a dry run, or no bucket).
 */
export type FullReportResult =
  | { status: 'written'; json: FullReportObject; csv: FullReportObject }
  | { status: 'failed'; reason: string }
  | { status: 'skipped'; reason: string };

/** What an audit that stopped early did not cover. */
export interface IncompleteAudit {
  reason: string;
  /** How many users were not audited. */
  usersNotAudited: number;
  /** The first of them (at most {@link MAX_LISTED_NOT_AUDITED}), sorted. */
  usersNotAuditedSample: string[];
}

export const MAX_LISTED_NOT_AUDITED = 50;

export interface ReportInput {
  now: Date;
  accountId: string;
  accountAlias: string | null;
  scope: AuditScope;
  dryRun: boolean;
  source: ReportSource;
  thresholds: Thresholds;
  usersScanned: number;
  keysScanned: number;
  findings: Finding[];
  /** Findings an exemption covers. */
  exempted?: ExemptedFinding[];
  usersNotFound?: string[];
  /** Users the audit did not reach, and why; absent or empty when it covered everyone. */
  notAudited?: { reason: string; users: string[] };
}

/** Orders findings by severity (most severe first), then user, then key, then rule. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareText(a.userName, b.userName) ||
    compareText(a.accessKeyId ?? '', b.accessKeyId ?? '') ||
    RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function countBy<K extends string>(keys: readonly K[], values: K[]): Record<K, number> {
  const counts = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const value of values) counts[value] += 1;
  return counts;
}

/**
 * True when there is nothing to tell a person: no finding, no named user missing, every user covered, nothing
 * resolved since the last audit (good news is news) and the state store answered.
 */
export function isCleanAudit(
  report: Pick<AuditReport, 'findings' | 'usersNotFound' | 'incomplete'> &
    Partial<Pick<AuditReport, 'changes'>>,
): boolean {
  return (
    report.findings.length === 0 &&
    report.usersNotFound.length === 0 &&
    !report.incomplete &&
    (report.changes?.resolved.length ?? 0) === 0 &&
    report.changes?.stateError === undefined
  );
}

/** Builds the report: sorts the findings and counts them by rule and severity. */
export function buildReport(input: ReportInput): AuditReport {
  const findings = [...input.findings].sort(compareFindings);
  return {
    auditedAt: input.now.toISOString(),
    accountId: input.accountId,
    accountAlias: input.accountAlias,
    scope: input.scope,
    dryRun: input.dryRun,
    source: input.source,
    thresholds: input.thresholds,
    summary: {
      usersScanned: input.usersScanned,
      keysScanned: input.keysScanned,
      findings: findings.length,
      byRule: countBy(
        RULE_IDS,
        findings.map((f) => f.rule),
      ),
      bySeverity: countBy(
        SEVERITIES,
        findings.map((f) => f.severity),
      ),
    },
    findings,
    exempted: [...(input.exempted ?? [])].sort(compareFindings),
    usersNotFound: [...(input.usersNotFound ?? [])].sort(compareText),
    ...(input.notAudited && input.notAudited.users.length > 0
      ? {
          incomplete: {
            reason: input.notAudited.reason,
            usersNotAudited: input.notAudited.users.length,
            usersNotAuditedSample: [...input.notAudited.users]
              .sort(compareText)
              .slice(0, MAX_LISTED_NOT_AUDITED),
          },
        }
      : {}),
  };
}
