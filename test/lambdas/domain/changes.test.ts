import {
  DEFAULT_ESCALATION_DAYS,
  diffFindings,
  markAlerted,
  shouldPostDigest,
  withoutState,
  type DiffOptions,
  type OpenFindingState,
  type StateUpdate,
} from '../../../lambdas/audit/domain/changes';
import { findingId, type AuditChanges, type Finding, type RuleId } from '../../../lambdas/audit/domain/types';
import { NOW } from '../../support/builders';

const OPTIONS: DiffOptions = { escalationDays: DEFAULT_ESCALATION_DAYS };

/** A finding as the diff sees it: rule, user and key matter, the rest is filler. */
function finding(rule: RuleId, userName: string, accessKeyId?: string): Finding {
  return {
    rule,
    rules: [rule],
    severity: 'high',
    userName,
    ...(accessKeyId ? { accessKeyId } : {}),
    lastUsed: null,
    description: null,
    sesSmtpUser: false,
    runbookUrl: 'https://example.com/runbook',
    action: { step: 'rotate-key', facts: {} },
  };
}

function state(f: Finding, firstSeenAt: string, extra: Partial<OpenFindingState> = {}): OpenFindingState {
  return {
    id: findingId(f),
    rule: f.rule,
    userName: f.userName,
    ...(f.accessKeyId ? { accessKeyId: f.accessKeyId } : {}),
    firstSeenAt,
    lastSeenAt: firstSeenAt,
    ...extra,
  };
}

/** The table after a save: what the state store does with an update. */
function save(table: OpenFindingState[], next: StateUpdate): OpenFindingState[] {
  const byId = new Map(table.map((s) => [s.id, s]));
  for (const id of next.deletes) byId.delete(id);
  for (const s of next.upserts) byId.set(s.id, s);
  return [...byId.values()];
}

const A = finding('key-too-old', 'alice', 'AKIAALICE00000000001');
const B = finding('key-unused', 'bob', 'AKIABOB0000000000001');
const C = finding('two-keys', 'carol');

describe('diffFindings across three consecutive daily audits', () => {
  // Daily at 09:00 UTC, a few seconds late or early: calendar days, not 24-hour periods, count.
  const DAY1 = new Date('2026-11-26T09:00:00.000Z');
  const DAY2 = new Date('2026-11-27T09:00:03.000Z');
  const DAY3 = new Date('2026-11-28T08:59:58.000Z');

  const day1 = diffFindings([], [A, B], DAY1, OPTIONS);
  const table1 = save([], day1.next);
  const day2 = diffFindings(table1, [A, C], DAY2, OPTIONS);
  const table2 = save(table1, day2.next);
  const day3 = diffFindings(table2, [A, B, C], DAY3, OPTIONS);
  const table3 = save(table2, day3.next);

  const view = (findings: Finding[]) => findings.map((f) => [f.userName, f.isNew, f.openDays, f.escalated]);

  test('day 1: A and B are new, open 0 days', () => {
    expect(view(day1.findings)).toEqual([
      ['alice', true, 0, false],
      ['bob', true, 0, false],
    ]);
    expect(day1.findings[0]!.firstSeenAt).toBe(DAY1.toISOString());
    expect(day1.changes).toEqual({ newFindings: 2, openFindings: 0, resolved: [] });
    expect(day1.next).toEqual({
      upserts: [state(A, DAY1.toISOString()), state(B, DAY1.toISOString())],
      deletes: [],
    });
  });

  test('day 2: A open 1 day, B resolved, C new', () => {
    expect(view(day2.findings)).toEqual([
      ['alice', false, 1, false],
      ['carol', true, 0, false],
    ]);
    expect(day2.findings[0]!.firstSeenAt).toBe(DAY1.toISOString());
    expect(day2.changes).toEqual({
      newFindings: 1,
      openFindings: 1,
      resolved: [
        {
          rule: 'key-unused',
          userName: 'bob',
          accessKeyId: 'AKIABOB0000000000001',
          firstSeenAt: DAY1.toISOString(),
          resolvedAt: DAY2.toISOString(),
        },
      ],
    });
    expect(day2.next.deletes).toEqual([findingId(B)]);
    expect(day2.next.upserts).toEqual([
      { ...state(A, DAY1.toISOString()), lastSeenAt: DAY2.toISOString() },
      state(C, DAY2.toISOString()),
    ]);
  });

  test('day 3: A open 2 days, C open 1 day, B back and new again', () => {
    expect(view(day3.findings)).toEqual([
      ['alice', false, 2, false],
      ['bob', true, 0, false],
      ['carol', false, 1, false],
    ]);
    expect(day3.findings[1]!.firstSeenAt).toBe(DAY3.toISOString());
    expect(day3.changes).toEqual({ newFindings: 1, openFindings: 2, resolved: [] });
    expect(table3.map((s) => [s.userName, s.firstSeenAt, s.lastSeenAt])).toEqual([
      ['alice', DAY1.toISOString(), DAY3.toISOString()],
      ['carol', DAY2.toISOString(), DAY3.toISOString()],
      ['bob', DAY3.toISOString(), DAY3.toISOString()],
    ]);
  });
});

