import {
  evaluateRoot,
  evaluateUser,
  isSesSmtpUser,
  keysNeedingLastUse,
  nextSesUserName,
  ROOT_USER_NAME,
  rotationStepOf,
} from '../../../lambdas/audit/domain/rules';
import type { AccessKey, Finding, RootKey, RuleId } from '../../../lambdas/audit/domain/types';
import { DEFAULT_RUNBOOK } from '../../../lambdas/audit/settings';
import { daysAgo, key, MINUTE, NOW, settings, used, user } from '../../support/builders';

const RUNBOOK = DEFAULT_RUNBOOK.url;
const ANCHOR = DEFAULT_RUNBOOK.sections;
const OLD = 'AKIAOLDKEY0000000001';
const NEW = 'AKIANEWKEY0000000002';

/** The findings of one user holding these keys, with the default settings at NOW. */
function findingsFor(keys: AccessKey[], userName = 'alice', tags: Record<string, string> = {}): Finding[] {
  return evaluateUser(user({ userName, keys, tags }), NOW, settings());
}

function only(findings: Finding[], rule: RuleId): Finding {
  const matching = findings.filter((f) => f.rule === rule);
  expect(matching).toHaveLength(1);
  return matching[0]!;
}

describe('evaluateUser', () => {
  test('a user with one recent, recently used key has no findings', () => {
    expect(findingsFor([key()])).toEqual([]);
  });

  test('a user without keys has no findings', () => {
    expect(findingsFor([])).toEqual([]);
  });

  describe('key-too-old and key-expiring by the age of an Active key (90 days, warned 7 days before)', () => {
    test.each([
      ['82 days', 82, []],
      ['83 days - 1 minute', 83 - MINUTE, []],
      ['exactly 83 days', 83, []],
      ['83 days + 1 minute', 83 + MINUTE, ['key-expiring']],
      ['89 days', 89, ['key-expiring']],
      ['90 days - 1 minute', 90 - MINUTE, ['key-expiring']],
      ['exactly 90 days', 90, ['key-expiring']],
      ['90 days + 1 minute', 90 + MINUTE, ['key-too-old']],
      ['400 days', 400, ['key-too-old']],
    ])('a key created %s ago: %j', (_label, age, rules) => {
      const findings = findingsFor([key({ createdAt: daysAgo(age), lastUsed: used(1) })]);
      expect(findings.map((f) => f.rule)).toEqual(rules);
    });
  });

  test('key-too-old: high, names the key, its age and the limit, and links to finding where it is used', () => {
    const finding = only(
      findingsFor([key({ accessKeyId: OLD, createdAt: daysAgo(90 + MINUTE) })]),
      'key-too-old',
    );
    expect(finding).toMatchObject({
      severity: 'high',
      userName: 'alice',
      accessKeyId: OLD,
      status: 'Active',
      ageDays: 90,
      sesSmtpUser: false,
      runbookUrl: RUNBOOK + ANCHOR.findWhereUsed,
    });
    expect(finding.action).toBe(
      `Rotate ${OLD}: it is 90 days old, past the 90-day limit. Find where ${OLD} is used, create and deploy a new key, ` +
        `confirm the new key is used, then deactivate and delete ${OLD}.`,
    );
  });

  test('key-expiring: low, says the day the key turns 90 days old', () => {
    const finding = only(findingsFor([key({ accessKeyId: OLD, createdAt: daysAgo(85) })]), 'key-expiring');
    expect(finding).toMatchObject({
      severity: 'low',
      accessKeyId: OLD,
      ageDays: 85,
      runbookUrl: RUNBOOK + ANCHOR.findWhereUsed,
    });
    expect(finding.action).toContain(`Plan the rotation of ${OLD}: it turns 90 days old on 2026-12-03.`);
  });

  describe('key-unused (45 days) on the last use, or on the creation when never used', () => {
    test.each([
      ['last used 45 days - 1 minute ago', daysAgo(60), used(45 - MINUTE), false],
      ['last used exactly 45 days ago', daysAgo(60), used(45), false],
      ['last used 45 days + 1 minute ago', daysAgo(60), used(45 + MINUTE), true],
      ['created 80 days ago, last used yesterday', daysAgo(80), used(1), false],
      ['never used, created 45 days - 1 minute ago', daysAgo(45 - MINUTE), null, false],
      ['never used, created exactly 45 days ago', daysAgo(45), null, false],
      ['never used, created 45 days + 1 minute ago', daysAgo(45 + MINUTE), null, true],
    ])('%s: %p', (_label, createdAt, lastUsed, fires) => {
      const findings = findingsFor([key({ createdAt, lastUsed })]);
      expect(findings.some((f) => f.rule === 'key-unused')).toBe(fires);
    });
  });

  test('key-unused on a used key: medium, says when and where it was last used, links to "find out if the key is used"', () => {
    const finding = only(
      findingsFor([
        key({
          accessKeyId: OLD,
          createdAt: daysAgo(70),
          lastUsed: used(50, { service: 'sts', region: 'us-east-1' }),
        }),
      ]),
      'key-unused',
    );
    expect(finding).toMatchObject({
      severity: 'medium',
      accessKeyId: OLD,
      lastUsed: { date: daysAgo(50), service: 'sts', region: 'us-east-1' },
      runbookUrl: RUNBOOK + ANCHOR.findIfUsed,
    });
    expect(finding.action).toBe(
      `${OLD} was last used 50 days ago (sts in us-east-1): confirm nothing still uses it, then deactivate and delete it.`,
    );
  });

  test('key-unused on a last use without service or region leaves out the "where"', () => {
    const finding = only(
      findingsFor([
        key({
          accessKeyId: OLD,
          createdAt: daysAgo(70),
          lastUsed: used(50, { service: null, region: null }),
        }),
      ]),
      'key-unused',
    );
    expect(finding.action).toBe(
      `${OLD} was last used 50 days ago: confirm nothing still uses it, then deactivate and delete it.`,
    );
  });

  test('key-unused on a never used key: says for how long, links to removing the key', () => {
    const finding = only(
      findingsFor([key({ accessKeyId: OLD, createdAt: daysAgo(60), lastUsed: null })]),
      'key-unused',
    );
    expect(finding).toMatchObject({ lastUsed: null, runbookUrl: RUNBOOK + ANCHOR.removeOldKey });
    expect(finding.action).toBe(`${OLD} has never been used in 60 days: deactivate it, then delete it.`);
  });

  describe('an Inactive key is only ever inactive-key, however old or unused', () => {
    test.each([
      ['recent and used', daysAgo(5), used(1)],
      ['400 days old, never used', daysAgo(400), null],
      ['85 days old, last used 60 days ago', daysAgo(85), used(60)],
    ])('%s', (_label, createdAt, lastUsed) => {
      const findings = findingsFor([key({ status: 'Inactive', createdAt, lastUsed })]);
      expect(findings.map((f) => f.rule)).toEqual(['inactive-key']);
    });
  });

  test.each([
    ['never used', null, 'Delete AKIAOLDKEY0000000001: it is inactive; never used.'],
    [
      'used before',
      used(3, { service: 'iam', region: 'us-east-1' }),
      'Delete AKIAOLDKEY0000000001: it is inactive; last used 3 days ago (iam in us-east-1).',
    ],
  ])(
    'inactive-key, %s: low, the action says how it was used, links to removing the key',
    (_label, lastUsed, action) => {
      const finding = only(
        findingsFor([key({ accessKeyId: OLD, status: 'Inactive', lastUsed })]),
        'inactive-key',
      );
      expect(finding).toMatchObject({
        severity: 'low',
        accessKeyId: OLD,
        status: 'Inactive',
        action,
        runbookUrl: RUNBOOK + ANCHOR.removeOldKey,
      });
    },
  );

  test("a user's findings come in rule order: an old, unused key is key-too-old then key-unused", () => {
    const findings = findingsFor([key({ createdAt: daysAgo(200), lastUsed: used(100) })]);
    expect(findings.map((f) => [f.rule, f.accessKeyId])).toEqual([
      ['key-too-old', 'AKIAEXAMPLE000000001'],
      ['key-unused', 'AKIAEXAMPLE000000001'],
    ]);
  });

  describe('custom thresholds', () => {
    const custom = settings({ thresholds: { maxKeyAgeDays: 30, warnDays: 5, unusedDays: 10 } });
    test.each([
      ['created 24 days ago, used yesterday', daysAgo(24), used(1), []],
      ['created 26 days ago, used yesterday', daysAgo(26), used(1), ['key-expiring']],
      ['created 31 days ago, used yesterday', daysAgo(31), used(1), ['key-too-old']],
      ['created 20 days ago, last used 11 days ago', daysAgo(20), used(11), ['key-unused']],
      ['created 11 days ago, never used', daysAgo(11), null, ['key-unused']],
      ['created 9 days ago, never used', daysAgo(9), null, []],
    ])('%s: %j', (_label, createdAt, lastUsed, rules) => {
      const findings = evaluateUser(user({ keys: [key({ createdAt, lastUsed })] }), NOW, custom);
      expect(findings.map((f) => f.rule)).toEqual(rules);
    });

    test('the actions state the configured limit', () => {
      const [tooOld] = evaluateUser(
        user({ keys: [key({ accessKeyId: OLD, createdAt: daysAgo(31) })] }),
        NOW,
        custom,
      );
      expect(tooOld?.action).toContain(`Rotate ${OLD}: it is 31 days old, past the 30-day limit`);
      const [expiring] = evaluateUser(
        user({ keys: [key({ accessKeyId: OLD, createdAt: daysAgo(26) })] }),
        NOW,
        custom,
      );
      expect(expiring?.action).toContain(`it turns 30 days old on 2026-12-02`);
    });
  });

  describe('two-keys: one finding per user, with the rotation step and the key it acts on', () => {
    const older = (partial: Partial<AccessKey>) =>
      key({ accessKeyId: OLD, createdAt: daysAgo(60), ...partial });
    const newer = (partial: Partial<AccessKey>) =>
      key({ accessKeyId: NEW, createdAt: daysAgo(10), ...partial });

    test.each([
      {
        step: 'deactivate-old-key',
        keys: [older({ lastUsed: used(20) }), newer({ lastUsed: used(1) })],
        anchor: ANCHOR.removeOldKey,
        action: `${OLD} has not been used since ${NEW} was created on 2026-11-18: deactivate ${OLD}, then delete it.`,
      },
      {
        step: 'deactivate-old-key',
        keys: [newer({ lastUsed: used(1) }), older({ lastUsed: used(20) })],
        anchor: ANCHOR.removeOldKey,
        action: `${OLD} has not been used since ${NEW} was created on 2026-11-18: deactivate ${OLD}, then delete it.`,
      },
      {
        step: 'replace-uses',
        keys: [older({ lastUsed: used(1) }), newer({ lastUsed: used(2) })],
        anchor: ANCHOR.findWhereUsed,
        action: `Both keys are in use: replace every use of ${OLD} with ${NEW}, confirm ${OLD} is no longer used, then remove it.`,
      },
      {
        step: 'delete-inactive-key',
        keys: [older({ lastUsed: used(1) }), newer({ status: 'Inactive', lastUsed: null })],
        anchor: ANCHOR.removeOldKey,
        action: `Delete the inactive key ${NEW}; ${OLD} stays.`,
      },
      {
        step: 'delete-inactive-key',
        keys: [older({ status: 'Inactive', lastUsed: used(20) }), newer({ lastUsed: used(1) })],
        anchor: ANCHOR.removeOldKey,
        action: `Delete the inactive key ${OLD}; ${NEW} stays.`,
      },
      {
        step: 'remove-unused-key',
        keys: [older({ lastUsed: used(1) }), newer({ lastUsed: null })],
        anchor: ANCHOR.removeOldKey,
        action: `Remove ${NEW}: it has never been used; ${OLD} stays.`,
      },
      {
        step: 'remove-unused-key',
        keys: [older({ lastUsed: null }), newer({ lastUsed: used(1) })],
        anchor: ANCHOR.removeOldKey,
        action: `Remove ${OLD}: it has never been used; ${NEW} stays.`,
      },
    ])('$step: $action', ({ step, keys, anchor, action }) => {
      const findings = findingsFor(keys, 'alice', { [OLD]: 'billing app', [NEW]: 'billing app (new)' });
      const finding = only(findings, 'two-keys');
      expect(finding).toMatchObject({
        severity: 'medium',
        userName: 'alice',
        rotationStep: step,
        action,
        runbookUrl: RUNBOOK + anchor,
        lastUsed: null,
        description: null,
      });
      expect(finding.accessKeyId).toBeUndefined();
      expect(finding.keys?.map((k) => [k.accessKeyId, k.ageDays, k.description])).toEqual(
        keys.map((k) => [
          k.accessKeyId,
          k.accessKeyId === OLD ? 60 : 10,
          k.accessKeyId === OLD ? 'billing app' : 'billing app (new)',
        ]),
      );
    });

    test.each([
      [
        'older idle since the newer was created',
        [older({ lastUsed: used(20) }), newer({})],
        'deactivate-old-key',
        OLD,
        NEW,
      ],
      ['both in use', [newer({ lastUsed: used(2) }), older({ lastUsed: used(1) })], 'replace-uses', OLD, NEW],
      ['the newer one inactive', [older({}), newer({ status: 'Inactive' })], 'delete-inactive-key', NEW, OLD],
      ['the older one never used', [newer({}), older({ lastUsed: null })], 'remove-unused-key', OLD, NEW],
    ])('rotationStepOf, %s: the step and the key it targets', (_label, keys, step, target, keep) => {
      const result = rotationStepOf(keys as [AccessKey, AccessKey]);
      expect([result.step, result.target.accessKeyId, result.keep.accessKeyId]).toEqual([step, target, keep]);
    });

    test('a user with two keys also gets the per-key findings of each', () => {
      const findings = findingsFor([
        older({ createdAt: daysAgo(120), lastUsed: used(20) }),
        newer({ status: 'Inactive' }),
      ]);
      expect(findings.map((f) => [f.rule, f.accessKeyId])).toEqual([
        ['key-too-old', OLD],
        ['two-keys', undefined],
        ['inactive-key', NEW],
      ]);
    });
  });

  describe('the description tag (a user tag whose key is the access key id)', () => {
    test('shows on the finding and in the action', () => {
      const findings = findingsFor([key({ accessKeyId: OLD, createdAt: daysAgo(100) })], 'alice', {
        [OLD]: 'billing app on Heroku',
        team: 'payments',
      });
      const finding = only(findings, 'key-too-old');
      expect(finding.description).toBe('billing app on Heroku');
      expect(finding.action).toContain(
        `Find where ${OLD} is used (described as "billing app on Heroku"), create`,
      );
    });

    test('is null, and not in the action, when no tag names the key', () => {
      const finding = only(
        findingsFor([key({ accessKeyId: OLD, createdAt: daysAgo(100) })], 'alice', {
          [NEW]: 'other key',
          team: 'x',
        }),
        'key-too-old',
      );
      expect(finding.description).toBeNull();
      expect(finding.action).not.toContain('described as');
    });

    test('shows on inactive-key and key-unused findings', () => {
      const findings = findingsFor(
        [
          key({ accessKeyId: OLD, status: 'Inactive' }),
          key({ accessKeyId: NEW, createdAt: daysAgo(50), lastUsed: null }),
        ],
        'alice',
        { [OLD]: 'old laptop', [NEW]: 'cron job' },
      );
      expect(only(findings, 'inactive-key').description).toBe('old laptop');
      expect(only(findings, 'key-unused').description).toBe('cron job');
    });
  });

  describe('SES SMTP users', () => {
    test.each([
      ['ses-smtp-user.20200812-123456', undefined, true],
      ['ses-smtp-user.billing', undefined, true],
      ['ses-smtp-user', undefined, false],
      ['ses-smtp-userX20200812', undefined, false],
      ['my-ses-smtp-user.billing', undefined, false],
      ['SES-SMTP-USER.billing', undefined, false],
      ['smtp-billing', ['^smtp-', 'mailer$'], true],
      ['billing-mailer', ['^smtp-', 'mailer$'], true],
      ['ses-smtp-user.billing', ['^smtp-', 'mailer$'], false],
      ['ses-smtp-user.billing', [], false],
    ])('isSesSmtpUser(%j, %j) is %p', (userName, patterns, expected) => {
      expect(isSesSmtpUser(userName, patterns ?? settings().sesUserPatterns)).toBe(expected);
    });

    test.each([
      ['ses-smtp-user.billing', NOW, 'ses-smtp-user.billing.20261128'],
      ['ses-smtp-user.20200812', NOW, 'ses-smtp-user.20261128'],
      ['ses-smtp-user.billing.20250101', NOW, 'ses-smtp-user.billing.20261128'],
      ['ses-smtp-user.20200812-123456', NOW, 'ses-smtp-user.20261128'],
      ['ses-smtp-user.billing.20250101-093000', NOW, 'ses-smtp-user.billing.20261128'],
      [`ses-smtp-user.${'x'.repeat(50)}`, NOW, `ses-smtp-user.${'x'.repeat(41)}.20261128`],
      ['ses-smtp-user.billing.123', NOW, 'ses-smtp-user.billing.123.20261128'],
      ['ses-smtp-user.billing', new Date('2026-11-28T23:30:00-05:00'), 'ses-smtp-user.billing.20261129'],
      ['ses-smtp-user.a+b=c,d@e_f-g', NOW, 'ses-smtp-user.a+b=c,d@e_f-g.20261128'],
    ])('nextSesUserName(%j) at %s is %j', (userName, now, expected) => {
      expect(nextSesUserName(userName, now)).toBe(expected);
    });

    test.each([
      [
        'key-too-old',
        daysAgo(100),
        'Rotate AKIAEXAMPLE000000001: it is 100 days old, past the 90-day limit. ',
      ],
      [
        'key-expiring',
        daysAgo(85),
        'Plan the rotation of AKIAEXAMPLE000000001: it turns 90 days old on 2026-12-03. ',
      ],
    ])(
      '%s: the action re-creates the user with the date of now, and links to the SES section',
      (rule, createdAt, why) => {
        const findings = findingsFor([key({ createdAt })], 'ses-smtp-user.billing.20250101');
        const finding = only(findings, rule as RuleId);
        expect(finding).toMatchObject({
          sesSmtpUser: true,
          runbookUrl: RUNBOOK + '#rotating-ses-smtp-credentials',
          action:
            why +
            'SES SMTP credentials cannot be rotated: create user ses-smtp-user.billing.20261128, ' +
            'switch the application to its SMTP credentials, then delete ses-smtp-user.billing.20250101.',
        });
      },
    );

    test('a custom pattern makes a user an SES SMTP user, and replaces the default one', () => {
      const custom = settings({ sesUserPatterns: ['^mail-'] });
      const [mail] = evaluateUser(
        user({ userName: 'mail-relay', keys: [key({ createdAt: daysAgo(100) })] }),
        NOW,
        custom,
      );
      expect(mail).toMatchObject({ sesSmtpUser: true, runbookUrl: RUNBOOK + ANCHOR.sesSmtp });
      expect(mail?.action).toContain('create user mail-relay.20261128');
      const [ses] = evaluateUser(
        user({ userName: 'ses-smtp-user.x', keys: [key({ createdAt: daysAgo(100) })] }),
        NOW,
        custom,
      );
      expect(ses).toMatchObject({ sesSmtpUser: false, runbookUrl: RUNBOOK + ANCHOR.findWhereUsed });
    });

    test('two-keys on an SES SMTP user says to re-create the user instead of adding a key', () => {
      const finding = only(
        findingsFor(
          [
            key({ accessKeyId: OLD, createdAt: daysAgo(60), lastUsed: used(1) }),
            key({ accessKeyId: NEW, lastUsed: null }),
          ],
          'ses-smtp-user.billing',
        ),
        'two-keys',
      );
      expect(finding.sesSmtpUser).toBe(true);
      expect(finding.action).toBe(
        `Remove ${NEW}: it has never been used; ${OLD} stays. This is an SES SMTP user: ` +
          'rotate it by re-creating the user with a .YYYYMMDD suffix, not with a second key.',
      );
    });

    test('every finding of an SES SMTP user is marked, and no finding of another user is', () => {
      const keys = [
        key({ createdAt: daysAgo(100), lastUsed: used(50) }),
        key({ accessKeyId: NEW, status: 'Inactive' }),
      ];
      const ses = findingsFor(keys, 'ses-smtp-user.billing');
      const other = findingsFor(keys, 'billing');
      expect(ses.map((f) => f.rule)).toEqual(['key-too-old', 'two-keys', 'key-unused', 'inactive-key']);
      expect(ses.every((f) => f.sesSmtpUser)).toBe(true);
      expect(other.some((f) => f.sesSmtpUser)).toBe(false);
    });
  });

  test.each(['ci+deploy=prod,eu.bot@example_team-1', 'a', 'x'.repeat(64)])(
    'user name %j is kept as is',
    (userName) => {
      const findings = findingsFor([key({ createdAt: daysAgo(100) })], userName);
      expect(findings.map((f) => f.userName)).toEqual([userName]);
    },
  );

  describe('runbook links are the configured url plus the section anchor', () => {
    const custom = settings({
      runbook: {
        url: 'https://wiki.example.com/iam/keys?lang=en',
        sections: {
          findIfUsed: '#if-used',
          findWhereUsed: '#where-used',
          createAndDeploy: '#create',
          sesSmtp: '#ses',
          ensureNewKeyUsed: '#ensure',
          removeOldKey: '#remove',
        },
      },
    });
    const url = 'https://wiki.example.com/iam/keys?lang=en';

    test.each([
      ['key-too-old', 'alice', 'an old key', '#where-used', [key({ createdAt: daysAgo(100) })]],
      ['key-too-old', 'ses-smtp-user.a', 'an old key', '#ses', [key({ createdAt: daysAgo(100) })]],
      ['key-expiring', 'alice', 'an 85-day-old key', '#where-used', [key({ createdAt: daysAgo(85) })]],
      ['key-expiring', 'ses-smtp-user.a', 'an 85-day-old key', '#ses', [key({ createdAt: daysAgo(85) })]],
      [
        'key-unused',
        'alice',
        'an idle key',
        '#if-used',
        [key({ createdAt: daysAgo(60), lastUsed: used(50) })],
      ],
      [
        'key-unused',
        'alice',
        'a never used key',
        '#remove',
        [key({ createdAt: daysAgo(60), lastUsed: null })],
      ],
      ['inactive-key', 'alice', 'an inactive key', '#remove', [key({ status: 'Inactive' })]],
      [
        'two-keys',
        'alice',
        'two keys in use',
        '#where-used',
        [key(), key({ accessKeyId: NEW, lastUsed: used(2) })],
      ],
      [
        'two-keys',
        'alice',
        'a never used second key',
        '#remove',
        [key(), key({ accessKeyId: NEW, lastUsed: null })],
      ],
    ])('%s of %s with %s links to %s', (rule, userName, _label, anchor, keys) => {
      const findings = evaluateUser(user({ userName, keys }), NOW, custom);
      expect(only(findings, rule as RuleId).runbookUrl).toBe(url + anchor);
    });

    test('root-access-key links to removing the key', () => {
      const [finding] = evaluateRoot([{ active: true, createdAt: daysAgo(10), lastUsed: null }], NOW, custom);
      expect(finding?.runbookUrl).toBe(url + '#remove');
    });
  });
});

