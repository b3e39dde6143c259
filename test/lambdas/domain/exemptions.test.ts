import {
  applyExemptions,
  DEFAULT_MAX_EXEMPTION_DAYS,
  EXEMPTION_RULES,
  parseTagExemptions,
  validatePropsExemptions,
  type ExemptibleRule,
  type ExemptionProps,
} from '../../../lambdas/audit/domain/exemptions';
import { evaluateRoot, evaluateUser, ROOT_USER_NAME } from '../../../lambdas/audit/domain/rules';
import { DEFAULT_EXEMPTIONS_URL, type Exemption, type Finding } from '../../../lambdas/audit/domain/types';
import { daysAgo, key, NOW, settings, used, user } from '../../support/builders';

// NOW is 2026-11-28: today for every exemption below.
const TODAY = '2026-11-28';
const YESTERDAY = '2026-11-27';
const MAX_AHEAD = '2027-05-27'; // TODAY + 180 days
const PAST_MAX = '2027-05-28'; // TODAY + 181 days
const KEY1 = 'AKIAALICE00000000001';
const KEY2 = 'AKIAALICE00000000002';
const TAG = 'iam-key-auditor:exempt';
const EXEMPTIONS_URL = DEFAULT_EXEMPTIONS_URL;
const OPTIONS = { maxExemptionDays: DEFAULT_MAX_EXEMPTION_DAYS, settings: settings() };

/**
 * The findings the tables below exempt, all of alice (one verdict per key, so three single-key findings come from
 * three audits of her: KEY1 100 days old and used (key-too-old), KEY2 never used in 50 days (key-unused), KEY3 121
 * days old and never used (key-too-old and key-unused, removed)), then the pair finding of the same keys held at
 * once (two-keys).
 */
const aliceWith = (...keys: ReturnType<typeof key>[]) =>
  evaluateUser(user({ userName: 'alice', keys }), NOW, settings());
const K1 = key({ accessKeyId: KEY1, createdAt: daysAgo(100), lastUsed: used(1) });
const K2 = key({ accessKeyId: KEY2, createdAt: daysAgo(50), lastUsed: null });
const aliceFindings = [...aliceWith(K1), ...aliceWith(K2)];

/** `rule KEY` or `rule -` per finding, the way the tables below read them. */
function ids(findings: Finding[]): string[] {
  return findings.map((f) => `${f.rule} ${f.accessKeyId ?? '-'}`);
}

function fromTags(tags: Record<string, string>, findings = aliceFindings, userName = 'alice') {
  const { exemptions, invalid } = parseTagExemptions(userName, tags);
  return applyExemptions(findings, exemptions, invalid, NOW, OPTIONS);
}

test('alice has the two findings the tables below exempt', () => {
  expect(ids(aliceFindings)).toEqual([`key-too-old ${KEY1}`, `key-unused ${KEY2}`]);
});

describe('an exemption covers a finding only when it covers every rule that fired on it', () => {
  const tooOldAndUnused = aliceWith(key({ accessKeyId: KEY1, createdAt: daysAgo(121), lastUsed: null }));
  const pair = aliceWith(K1, K2);

  test('the fixtures: one key too old and unused; one pair', () => {
    expect(tooOldAndUnused.map((f) => [f.rule, f.rules])).toEqual([
      ['key-unused', ['key-too-old', 'key-unused']],
    ]);
    expect(pair.map((f) => [f.rule, f.rules])).toEqual([
      ['two-keys', ['key-too-old', 'two-keys', 'key-unused']],
    ]);
  });

  test.each<[string, Record<string, string>, typeof pair, number]>([
    [
      'age alone does not hide an unused key',
      { [`${TAG}:${KEY1}:key-too-old`]: `${MAX_AHEAD} v` },
      tooOldAndUnused,
      0,
    ],
    ['the key covers every rule of the key', { [`${TAG}:${KEY1}`]: `${MAX_AHEAD} v` }, tooOldAndUnused, 1],
    ['a key exemption never covers the pair', { [`${TAG}:${KEY1}`]: `${MAX_AHEAD} v` }, pair, 0],
    [
      'two-keys alone does not cover the pair of an old key',
      { [`${TAG}:two-keys`]: `${MAX_AHEAD} v` },
      pair,
      0,
    ],
    ['the whole user covers the pair', { [TAG]: `${MAX_AHEAD} v` }, pair, 1],
  ])('%s', (_label, tags, findings, exemptedCount) => {
    expect(fromTags(tags, findings).exempted).toHaveLength(exemptedCount);
  });
});