describe('escalation: open more than escalationDays (14 by default) UTC calendar days', () => {
  test.each([
    ['13 days', '2026-11-15T09:00:00.000Z', 13, false],
    ['14 days', '2026-11-14T09:00:00.000Z', 14, false],
    ['14 days, first seen later in the day than now', '2026-11-14T23:59:59.000Z', 14, false],
    ['15 days, first seen a few seconds later in the day than now', '2026-11-13T09:00:05.000Z', 15, true],
    ['15 days', '2026-11-13T09:00:00.000Z', 15, true],
    ['100 days', '2026-08-20T09:00:00.000Z', 100, true],
  ])('open %s', (_label, firstSeenAt, openDays, escalated) => {
    const { findings } = diffFindings([state(A, firstSeenAt)], [A], NOW, OPTIONS);
    expect(findings[0]).toMatchObject({ openDays, escalated, isNew: false, firstSeenAt });
  });

  test('the threshold is configurable', () => {
    const { findings } = diffFindings([state(A, '2026-11-25T09:00:00.000Z')], [A], NOW, {
      escalationDays: 2,
    });
    expect(findings[0]).toMatchObject({ openDays: 3, escalated: true });
  });
});

describe('scope', () => {
  const week = '2026-11-21T09:00:00.000Z';
  const previous = [state(A, week), state(B, week)];

  test('a manual re-audit of alice updates and resolves only alice’s state', () => {
    const A2 = finding('key-unused', 'alice', 'AKIAALICE00000000001');
    const { findings, changes, next } = diffFindings(previous, [A2], NOW, {
      ...OPTIONS,
      scopeUsers: ['alice'],
    });
    expect(findings.map((f) => [f.rule, f.isNew])).toEqual([['key-unused', true]]);
    expect(changes.resolved.map((r) => [r.rule, r.userName])).toEqual([['key-too-old', 'alice']]);
    expect(next.deletes).toEqual([findingId(A)]);
    expect(next.upserts.map((s) => s.userName)).toEqual(['alice']);
  });

  test('users the audit did not reach keep their state and nothing of theirs is resolved', () => {
    const { changes, next } = diffFindings(previous, [A], NOW, { ...OPTIONS, notAuditedUsers: ['bob'] });
    expect(changes.resolved).toEqual([]);
    expect(next.deletes).toEqual([]);
    expect(next.upserts.map((s) => s.userName)).toEqual(['alice']);
  });

  test('a finding an exemption now covers leaves the state without being listed as resolved', () => {
    const { changes, next } = diffFindings(previous, [A], NOW, { ...OPTIONS, exempted: [B] });
    expect(changes.resolved).toEqual([]);
    expect(next.deletes).toEqual([findingId(B)]);
  });
});

describe('exemption-expired is reported once', () => {
  const EXPIRED = finding('exemption-expired', 'alice');
  const DAY1 = new Date('2026-11-26T09:00:00.000Z');
  const DAY2 = new Date('2026-11-27T09:00:00.000Z');
  const DAY3 = new Date('2026-11-28T09:00:00.000Z');

  const day1 = diffFindings([], [EXPIRED, A], DAY1, OPTIONS);
  const table1 = save([], day1.next);
  const day2 = diffFindings(table1, [EXPIRED, A], DAY2, OPTIONS);
  const table2 = save(table1, day2.next);
  const day3 = diffFindings(table2, [A], DAY3, OPTIONS);

  test('the first audit reports it as new', () => {
    expect(day1.findings.map((f) => [f.rule, f.isNew])).toEqual([
      ['exemption-expired', true],
      ['key-too-old', true],
    ]);
  });

  test('the next audit leaves it out but keeps its state, so it is neither resolved nor new again', () => {
    expect(day2.findings.map((f) => f.rule)).toEqual(['key-too-old']);
    expect(day2.changes).toEqual({ newFindings: 0, openFindings: 1, resolved: [] });
    expect(day2.next.upserts.map((s) => [s.rule, s.firstSeenAt, s.lastSeenAt])).toEqual([
      ['exemption-expired', DAY1.toISOString(), DAY2.toISOString()],
      ['key-too-old', DAY1.toISOString(), DAY2.toISOString()],
    ]);
  });

  test('once the tag is removed its state goes', () => {
    expect(day3.next.deletes).toEqual([findingId(EXPIRED)]);
  });

  test('without state it is reported again: nothing is lost', () => {
    expect(withoutState([EXPIRED], 'unreadable').findings.map((f) => f.rule)).toEqual(['exemption-expired']);
  });
});

