import {
  evaluateRoot,
  evaluateUser,
  isSesSmtpUser,
  keysNeedingLastUse,
  nextSesUserName,
  ROOT_USER_NAME,
  rotationStepOf,
} from '../../../lambdas/audit/domain/rules';
import type { AccessKey, ActionStep, Finding, RootKey, RuleId } from '../../../lambdas/audit/domain/types';
import { DEFAULT_RUNBOOK } from '../../../lambdas/audit/settings';
import { daysAgo, key, MINUTE, NOW, settings, used, user } from '../../support/builders';

const RUNBOOK = DEFAULT_RUNBOOK.url;
const ANCHOR = DEFAULT_RUNBOOK.sections;
const OLD = 'AKIAOLDKEY0000000001';
const NEW = 'AKIANEWKEY0000000002';

/** The findings of one user holding these keys, with the default settings (90/7/45 days) at NOW. */
function findingsFor(keys: AccessKey[], userName = 'alice', tags: Record<string, string> = {}): Finding[] {
  return evaluateUser(user({ userName, keys, tags }), NOW, settings());
}

/** What a person reads off a finding: deciding rule, every rule that fired, severity, step, keys. */
function verdictOf(finding: Finding) {
  return {
    rule: finding.rule,
    rules: finding.rules,
    severity: finding.severity,
    step: finding.action.step,
    act: finding.action.accessKeyId,
    keep: finding.action.keepAccessKeyId,
  };
}

const NEVER = null;
/** A key that is Active or Inactive, created `age` days ago, last used `use` days ago (null: never). */
const k = (id: string, age: number, use: number | null, status: 'Active' | 'Inactive' = 'Active') =>
  key({ accessKeyId: id, status, createdAt: daysAgo(age), lastUsed: use === null ? null : used(use) });

describe('evaluateUser: one verdict per key', () => {
  test('a user with one recent, recently used key has no findings', () => {
    expect(findingsFor([key()])).toEqual([]);
  });

  test('a user without keys has no findings', () => {
    expect(findingsFor([])).toEqual([]);
  });

  // One key: every combination of age, last use and status around the thresholds (90 days, warned from 83;
  // unused after 45). The step each row states is the runbook step a person takes.
  test.each<
    [string, number, number | null, 'Active' | 'Inactive', RuleId | null, RuleId[], ActionStep | null]
  >([
    ['new, used', 10, 1, 'Active', null, [], null],
    ['83 days exactly, used', 83, 1, 'Active', null, [], null],
    ['83 days + 1 minute, used', 83 + MINUTE, 1, 'Active', 'key-expiring', ['key-expiring'], 'plan-rotation'],
    ['90 days exactly, used', 90, 1, 'Active', 'key-expiring', ['key-expiring'], 'plan-rotation'],
    ['90 days + 1 minute, used', 90 + MINUTE, 1, 'Active', 'key-too-old', ['key-too-old'], 'rotate-key'],
    ['400 days, used', 400, 1, 'Active', 'key-too-old', ['key-too-old'], 'rotate-key'],
    ['45 days exactly, never used', 45, NEVER, 'Active', null, [], null],
    [
      '45 days + 1 minute, never used',
      45 + MINUTE,
      NEVER,
      'Active',
      'key-unused',
      ['key-unused'],
      'remove-unused-key',
    ],
    ['60 days, used 45 days ago', 60, 45, 'Active', null, [], null],
    [
      '60 days, used 45 days + 1 minute ago',
      60,
      45 + MINUTE,
      'Active',
      'key-unused',
      ['key-unused'],
      'confirm-unused-then-remove',
    ],
    // Too old and unused: an unused key is removed, not rotated (runbook step 2); both rules are named.
    [
      '121 days, never used',
      121,
      NEVER,
      'Active',
      'key-unused',
      ['key-too-old', 'key-unused'],
      'remove-unused-key',
    ],
    [
      '121 days, used 100 days ago',
      121,
      100,
      'Active',
      'key-unused',
      ['key-too-old', 'key-unused'],
      'confirm-unused-then-remove',
    ],
    [
      '85 days, used 50 days ago',
      85,
      50,
      'Active',
      'key-unused',
      ['key-expiring', 'key-unused'],
      'confirm-unused-then-remove',
    ],
    // An inactive key is deleted, whatever its age or use.
    ['inactive, 10 days, used', 10, 1, 'Inactive', 'inactive-key', ['inactive-key'], 'delete-inactive-key'],
    [
      'inactive, 400 days, never used',
      400,
      NEVER,
      'Inactive',
      'inactive-key',
      ['inactive-key'],
      'delete-inactive-key',
    ],
  ])('one key %s: %s %j, step %s', (_label, age, use, status, rule, rules, step) => {
    const findings = findingsFor([k(OLD, age, use, status)]);
    if (rule === null) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings).toHaveLength(1);
    expect(verdictOf(findings[0]!)).toMatchObject({ rule, rules, step, act: OLD });
  });

  test('severity is the worst of the rules that fired: too old and unused is high', () => {
    const [finding] = findingsFor([k(OLD, 121, NEVER)]);
    expect(finding?.severity).toBe('high');
  });

  test('rotate-key carries the facts to write the words from, and links to finding where the key is used', () => {
    const [finding] = findingsFor([k(OLD, 120, 1)], 'alice', { [OLD]: 'deploy pipeline' });
    expect(finding).toMatchObject({
      rule: 'key-too-old',
      severity: 'high',
      accessKeyId: OLD,
      ageDays: 120,
      description: 'deploy pipeline',
      runbookUrl: RUNBOOK + ANCHOR.findWhereUsed,
      action: {
        step: 'rotate-key',
        accessKeyId: OLD,
        facts: { ageDays: 120, lastUsedDaysAgo: 1, maxKeyAgeDays: 90 },
      },
    });
  });

  test('plan-rotation says the day the key turns 90 days old', () => {
    const [finding] = findingsFor([k(OLD, 85, 1)]);
    expect(finding?.action.facts).toMatchObject({ dueDate: '2026-12-03', maxKeyAgeDays: 90 });
    expect(finding?.severity).toBe('low');
  });

  test.each<[ActionStep, AccessKey, string]>([
    ['remove-unused-key', k(OLD, 60, NEVER), ANCHOR.removeOldKey],
    ['confirm-unused-then-remove', k(OLD, 60, 50), ANCHOR.findIfUsed],
    ['delete-inactive-key', k(OLD, 60, 50, 'Inactive'), ANCHOR.removeOldKey],
    ['rotate-key', k(OLD, 100, 1), ANCHOR.findWhereUsed],
  ])('%s links to its runbook section', (step, theKey, anchor) => {
    const [finding] = findingsFor([theKey]);
    expect(finding?.action.step).toBe(step);
    expect(finding?.runbookUrl).toBe(RUNBOOK + anchor);
  });

  test('custom thresholds move the verdicts', () => {
    const custom = settings({ thresholds: { maxKeyAgeDays: 30, warnDays: 5, unusedDays: 10 } });
    const findings = evaluateUser(user({ keys: [k(OLD, 31, 1)] }), NOW, custom);
    expect(findings[0]?.action).toMatchObject({ step: 'rotate-key', facts: { maxKeyAgeDays: 30 } });
    const idle = evaluateUser(user({ keys: [k(OLD, 20, 11)] }), NOW, custom);
    expect(idle[0]?.action).toMatchObject({ step: 'confirm-unused-then-remove', facts: { unusedDays: 10 } });
  });
});

