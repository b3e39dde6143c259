/** Parses IAM's credential report CSV into plain rows: one per user, each key slot that holds a key. */
import { parse } from 'csv-parse/sync';
import type { LastUsed } from '../domain/types';
import { ROOT_USER_NAME } from '../domain/rules';

/** A key slot of the report (access_key_1 or access_key_2); the report has no key ids. */
export interface ReportKey {
  slot: 1 | 2;
  active: boolean;
  /** When the key was created (the report's `last_rotated`). */
  createdAt: string;
  lastUsed: LastUsed | null;
}

export interface ReportUser {
  userName: string;
  arn: string;
  keys: ReportKey[];
}

export interface ParsedCredentialReport {
  root: ReportUser | null;
  users: ReportUser[];
}

const KEY_COLUMNS = [
  'active',
  'last_rotated',
  'last_used_date',
  'last_used_region',
  'last_used_service',
] as const;
const REQUIRED_COLUMNS = [
  'user',
  'arn',
  ...[1, 2].flatMap((slot) => KEY_COLUMNS.map((c) => `access_key_${slot}_${c}`)),
];

/** The report's markers for "no value". */
const NO_VALUE = new Set(['N/A', 'no_information', 'not_supported', '']);

function value(raw: string | undefined): string | null {
  return raw === undefined || NO_VALUE.has(raw) ? null : raw;
}

function instant(raw: string | undefined, column: string, userName: string): string | null {
  const text = value(raw);
  if (text === null) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new Error(
      `credential report: ${column} of user ${JSON.stringify(userName)} is not a date: ${JSON.stringify(text)}`,
    );
  }
  return new Date(ms).toISOString();
}

function keySlot(row: Record<string, string>, slot: 1 | 2): ReportKey | null {
  const userName = row.user ?? '';
  const column = (name: string) => `access_key_${slot}_${name}`;
  const createdAt = instant(row[column('last_rotated')], column('last_rotated'), userName);
  if (createdAt === null) return null;
  const usedAt = instant(row[column('last_used_date')], column('last_used_date'), userName);
  return {
    slot,
    active: row[column('active')] === 'true',
    createdAt,
    lastUsed: usedAt
      ? {
          date: usedAt,
          service: value(row[column('last_used_service')]),
          region: value(row[column('last_used_region')]),
        }
      : null,
  };
}

/** Parses the CSV; throws when a column the audit needs is missing or a date does not parse. */
export function parseCredentialReport(csv: string): ParsedCredentialReport {
  const rows = parse(csv, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const header = rows[0] ? Object.keys(rows[0]) : [];
  const missing = rows.length === 0 ? [] : REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new Error(`credential report: missing column(s) ${missing.join(', ')}`);
  let root: ReportUser | null = null;
  const users: ReportUser[] = [];
  for (const row of rows) {
    const user: ReportUser = {
      userName: row.user ?? '',
      arn: row.arn ?? '',
      keys: [keySlot(row, 1), keySlot(row, 2)].filter((k): k is ReportKey => k !== null),
    };
    if (user.userName === ROOT_USER_NAME) root = user;
    else users.push(user);
  }
  return { root, users };
}