describe('evaluateRoot', () => {
  const rootKey = (partial: Partial<RootKey>): RootKey => ({
    active: true,
    createdAt: daysAgo(400),
    lastUsed: used(2, { service: 'iam', region: 'us-east-1' }),
    ...partial,
  });

  test('an active root key is a critical finding without a key id', () => {
    const findings = evaluateRoot([rootKey({})], NOW, settings());
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding).toMatchObject({
      rule: 'root-access-key',
      severity: 'critical',
      userName: ROOT_USER_NAME,
      status: 'Active',
      ageDays: 400,
      lastUsed: { service: 'iam', region: 'us-east-1' },
      sesSmtpUser: false,
      runbookUrl: RUNBOOK + ANCHOR.removeOldKey,
    });
    expect(finding).not.toHaveProperty('accessKeyId');
    expect(finding?.action).toContain("Delete the root user's access key");
    expect(finding?.action).not.toContain('unavailable');
  });

  test('an inactive root key is no finding', () => {
    expect(evaluateRoot([rootKey({ active: false })], NOW, settings())).toEqual([]);
  });

  test('a root key of unknown status is a finding that says the status is unknown', () => {
    const [finding] = evaluateRoot(
      [rootKey({ active: null, createdAt: null, lastUsed: null })],
      NOW,
      settings(),
    );
    expect(finding).toMatchObject({
      rule: 'root-access-key',
      severity: 'critical',
      createdAt: null,
      ageDays: null,
    });
    expect(finding).not.toHaveProperty('status');
    expect(finding?.action).toMatch(
      /^The root account holds an access key \(the credential report was unavailable/,
    );
  });

  test('one finding per active root key; none without keys', () => {
    const findings = evaluateRoot(
      [rootKey({}), rootKey({ active: false }), rootKey({ createdAt: daysAgo(3) })],
      NOW,
      settings(),
    );
    expect(findings.map((f) => f.ageDays)).toEqual([400, 3]);
    expect(evaluateRoot([], NOW, settings())).toEqual([]);
  });
});