describe('evaluateUser: two keys make one finding for the pair', () => {
  // [label, older key, newer key, expected step, key going away, key kept, rules that fired on (older, newer)]
  test.each<[string, AccessKey, AccessKey, ActionStep, string, string, RuleId[], RuleId[]]>([
    // Rotation in progress (runbook step 4 done): the newer key is never used, created after the older one, and
    // not older than the unused threshold: deploy it, never remove it, whatever the older key's age.
    [
      'in progress, new key an hour old, old key 121 days',
      k(OLD, 121, 1),
      k(NEW, 1 / 24, NEVER),
      'deploy-new-key',
      OLD,
      NEW,
      ['key-too-old'],
      [],
    ],
    [
      'in progress, new key 3 days old, old key 30 days',
      k(OLD, 30, 1),
      k(NEW, 3, NEVER),
      'deploy-new-key',
      OLD,
      NEW,
      [],
      [],
    ],
    [
      'in progress, new key exactly 45 days old',
      k(OLD, 200, 1),
      k(NEW, 45, NEVER),
      'deploy-new-key',
      OLD,
      NEW,
      ['key-too-old'],
      [],
    ],
    [
      'in progress, old key also idle for 50 days',
      k(OLD, 200, 50),
      k(NEW, 2, NEVER),
      'deploy-new-key',
      OLD,
      NEW,
      ['key-too-old', 'key-unused'],
      [],
    ],
    // Abandoned: the newer key stayed unused past the threshold: remove it.
    [
      'new key never used for 45 days + 1 minute',
      k(OLD, 200, 1),
      k(NEW, 45 + MINUTE, NEVER),
      'remove-unused-key',
      NEW,
      OLD,
      ['key-too-old'],
      ['key-unused'],
    ],
    // An older never-used key is removed, however young the newer.
    ['older key never used', k(OLD, 20, NEVER), k(NEW, 10, 1), 'remove-unused-key', OLD, NEW, [], []],
    [
      'older key never used for 60 days',
      k(OLD, 60, NEVER),
      k(NEW, 10, 1),
      'remove-unused-key',
      OLD,
      NEW,
      ['key-unused'],
      [],
    ],
    [
      'both never used, both young',
      k(OLD, 5, NEVER),
      k(NEW, 2, NEVER),
      'remove-unused-key',
      OLD,
      NEW,
      [],
      [],
    ],
    // Both used.
    [
      'both used, old not since the new was created',
      k(OLD, 100, 40),
      k(NEW, 30, 1),
      'deactivate-old-key',
      OLD,
      NEW,
      ['key-too-old'],
      [],
    ],
    [
      'both used, old used after the new was created',
      k(OLD, 100, 1),
      k(NEW, 30, 2),
      'replace-uses',
      OLD,
      NEW,
      ['key-too-old'],
      [],
    ],
    ['both used and young', k(OLD, 20, 1), k(NEW, 10, 1), 'replace-uses', OLD, NEW, [], []],
    // An inactive key is deleted first (runbook: the first task is to remove one of them).
    [
      'older inactive, newer too old',
      k(OLD, 300, 200, 'Inactive'),
      k(NEW, 100, 1),
      'delete-inactive-key',
      OLD,
      NEW,
      ['inactive-key'],
      ['key-too-old'],
    ],
    [
      'newer inactive',
      k(OLD, 50, 1),
      k(NEW, 10, NEVER, 'Inactive'),
      'delete-inactive-key',
      NEW,
      OLD,
      [],
      ['inactive-key'],
    ],
    [
      'both inactive',
      k(OLD, 50, 1, 'Inactive'),
      k(NEW, 10, 1, 'Inactive'),
      'delete-inactive-key',
      OLD,
      NEW,
      ['inactive-key'],
      ['inactive-key'],
    ],
  ])('%s', (_label, older, newer, step, act, keep, olderRules, newerRules) => {
    for (const keys of [
      [older, newer],
      [newer, older],
    ]) {
      const findings = findingsFor(keys);
      expect(findings).toHaveLength(1);
      const [finding] = findings as [Finding];
      expect(verdictOf(finding)).toMatchObject({ rule: 'two-keys', step, act, keep });
      expect(finding.rotationStep).toBe(step);
      expect(finding.keys?.map((x) => [x.accessKeyId, x.rules])).toEqual([
        [OLD, olderRules],
        [NEW, newerRules],
      ]);
      expect(finding.rules).toEqual(
        [...new Set(['two-keys', ...olderRules, ...newerRules])].sort(
          (a, b) => RULE_ORDER.indexOf(a as RuleId) - RULE_ORDER.indexOf(b as RuleId),
        ),
      );
      expect(finding).not.toHaveProperty('accessKeyId');
    }
  });

  test('a rotation in progress is never told to remove the new key', () => {
    for (const oldAge of [1, 50, 89, 90 + MINUTE, 121, 1000]) {
      for (const newAge of [0, 1 / 24, 3, 44, 45]) {
        if (newAge >= oldAge) continue;
        const [finding] = findingsFor([k(OLD, oldAge, 0.5), k(NEW, newAge, NEVER)]);
        expect(finding?.action).toMatchObject({
          step: 'deploy-new-key',
          accessKeyId: OLD,
          keepAccessKeyId: NEW,
        });
      }
    }
  });

  test('the pair is as severe as its worst key, and links to the step', () => {
    const [finding] = findingsFor([k(OLD, 121, 1), k(NEW, 1, NEVER)]);
    expect(finding).toMatchObject({ severity: 'high', runbookUrl: RUNBOOK + ANCHOR.createAndDeploy });
    const [young] = findingsFor([k(OLD, 20, 1), k(NEW, 10, 1)]);
    expect(young).toMatchObject({ severity: 'medium', runbookUrl: RUNBOOK + ANCHOR.findWhereUsed });
  });

  test('rotationStepOf names the key going away and the key kept', () => {
    const older = k(OLD, 121, 1);
    const newer = k(NEW, 1, NEVER);
    expect(rotationStepOf([newer, older], NOW, 45)).toEqual({
      step: 'deploy-new-key',
      target: older,
      keep: newer,
    });
  });

  test('the description tags show on the pair keys', () => {
    const [finding] = findingsFor([k(OLD, 100, 1), k(NEW, 1, NEVER)], 'alice', { [NEW]: 'ci runner' });
    expect(finding?.keys?.map((x) => x.description)).toEqual([null, 'ci runner']);
  });
});

