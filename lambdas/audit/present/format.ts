/** Text helpers shared by the report's plain-text renderings (the CLI table, the SNS message). Pure. */
import { count, plural } from './text';
import type { AuditReport } from '../domain/report';
import {
  type Exemption,
  type ExemptedFinding,
  type Finding,
  type LastUsed,
  type ResolvedFinding,
} from '../domain/types';

/** `2026-11-26 s3 eu-west-2` (date, then service and region where AWS gives them), or `never used`. */
export function lastUsedText(lastUsed: LastUsed | null): string {
  if (!lastUsed) return 'never used';
  const where = [lastUsed.service, lastUsed.region].filter(Boolean).join(' ');
  return `${lastUsed.date.slice(0, 10)}${where ? ` ${where}` : ''}`;
}

/** `alias (123456789012)`, or the account id alone when the account has no alias. */
export function accountText(report: Pick<AuditReport, 'accountAlias' | 'accountId'>): string {
  return report.accountAlias ? `${report.accountAlias} (${report.accountId})` : report.accountId;
}

/** `all users`, or `users alice, bob` for a manual re-audit. */
export function scopeText(report: Pick<AuditReport, 'scope'>): string {
  return report.scope.type === 'users' ? `users ${report.scope.users.join(', ')}` : 'all users';
}

/**
 * The warning an incomplete audit carries, e.g. `Incomplete: stopped before the Lambda timeout: not every user was
 * audited. 3 users not audited: dave, erin, ses-smtp-user.20260301.` Null when the audit covered everyone.
 */
export function incompleteText(report: Pick<AuditReport, 'incomplete'>): string | null {
  const gap = report.incomplete;
  if (!gap) return null;
  const more = gap.usersNotAudited - gap.usersNotAuditedSample.length;
  return (
    `Incomplete: ${gap.reason}. ${gap.usersNotAudited} user${gap.usersNotAudited === 1 ? '' : 's'} not audited: ` +
    `${gap.usersNotAuditedSample.join(', ')}${more > 0 ? ` and ${more} more` : ''}.`
  );
}

/** Where the audit's data came from, in a few words. */
export function sourceText(report: Pick<AuditReport, 'source'>): string {
  return report.source.type === 'credential-report'
    ? `credential report generated ${report.source.generatedAt}, verified live`
    : `live IAM calls (${report.source.reason})`;
}

/** How many of the findings are new since the last audit (every one of them when the state was unavailable). */
export function newFindingsCount(findings: Pick<Finding, 'isNew'>[]): number {
  return findings.filter((f) => f.isNew).length;
}

/**
 * `Since the last audit: 2 new, 1 resolved, 3 still open (1 escalated).`; null when the report has no `changes`
 * (no state store).
 */
export function changesText(report: Pick<AuditReport, 'changes' | 'findings'>): string | null {
  if (!report.changes) return null;
  const fresh = newFindingsCount(report.findings);
  const escalated = report.findings.filter((f) => f.escalated).length;
  return (
    `Since the last audit: ${count(fresh)} new, ${count(report.changes.resolved.length)} resolved, ` +
    `${count(report.findings.length - fresh)} still open${escalated ? ` (${count(escalated)} escalated)` : ''}.`
  );
}

/** A state error's reason is an error message: kept to this many characters where it is shown. */
const MAX_STATE_ERROR_CHARS = 300;

/** `State unavailable (<reason>): every finding is shown as new.`; null when the state store answered. */
export function stateErrorText(report: Pick<AuditReport, 'changes'>): string | null {
  const reason = report.changes?.stateError;
  if (reason === undefined) return null;
  const shown =
    reason.length > MAX_STATE_ERROR_CHARS ? `${reason.slice(0, MAX_STATE_ERROR_CHARS - 3)}...` : reason;
  return `State unavailable (${shown}): every finding is shown as new.`;
}

/** `until 2026-12-31`, or `until 2026-12-31 at the earliest` when the exemptions end on different days. */
export function exemptedUntilText(exempted: Pick<ExemptedFinding, 'exemption'>[]): string {
  const untils = [...new Set(exempted.map((f) => f.exemption.until))].sort();
  return `until ${untils[0] ?? '?'}${untils.length > 1 ? ' at the earliest' : ''}`;
}

/** `2 findings exempted (until 2026-12-31 at the earliest)`; null when none is. */
export function exemptedText(report: Pick<AuditReport, 'exempted'>): string | null {
  const { exempted } = report;
  return exempted.length
    ? `${plural(exempted.length, 'finding')} exempted (${exemptedUntilText(exempted)})`
    : null;
}

/** Resolved findings in a stable order: by rule, then user, then key (one definition, in `view.ts`). */
export { compareResolved } from './view';

/** `key-unused: zed, AKIA..., first seen 2026-10-19` */
export function resolvedText(resolved: ResolvedFinding): string {
  const key = resolved.accessKeyId ? `, ${resolved.accessKeyId}` : '';
  return `${resolved.rule}: ${resolved.userName}${key}, first seen ${resolved.firstSeenAt.slice(0, 10)}`;
}

/**
 * Where an exemption is and what it says: `tag audit-exempt = "2026-13-01 x"` for one that did not parse,
 * `tag audit-exempt for key-too-old: until 2026-11-01, reason "migration"` otherwise (`stack props` for the props).
 */
export function exemptionDescription(exemption: Exemption): string {
  const where = exemption.source === 'tag' ? `tag ${exemption.tagKey ?? '(key unknown)'}` : 'stack props';
  if (exemption.raw !== undefined) return `${where} = "${exemption.raw}"`;
  const rules = exemption.rules?.length ? ` for ${exemption.rules.join(', ')}` : '';
  return `${where}${rules}: until ${exemption.until}, reason "${exemption.reason}"`;
}
