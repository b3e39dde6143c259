import fc from 'fast-check';
import {
  InvalidEventError,
  MAX_NAMED_USERS,
  parseInstant,
  parseInvocation,
  parseUserNames,
} from '../../lambdas/audit/event';

const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-30T07:00:00Z',
  region: 'eu-west-2',
  resources: ['arn:aws:events:eu-west-2:123456789012:rule/iam-key-auditor-weekly'],
  detail: {},
};

function errorOf(run: () => unknown): InvalidEventError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error('expected an InvalidEventError, but nothing was thrown');
}

describe('parseInvocation', () => {
  test('a scheduled EventBridge event runs the scheduled audit', () => {
    expect(parseInvocation(SCHEDULED_EVENT)).toStrictEqual({ kind: 'scheduled', dryRun: false });
  });

  test.each([
    ['{}', {}],
    ['null', null],
    ['no event', undefined],
  ])('%s is a full manual audit', (_label, event) => {
    expect(parseInvocation(event)).toStrictEqual({ kind: 'manual', dryRun: false });
  });

  test('users, dryRun and now are parsed', () => {
    expect(
      parseInvocation({
        users: ['alice', 'ci+deploy=prod,eu.bot@example_team-1'],
        dryRun: true,
        now: '2026-11-28T09:00:00Z',
      }),
    ).toStrictEqual({
      kind: 'manual',
      users: ['alice', 'ci+deploy=prod,eu.bot@example_team-1'],
      dryRun: true,
      now: new Date('2026-11-28T09:00:00Z'),
    });
  });

  test('dryRun false is a real run', () => {
    expect(parseInvocation({ dryRun: false })).toStrictEqual({ kind: 'manual', dryRun: false });
  });

  test.each<[string, unknown, string]>([
    ['an unknown field', { user: ['alice'] }, 'unknown field(s) "user"; allowed: users, dryRun, now'],
    [
      'an EventBridge event that is not a schedule',
      { source: 'aws.events', 'detail-type': 'AWS API Call via CloudTrail' },
      'unknown field(s) "source", "detail-type"; allowed: users, dryRun, now',
    ],
    [
      'users not a list',
      { users: 'alice' },
      '"users" must be a non-empty list of IAM user names; got "alice"',
    ],
    ['users empty', { users: [] }, '"users" must be a non-empty list of IAM user names; got []'],
    ['users null', { users: null }, '"users" must be a non-empty list of IAM user names; got null'],
    [
      'too many users',
      { users: Array.from({ length: 101 }, (_, i) => `user${i}`) },
      '"users" names 101 users; at most 100 are allowed (omit it to audit the whole account)',
    ],
    ['a user name with a space', { users: ['alice', 'bob smith'] }, 'invalid IAM user name "bob smith"'],
    ['a wildcard user name', { users: ['*'] }, 'invalid IAM user name "*"'],
    ['a 65-character user name', { users: ['a'.repeat(65)] }, `invalid IAM user name "${'a'.repeat(65)}"`],
    ['an empty user name', { users: [''] }, 'invalid IAM user name ""'],
    ['a user name that is not text', { users: [42] }, 'invalid IAM user name 42'],
    ['dryRun as text', { dryRun: 'true' }, '"dryRun" must be true or false; got "true"'],
    ['dryRun as a number', { dryRun: 1 }, '"dryRun" must be true or false; got 1'],
    [
      'now with month 13',
      { dryRun: true, now: '2026-13-01T00:00:00Z' },
      '"now" must be an ISO 8601 instant such as "2026-11-28T09:00:00Z"; got "2026-13-01T00:00:00Z"',
    ],
    ['now as a word', { dryRun: true, now: 'yesterday' }, 'got "yesterday"'],
    ['now as a date without a time', { dryRun: true, now: '2026-11-28' }, 'got "2026-11-28"'],
    ['now without a zone', { dryRun: true, now: '2026-11-28T09:00:00' }, 'got "2026-11-28T09:00:00"'],
    ['now as a number', { dryRun: true, now: 1795856400000 }, 'got 1795856400000'],
    ['now on 30 February', { dryRun: true, now: '2026-02-30T00:00:00Z' }, 'got "2026-02-30T00:00:00Z"'],
    [
      'now on 29 February of a common year',
      { dryRun: true, now: '2026-02-29T12:00:00Z' },
      'got "2026-02-29T12:00:00Z"',
    ],
    [
      'now on 31 April',
      { dryRun: true, now: '2026-04-31T10:00:00+02:00' },
      'got "2026-04-31T10:00:00+02:00"',
    ],
    ['now at hour 25', { dryRun: true, now: '2026-11-28T25:00:00Z' }, 'got "2026-11-28T25:00:00Z"'],
    [
      'an array as event',
      [{ users: ['alice'] }],
      'the event must be a JSON object such as {"users":["alice"]}; got [{"users":["alice"]}]',
    ],
    [
      'a string as event',
      'alice',
      'the event must be a JSON object such as {"users":["alice"]}; got "alice"',
    ],
    ['a number as event', 42, 'the event must be a JSON object such as {"users":["alice"]}; got 42'],
  ])('rejects %s', (_label, event, message) => {
    const error = errorOf(() => parseInvocation(event));
    expect(error.name).toBe('InvalidEventError');
    expect(error.message).toContain(message);
  });
});

