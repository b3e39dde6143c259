import {
  keyIndexUnusableReason,
  keysFromIndex,
  nextAccountIndex,
  refreshedIndex,
  type IndexedKey,
  type KeyIndex,
  type KeyIndexLoad,
} from '../../../lambdas/audit/domain/key-index';

const NOW = new Date('2026-11-28T09:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

const OLD: IndexedKey = { accessKeyId: 'AKIAOLD0000000000001', status: 'Active', createdAt: at(100) };
const NEW: IndexedKey = { accessKeyId: 'AKIANEW0000000000002', status: 'Active', createdAt: at(5) };
const slot = (key: IndexedKey, active = key.status === 'Active') => ({ active, createdAt: key.createdAt });

describe('keysFromIndex: a report row matches its entry only exactly', () => {
  test('same keys, same statuses, in any slot order: the indexed keys', () => {
    expect(keysFromIndex([OLD, NEW], [slot(NEW), slot(OLD)])).toEqual([OLD, NEW]);
  });

  test('the report gives creation times to the second: milliseconds in the index still match', () => {
    const withMs = { ...OLD, createdAt: new Date(Date.parse(OLD.createdAt) + 400).toISOString() };
    expect(keysFromIndex([withMs], [slot(OLD)])).toEqual([withMs]);
  });

  test.each<[string, IndexedKey[] | undefined, { active: boolean; createdAt: string }[]]>([
    ['not in the index', undefined, [slot(OLD)]],
    ['a new key in slot 2', [OLD], [slot(OLD), slot(NEW)]],
    ['a key deleted', [OLD, NEW], [slot(NEW)]],
    ['a key deactivated', [OLD], [slot(OLD, false)]],
    ['a key re-activated', [{ ...OLD, status: 'Inactive' }], [slot(OLD, true)]],
    ['a key re-created in the same slot', [OLD], [{ active: true, createdAt: at(0) }]],
    [
      'two keys created in the same second',
      [OLD, { ...NEW, createdAt: OLD.createdAt }],
      [slot(OLD), slot(OLD)],
    ],
  ])('%s: no match (verified live)', (_, entry, reported) => {
    expect(keysFromIndex(entry, reported)).toBeNull();
  });
});

describe('keyIndexUnusableReason', () => {
  const loaded = (verifiedAt: string): KeyIndexLoad => ({
    status: 'loaded',
    index: { verifiedAt, users: new Map() },
  });

  test.each<[string, KeyIndexLoad | undefined, 'fresh' | 'stale' | 'none', string | null]>([
    ['no store', undefined, 'fresh', 'no key index store'],
    ['missing', { status: 'missing' }, 'fresh', 'no key index yet'],
    [
      'unreadable',
      { status: 'unreadable', reason: 'a shard is not JSON' },
      'fresh',
      'key index unreadable: a shard is not JSON',
    ],
    ['a stale report', loaded(at(1)), 'stale', 'the credential report is not fresh'],
    ['no report', loaded(at(1)), 'none', 'no credential report'],
    ['7 days old exactly', loaded(at(7)), 'fresh', null],
    [
      'older than 7 days',
      loaded(new Date(NOW.getTime() - 7 * DAY - 1).toISOString()),
      'fresh',
      'key index older than 7 days',
    ],
    [
      'from the future',
      loaded(new Date(NOW.getTime() + 3_600_000).toISOString()),
      'fresh',
      'key index verified in the future',
    ],
  ])('%s', (_, load, report, reason) => {
    expect(keyIndexUnusableReason(load, report, NOW, 7)).toBe(reason);
  });
});

describe('the index to save', () => {
  const previous: KeyIndex = {
    verifiedAt: at(3),
    users: new Map([
      ['kept', [OLD]],
      ['healthy-now', [NEW]],
      ['not-reached', [OLD, NEW]],
    ]),
  };

  test('after an audit that used the index: its age kept, the users not reached carried over', () => {
    const next = nextAccountIndex({
      previous,
      usedPrevious: true,
      verified: new Map([
        ['kept', [OLD]],
        ['no-keys-now', []],
      ]),
      notReached: ['not-reached'],
      now: NOW,
    });
    expect(next.verifiedAt).toBe(at(3));
    expect([...next.users.keys()].sort()).toEqual(['kept', 'not-reached']);
  });

  test('after a full verification: starts at now, only what was verified', () => {
    const next = nextAccountIndex({
      previous,
      usedPrevious: false,
      verified: new Map([['kept', [OLD]]]),
      notReached: ['not-reached'],
      now: NOW,
    });
    expect(next).toEqual({ verifiedAt: NOW.toISOString(), users: new Map([['kept', [OLD]]]) });
  });

  test('a manual re-audit replaces the named users, drops those not found, keeps the age; no index, nothing', () => {
    const next = refreshedIndex(
      previous,
      new Map([
        ['kept', [NEW]],
        ['healthy-now', []],
      ]),
      ['not-reached'],
    );
    expect(next).toEqual({ verifiedAt: at(3), users: new Map([['kept', [NEW]]]) });
    expect(previous.users.size).toBe(3);
    expect(refreshedIndex(null, new Map([['kept', [NEW]]]), [])).toBeNull();
  });
});
