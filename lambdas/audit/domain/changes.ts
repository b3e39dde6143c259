/**
 * Changes since the previous audit: which findings are new, which are still open (and for how many days), which
 * were resolved, and whether the digest should be posted. Pure: the state of earlier audits and `now` are passed
 * in, and what to write back is returned.
 */
import type { Channel } from './notification';
import { calendarDaysBetween } from './time';
import {
  findingId,
  RULE_IDS,
  type AuditChanges,
  type Finding,
  type ResolvedFinding,
  type RuleId,
} from './types';

/** The state of one open finding between audits (one item of the state table). */
export interface OpenFindingState {
  /** `findingId(...)`: `rule|user|key`. */
  id: string;
  rule: RuleId;
  userName: string;
  accessKeyId?: string;
  /** ISO 8601 instant of the first audit that saw the finding. */
  firstSeenAt: string;
  /** ISO 8601 instant of the latest audit that saw the finding. */
  lastSeenAt: string;
  /** ISO 8601 instant the finding was last alerted on any channel, absent if never. */
  lastAlertedAt?: string;
  /** Per channel, when it last accepted a message carrying the finding; absent for a channel that never did. */
  alertedAt?: Partial<Record<Channel, string>>;
}

/** What to write back to the state: items to put whole, and ids to delete. */
export interface StateUpdate {
  upserts: OpenFindingState[];
  deletes: string[];
}

/** `daily`: post every audit's digest. `changes`: post only when something changed, and on the full-digest day. */
export const NOTIFY_MODES = ['daily', 'changes'] as const;
export type NotifyMode = (typeof NOTIFY_MODES)[number];

export const DEFAULT_NOTIFY_MODE: NotifyMode = 'daily';
/** A finding open longer than this many days is escalated, by default. */
export const DEFAULT_ESCALATION_DAYS = 14;
/** In `changes` mode, the UTC weekday (0 Sunday to 6 Saturday) of the full digest, by default Monday. */
export const DEFAULT_FULL_DIGEST_WEEKDAY = 1;

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

type FindingKey = Pick<Finding, 'rule' | 'userName' | 'accessKeyId'>;

export interface DiffOptions {
  /** A finding open more than this many days is `escalated`. */
  escalationDays: number;
  /**
   * A manual re-audit of named users: only these users' state is updated or resolved; the state of everyone else
   * is left as it is. Matched without regard to case, as IAM matches user names. Absent: the whole account.
   */
  scopeUsers?: readonly string[];
  /** Users the audit did not reach (it stopped early): their state is left as it is, never resolved. */
  notAuditedUsers?: readonly string[];
  /** Findings an exemption covers today: their state is dropped, but they are not listed as resolved. */
  exempted?: readonly FindingKey[];
}