describe('parseUserNames', () => {
  test.each([
    ['the IAM punctuation +=,.@_-', ['ci+deploy=prod,eu.bot@example_team-1']],
    ['a 64-character name', ['a'.repeat(64)]],
    [`${MAX_NAMED_USERS} users`, Array.from({ length: MAX_NAMED_USERS }, (_, i) => `user${i}`)],
  ])('accepts %s', (_label, users) => {
    expect(parseUserNames(users)).toEqual(users);
  });
});

describe('parseInstant', () => {
  test.each([
    ['2026-11-28T09:00:00Z', '2026-11-28T09:00:00.000Z'],
    ['2026-11-28T10:00:00+01:00', '2026-11-28T09:00:00.000Z'],
    ['2026-11-28T04:00:00-05:00', '2026-11-28T09:00:00.000Z'],
    ['2026-11-28T09:00Z', '2026-11-28T09:00:00.000Z'],
    ['2026-11-28T09:00:00.123Z', '2026-11-28T09:00:00.123Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['2026-12-31T23:59:59Z', '2026-12-31T23:59:59.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseInstant(text).toISOString()).toBe(iso);
  });

  test.each([
    '2100-02-29T00:00:00Z',
    '2026-06-31T00:00:00Z',
    '2026-11-00T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '',
  ])('rejects %j', (text) => {
    expect(errorOf(() => parseInstant(text)).message).toContain(`got ${JSON.stringify(text)}`);
  });
});

describe('organization steps and a named account', () => {
  test.each([
    [
      { organization: 'list-accounts', runId: 'run-2026-11-28' },
      { kind: 'org-list-accounts', runId: 'run-2026-11-28' },
    ],
    [
      { organization: 'audit-account', runId: 'r1', accountId: '111111111111', accountName: 'prod' },
      { kind: 'org-audit-account', runId: 'r1', accountId: '111111111111', accountName: 'prod' },
    ],
    [
      { organization: 'notify', runId: 'r1' },
      { kind: 'org-notify', runId: 'r1' },
    ],
    [
      { accountId: '111111111111', users: ['alice'] },
      { kind: 'manual', dryRun: false, accountId: '111111111111', users: ['alice'] },
    ],
  ])('parses %j', (event, expected) => {
    expect(parseInvocation(event)).toEqual(expected);
  });

  test.each([
    [
      { organization: 'audit-everything', runId: 'r1' },
      /"organization" must be one of list-accounts, audit-account, notify; got "audit-everything"/,
    ],
    [
      { organization: 'notify', runId: 'r1', accountId: '111111111111' },
      /unknown field\(s\) "accountId"; allowed: organization, runId/,
    ],
    [
      { organization: 'notify', runId: 'run 1' },
      /"runId" must be a Step Functions execution name .*; got "run 1"/,
    ],
    [
      { organization: 'audit-account', runId: 'r1', accountId: '1111', accountName: 'x' },
      /"accountId" must be a 12-digit AWS account id; got "1111"/,
    ],
    [{ accountId: 111111111111 }, /"accountId" must be a 12-digit AWS account id; got 111111111111/],
  ])('rejects %j', (event, message) => {
    expect(() => parseInvocation(event)).toThrow(message);
  });
});

