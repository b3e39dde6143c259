/**
 * Small builders for tests of the audit: plain domain data with healthy defaults and a fixed `NOW`.
 * Each builder takes a `Partial<>` of what it builds; whatever is left out takes the default below.
 *
 * ```ts
 * const findings = evaluateUser(user({ keys: [key({ createdAt: daysAgo(91) })] }), NOW, settings());
 * const csv = credentialReportCsv([{ user: 'alice', access_key_1_active: true, access_key_1_last_rotated: daysAgo(91) }]);
 * ```
 */
import { DAY_MS } from '../../lambdas/audit/domain/time';
import type {
  AccessKey,
  IamUser,
  LastUsed,
  RuleSettings,
  Runbook,
  Thresholds,
} from '../../lambdas/audit/domain/types';
import { DEFAULT_RULE_SETTINGS } from '../../lambdas/audit/settings';

/** The audit's fixed `now` in every test: a Saturday morning in UTC. */
export const NOW = new Date('2026-11-28T09:00:00Z');

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

/** A healthy key: Active, created 10 days ago, last used a day ago. */
export function key(partial: Partial<AccessKey> = {}): AccessKey {
  return {
    accessKeyId: 'AKIAEXAMPLE000000001',
    status: 'Active',
    createdAt: daysAgo(10),
    lastUsed: used(1),
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
 * thresholds and runbook sections one field at a time. Not validated: use `validateRuleSettings` for that.
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

/** The columns of IAM's credential report, in AWS's order. */
export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
] as const;
export type CredentialReportColumn = (typeof CREDENTIAL_REPORT_COLUMNS)[number];

/**
 * One row of the report. Booleans render as `true`/`false`; null or left out renders as `N/A`
 * (`false` for the `*_active` flags and `password_enabled`, as AWS writes them); a `Z` instant such as
 * `daysAgo(3)` renders as AWS writes times (`2026-11-25T09:00:00+00:00`); any other string is written as is.
 */
export type CredentialReportRow = { user: string } & Partial<
  Record<Exclude<CredentialReportColumn, 'user'>, string | boolean | null>
>;

export const ACCOUNT_ID = '123456789012';
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
