import { buildReport, type AuditReport, type ReportInput } from '../../../lambdas/audit/domain/report';
import { evaluateRoot, evaluateUser } from '../../../lambdas/audit/domain/rules';
import {
  buildSnsMessage,
  buildSubject,
  publishSizeBytes,
  SNS_MAX_PUBLISH_BYTES,
  SNS_MAX_SUBJECT_LENGTH,
  type SnsMessage,
  type SnsReport,
} from '../../../lambdas/audit/domain/sns-message';
import type { Finding, IamUser } from '../../../lambdas/audit/domain/types';
import { DEFAULT_RUNBOOK, DEFAULT_THRESHOLDS } from '../../../lambdas/audit/settings';
import { ACCOUNT_ID, daysAgo, key, NOW, settings, used, user } from '../../support/builders';

const HOSTILE_ALIAS = 'acme\nstaging ☃ <!channel>';

function reportOf(findings: Finding[], partial: Partial<ReportInput> = {}): AuditReport {
  return buildReport({
    now: NOW,
    accountId: ACCOUNT_ID,
    accountAlias: 'acme-staging',
    scope: { type: 'account' },
    dryRun: false,
    source: { type: 'credential-report', generatedAt: '2026-11-28T08:59:00.000Z' },
    thresholds: DEFAULT_THRESHOLDS,
    usersScanned: 10,
    keysScanned: 12,
    findings,
    ...partial,
  });
}

const findingsOf = (...users: IamUser[]) => users.flatMap((u) => evaluateUser(u, NOW, settings()));

/** `n` findings of several rules and severities: user `i` holds a key `i` (too old, unused or never used). */
function manyFindings(n: number): Finding[] {
  const findings: Finding[] = [];
  for (let i = 0; findings.length < n; i += 1) {
    const id = `AKIA${String(i).padStart(16, '0')}`;
    const variant = i % 4;
    findings.push(
      ...findingsOf(
        user({
          userName: `service-user-${i}`,
          keys: [
            key({
              accessKeyId: id,
              createdAt: daysAgo(variant === 0 ? 60 : 91 + (i % 300)),
              lastUsed: variant === 3 ? null : used(variant === 0 ? 50 : 1 + (i % 40)),
            }),
          ],
          tags: i % 2 ? { [id]: `deploy pipeline for service ${i}` } : {},
        }),
      ),
    );
  }
  return findings.slice(0, n);
}

interface Envelope {
  default: string;
  sqs: string;
  lambda: string;
  https: string;
}

const envelopeOf = (message: SnsMessage) => JSON.parse(message.message) as Envelope;
const reportIn = (message: SnsMessage) => JSON.parse(envelopeOf(message).sqs) as SnsReport;

const alice = user({
  userName: 'alice',
  keys: [key({ accessKeyId: 'AKIAALICE00000000001', createdAt: daysAgo(91), lastUsed: used(2) })],
  tags: { AKIAALICE00000000001: 'billing app on Heroku' },
});
const bob = user({
  userName: 'bob',
  keys: [key({ accessKeyId: 'AKIABOB0000000000001', createdAt: daysAgo(50), lastUsed: null })],
});
const dora = user({
  userName: 'dora',
  keys: [
    key({ accessKeyId: 'AKIADORA000000000001', createdAt: daysAgo(60), lastUsed: used(1) }),
    key({
      accessKeyId: 'AKIADORA000000000002',
      createdAt: daysAgo(10),
      lastUsed: used(2, { service: 'sqs' }),
    }),
  ],
  tags: { AKIADORA000000000002: 'queue worker' },
});
const ses = user({
  userName: 'ses-smtp-user.mailer',
  keys: [
    key({
      accessKeyId: 'AKIASES0000000000001',
      createdAt: daysAgo(120),
      lastUsed: used(3, { service: 'ses', region: null }),
    }),
  ],
});
const rootFindings = evaluateRoot(
  [{ active: true, createdAt: daysAgo(400), lastUsed: null }],
  NOW,
  settings(),
);