describe('now is for dry runs (issue 11, case 2)', () => {
  const REAL_NOW = new Date('2026-11-28T09:00:00Z');

  test.each([
    ['200 days ago', '2026-05-12T09:00:00Z'],
    ['1970', '1970-01-01T00:00:00Z'],
    ['2030', '2030-01-01T00:00:00Z'],
  ])('is rejected without dryRun: %s', (_label, now) => {
    expect(errorOf(() => parseInvocation({ now }, REAL_NOW)).message).toMatch(
      /"now" is only for a dry run: add "dryRun": true/,
    );
    expect(errorOf(() => parseInvocation({ now, dryRun: false }, REAL_NOW)).message).toMatch(
      /only for a dry run/,
    );
  });

  test.each([
    ['1970-01-01T00:00:00Z'],
    ['2005-12-31T23:59:59Z'],
    ['2036-11-28T09:00:01Z'],
    ['9999-12-31T00:00:00Z'],
    ['0000-01-01T00:00:00Z'],
  ])('is rejected outside 2006 to ten years ahead: %s', (now) => {
    expect(errorOf(() => parseInvocation({ now, dryRun: true }, REAL_NOW)).message).toMatch(
      /"now" must be from 2006-01-01 to 10 years from today \(2036-11-28\)/,
    );
  });

  test.each([['2006-01-01T00:00:00Z'], ['2026-05-12T09:00:00Z'], ['2036-11-28T09:00:00Z']])(
    'is accepted with dryRun inside the window: %s',
    (now) => {
      expect(parseInvocation({ now, dryRun: true }, REAL_NOW)).toEqual({
        kind: 'manual',
        dryRun: true,
        now: new Date(now),
      });
    },
  );
});

describe('validation only ever rejects (issue 11, case 7)', () => {
  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    '"organization": %j is an unknown step',
    (step) => {
      expect(errorOf(() => parseInvocation({ organization: step, runId: 'r1' })).message).toMatch(
        /"organization" must be one of list-accounts, audit-account, notify/,
      );
    },
  );

  test('inherited names are not fields: {"runId"} alone is a manual event with an unknown field', () => {
    const event = JSON.parse('{"__proto__": {"organization": "notify"}, "runId": "r1"}') as unknown;
    expect(errorOf(() => parseInvocation(event)).name).toBe('InvalidEventError');
  });

  test('a 5,000-deep array is rejected as too deep', () => {
    let deep: unknown = [];
    for (let i = 0; i < 5000; i += 1) deep = [deep];
    expect(errorOf(() => parseInvocation({ users: deep })).message).toMatch(/nested more than 16 deep/);
  });

  test('a 1 MB value is quoted in at most about 200 characters', () => {
    const huge = 'x'.repeat(1_000_000);
    for (const event of [
      { users: [huge.slice(0, 200_000)] },
      { now: huge.slice(0, 200_000), dryRun: true },
      { accountId: huge.slice(0, 200_000) },
      { dryRun: huge.slice(0, 200_000) },
      { organization: huge.slice(0, 200_000) },
      { [huge.slice(0, 100_000)]: 1 },
      huge,
    ]) {
      const error = errorOf(() => parseInvocation(event));
      expect(error.message.length).toBeLessThan(400);
    }
  });

  test('a fuzzed event either parses or is an InvalidEventError, and never quotes more than ~200 characters', () => {
    const key = fc.oneof(
      fc.constantFrom(
        'users',
        'dryRun',
        'now',
        'accountId',
        'organization',
        'runId',
        'accountName',
        'source',
        'detail-type',
        'constructor',
        '__proto__',
        'toString',
      ),
      fc.string({ maxLength: 12 }),
    );
    const leaf = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.constantFrom(
        'alice',
        'list-accounts',
        'audit-account',
        'notify',
        'constructor',
        '__proto__',
        '2026-11-28T09:00:00Z',
        '1970-01-01T00:00:00Z',
        '111111111111',
        'aws.events',
        'Scheduled Event',
      ),
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(key, tie('node'), { maxKeys: 5 }),
      ),
    })).node;
    const event = fc.oneof(fc.dictionary(key, value, { maxKeys: 6 }), value);
    fc.assert(
      fc.property(event, (candidate) => {
        try {
          const parsed = parseInvocation(candidate, new Date('2026-11-28T09:00:00Z'));
          expect(parsed.kind).toMatch(/^(scheduled|manual|org-list-accounts|org-audit-account|org-notify)$/);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventError);
          expect((error as Error).message.length).toBeLessThan(600);
        }
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});