describe('lastAlertedAt', () => {
  const alertedAt = '2026-11-27T09:00:00.000Z';

  test('is carried over by the diff and set by markAlerted for the findings alerted', () => {
    const previous = [state(A, '2026-11-20T09:00:00.000Z', { lastAlertedAt: alertedAt })];
    const { next } = diffFindings(previous, [A, B], NOW, OPTIONS);
    expect(next.upserts.map((s) => s.lastAlertedAt)).toEqual([alertedAt, undefined]);
    expect(next.upserts[1]).not.toHaveProperty('lastAlertedAt');
    expect(markAlerted(next.upserts, [B], NOW).map((s) => s.lastAlertedAt)).toEqual([
      alertedAt,
      NOW.toISOString(),
    ]);
  });
});

describe('withoutState', () => {
  test('every finding is new, open 0 days, and the changes say why', () => {
    const { findings, changes } = withoutState(
      [A, B],
      'could not load the audit state: AccessDeniedException',
    );
    expect(findings.map((f) => [f.userName, f.isNew, f.openDays, f.escalated])).toEqual([
      ['alice', true, 0, false],
      ['bob', true, 0, false],
    ]);
    expect(changes).toEqual({
      newFindings: 2,
      openFindings: 0,
      resolved: [],
      stateError: 'could not load the audit state: AccessDeniedException',
    });
  });
});

describe('shouldPostDigest', () => {
  // NOW is a Saturday (UTC day 6).
  const SATURDAY = 6;
  const MONDAY = 1;
  const none: AuditChanges = { newFindings: 0, openFindings: 3, resolved: [] };
  const resolved: AuditChanges = {
    ...none,
    resolved: [
      {
        rule: 'key-unused',
        userName: 'bob',
        firstSeenAt: '2026-11-01T09:00:00Z',
        resolvedAt: NOW.toISOString(),
      },
    ],
  };

  test.each<[string, 'daily' | 'changes', AuditChanges, number, boolean, string]>([
    ['daily, nothing changed', 'daily', none, MONDAY, true, 'notify is daily'],
    [
      'changes, a new finding',
      'changes',
      { ...none, newFindings: 1 },
      MONDAY,
      true,
      '1 new and 0 resolved since the last audit',
    ],
    [
      'changes, a resolved finding',
      'changes',
      resolved,
      MONDAY,
      true,
      '0 new and 1 resolved since the last audit',
    ],
    [
      'changes, the state unavailable',
      'changes',
      { ...none, stateError: 'table not found' },
      MONDAY,
      true,
      'the state of earlier audits is unavailable: table not found',
    ],
    [
      'changes, nothing changed, not the full-digest day',
      'changes',
      none,
      MONDAY,
      false,
      'nothing new or resolved since the last audit',
    ],
    [
      'changes, nothing changed, the full-digest day',
      'changes',
      none,
      SATURDAY,
      true,
      'Saturday is the day of the full digest',
    ],
    [
      'changes, nothing changed, no finding at all, the full-digest day',
      'changes',
      { newFindings: 0, openFindings: 0, resolved: [] },
      SATURDAY,
      true,
      'Saturday is the day of the full digest',
    ],
  ])('%s', (_label, mode, changes, weekday, post, reason) => {
    expect(shouldPostDigest(mode, changes, NOW, weekday)).toEqual({ post, reason });
  });

  test('the weekday is the UTC day: late Friday in UTC-8 is Saturday in UTC', () => {
    const fridayEveningInCalifornia = new Date('2026-11-28T02:00:00Z');
    expect(shouldPostDigest('changes', none, fridayEveningInCalifornia, SATURDAY).post).toBe(true);
  });
});