describe('buildSnsMessage with no findings', () => {
  const report = reportOf([]);
  const message = buildSnsMessage(report);

  it('says the keys are healthy, in the subject and the text', () => {
    expect(message.subject).toBe(`IAM keys healthy in acme-staging (${ACCOUNT_ID})`);
    expect(envelopeOf(message).default).toContain('All keys healthy: nothing to do.');
    expect(envelopeOf(message).default).toContain('Scanned 10 users and 12 keys: no findings.');
  });

  it('sets the attributes of a clean audit', () => {
    expect(message.attributes).toEqual({
      highestSeverity: { DataType: 'String', StringValue: 'none' },
      severities: { DataType: 'String.Array', StringValue: '["none"]' },
      rules: { DataType: 'String.Array', StringValue: '["none"]' },
      findings: { DataType: 'Number', StringValue: '0' },
      findingsOmitted: { DataType: 'Number', StringValue: '0' },
      accountId: { DataType: 'String', StringValue: ACCOUNT_ID },
      scope: { DataType: 'String', StringValue: 'account' },
      publisher: { DataType: 'String', StringValue: 'iam-key-auditor' },
    });
  });

  it('carries the whole report for machine subscribers', () => {
    expect(reportIn(message)).toEqual({ ...report, findingsOmitted: 0 });
    expect(message).toMatchObject({ findingsIncluded: 0, findingsOmitted: 0 });
  });
});

describe('buildSnsMessage with one finding', () => {
  const report = reportOf(findingsOf(alice));
  const message = buildSnsMessage(report);
  const text = envelopeOf(message).default;

  it('counts the finding in the subject', () => {
    expect(message.subject).toBe(`IAM keys: 1 high in acme-staging (${ACCOUNT_ID})`);
  });

  it('shows the user, key, age, last use, description, action and runbook URL', () => {
    expect(text).toContain('HIGH: key-too-old (1)\n');
    expect(text).toContain(
      [
        '- alice',
        '  Key: AKIAALICE00000000001 (Active), 91 days old',
        '  Last used: 2026-11-26 s3 eu-west-2',
        `  Where used: "billing app on Heroku" (the key's description tag)`,
        `  Action: ${report.findings[0]!.action}`,
        `  Runbook: ${DEFAULT_RUNBOOK.url}${DEFAULT_RUNBOOK.sections.findWhereUsed}`,
      ].join('\n'),
    );
  });

  it('puts the runbook URL on its own line', () => {
    expect(text).toMatch(/^ {2}Runbook: https:\/\/\S+$/m);
  });

  it('carries the report with its finding', () => {
    expect(reportIn(message)).toEqual({ ...report, findingsOmitted: 0 });
    expect(message).toMatchObject({ findingsIncluded: 1, findingsOmitted: 0 });
  });
});

