/**
 * Renders an account's IAM credential report as AWS does: the header below, the root user first, one row per
 * user, ISO 8601 times with seconds and a `+00:00` offset, `true`/`false`, and `N/A` (or `not_supported`,
 * `no_information`) where a value does not apply.
 */
import type { FakeAccessKey, FakeIamAccount, FakeLastUsed, FakeRootKey, FakeUser } from './account';

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

/** The name the report gives the root user. */
export const ROOT_ACCOUNT = '<root_account>';

const NA = 'N/A';
const NO_KEY = ['false', NA, NA, NA, NA];
/** No signing certificates: `cert_1_active` to `cert_2_last_rotated`. */
const NO_CERTS = ['false', NA, 'false', NA];

/** `2026-08-30T10:00:00+00:00`: the report's timestamp format. */
export function formatReportTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Quotes a field only where CSV needs it (a comma, quote or line break), as RFC 4180 says. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function keyColumns(
  key: { active: boolean; createDate: Date; lastUsed?: FakeLastUsed } | undefined,
): string[] {
  if (!key) return NO_KEY;
  const used = key.lastUsed;
  return [
    String(key.active),
    formatReportTime(key.createDate),
    used ? formatReportTime(used.date) : NA,
    used ? used.region : NA,
    used ? used.service : NA,
  ];
}

const byCreation = (a: { createDate: Date }, b: { createDate: Date }): number =>
  a.createDate.getTime() - b.createDate.getTime();

function userKeyColumns(keys: readonly FakeAccessKey[]): string[] {
  const [first, second] = [...keys]
    .sort(byCreation)
    .map((key) => ({ ...key, active: key.status === 'Active' }));
  return [...keyColumns(first), ...keyColumns(second)];
}

function rootKeyColumns(keys: readonly FakeRootKey[]): string[] {
  const [first, second] = [...keys].sort(byCreation);
  return [...keyColumns(first), ...keyColumns(second)];
}

function rootRow(account: FakeIamAccount): string[] {
  const { root } = account;
  return [
    ROOT_ACCOUNT,
    `arn:aws:iam::${account.accountId}:root`,
    formatReportTime(root.createDate),
    'not_supported',
    root.passwordLastUsed ? formatReportTime(root.passwordLastUsed) : 'no_information',
    'not_supported',
    'not_supported',
    String(root.mfaActive),
    ...rootKeyColumns(root.keys),
    ...NO_CERTS,
  ];
}

function userRow(user: FakeUser): string[] {
  const { password } = user;
  return [
    user.userName,
    user.arn,
    formatReportTime(user.createDate),
    String(password !== undefined),
    password ? (password.lastUsed ? formatReportTime(password.lastUsed) : 'no_information') : NA,
    password ? formatReportTime(password.lastChanged) : NA,
    // No password policy with an expiry: AWS shows N/A.
    NA,
    String(user.mfaActive),
    ...userKeyColumns(user.keys),
    ...NO_CERTS,
  ];
}

/**
 * The report's CSV for the account as it is now: header, root, then users in list order (by name).
 * Lines end with `\n`, and the last has none.
 */
export function renderCredentialReport(account: FakeIamAccount): string {
  const lines = [CREDENTIAL_REPORT_COLUMNS.join(','), rootRow(account).map(csvField).join(',')];
  for (const userName of account.userNamesInListOrder()) {
    const user = account.getUser(userName);
    if (user) lines.push(userRow(user).map(csvField).join(','));
  }
  return lines.join('\n');
}