const RULE_ORDER: RuleId[] = [
  'root-access-key',
  'key-too-old',
  'key-expiring',
  'two-keys',
  'key-unused',
  'inactive-key',
  'invalid-exemption',
  'exemption-expired',
];

describe('evaluateUser: SES SMTP users', () => {
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
    ['too old', 100, undefined],
    ['expiring', 85, '2026-12-03'],
  ])(
    '%s: the step re-creates the user with the date of now, and links to the SES section',
    (_l, age, due) => {
      const [finding] = findingsFor([k(OLD, age, 1)], 'ses-smtp-user.billing.20250101');
      expect(finding).toMatchObject({
        sesSmtpUser: true,
        runbookUrl: RUNBOOK + ANCHOR.sesSmtp,
        action: { step: 'recreate-ses-user', facts: { newUserName: 'ses-smtp-user.billing.20261128' } },
      });
      expect(finding?.action.facts.dueDate).toBe(due);
    },
  );
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
    expect(finding?.action).toEqual({ step: 'delete-root-key', facts: { ageDays: 400, lastUsedDaysAgo: 2 } });
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
    expect(finding?.action).toEqual({
      step: 'delete-root-key',
      facts: { ageDays: null, lastUsedDaysAgo: null, statusUnknown: true },
    });
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
