/** Text helpers shared by the report's plain-text renderings (the CLI table, the SNS message). Pure. */
import type { AuditReport } from './report';
import type { LastUsed } from './types';

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