test('the exemption rules: invalid-exemption is medium, exemption-expired low', () => {
  expect(EXEMPTION_RULES['invalid-exemption'].severity).toBe('medium');
  expect(EXEMPTION_RULES['exemption-expired'].severity).toBe('low');
});

describe('parseTagExemptions', () => {
  test.each<[string, Record<string, string>, Partial<Exemption>]>([
    ['the whole user', { [TAG]: '2027-01-31 vendor' }, { until: '2027-01-31', reason: 'vendor' }],
    ['one key', { [`${TAG}:${KEY1}`]: '2027-01-31 vendor' }, { accessKeyId: KEY1 }],
    ['one rule of the user', { [`${TAG}:key-unused`]: '2027-01-31 vendor' }, { rules: ['key-unused'] }],
    [
      'one rule of one key',
      { [`${TAG}:${KEY2}:key-unused`]: '2027-01-31 vendor' },
      { accessKeyId: KEY2, rules: ['key-unused'] },
    ],
    [
      'the namespace and rule in any case',
      { 'IAM-Key-Auditor:Exempt:Key-Unused': '2027-01-31 vendor' },
      { rules: ['key-unused'], tagKey: 'IAM-Key-Auditor:Exempt:Key-Unused' },
    ],
    [
      'spaces around and inside the value',
      { [TAG]: '  2027-01-31   vendor cannot rotate  ' },
      { until: '2027-01-31', reason: 'vendor cannot rotate' },
    ],
  ])('reads %s', (_label, tags, expected) => {
    const { exemptions, invalid } = parseTagExemptions('alice', tags);
    expect(invalid).toEqual([]);
    expect(exemptions).toEqual([
      expect.objectContaining({
        userName: 'alice',
        source: 'tag',
        tagKey: Object.keys(tags)[0],
        ...expected,
      }),
    ]);
    expect(exemptions[0]).not.toHaveProperty('raw');
  });

  test('ignores tags outside the namespace: the team, key descriptions, other auditor tags', () => {
    expect(
      parseTagExemptions('alice', {
        team: 'payments',
        [KEY1]: 'used by the billing job',
        'iam-key-auditor:note': 'anything',
        exempt: '2027-01-31 not ours',
      }),
    ).toEqual({ exemptions: [], invalid: [] });
  });

  test.each([
    ['a date without a reason', TAG, '2027-01-31'],
    ['a reason without a date', TAG, 'vendor cannot rotate'],
    ['an empty value', TAG, ''],
    ['a day that is not in the calendar (Feb 30)', TAG, '2027-02-30 vendor'],
    ['a date not written YYYY-MM-DD', TAG, '2027-1-31 vendor'],
    ['a date run into the reason', TAG, '2027-01-31vendor'],
    ['an unknown suffix', `${TAG}:forever`, '2027-01-31 vendor'],
    ['a mistyped namespace', 'iam-key-auditor:exempted', '2027-01-31 vendor'],
    ['a rule that cannot be exempted', `${TAG}:root-access-key`, '2027-01-31 vendor'],
    ['two-keys on one key', `${TAG}:${KEY1}:two-keys`, '2027-01-31 vendor'],
    ['too many parts', `${TAG}:${KEY1}:key-unused:extra`, '2027-01-31 vendor'],
  ])('an exemption with %s is invalid, with its tag key and raw value', (_label, tagKey, value) => {
    const { exemptions, invalid } = parseTagExemptions('alice', { [tagKey]: value });
    expect(exemptions).toEqual([]);
    expect(invalid).toEqual([
      expect.objectContaining({ userName: 'alice', source: 'tag', tagKey, raw: value }),
    ]);
  });
});

