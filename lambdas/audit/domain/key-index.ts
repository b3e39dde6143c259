/**
 * The key index: per audited account, the access keys (id, creation time, status) of the users an audit verified
 * live, i.e. what the credential report cannot give. The next audit, with a fresh credential report, evaluates a
 * user whose report row matches the index exactly from the report and the index, without `ListAccessKeys`.
 *
 * Pure: plain data and `now` in, decisions out. The store (adapters/key-index-store.ts) keeps it in the state table.
 */
import { DAY_MS, elapsedMs } from './time';
import type { KeyStatus } from './types';

/** One key of an indexed user, as ListAccessKeys showed it. */
export interface IndexedKey {
  accessKeyId: string;
  status: KeyStatus;
  /** ISO 8601 instant. */
  createdAt: string;
}

export interface KeyIndex {
  /**
   * When every flagged user was last verified live (the last audit that did not use an index). An audit that uses
   * the index keeps this time, so that the index ages and a full verification still happens every `maxAgeDays`.
   */
  verifiedAt: string;
  /** User name → the user's keys, in the order ListAccessKeys listed them. */
  users: Map<string, IndexedKey[]>;
}

/** What the handler loaded for the engine: an index, none, or one it could not read (and why). */
export type KeyIndexLoad =
  { status: 'loaded'; index: KeyIndex } | { status: 'missing' } | { status: 'unreadable'; reason: string };

/** A key slot of the credential report, as far as matching needs it. */
export interface ReportedKey {
  active: boolean;
  createdAt: string;
}

/** The default (and the bounds) of how old an index may be before every flagged user is verified live again. */
export const DEFAULT_KEY_INDEX_MAX_AGE_DAYS = 7;
export const MAX_KEY_INDEX_MAX_AGE_DAYS = 30;

/** A minute of clock skew between the host that wrote the index and this one is tolerated. */
const SKEW_MS = 60_000;

const toSecond = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * Why the index cannot be used for this audit, or null when it can: it must have been loaded, the credential
 * report must be fresh (trusted as it is), and the index's full verification must be at most `maxAgeDays` old.
 */
export function keyIndexUnusableReason(
  load: KeyIndexLoad | undefined,
  report: 'fresh' | 'stale' | 'none',
  now: Date,
  maxAgeDays: number,
): string | null {
  if (!load) return 'no key index store';
  if (load.status === 'missing') return 'no key index yet';
  if (load.status === 'unreadable') return `key index unreadable: ${load.reason}`;
  if (report === 'none') return 'no credential report';
  if (report === 'stale') return 'the credential report is not fresh';
  const age = elapsedMs(load.index.verifiedAt, now);
  if (Number.isNaN(age) || age < -SKEW_MS) return 'key index verified in the future';
  if (age > maxAgeDays * DAY_MS) return `key index older than ${maxAgeDays} days`;
  return null;
}

/**
 * The user's keys from the index when its report row matches the entry exactly: as many keys, and each report
 * slot matched by one indexed key created in the same second with the same status. Null otherwise (a key created,
 * deleted, deactivated, re-activated or re-created since, or two keys created in the same second), so the user is
 * verified live.
 */
export function keysFromIndex(
  entry: readonly IndexedKey[] | undefined,
  reported: readonly ReportedKey[],
): IndexedKey[] | null {
  if (!entry || entry.length !== reported.length) return null;
  const unmatched = [...entry];
  for (const slot of reported) {
    const second = toSecond(slot.createdAt);
    const matches = unmatched.filter((key) => toSecond(key.createdAt) === second);
    if (matches.length !== 1) return null;
    const [key] = matches as [IndexedKey];
    if ((key.status === 'Active') !== slot.active) return null;
    unmatched.splice(unmatched.indexOf(key), 1);
  }
  return entry.map((key) => ({ ...key }));
}

/**
 * The index after an audit of the whole account. `verified` holds the keys of every user this audit verified
 * (live or from the index) that still has keys; `notReached` the users it did not get to. When the audit used the
 * previous index, that index's `verifiedAt` is kept and the entries of users not reached are carried over;
 * otherwise every flagged user was verified live now, and the index starts again at `now`.
 */
export function nextAccountIndex(input: {
  previous: KeyIndex | null;
  usedPrevious: boolean;
  verified: ReadonlyMap<string, IndexedKey[]>;
  notReached: readonly string[];
  now: Date;
}): KeyIndex {
  const users = new Map<string, IndexedKey[]>();
  if (input.usedPrevious && input.previous) {
    for (const name of input.notReached) {
      const entry = input.previous.users.get(name);
      if (entry) users.set(name, entry);
    }
  }
  for (const [name, keys] of input.verified) if (keys.length > 0) users.set(name, keys);
  return {
    verifiedAt: input.usedPrevious && input.previous ? input.previous.verifiedAt : input.now.toISOString(),
    users,
  };
}

/**
 * The index after a manual re-audit of named users: the previous one with those users' entries replaced by what
 * was read live (removed for users without keys, not found or gone). Null when there was no index to refresh.
 */
export function refreshedIndex(
  previous: KeyIndex | null,
  verified: ReadonlyMap<string, IndexedKey[]>,
  removed: readonly string[],
): KeyIndex | null {
  if (!previous) return null;
  const users = new Map(previous.users);
  for (const name of removed) users.delete(name);
  for (const [name, keys] of verified) {
    if (keys.length > 0) users.set(name, keys);
    else users.delete(name);
  }
  return { verifiedAt: previous.verifiedAt, users };
}

/** How the audit's users were verified, as the report's `source` says it. */
export interface UserVerification {
  /** Users whose keys were listed live (ListAccessKeys). */
  live: number;
  /** Users evaluated from the credential report and the key index, with no ListAccessKeys. */
  fromIndex: number;
  /** Whether the key index was used, or why not. */
  keyIndex: string;
}
