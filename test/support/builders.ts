/**
 * Small builders for tests of the audit: plain domain data with healthy defaults and a fixed `NOW`.
 * Each builder takes a `Partial<>` of what it builds; whatever is left out takes the default below.
 *
 * ```ts
 * const findings = evaluateUser(user({ keys: [key({ createdAt: daysAgo(91) })] }), NOW, settings());
 * const report = reportOfUsers([user({ keys: [key({ createdAt: daysAgo(91) })] })], { accountAlias: null });
 * const csv = credentialReportCsv([{ user: 'alice', access_key_1_active: true, access_key_1_last_rotated: daysAgo(91) }]);
 * ```
 */
import { buildReport, type AuditReport, type ReportInput } from '../../lambdas/audit/domain/report';
import { evaluateUser } from '../../lambdas/audit/domain/rules';
import { DAY_MS } from '../../lambdas/audit/domain/time';
import {
  DEFAULT_EXEMPTIONS_URL,
  type AccessKey,
  type AuditChanges,
  type Exemption,
  type ExemptedFinding,
  type Finding,
  type IamUser,
  type LastUsed,
  type RuleSettings,
  type Runbook,
  type Thresholds,
} from '../../lambdas/audit/domain/types';
import { DEFAULT_RULE_SETTINGS, DEFAULT_THRESHOLDS } from '../../lambdas/audit/settings';
import {
  CREDENTIAL_REPORT_COLUMNS,
  type CredentialReportColumn,
} from '../../tools/fake-iam/credential-report';

/** The columns of IAM's credential report, in AWS's order: the fake IAM server's own list. */
export { CREDENTIAL_REPORT_COLUMNS, type CredentialReportColumn };

/** The audit's fixed `now` in every test: a Saturday morning in UTC. */
export const NOW = new Date('2026-11-28T09:00:00Z');

/** The audited account's id in every test. */
export const ACCOUNT_ID = '123456789012';

/** One minute, in days: `daysAgo(90 + MINUTE)` is 90 days and one minute ago. */
export const MINUTE = 1 / (24 * 60);

/** The ISO instant `days` days of 24 h before `now` (fractions allowed, rounded to the millisecond). */
export function daysAgo(days: number, now: Date = NOW): string {
  return new Date(now.getTime() - Math.round(days * DAY_MS)).toISOString();
}

/** A last use `days` days before `now`; service `s3` and region `eu-west-2` unless given. */
export function used(days: number, partial: Partial<LastUsed> = {}, now: Date = NOW): LastUsed {
  return { date: daysAgo(days, now), service: 's3', region: 'eu-west-2', ...partial };
}

/**
 * A healthy key: Active, created 10 days ago, last used a day ago. The dates are only computed when `partial` does
 * not give them: the scale tests build tens of thousands of keys.
 */
export function key(partial: Partial<AccessKey> = {}): AccessKey {
  return {
    accessKeyId: 'AKIAEXAMPLE000000001',
    status: 'Active',
    createdAt: partial.createdAt ?? daysAgo(10),
    lastUsed: partial.lastUsed !== undefined ? partial.lastUsed : used(1),
    ...partial,
  };
}

/** A user `alice` holding one healthy key (`key()`) and no tags. */
export function user(partial: Partial<IamUser> = {}): IamUser {
  return { userName: 'alice', keys: [key()], tags: {}, ...partial };
}

export interface SettingsInput {
  thresholds?: Partial<Thresholds>;
  sesUserPatterns?: string[];
  runbook?: { url?: string; sections?: Partial<Runbook['sections']> };
}

/**
 * `DEFAULT_RULE_SETTINGS` (90/7/45 days, `^ses-smtp-user\.`, the GOV.UK runbook) with overrides merged in,
 * thresholds and runbook sections one field at a time. Not validated: use `validateAuditConfig` for that.
 */
