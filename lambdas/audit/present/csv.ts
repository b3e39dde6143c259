/**
 * The full report as CSV: one row per finding (a pair of keys is one row, its keys joined with ` / `), exempted
 * findings too (marked), spreadsheet-friendly: RFC 4180 quoting, CRLF line ends, and a cell that a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) prefixed with `'`. Pure.
 */
import type { OrganizationReport } from '../domain/organization';
import type { AuditReport } from '../domain/report';
import type { ExemptedFinding, Finding } from '../domain/types';
import { STEP_LABEL, actionParts } from './action';
import { plainParts } from './text';

export const CSV_COLUMNS = [
  'account_id',
  'severity',
  'rule',
  'rules',
  'step',
  'user',
  'access_key_id',
  'keep_access_key_id',
  'status',
  'age_days',
  'created',
  'last_used',
  'last_used_service',
  'last_used_region',
  'description',
  'owner',
  'new',
  'escalated',
  'open_days',
  'first_seen',
  'exempted_until',
  'exemption_reason',
  'action',
  'runbook_url',
] as const;

/** One cell: quoted when it holds a comma, quote or line break; a would-be formula made text. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function row(
  report: Pick<AuditReport, 'accountId'>,
  finding: Finding,
  exempted: ExemptedFinding | null,
): string {
  const keys = finding.keys ?? [];
  const join = (values: (string | number | null)[]) => values.map((v) => v ?? '').join(' / ');
  const cells: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null | undefined> = {
    account_id: report.accountId,
    severity: finding.severity,
    rule: finding.rule,
    rules: finding.rules.join(' '),
    step: finding.action.step,
    user: finding.userName,
    access_key_id: keys.length ? join(keys.map((k) => k.accessKeyId)) : finding.accessKeyId,
    keep_access_key_id: finding.action.keepAccessKeyId,
    status: keys.length ? join(keys.map((k) => k.status)) : finding.status,
    age_days: keys.length ? join(keys.map((k) => k.ageDays)) : finding.ageDays,
    created: keys.length ? join(keys.map((k) => k.createdAt.slice(0, 10))) : finding.createdAt?.slice(0, 10),
    last_used: keys.length
      ? join(keys.map((k) => k.lastUsed?.date.slice(0, 10) ?? 'never'))
      : (finding.lastUsed?.date.slice(0, 10) ?? 'never'),
    last_used_service: keys.length
      ? join(keys.map((k) => k.lastUsed?.service ?? null))
      : finding.lastUsed?.service,
    last_used_region: keys.length
      ? join(keys.map((k) => k.lastUsed?.region ?? null))
      : finding.lastUsed?.region,
    description: keys.length ? join(keys.map((k) => k.description)) : finding.description,
    owner: finding.owner,
    new: finding.isNew,
    escalated: finding.escalated,
    open_days: finding.openDays,
    first_seen: finding.firstSeenAt?.slice(0, 10),
    exempted_until: exempted?.exemption.until,
    exemption_reason: exempted?.exemption.reason,
    action: `${STEP_LABEL[finding.action.step]}: ${plainParts(actionParts(finding), 1000)}`,
    runbook_url: finding.runbookUrl,
  };
  return CSV_COLUMNS.map((column) => csvCell(cells[column])).join(',');
}

/** The report as CSV text: a header row, then every alerting finding, then every exempted one. */
export function buildCsv(report: AuditReport): string {
  const lines = [
    CSV_COLUMNS.join(','),
    ...report.findings.map((f) => row(report, f, null)),
    ...report.exempted.map((f) => row(report, f, f)),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * An organization run's report as CSV: the same columns, a row per finding each account's result keeps (its most
 * severe, at most `MAX_FINDINGS_PER_ACCOUNT`; the JSON counts the rest in `findingsOmitted`), accounts in the
 * report's order. Exempted findings are counted per account in the JSON, not listed.
 */
export function buildOrganizationCsv(report: OrganizationReport): string {
  const lines = [
    CSV_COLUMNS.join(','),
    ...report.accounts.flatMap((account) => account.findings.map((f) => row(account, f, null))),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