describe('applyExemptions', () => {
  describe('the date, at its edges (until is inclusive, at most 180 days ahead)', () => {
    test.each([
      ['until today: still exempt', TODAY, [], ['key-too-old', 'key-unused']],
      ['until yesterday: expired, exempts nothing', YESTERDAY, ['exemption-expired'], []],
      ['exactly 180 days ahead: exempt', MAX_AHEAD, [], ['key-too-old', 'key-unused']],
      ['181 days ahead: invalid, exempts nothing', PAST_MAX, ['invalid-exemption'], []],
    ])('%s', (_label, until, added, exemptedRules) => {
      const { alerting, exempted } = fromTags({ [TAG]: `${until} vendor` });
      expect(exempted.map((f) => f.rule)).toEqual(exemptedRules);
      const alerted = exemptedRules.length === 0 ? aliceFindings.map((f) => f.rule) : [];
      expect(alerting.map((f) => f.rule)).toEqual([...alerted, ...added]);
    });
  });

  describe('what a tag covers', () => {
    test.each<[string, string, string[]]>([
      ['the whole user: every finding', TAG, [`key-too-old ${KEY1}`, `key-unused ${KEY2}`]],
      ['one key: that key only', `${TAG}:${KEY1}`, [`key-too-old ${KEY1}`]],
      ['one rule: that rule only', `${TAG}:key-unused`, [`key-unused ${KEY2}`]],
      ['one rule of one key', `${TAG}:${KEY2}:key-unused`, [`key-unused ${KEY2}`]],
      ['a rule the key has no finding of: nothing', `${TAG}:${KEY1}:key-unused`, []],
      ['another key: nothing', `${TAG}:AKIAOTHER00000000001`, []],
    ])('%s', (_label, tagKey, exemptedIds) => {
      const { alerting, exempted } = fromTags({ [tagKey]: `${MAX_AHEAD} vendor` });
      expect(ids(exempted)).toEqual(exemptedIds);
      expect(ids(alerting)).toEqual(ids(aliceFindings).filter((id) => !exemptedIds.includes(id)));
    });
  });

  test('an exempted finding is listed with its exemption (reason and expiry)', () => {
    const { exempted } = fromTags({
      [`${TAG}:${KEY1}`]: `${MAX_AHEAD} vendor cannot rotate until the renewal`,
    });
    expect(exempted).toEqual([
      {
        ...aliceFindings[0],
        exemption: {
          userName: 'alice',
          accessKeyId: KEY1,
          until: MAX_AHEAD,
          reason: 'vendor cannot rotate until the renewal',
          source: 'tag',
          tagKey: `${TAG}:${KEY1}`,
        },
      },
    ]);
  });

  test('props exemptions apply like tags: the whole user, or some rules', () => {
    const props = validatePropsExemptions([
      { user: 'alice', rules: ['key-unused', 'two-keys'], until: TODAY, reason: 'migrating to roles' },
    ]);
    const { alerting, exempted } = applyExemptions(aliceFindings, props, [], NOW, OPTIONS);
    expect(ids(exempted)).toEqual([`key-unused ${KEY2}`]);
    expect(exempted[0]!.exemption).toEqual({
      userName: 'alice',
      rules: ['key-unused', 'two-keys'],
      until: TODAY,
      reason: 'migrating to roles',
      source: 'props',
    });
    expect(ids(alerting)).toEqual([`key-too-old ${KEY1}`]);
  });

  test('where several exemptions cover a finding, the most specific wins, then the latest', () => {
    const props = validatePropsExemptions([
      { user: 'alice', until: MAX_AHEAD, reason: 'whole user' },
      { user: 'alice', accessKeyId: KEY1, until: '2026-12-01', reason: 'key, early' },
      { user: 'alice', accessKeyId: KEY1, until: '2026-12-31', reason: 'key, late' },
    ]);
    const { exempted } = applyExemptions(aliceFindings, props, [], NOW, OPTIONS);
    expect(exempted.map((f) => [f.rule, f.exemption.reason])).toEqual([
      ['key-too-old', 'key, late'],
      ['key-unused', 'whole user'],
    ]);
  });

  test('an invalid exemption exempts nothing; its own finding says how to fix the tag', () => {
    const { alerting, exempted } = fromTags({ [`${TAG}:${KEY1}`]: '2027-01-31' });
    expect(exempted).toEqual([]);
    expect(alerting.slice(0, 2)).toEqual(aliceFindings);
    expect(alerting[2]).toEqual({
      rule: 'invalid-exemption',
      rules: ['invalid-exemption'],
      severity: 'medium',
      userName: 'alice',
      accessKeyId: KEY1,
      lastUsed: null,
      description: null,
      exemption: {
        userName: 'alice',
        accessKeyId: KEY1,
        until: '2027-01-31',
        reason: '',
        source: 'tag',
        tagKey: `${TAG}:${KEY1}`,
        raw: '2027-01-31',
      },
      sesSmtpUser: false,
      runbookUrl: EXEMPTIONS_URL,
      action: {
        step: 'fix-exemption',
        accessKeyId: KEY1,
        facts: { problems: ['it gives no reason after the date'], latestUntil: MAX_AHEAD },
      },
    });
  });

  test.each([
    ['an unparsable date', '2027-02-30 vendor', '"2027-02-30" is not a date (YYYY-MM-DD)'],
    ['no date and no reason', '', 'the value is empty'],
    [
      'a date too far ahead',
      `${PAST_MAX} vendor`,
      `${PAST_MAX} is 181 days away, more than the 180-day maximum`,
    ],
  ])('the action of an invalid tag names the problem: %s', (_label, value, problem) => {
    const { alerting } = fromTags({ [TAG]: value });
    expect(alerting.at(-1)!.action).toEqual({
      step: 'fix-exemption',
      facts: { problems: [problem], latestUntil: MAX_AHEAD },
    });
    expect(alerting.at(-1)).not.toHaveProperty('accessKeyId');
  });

  test('an unknown tag key: the action says which keys exist, not how to write the value', () => {
    const { alerting } = fromTags({ [`${TAG}:forever`]: `${MAX_AHEAD} vendor` });
    expect(alerting.at(-1)!.action.facts.problems).toEqual([
      `"${TAG}:forever" is not an exemption tag key: use ${TAG} (the whole ` +
        `user), ${TAG}:<access key id>, ${TAG}:<rule> or ${TAG}:<access key id>:<rule>, with <rule> one of ` +
        `key-too-old, key-expiring, two-keys, key-unused, inactive-key`,
    ]);
  });

  test('an expired exemption is a low finding saying to remove or renew the tag, and exempts nothing', () => {
    const { alerting, exempted } = fromTags({ [`${TAG}:key-unused`]: `${YESTERDAY} waiting for the vendor` });
    expect(exempted).toEqual([]);
    expect(alerting.at(-1)).toEqual({
      rule: 'exemption-expired',
      rules: ['exemption-expired'],
      severity: 'low',
      userName: 'alice',
      lastUsed: null,
      description: null,
      exemption: {
        userName: 'alice',
        rules: ['key-unused'],
        until: YESTERDAY,
        reason: 'waiting for the vendor',
        source: 'tag',
        tagKey: `${TAG}:key-unused`,
      },
      sesSmtpUser: false,
      runbookUrl: EXEMPTIONS_URL,
      action: { step: 'renew-or-remove-exemption', facts: { latestUntil: MAX_AHEAD } },
    });
  });

  test('props exemptions that expired or reach too far: the actions point at the stack props', () => {
    const props = validatePropsExemptions([
      { user: 'alice', accessKeyId: KEY1, until: YESTERDAY, reason: 'vendor' },
      { user: 'alice', until: PAST_MAX, reason: 'vendor' },
    ]);
    const { alerting, exempted } = applyExemptions(aliceFindings, props, [], NOW, OPTIONS);
    expect(exempted).toEqual([]);
    expect(alerting.slice(2).map((f) => [f.rule, f.accessKeyId, f.action.step, f.exemption?.source])).toEqual(
      [
        ['exemption-expired', KEY1, 'renew-or-remove-exemption', 'props'],
        ['invalid-exemption', undefined, 'fix-exemption', 'props'],
      ],
    );
    expect(alerting[3]!.action.facts.problems).toEqual([
      `${PAST_MAX} is 181 days away, more than the 180-day maximum`,
    ]);
  });

  test('invalid and expired exemptions are reported even for a user without findings', () => {
    const bob = parseTagExemptions('bob', { [TAG]: `${YESTERDAY} done`, [`${TAG}:two-keys`]: 'soon' });
    const { alerting } = applyExemptions([], bob.exemptions, bob.invalid, NOW, OPTIONS);
    expect(alerting.map((f) => [f.rule, f.userName])).toEqual([
      ['exemption-expired', 'bob'],
      ['invalid-exemption', 'bob'],
    ]);
  });

  test('a valid exemption exempts even when another of the same user is invalid', () => {
    const { alerting, exempted } = fromTags({ [TAG]: `${MAX_AHEAD} vendor`, [`${TAG}:${KEY1}`]: 'no date' });
    expect(exempted).toHaveLength(2);
    expect(ids(alerting)).toEqual(['invalid-exemption AKIAALICE00000000001']);
  });

  test('a manual re-audit looks only at the named users: another user’s expired props exemption is not reported', () => {
    const props = validatePropsExemptions([{ user: 'bob', until: YESTERDAY, reason: 'vendor' }]);
    const scoped = applyExemptions(aliceFindings, props, [], NOW, { ...OPTIONS, scopeUsers: ['alice'] });
    expect(ids(scoped.alerting)).toEqual(ids(aliceFindings));
    const all = applyExemptions(aliceFindings, props, [], NOW, OPTIONS);
    expect(all.alerting.at(-1)!.rule).toBe('exemption-expired');
  });

  test('the root account’s access key is never exempted', () => {
    const root = evaluateRoot([{ active: true, createdAt: daysAgo(500), lastUsed: null }], NOW, settings());
    const exemption: Exemption = { userName: ROOT_USER_NAME, until: TODAY, reason: 'x', source: 'props' };
    const { alerting, exempted } = applyExemptions(root, [exemption], [], NOW, OPTIONS);
    expect(exempted).toEqual([]);
    expect(alerting).toEqual(root);
  });

  test('maxExemptionDays is configurable', () => {
    const { exemptions, invalid } = parseTagExemptions('alice', { [TAG]: '2026-12-28 vendor' }); // 30 days
    const at = (maxExemptionDays: number) =>
      applyExemptions(aliceFindings, exemptions, invalid, NOW, { ...OPTIONS, maxExemptionDays }).exempted
        .length;
    expect(at(30)).toBe(2);
    expect(at(29)).toBe(0);
  });
});