export function settings(partial: SettingsInput = {}): RuleSettings {
  return {
    thresholds: { ...DEFAULT_RULE_SETTINGS.thresholds, ...partial.thresholds },
    sesUserPatterns: partial.sesUserPatterns ?? DEFAULT_RULE_SETTINGS.sesUserPatterns,
    runbook: {
      url: partial.runbook?.url ?? DEFAULT_RULE_SETTINGS.runbook.url,
      sections: { ...DEFAULT_RULE_SETTINGS.runbook.sections, ...partial.runbook?.sections },
    },
  };
}

/**
 * The findings of the real rules for `users`, in their order: `evaluateUser` at `NOW`, with `settings(settingsInput)`.
 */
export function findingsOf(users: IamUser[], settingsInput: SettingsInput = {}): Finding[] {
  return users.flatMap((u) => evaluateUser(u, NOW, settings(settingsInput)));
}

/**
 * What `buildReport` takes: an audit of the whole account `ACCOUNT_ID` (alias `prod`) at `NOW`, not a dry
 * run, from a credential report generated a minute before, with the default thresholds; nothing scanned, no
 * findings.
 */
export function reportInput(partial: Partial<ReportInput> = {}): ReportInput {
  return {
    now: NOW,
    accountId: ACCOUNT_ID,
    accountAlias: 'prod',
    scope: { type: 'account' },
    dryRun: false,
    source: { type: 'credential-report', generatedAt: '2026-11-28T08:59:00.000Z' },
    thresholds: DEFAULT_THRESHOLDS,
    usersScanned: 0,
    keysScanned: 0,
    findings: [],
    ...partial,
  };
}

/**
 * The report (`buildReport` of `reportInput`) of an audit of `users`: their findings from the real rules
 * (`findingsOf(users, settingsInput)`), and the users and keys scanned counted from them. `partial` overrides
 * any field, `findings` included (they replace the users' findings); the thresholds stay the defaults whatever
 * `settingsInput` says.
 */
export function reportOfUsers(
  users: IamUser[],
  partial: Partial<ReportInput> = {},
  settingsInput: SettingsInput = {},
): AuditReport {
  return buildReport(
    reportInput({
      usersScanned: users.length,
      keysScanned: users.reduce((n, u) => n + u.keys.length, 0),
      ...partial,
      findings: partial.findings ?? findingsOf(users, settingsInput),
    }),
  );
}

/**
 * One row of the report. Booleans render as `true`/`false`; null or left out renders as `N/A`
 * (`false` for the `*_active` flags and `password_enabled`, as AWS writes them); a `Z` instant such as
 * `daysAgo(3)` renders as AWS writes times (`2026-11-25T09:00:00+00:00`); any other string is written as is.
 */
export type CredentialReportRow = { user: string } & Partial<
  Record<Exclude<CredentialReportColumn, 'user'>, string | boolean | null>
>;

