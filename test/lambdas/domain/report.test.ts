import { buildReport, compareFindings } from '../../../lambdas/audit/domain/report';
import { evaluateRoot } from '../../../lambdas/audit/domain/rules';
import type { Finding } from '../../../lambdas/audit/domain/types';
import { daysAgo, findingsOf, key, NOW, reportInput, settings, used, user } from '../../support/builders';

const ZERO_BY_RULE = {
  'root-access-key': 0,
  'key-too-old': 0,
  'key-expiring': 0,
  'two-keys': 0,
  'key-unused': 0,
  'inactive-key': 0,
  'invalid-exemption': 0,
  'exemption-expired': 0,
};
const ZERO_BY_SEVERITY = { critical: 0, high: 0, medium: 0, low: 0 };

describe('buildReport', () => {
  const users = [
    user({ userName: 'zoe', keys: [key({ accessKeyId: 'AKIAZOE0000000000001', status: 'Inactive' })] }),
    user({
      userName: 'bob',
      keys: [
        key({ accessKeyId: 'AKIABOB0000000000002', createdAt: daysAgo(100), lastUsed: used(1) }),
        key({ accessKeyId: 'AKIABOB0000000000001', createdAt: daysAgo(200), lastUsed: used(60) }),
      ],
    }),
    user({ userName: 'alice', keys: [key({ accessKeyId: 'AKIAALICE00000000001', createdAt: daysAgo(85) })] }),
    user({
      userName: 'carl',
      keys: [key({ accessKeyId: 'AKIACARL000000000001', createdAt: daysAgo(300), lastUsed: null })],
    }),
  ];
  const root = evaluateRoot([{ active: true, createdAt: daysAgo(500), lastUsed: null }], NOW, settings());

  test('sorts by severity, then user, then key (the order a person works through them)', () => {
    const report = buildReport(reportInput({ findings: [...findingsOf(users), ...root] }));
    expect(report.findings.map((f) => [f.severity, f.userName, f.accessKeyId ?? '-', f.rule])).toEqual([
      ['critical', '<root_account>', '-', 'root-access-key'],
      // One finding per key, or per pair: bob's two old keys are one pair, carl's old never-used key is removed.
      ['high', 'bob', '-', 'two-keys'],
      ['high', 'carl', 'AKIACARL000000000001', 'key-unused'],
      ['low', 'alice', 'AKIAALICE00000000001', 'key-expiring'],
      ['low', 'zoe', 'AKIAZOE0000000000001', 'inactive-key'],
    ]);
  });

  test('the order does not depend on the order of the input', () => {
    const findings = [...findingsOf(users), ...root];
    const forward = buildReport(reportInput({ findings })).findings;
    const backward = buildReport(reportInput({ findings: [...findings].reverse() })).findings;
    expect(backward).toEqual(forward);
  });

  test('does not reorder the caller’s findings', () => {
    const findings = findingsOf(users);
    const before = [...findings];
    buildReport(reportInput({ findings }));
    expect(findings).toEqual(before);
  });

  test('counts findings by rule and by severity', () => {
    const report = buildReport(
      reportInput({ usersScanned: 4, keysScanned: 5, findings: [...findingsOf(users), ...root] }),
    );
    expect(report.summary).toEqual({
      usersScanned: 4,
      keysScanned: 5,
      findings: 5,
      byRule: {
        'root-access-key': 1,
        'key-too-old': 0,
        'key-expiring': 1,
        'two-keys': 1,
        'key-unused': 1,
        'inactive-key': 1,
        'invalid-exemption': 0,
        'exemption-expired': 0,
      },
      bySeverity: { critical: 1, high: 2, medium: 0, low: 2 },
    });
  });

  test('a clean audit lists every rule and severity with 0', () => {
    const report = buildReport(reportInput({ usersScanned: 3, keysScanned: 3 }));
    expect(report.summary).toEqual({
      usersScanned: 3,
      keysScanned: 3,
      findings: 0,
      byRule: ZERO_BY_RULE,
      bySeverity: ZERO_BY_SEVERITY,
    });
    expect(report.findings).toEqual([]);
  });

  test('usersNotFound is sorted, and empty when not given', () => {
    expect(buildReport(reportInput({ usersNotFound: ['zoe', 'Bob', 'alice', 'bob'] })).usersNotFound).toEqual(
      ['Bob', 'alice', 'bob', 'zoe'],
    );
    expect(buildReport(reportInput()).usersNotFound).toEqual([]);
  });

  test('auditedAt is now as an ISO instant; the rest of the input is carried over', () => {
    const report = buildReport(
      reportInput({
        now: new Date('2026-11-28T10:15:30+01:00'),
        accountAlias: null,
        scope: { type: 'users', users: ['alice'] },
        dryRun: true,
        source: { type: 'live', reason: 'credential report not ready after 60 s' },
        thresholds: { maxKeyAgeDays: 30, warnDays: 5, unusedDays: 10 },
      }),
    );
    expect(report).toMatchObject({
      auditedAt: '2026-11-28T09:15:30.000Z',
      accountId: '123456789012',
      accountAlias: null,
      scope: { type: 'users', users: ['alice'] },
      dryRun: true,
      source: { type: 'live', reason: 'credential report not ready after 60 s' },
      thresholds: { maxKeyAgeDays: 30, warnDays: 5, unusedDays: 10 },
    });
  });
});

describe('compareFindings', () => {
  const finding = (partial: Partial<Finding>): Finding => ({
    rule: 'key-unused',
    rules: ['key-unused'],
    severity: 'medium',
    userName: 'alice',
    accessKeyId: 'AKIA0000000000000001',
    lastUsed: null,
    description: null,
    sesSmtpUser: false,
    runbookUrl: 'https://example.com/runbook#x',
    action: { step: 'remove-unused-key', facts: {} },
    ...partial,
  });

  test.each([
    [
      'severity first',
      finding({ severity: 'low', userName: 'a' }),
      finding({ severity: 'high', userName: 'z' }),
    ],
    [
      'then user',
      finding({ userName: 'bob', accessKeyId: 'AKIA1' }),
      finding({ userName: 'alice', accessKeyId: 'AKIA9' }),
    ],
    [
      'then key',
      finding({ accessKeyId: 'AKIA2', rule: 'key-unused' }),
      finding({ accessKeyId: 'AKIA1', rule: 'two-keys' }),
    ],
    [
      'then rule',
      finding({ rule: 'inactive-key', severity: 'low' }),
      finding({ rule: 'key-expiring', severity: 'low' }),
    ],
    [
      'a user-wide finding before its key findings',
      finding({ accessKeyId: 'AKIA1' }),
      finding({ rule: 'two-keys', accessKeyId: undefined }),
    ],
  ])('%s', (_label, later, earlier) => {
    expect(compareFindings(earlier, later)).toBeLessThan(0);
    expect(compareFindings(later, earlier)).toBeGreaterThan(0);
  });

  test('a finding equals itself', () => {
    expect(compareFindings(finding({}), finding({}))).toBe(0);
  });
});