export interface Diff {
  /** The findings to alert, with `firstSeenAt`, `openDays`, `isNew` and `escalated`. */
  findings: Finding[];
  changes: AuditChanges;
  /** What to write back; `lastAlertedAt` is carried over, see {@link markAlerted}. */
  next: StateUpdate;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares today's findings with the state of earlier audits.
 *
 * - A finding without state is new (first seen now); one with state keeps its `firstSeenAt`. `openDays` counts UTC
 *   calendar days since first seen, so daily audits a few seconds apart are exactly one day apart; a finding is
 *   `escalated` when `openDays` is more than `escalationDays`.
 * - `exemption-expired` is reported once: when its state exists it is left out of `findings`, but its state is kept
 *   (so it is neither resolved nor new again tomorrow).
 * - An item of the previous state, for a user in scope and audited, whose finding is gone is resolved and deleted;
 *   if an exemption now covers the finding it is deleted without being listed as resolved.
 * - `changes.newFindings` counts the new findings, `changes.openFindings` those still open from earlier audits.
 */
export function diffFindings(
  previous: readonly OpenFindingState[],
  current: readonly Finding[],
  now: Date,
  options: DiffOptions,
): Diff {
  const nowIso = now.toISOString();
  const scope = options.scopeUsers ? new Set(options.scopeUsers.map((u) => u.toLowerCase())) : null;
  const notAudited = new Set(options.notAuditedUsers ?? []);
  const writable = (userName: string): boolean =>
    (!scope || scope.has(userName.toLowerCase())) && !notAudited.has(userName);
  const before = new Map(previous.map((state) => [state.id, state]));

  const findings: Finding[] = [];
  const upserts = new Map<string, OpenFindingState>();
  for (const finding of current) {
    const id = findingId(finding);
    const prior = before.get(id);
    const firstSeenAt = prior?.firstSeenAt ?? nowIso;
    if (writable(finding.userName) && !upserts.has(id)) {
      upserts.set(id, {
        id,
        rule: finding.rule,
        userName: finding.userName,
        ...(finding.accessKeyId ? { accessKeyId: finding.accessKeyId } : {}),
        firstSeenAt,
        lastSeenAt: nowIso,
        ...(prior?.lastAlertedAt ? { lastAlertedAt: prior.lastAlertedAt } : {}),
        ...(prior?.alertedAt ? { alertedAt: prior.alertedAt } : {}),
      });
    }
    if (finding.rule === 'exemption-expired' && prior) continue;
    const openDays = Math.max(0, calendarDaysBetween(firstSeenAt, now));
    findings.push({
      ...finding,
      firstSeenAt,
      openDays,
      isNew: !prior,
      escalated: openDays > options.escalationDays,
    });
  }

  const seen = new Set(current.map(findingId));
  const exempted = new Set((options.exempted ?? []).map(findingId));
  const gone = previous.filter((state) => writable(state.userName) && !seen.has(state.id));
  const resolved: ResolvedFinding[] = gone
    .filter((state) => !exempted.has(state.id))
    .map((state) => ({
      rule: state.rule,
      userName: state.userName,
      ...(state.accessKeyId ? { accessKeyId: state.accessKeyId } : {}),
      firstSeenAt: state.firstSeenAt,
      resolvedAt: nowIso,
    }))
    .sort(
      (a, b) =>
        compareText(a.userName, b.userName) ||
        compareText(a.accessKeyId ?? '', b.accessKeyId ?? '') ||
        RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule),
    );

  const newFindings = findings.filter((f) => f.isNew).length;
  return {
    findings,
    changes: { newFindings, openFindings: findings.length - newFindings, resolved },
    next: { upserts: [...upserts.values()], deletes: [...new Set(gone.map((state) => state.id))] },
  };
}

/**
 * The upserts with `lastAlertedAt` set to `now` for the findings that were alerted (call it once the digest is
 * posted, before saving). Others keep theirs.
 */
export function markAlerted(
  upserts: readonly OpenFindingState[],
  alerted: Iterable<FindingKey>,
  now: Date,
): OpenFindingState[] {
  const ids = new Set([...alerted].map(findingId));
  return upserts.map((state) => (ids.has(state.id) ? { ...state, lastAlertedAt: now.toISOString() } : state));
}

/**
 * The findings when the state could not be read: every one new (open 0 days, not escalated, `firstSeenAt` unknown),
 * nothing resolved, and `changes.stateError` saying why. Nothing is dropped, not even `exemption-expired`.
 */
export function withoutState(
  findings: readonly Finding[],
  reason: string,
): { findings: Finding[]; changes: AuditChanges } {
  return {
    findings: findings.map((finding) => ({ ...finding, openDays: 0, isNew: true, escalated: false })),
    changes: { newFindings: findings.length, openFindings: 0, resolved: [], stateError: reason },
  };
}

/**
 * Whether to post the digest. `daily`: always. `changes`: when a finding is new or resolved, when the state was
 * unavailable (every finding is then new, and the digest says why), and on `fullDigestWeekday` (UTC, 0 Sunday to
 * 6 Saturday) whatever changed. The reason says which, for the log.
 */
export function shouldPostDigest(
  mode: NotifyMode,
  changes: AuditChanges,
  now: Date,
  fullDigestWeekday: number,
): { post: boolean; reason?: string } {
  if (mode === 'daily') return { post: true, reason: 'notify is daily' };
  if (changes.stateError !== undefined) {
    return { post: true, reason: `the state of earlier audits is unavailable: ${changes.stateError}` };
  }
  const resolved = changes.resolved.length;
  if (changes.newFindings > 0 || resolved > 0) {
    return { post: true, reason: `${changes.newFindings} new and ${resolved} resolved since the last audit` };
  }
  if (now.getUTCDay() === fullDigestWeekday) {
    return { post: true, reason: `${WEEKDAYS[fullDigestWeekday]} is the day of the full digest` };
  }
  return { post: false, reason: 'nothing new or resolved since the last audit' };
}