const ROOT_USER = '<root_account>';
const FALSE_BY_DEFAULT = /_active$|^password_enabled$/;
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** An ISO instant as the credential report writes it: seconds, `+00:00`. */
export function awsTimestamp(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function cell(column: CredentialReportColumn, row: CredentialReportRow): string {
  const raw = row[column];
  if (raw === undefined || raw === null) {
    if (column === 'arn') {
      return row.user === ROOT_USER
        ? `arn:aws:iam::${ACCOUNT_ID}:root`
        : `arn:aws:iam::${ACCOUNT_ID}:user/${row.user}`;
    }
    if (column === 'user_creation_time') return awsTimestamp(daysAgo(400));
    return FALSE_BY_DEFAULT.test(column) ? 'false' : 'N/A';
  }
  if (typeof raw === 'boolean') return String(raw);
  return UTC_INSTANT.test(raw) ? awsTimestamp(raw) : raw;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * IAM's credential report CSV for these rows: AWS's 22-column header, then one line per row, quoted where needed.
 * `columns` renders only those columns (to test a report missing one).
 */
export function credentialReportCsv(
  rows: CredentialReportRow[],
  options: { columns?: readonly CredentialReportColumn[] } = {},
): string {
  const columns = options.columns ?? CREDENTIAL_REPORT_COLUMNS;
  return [columns.join(','), ...rows.map((row) => columns.map((c) => quote(cell(c, row))).join(','))].join(
    '\n',
  );
}

/** The report row of an IAM user: its first two keys in slots 1 and 2 (the report has no key ids). */
export function credentialReportRow(
  iamUser: IamUser,
  partial: Partial<CredentialReportRow> = {},
): CredentialReportRow {
  const row: CredentialReportRow = { user: iamUser.userName };
  iamUser.keys.slice(0, 2).forEach((k, i) => {
    const slot = i === 0 ? 'access_key_1' : 'access_key_2';
    row[`${slot}_active`] = k.status === 'Active';
    row[`${slot}_last_rotated`] = k.createdAt;
    row[`${slot}_last_used_date`] = k.lastUsed?.date ?? null;
    row[`${slot}_last_used_service`] = k.lastUsed?.service ?? null;
    row[`${slot}_last_used_region`] = k.lastUsed?.region ?? null;
  });
  return { ...row, ...partial };
}

/** What the engine adds to a finding from the state store and the owners. */
export type Tracking = Pick<Finding, 'isNew' | 'openDays' | 'firstSeenAt' | 'escalated' | 'owner'>;

/** A finding first seen in this audit. */
export const NEW: Tracking = { isNew: true, openDays: 0, firstSeenAt: NOW.toISOString() };

/** A finding first seen `days` days ago and open since. */
export const open = (days: number, more: Partial<Tracking> = {}): Tracking => ({
  isNew: false,
  openDays: days,
  firstSeenAt: daysAgo(days),
  ...more,
});

/** The report as the engine gives it with a state store: each user's findings tracked as `tracking` says. */
export function withChanges(
  report: AuditReport,
  tracking: Record<string, Partial<Tracking>>,
  changes: Partial<AuditChanges> = {},
): AuditReport {
  const findings = report.findings.map((f) => ({ ...f, ...tracking[f.userName] }));
  return {
    ...report,
    findings,
    changes: {
      newFindings: findings.filter((f) => f.isNew).length,
      openFindings: findings.filter((f) => !f.isNew).length,
      resolved: [],
      ...changes,
    },
  };
}

/** `finding`, exempted by the tag `iam-audit-exempt` of its user until 2026-12-31 ("migrating to roles"). */
export function exempted(finding: Finding, exemption: Partial<Exemption> = {}): ExemptedFinding {
  return {
    ...finding,
    exemption: {
      userName: finding.userName,
      until: '2026-12-31',
      reason: 'migrating to roles',
      source: 'tag',
      tagKey: 'iam-audit-exempt',
      ...exemption,
    },
  };
}

/**
 * An `invalid-exemption` or `exemption-expired` finding, as the exemption rules give it: by default of the tag
 * `iam-audit-exempt`, until 2026-11-01 ("migration"), for all the user's keys.
 */
export function exemptionFinding(
  rule: 'invalid-exemption' | 'exemption-expired',
  exemption: Partial<Exemption> & { userName: string },
): Finding {
  const full: Exemption = {
    until: '2026-11-01',
    reason: 'migration',
    source: 'tag',
    tagKey: 'iam-audit-exempt',
    ...exemption,
  };
  return {
    rule,
    rules: [rule],
    severity: rule === 'invalid-exemption' ? 'medium' : 'low',
    userName: exemption.userName,
    ...(exemption.accessKeyId ? { accessKeyId: exemption.accessKeyId } : {}),
    lastUsed: null,
    description: null,
    sesSmtpUser: false,
    runbookUrl: DEFAULT_EXEMPTIONS_URL,
    action:
      rule === 'invalid-exemption'
        ? {
            step: 'fix-exemption',
            facts: {
              problems: [`"${full.raw ?? ''}" is not "YYYY-MM-DD reason"`],
              latestUntil: '2027-05-27',
            },
          }
        : { step: 'renew-or-remove-exemption', facts: { latestUntil: '2027-05-27' } },
    exemption: full,
  };
}