describe('validatePropsExemptions', () => {
  const valid: ExemptionProps = { user: 'alice', until: '2027-01-31', reason: ' vendor ' };

  test('returns the entries as exemptions, reason trimmed', () => {
    expect(
      validatePropsExemptions([
        valid,
        { ...valid, accessKeyId: KEY1, rules: ['key-too-old'], reason: 'why' },
      ]),
    ).toEqual([
      { userName: 'alice', until: '2027-01-31', reason: 'vendor', source: 'props' },
      {
        userName: 'alice',
        accessKeyId: KEY1,
        rules: ['key-too-old'],
        until: '2027-01-31',
        reason: 'why',
        source: 'props',
      },
    ]);
    expect(validatePropsExemptions()).toEqual([]);
    expect(validatePropsExemptions([{ ...valid, until: '2028-02-29' }])[0]!.until).toBe('2028-02-29'); // a leap day
  });

  test.each<[string, Partial<ExemptionProps>, string]>([
    [
      'Feb 30',
      { until: '2027-02-30' },
      'until must be a calendar date YYYY-MM-DD (the last day exempted, UTC); got "2027-02-30"',
    ],
    ['a date with a time', { until: '2027-01-31T00:00:00Z' }, 'until must be a calendar date'],
    ['a blank reason', { reason: '  ' }, 'reason must be a non-empty text saying why; got "  "'],
    ['an empty user', { user: '' }, 'user must be an IAM user name'],
    [
      'the root account',
      { user: '<root_account>' },
      'user must be an IAM user (the root account\'s access keys cannot be exempted); got "<root_account>"',
    ],
    ['a lowercase key id', { accessKeyId: 'akiaalice00000000001' }, 'accessKeyId must be an access key id'],
    ['an empty rules list', { rules: [] }, 'rules must be a non-empty list'],
    [
      'root-access-key in rules',
      { rules: ['root-access-key'] as unknown as ExemptibleRule[] },
      'rules must be a list of key-too-old',
    ],
    [
      'invalid-exemption in rules',
      { rules: ['invalid-exemption'] as unknown as ExemptibleRule[] },
      'rules must be a list of',
    ],
    ['two-keys on one key', { accessKeyId: KEY1, rules: ['two-keys'] }, 'rules must be without two-keys'],
  ])('throws naming the entry, the field and the value: %s', (_label, change, message) => {
    const entry = { ...valid, ...change } as ExemptionProps;
    expect(() => validatePropsExemptions([valid, entry])).toThrow(
      `exemptions[1] (user ${JSON.stringify(entry.user)}): ${message}`,
    );
  });
});