describe('keysNeedingLastUse', () => {
  test.each([
    ['one Active key created 45 days + 1 minute ago', [key({ createdAt: daysAgo(45 + MINUTE) })], [0]],
    ['one Active key created exactly 45 days ago', [key({ createdAt: daysAgo(45) })], []],
    ['one Inactive key created 400 days ago', [key({ status: 'Inactive', createdAt: daysAgo(400) })], []],
    [
      'two recent Active keys',
      [key({ createdAt: daysAgo(2) }), key({ accessKeyId: NEW, createdAt: daysAgo(1) })],
      [0, 1],
    ],
    [
      'an old Active key and an old Inactive key',
      [
        key({ status: 'Inactive', createdAt: daysAgo(100) }),
        key({ accessKeyId: NEW, createdAt: daysAgo(100) }),
      ],
      [1],
    ],
    ['no keys', [], []],
  ])('%s', (_label, keys, expected) => {
    expect(keysNeedingLastUse(keys, NOW, settings())).toEqual(expected.map((i) => keys[i]));
  });

  test('follows a custom unusedDays', () => {
    const keys = [key({ createdAt: daysAgo(11) })];
    expect(keysNeedingLastUse(keys, NOW, settings({ thresholds: { unusedDays: 10 } }))).toEqual(keys);
  });
});