describe('buildSnsMessage text', () => {
  const report = reportOf([...findingsOf(alice, bob, dora, ses), ...rootFindings], {
    usersNotFound: ['zed'],
  });
  const text = envelopeOf(buildSnsMessage(report)).default;

  it('starts with the account, scope, source and counts by severity and rule', () => {
    expect(text.split('\n').slice(0, 11)).toEqual([
      `IAM access key audit of acme-staging (${ACCOUNT_ID}), all users, at 2026-11-28T09:00:00.000Z`,
      'Source: credential report generated 2026-11-28T08:59:00.000Z, verified live',
      'Scanned 10 users and 12 keys: 5 findings (1 critical, 2 high, 2 medium).',
      'Not found: zed',
      '',
      'Findings by rule:',
      '  CRITICAL  root-access-key  1',
      '  HIGH      key-too-old      2',
      '  MEDIUM    two-keys         1',
      '  MEDIUM    key-unused       1',
      '',
    ]);
  });

  it('groups the findings by rule, most severe first', () => {
    const titles = text.split('\n').filter((line) => /^[A-Z]+: [a-z-]+ \(/.test(line));
    expect(titles).toEqual([
      'CRITICAL: root-access-key (1)',
      'HIGH: key-too-old (2)',
      'MEDIUM: two-keys (1)',
      'MEDIUM: key-unused (1)',
    ]);
  });

  it('shows both keys of a two-keys finding and the rotation step', () => {
    const block = text.split('MEDIUM: two-keys (1)')[1]!.split('\n\n')[0]!;
    expect(block).toContain('- dora');
    expect(block).toContain(
      '  Key 1: AKIADORA000000000001 (Active), 60 days old, last used 2026-11-27 s3 eu-west-2; ' +
        'where used: not recorded (no description tag)',
    );
    expect(block).toContain(
      '  Key 2: AKIADORA000000000002 (Active), 10 days old, last used 2026-11-26 sqs eu-west-2; ' +
        `where used: "queue worker" (the key's description tag)`,
    );
    expect(block).toMatch(/^ {2}Rotation step: replace-uses \(both keys are in use: .+\)$/m);
  });

  it('says a key was never used', () => {
    expect(text).toContain('- bob\n  Key: AKIABOB0000000000001 (Active), 50 days old\n  Last used: never');
  });

  it('says rotating an SES SMTP user means re-creating it', () => {
    const block = text.split('- ses-smtp-user.mailer [SES SMTP user]')[1]!.split('\n\n')[0]!;
    expect(block).toMatch(/SES SMTP user: rotating means re-creating the user/);
    expect(block).toContain('create user ses-smtp-user.mailer.20261128');
  });

  it('shows the root key without a key id', () => {
    expect(text).toContain('- <root_account>\n  Key: root account access key (Active), 400 days old');
  });

  it('is what email subscribers get: the default, with no email copy of its own', () => {
    const envelope = envelopeOf(buildSnsMessage(report));
    expect(envelope).not.toHaveProperty('email');
    expect(envelope.default).toContain('Key: root account access key');
  });
});

describe('buildSnsMessage envelope and attributes', () => {
  const report = reportOf([...findingsOf(alice, dora), ...rootFindings], {
    scope: { type: 'users', users: ['alice', 'dora'] },
  });
  const message = buildSnsMessage(report);

  it('is a JSON object with a string for default, sqs, lambda and https', () => {
    const envelope = envelopeOf(message);
    expect(Object.keys(envelope).sort()).toEqual(['default', 'https', 'lambda', 'sqs']);
    for (const value of Object.values(envelope)) expect(typeof value).toBe('string');
    expect(envelope.lambda).toBe(envelope.sqs);
    expect(envelope.https).toBe(envelope.sqs);
  });

  it('gives machine subscribers the report with its findings, without notifications', () => {
    const withNotifications: AuditReport = {
      ...report,
      notifications: { slack: { status: 'sent', messages: 1 }, sns: { status: 'skipped', reason: 'x' } },
    };
    const copy = reportIn(buildSnsMessage(withNotifications));
    expect(copy).toEqual({ ...report, findingsOmitted: 0 });
    expect(copy.findings).toHaveLength(3);
    expect(copy).not.toHaveProperty('notifications');
  });

  it.each([
    ['highestSeverity', 'String', 'critical'],
    ['severities', 'String.Array', '["critical","high","medium"]'],
    ['rules', 'String.Array', '["root-access-key","key-too-old","two-keys"]'],
    ['findings', 'Number', '3'],
    ['findingsOmitted', 'Number', '0'],
    ['accountId', 'String', ACCOUNT_ID],
    ['scope', 'String', 'users'],
    ['publisher', 'String', 'iam-key-auditor'],
  ])('sets %s as a %s: %s', (name, DataType, StringValue) => {
    expect(message.attributes[name as keyof SnsMessage['attributes']]).toEqual({ DataType, StringValue });
  });

  it('stays within the 10 attributes a raw-delivery SQS subscription accepts', () => {
    expect(Object.keys(message.attributes).length).toBeLessThanOrEqual(10);
  });

  it('says a manual re-audit is one, in the subject', () => {
    expect(message.subject).toBe(
      `IAM key re-audit: 1 critical, 1 high, 1 medium in acme-staging (${ACCOUNT_ID})`,
    );
  });
});

describe('buildSubject', () => {
  const findings = findingsOf(alice);
  it.each([
    ['no alias', null, `IAM keys: 1 high in ${ACCOUNT_ID}`],
    ['a plain alias', 'acme-staging', `IAM keys: 1 high in acme-staging (${ACCOUNT_ID})`],
    [
      'line breaks and non-ASCII',
      HOSTILE_ALIAS,
      `IAM keys: 1 high in acme staging ? <!channel> (${ACCOUNT_ID})`,
    ],
    ['only non-ASCII', '☃☃', `IAM keys: 1 high in ?? (${ACCOUNT_ID})`],
    ['control characters', 'a\u0000\u001b[31mb\r\n\tc', `IAM keys: 1 high in a [31mb c (${ACCOUNT_ID})`],
  ])('with %s', (_, accountAlias, expected) => {
    expect(buildSubject(reportOf(findings, { accountAlias }))).toBe(expected);
  });

  it.each([
    ['hostile', HOSTILE_ALIAS],
    ['very long', `${'x'.repeat(150)}\n${'☃'.repeat(50)}`],
    ['emoji', '🔥'.repeat(200)],
  ])('keeps SNS subject rules with a %s alias', (_, accountAlias) => {
    for (const report of [reportOf([]), reportOf([...manyFindings(40), ...rootFindings], { accountAlias })]) {
      const subject = buildSubject({ ...report, accountAlias });
      expect(subject.length).toBeLessThanOrEqual(SNS_MAX_SUBJECT_LENGTH);
      expect(subject).toMatch(/^[A-Za-z0-9!-/:-@[-`{-~][\x20-\x7e]*$/);
      expect(subject).not.toMatch(/[\r\n]/);
      expect(subject).toMatch(new RegExp(`\\(${ACCOUNT_ID}\\)$`));
    }
  });

  it('shortens a long alias and says so', () => {
    const subject = buildSubject(reportOf(findings, { accountAlias: 'a'.repeat(200) }));
    expect(subject).toMatch(/^IAM keys: 1 high in a+\.\.\. \(123456789012\)$/);
    expect(subject).toHaveLength(SNS_MAX_SUBJECT_LENGTH);
  });
});

describe('buildSnsMessage size', () => {
  it('keeps the whole message when it fits', () => {
    const report = reportOf(manyFindings(20));
    const message = buildSnsMessage(report);
    expect(message).toMatchObject({ findingsIncluded: 20, findingsOmitted: 0 });
    expect(envelopeOf(message).default).not.toContain('left out');
  });

  it.each([2_000, 20_000])(
    'keeps %i findings under 256 KiB, most severe first, and says how many it left out',
    (n) => {
      const report = reportOf(manyFindings(n));
      const started = performance.now();
      const message = buildSnsMessage(report);
      expect(performance.now() - started).toBeLessThan(2_000);

      expect(publishSizeBytes(message)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
      expect(message.findingsIncluded).toBeGreaterThan(0);
      expect(message.findingsIncluded + message.findingsOmitted).toBe(n);
      expect(message.attributes.findings.StringValue).toBe(String(n));
      expect(message.attributes.findingsOmitted.StringValue).toBe(String(message.findingsOmitted));

      const copy = reportIn(message);
      expect(copy.findings).toEqual(report.findings.slice(0, message.findingsIncluded));
      expect(copy.findingsOmitted).toBe(message.findingsOmitted);
      expect(copy.summary).toEqual(report.summary);

      const text = envelopeOf(message).default;
      const count = (k: number) => k.toLocaleString('en-US');
      expect(text).toContain(
        `This message lists the ${count(message.findingsIncluded)} most severe of ${count(n)} findings: ` +
          `${count(message.findingsOmitted)} are left out`,
      );
      expect(text).toContain("The full report is the audit Lambda's return value");
      expect(text).toContain(`--payload '{"dryRun":true,"now":"${report.auditedAt}"}'`);
      expect(text.match(/^ {2}Runbook: /gm)).toHaveLength(message.findingsIncluded);
    },
  );

  it('counts bytes, not characters, for non-ASCII text', () => {
    const findings = manyFindings(400).map((f) => ({ ...f, description: '☃'.repeat(200) }));
    const message = buildSnsMessage(reportOf(findings));
    expect(publishSizeBytes(message)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    expect(message.findingsOmitted).toBeGreaterThan(0);
  });

  it('fills any limit with as many findings as fit, never more', () => {
    const report = reportOf(manyFindings(120));
    for (let limit = 12_000; limit < 300_000; limit += 9_973) {
      const message = buildSnsMessage(report, { maxBytes: limit });
      const size = publishSizeBytes(message);
      expect(size).toBeLessThanOrEqual(limit);
      expect(message.findingsIncluded + message.findingsOmitted).toBe(120);
      // What is left is less than about one finding (each of these costs about 3.7 KB) and the margin kept.
      if (message.findingsOmitted > 0) expect(limit - size).toBeLessThan(6_000);
    }
  });

  it('names the function in the command for the full report when given', () => {
    const message = buildSnsMessage(reportOf(manyFindings(200)), { functionName: 'iam-key-auditor-prod' });
    expect(envelopeOf(message).default).toContain('aws lambda invoke --function-name iam-key-auditor-prod ');
  });

  it('refuses a limit too small for any finding', () => {
    expect(() => buildSnsMessage(reportOf(manyFindings(5)), { maxBytes: 1_000 })).toThrow(RangeError);
  });

  it('does not change the report', () => {
    const report = reportOf(manyFindings(300));
    const before = JSON.stringify(report);
    buildSnsMessage(report);
    expect(JSON.stringify(report)).toBe(before);
  });
});

describe('buildSnsMessage for an incomplete audit', () => {
  const report = reportOf([], {
    notAudited: {
      reason: 'stopped before the Lambda timeout: not every user was audited',
      users: ['dave', 'erin'],
    },
  });
  const message = buildSnsMessage(report);

  it('says so in the subject and the text', () => {
    expect(message.subject).toBe('IAM keys (incomplete): no findings so far in acme-staging (123456789012)');
    expect(envelopeOf(message).default).toContain(
      'Incomplete: stopped before the Lambda timeout: not every user was audited. 2 users not audited: dave, erin.',
    );
  });
});
