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
} from '../../../lambdas/audit/present/sns';
import type { Finding, IamUser, ResolvedFinding } from '../../../lambdas/audit/domain/types';
import { DEFAULT_RUNBOOK } from '../../../lambdas/audit/settings';
import {
  ACCOUNT_ID,
  daysAgo,
  exempted,
  exemptionFinding as anExemptionFinding,
  key,
  NEW,
  NOW,
  open,
  reportInput,
  settings,
  used,
  user,
  withChanges,
} from '../../support/builders';

const HOSTILE_ALIAS = 'acme\nstaging ☃ <!channel>';

/** A report of `findings` in the account `acme-staging`, as if 10 users and 12 keys were scanned. */
function reportOf(findings: Finding[], partial: Partial<ReportInput> = {}): AuditReport {
  return buildReport(
    reportInput({ accountAlias: 'acme-staging', usersScanned: 10, keysScanned: 12, findings, ...partial }),
  );
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
    expect(envelopeOf(message).default).toContain('0 findings in 10 users and 12 keys.\n');
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

  it('shows the user, key, age, last use, description, the action with its runbook section, and its link', () => {
    expect(text).toContain(
      [
        'High · key-too-old (1): deploy a new key, confirm it is used, delete the old one (step 3)',
        '- alice · AKIAALICE00000000001 91d used 2d ago · "billing app on Heroku"',
      ].join('\n'),
    );
    expect(text).toContain(`\nstep 3: ${DEFAULT_RUNBOOK.url}${DEFAULT_RUNBOOK.sections.findWhereUsed}\n`);
  });

  it('links each runbook section once, on its own line, at the end', () => {
    const url = `${DEFAULT_RUNBOOK.url}${DEFAULT_RUNBOOK.sections.findWhereUsed}`;
    expect(text.split(url)).toHaveLength(2);
    expect(text).toMatch(/\nRUNBOOK\nstep 3: https:\/\/\S+\n$/);
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

  it('starts with the account, time, counts by severity, source and users not found', () => {
    expect(text.split('\n').slice(0, 6)).toEqual([
      `IAM access key audit of acme-staging (${ACCOUNT_ID}), 2026-11-28 09:00 UTC`,
      '5 findings in 10 users and 12 keys: 1 critical, 2 high, 2 medium.',
      'Data: credential report of 2026-11-28 08:59 UTC, verified live.',
      'Not found: zed.',
      '',
      'FINDINGS (5)',
    ]);
  });

  it('groups the findings by rule and step, most severe first, each with its action and runbook section', () => {
    const titles = text.split('\n').filter((line) => /^(Critical|High|Medium|Low) · /.test(line));
    expect(titles).toEqual([
      "Critical · root-access-key (1): delete the root user's access key (step 6)",
      'High · key-too-old (1): re-create the user (.YYYYMMDD), switch to it, delete the old user (SES SMTP)',
      'High · key-too-old (1): deploy a new key, confirm it is used, delete the old one (step 3)',
      'Medium · two-keys (1): move every use to the newer key, then remove the older (step 3)',
      'Medium · key-unused (1): never used: deactivate, then delete it (step 6)',
    ]);
  });

  it('shows both keys of a two-keys finding, with their descriptions, under the rotation step', () => {
    expect(text).toContain(
      'Medium · two-keys (1): move every use to the newer key, then remove the older (step 3)\n' +
        '- dora · AKIADORA000000000001 60d used 1d ago + AKIADORA000000000002 10d used 2d ago "queue worker"\n',
    );
  });

  it('says a key was never used', () => {
    expect(text).toContain('- bob · AKIABOB0000000000001 50d never used\n');
  });

  it('says rotating an SES SMTP user means re-creating it, and links that runbook section', () => {
    expect(text).toContain(
      're-create the user (.YYYYMMDD), switch to it, delete the old user (SES SMTP)\n' +
        '- ses-smtp-user.mailer [SES SMTP] · AKIASES0000000000001 120d used 3d ago\n',
    );
    expect(text).toContain(`\nSES SMTP: ${DEFAULT_RUNBOOK.url}${DEFAULT_RUNBOOK.sections.sesSmtp}\n`);
  });

  it('shows the root key without a key id', () => {
    expect(text).toContain('- <root_account> · root key 400d never used\n');
  });

  it('links each runbook section it refers to once, sorted, at the end', () => {
    const links = text.split('\nRUNBOOK\n')[1]!.trim().split('\n');
    expect(links).toEqual([
      `step 3: ${DEFAULT_RUNBOOK.url}${DEFAULT_RUNBOOK.sections.findWhereUsed}`,
      `step 6: ${DEFAULT_RUNBOOK.url}${DEFAULT_RUNBOOK.sections.removeOldKey}`,
      `SES SMTP: ${DEFAULT_RUNBOOK.url}${DEFAULT_RUNBOOK.sections.sesSmtp}`,
    ]);
    expect(text.match(/https:\/\//g)).toHaveLength(3);
  });

  it('is what email subscribers get: the default, with no email copy of its own', () => {
    const envelope = envelopeOf(buildSnsMessage(report));
    expect(envelope).not.toHaveProperty('email');
    expect(envelope.default).toContain('root key 400d');
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

  it('says a manual re-audit is one, in the subject and the text', () => {
    expect(message.subject).toBe(
      `IAM key re-audit: 1 critical, 1 high, 1 medium in acme-staging (${ACCOUNT_ID})`,
    );
    expect(envelopeOf(message).default).toContain('\nManual re-audit of alice, dora.\n');
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
    expect(envelopeOf(message).default).not.toMatch(/leaves out|more: /);
  });

  it.each([2_000, 20_000])(
    'keeps %i findings under 256 KiB, most severe first, and says how many it left out',
    (n) => {
      const report = reportOf(manyFindings(n));
      const message = buildSnsMessage(report);

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
        `The JSON report in this message (for machine subscribers) leaves out ${count(message.findingsOmitted)} ` +
          `of ${count(n)} findings (it keeps the most severe)`,
      );
      expect(text).toContain("The full report is the audit Lambda's return value");
      expect(text).toContain(`--payload '{"dryRun":true,"now":"${report.auditedAt}"}'`);
      // The text has its own cap: 50 finding lines, the rest counted by severity, whatever the JSON holds.
      expect(text.match(/^- service-user-/gm)).toHaveLength(50);
      const more =
        /^And ([\d,]+) more: (.+); in the full report \(this message shows at most 50 finding lines\)\.$/m.exec(
          text,
        );
      expect(more?.[1]).toBe(count(n - 50));
      const bySeverity = [...more![2]!.matchAll(/([\d,]+) (critical|high|medium|low)/g)];
      expect(bySeverity.reduce((sum, m) => sum + Number(m[1]!.replace(/,/g, '')), 0)).toBe(n - 50);
      expect(Buffer.byteLength(text)).toBeLessThan(20_000);
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

// ---------------------------------------------------------------------------------------------------------
// Changes since the last audit, owners, exemptions

function resolved(userName: string, partial: Partial<ResolvedFinding> = {}): ResolvedFinding {
  return {
    rule: 'key-unused',
    userName,
    accessKeyId: 'AKIAGONE000000000001',
    firstSeenAt: '2026-10-01T08:00:00.000Z',
    resolvedAt: NOW.toISOString(),
    ...partial,
  };
}

/** `exemptionFinding` with a short action. */
function exemptionFinding(...args: Parameters<typeof anExemptionFinding>): Finding {
  const finding = anExemptionFinding(...args);
  return finding;
}

const textOf = (message: SnsMessage) => envelopeOf(message).default;

describe('buildSnsMessage with changes since the last audit', () => {
  const report = withChanges(
    reportOf(findingsOf(alice, bob, dora)),
    {
      alice: { ...NEW, owner: 'platform' },
      bob: open(20, { escalated: true, owner: null }),
      dora: open(3, { owner: 'data' }),
    },
    { resolved: [resolved('zed'), resolved('amy', { rule: 'key-too-old', accessKeyId: undefined })] },
  );
  const message = buildSnsMessage(report);
  const text = textOf(message);

  it('counts new, resolved, still open and escalated in the summary, and findings by team', () => {
    expect(text).toContain(
      '3 findings in 10 users and 12 keys: 1 high, 2 medium.\n' +
        'Since the last audit: 1 new, 2 resolved, 2 still open, 1 escalated.\n' +
        'By team: data 1, platform 1, no owner 1.\n',
    );
  });

  it('lists new and escalated, then resolved, then still open, each under its title', () => {
    const titles = text.split('\n').filter((line) => /^[A-Z][A-Z ,]+( \([\d,]+\))?$/.test(line));
    expect(titles).toEqual([
      'NEW AND ESCALATED (2)',
      'RESOLVED (2)',
      'STILL OPEN, NOT ESCALATED (1)',
      'RUNBOOK',
    ]);
  });

  it('shows new and escalated findings in full: status, the line, and the action with its runbook section', () => {
    expect(text).toContain(
      [
        'NEW AND ESCALATED (2)',
        'High · key-too-old · new',
        '- alice · AKIAALICE00000000001 91d used 2d ago · platform · "billing app on Heroku"',
        '  → Rotate the key (91 days old, limit 90): deploy a new key, confirm it is used, delete the old one. (step 3)',
        '',
        'Medium · key-unused · ESCALATED, 20 days open',
        '- bob · AKIABOB0000000000001 50d never used · no owner',
        '  → Remove the key: never used in 50 days; deactivate it, then delete it. (step 6)',
        '',
      ].join('\n'),
    );
  });

  it('lists the resolved compactly, in rule order', () => {
    expect(text).toContain(
      'RESOLVED (2)\n' +
        '- key-too-old · amy · first seen 2026-10-01\n' +
        '- key-unused · zed · AKIAGONE000000000001 · first seen 2026-10-01\n',
    );
  });

  it("names each finding's owner; the still open ones one line per key under their step", () => {
    expect(text).toContain(
      'STILL OPEN, NOT ESCALATED (1)\n' +
        'Medium · two-keys (1): move every use to the newer key, then remove the older (step 3)\n' +
        '- dora · AKIADORA000000000001 60d used 1d ago + AKIADORA000000000002 10d used 2d ago "queue worker" · data\n',
    );
  });

  it('says how many are new in the subject and an attribute (9 attributes in all)', () => {
    expect(message.subject).toBe(`IAM keys: 1 high, 2 medium (1 new) in acme-staging (${ACCOUNT_ID})`);
    expect(message.attributes.newFindings).toEqual({ DataType: 'Number', StringValue: '1' });
    expect(Object.keys(message.attributes)).toHaveLength(9);
  });

  it('carries the whole report, changes included, for machine subscribers', () => {
    expect(reportIn(message)).toEqual({ ...report, findingsOmitted: 0 });
  });

  it('without changes has no newFindings attribute and no change lines', () => {
    const plain = buildSnsMessage(reportOf(findingsOf(alice)));
    expect(plain.attributes).not.toHaveProperty('newFindings');
    expect(textOf(plain)).not.toMatch(/Since the last audit|NEW AND|STILL OPEN|RESOLVED|By team|no owner/);
    expect(textOf(plain)).toContain('\nFINDINGS (1)\n');
  });

  it('clean but with resolved findings: healthy, and says what was resolved', () => {
    const clean = withChanges(reportOf([]), {}, { resolved: [resolved('zed')] });
    const out = buildSnsMessage(clean);
    expect(out.subject).toBe(`IAM keys healthy, 1 resolved in acme-staging (${ACCOUNT_ID})`);
    expect(textOf(out)).toContain('Since the last audit: 0 new, 1 resolved, 0 still open.');
    expect(textOf(out)).toContain('All keys healthy: nothing to do.');
    expect(textOf(out)).toContain(
      'RESOLVED (1)\n- key-unused · zed · AKIAGONE000000000001 · first seen 2026-10-01',
    );
    expect(out.attributes.newFindings?.StringValue).toBe('0');
  });
});

describe('buildSnsMessage: the state store unavailable', () => {
  it('says so near the top, on one line, the reason cut when long', () => {
    const report = withChanges(
      reportOf(findingsOf(alice)),
      { alice: NEW },
      { stateError: 'AccessDenied:\nno <!channel>' },
    );
    const lines = textOf(buildSnsMessage(report)).split('\n');
    expect(lines[2]).toBe(
      'WARNING: State unavailable (AccessDenied: no <!channel>): every finding is shown as new.',
    );
    const long = withChanges(reportOf([]), {}, { stateError: 'x'.repeat(5000) });
    const line = textOf(buildSnsMessage(long)).split('\n')[2]!;
    expect(line).toMatch(/^WARNING: State unavailable \(x+\.\.\.\): every finding is shown as new\.$/);
    expect(line.length).toBeLessThan(400);
  });
});

describe('buildSnsMessage: exempted findings', () => {
  const [carl] = findingsOf(bob);
  const [dan] = findingsOf(alice);

  it('are counted at the top, listed one line each (who, which key, until when, why), and in the JSON report', () => {
    const report = {
      ...reportOf(findingsOf(dora)),
      exempted: [exempted(carl!, { until: '2027-03-31' }), exempted(dan!)],
    };
    const message = buildSnsMessage(report);
    expect(textOf(message)).toContain('\n2 findings exempted (listed below).\n');
    expect(textOf(message)).toContain(
      'EXEMPTED (2)\n' +
        '- alice · AKIAALICE00000000001 · key-too-old · until 2026-12-31 · "migrating to roles"\n' +
        '- bob · AKIABOB0000000000001 · key-unused · until 2027-03-31 · "migrating to roles"\n',
    );
    // Not among the findings to act on.
    expect(textOf(message)).toContain('FINDINGS (1)\n');
    expect(textOf(message)).not.toContain('- bob · AKIABOB0000000000001 50d');
    expect(reportIn(message)).toEqual({ ...report, findingsOmitted: 0 });
  });

  it('an audit with only exempted findings has nothing to act on', () => {
    const text = textOf(buildSnsMessage({ ...reportOf([]), exempted: [exempted(carl!)] }));
    expect(text).toContain('\n1 finding exempted (listed below).\n');
    expect(text).toContain('No finding to act on: nothing to do.');
    expect(text).toContain('EXEMPTED (1)\n- bob · AKIABOB0000000000001 · key-unused · until 2026-12-31 · ');
  });
});

describe('buildSnsMessage: invalid and expired exemptions', () => {
  const report = reportOf([
    exemptionFinding('invalid-exemption', {
      userName: 'mallory',
      raw: '<!channel>\nsecond line',
      until: '',
      reason: '',
    }),
    {
      ...exemptionFinding('exemption-expired', {
        userName: 'olga',
        rules: ['key-too-old'],
        reason: 'vendor',
      }),
      accessKeyId: 'AKIAOLGA000000000001',
    },
    exemptionFinding('exemption-expired', { userName: 'pat', source: 'props', tagKey: undefined }),
  ]);
  const text = textOf(buildSnsMessage(report));

  it('show the exemption: the tag and its raw value on one line, or its rules, date and reason', () => {
    expect(text).toContain(
      'Medium · invalid-exemption (1): fix it; until then it exempts nothing (README.md#exemptions)\n' +
        '- mallory · tag iam-audit-exempt = "<!channel> second line"\n',
    );
    expect(text).toContain(
      'Low · exemption-expired (2): ended: remove it, or renew it if the reason holds (README.md#exemptions)\n' +
        '- olga · AKIAOLGA000000000001 tag iam-audit-exempt for key-too-old until 2026-11-01 · "vendor"\n' +
        '- pat · stack props until 2026-11-01 · "migration"',
    );
    // The exemptions documentation is no web link: named in the group, not listed under RUNBOOK.
    expect(text).not.toContain('RUNBOOK');
  });
});

describe('buildSnsMessage size with changes', () => {
  /** `n` findings, one in `newEvery` new, the rest open and (past 14 days) escalated. */
  function trackedReport(
    n: number,
    lists: { resolved?: number; exempted?: number } = {},
    newEvery = 3,
  ): AuditReport {
    const base = reportOf(manyFindings(n));
    const findings = base.findings.map((f, i) => ({
      ...f,
      owner: i % 5 ? 'platform' : null,
      ...(i % newEvery === 0 ? NEW : open(1 + (i % 30), { escalated: 1 + (i % 30) > 14 })),
    }));
    const [sample] = manyFindings(1);
    return {
      ...base,
      findings,
      exempted: Array.from({ length: lists.exempted ?? 0 }, (_, i) =>
        exempted(
          { ...sample!, userName: `exempt-${i}` },
          { until: `2027-01-${String(1 + (i % 28)).padStart(2, '0')}` },
        ),
      ),
      changes: {
        newFindings: findings.filter((f) => f.isNew).length,
        openFindings: findings.filter((f) => !f.isNew).length,
        resolved: Array.from({ length: lists.resolved ?? 0 }, (_, i) =>
          resolved(`gone-${String(i).padStart(5, '0')}`),
        ),
      },
    };
  }

  it('keeps the new findings first when it cannot list them all, and the JSON lists the same ones', () => {
    // About 75 of these findings fit in 256 KiB: 50 new ones, then the most severe of those still open.
    const report = trackedReport(2000, {}, 40);
    const message = buildSnsMessage(report);
    expect(publishSizeBytes(message)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    expect(message.findingsOmitted).toBeGreaterThan(0);
    const fresh = report.findings.filter((f) => f.isNew);
    expect(message.findingsIncluded).toBeGreaterThan(fresh.length);
    const copy = reportIn(message);
    // Every new finding, then the most severe still open ones; in the report's order.
    const open = report.findings.filter((f) => !f.isNew).slice(0, message.findingsIncluded - fresh.length);
    const included = new Set([...fresh, ...open]);
    expect(copy.findings).toEqual(report.findings.filter((f) => included.has(f)));
    const text = textOf(message);
    const count = (k: number) => k.toLocaleString('en-US');
    expect(text).toContain(
      `The JSON report in this message (for machine subscribers) leaves out ${count(message.findingsOmitted)} ` +
        'of 2,000 findings (it keeps the new ones first, then the most severe)',
    );
    // The text shows new and escalated in full up to its cap of 50, most severe first; the rest counted.
    const full = report.findings.filter((f) => f.isNew || f.escalated);
    expect(text).toContain(`\nNEW AND ESCALATED (${count(full.length)})\n`);
    expect(text.match(/^- service-user-/gm)).toHaveLength(50);
    expect(text).toContain(`\nAnd ${count(2_000 - 50)} more: `);
  });

  it.each([
    [20, 5_000, 5_000],
    [2_000, 5_000, 3_000],
    [0, 20_000, 0],
  ])(
    'with %i findings, %i resolved and %i exempted: within 256 KiB, the lists cut short and counted',
    (n, r, e) => {
      const report = trackedReport(n, { resolved: r, exempted: e });
      const message = buildSnsMessage(report);
      expect(publishSizeBytes(message)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
      expect(message.findingsIncluded + message.findingsOmitted).toBe(n);
      const copy = reportIn(message);
      const listedResolved = copy.changes!.resolved.length;
      expect(listedResolved).toBeGreaterThan(0);
      expect(listedResolved + (copy.resolvedOmitted ?? 0)).toBe(r);
      expect(copy.exempted.length + (copy.exemptedOmitted ?? 0)).toBe(e);
      const text = textOf(message);
      const count = (k: number) => k.toLocaleString('en-US');
      // The text lists the first 10 resolved (its own cap), in order, and counts the rest.
      const lines = text.split('\n').filter((line) => line.startsWith('- key-unused · gone-'));
      expect(lines.map((line) => line.split(' · ')[1])).toEqual(
        Array.from({ length: 10 }, (_, i) => `gone-${String(i).padStart(5, '0')}`),
      );
      expect(text).toContain(`RESOLVED (${count(r)})\n`);
      expect(text).toContain(`\n- and ${count(r - 10)} more, in the full report\n`);
      if (e) {
        expect(text).toContain(`EXEMPTED (${count(e)})\n`);
        expect(text).toContain(`\n- and ${count(e - 10)} more, in the full report\n`);
      }
      // What the JSON left out is counted, and said in the text.
      const cut = [
        ...(message.findingsOmitted ? [`${count(message.findingsOmitted)} of ${count(n)} findings`] : []),
        ...(copy.resolvedOmitted ? [`${count(copy.resolvedOmitted)} of ${count(r)} resolved`] : []),
        ...(copy.exemptedOmitted ? [`${count(copy.exemptedOmitted)} of ${count(e)} exempted`] : []),
      ];
      expect(copy.resolvedOmitted).toBeGreaterThan(0);
      for (const part of cut) expect(text).toContain(part);
      expect(text).toContain(
        `Since the last audit: ${count(report.changes!.newFindings)} new, ${count(r)} resolved`,
      );
      expect(Buffer.byteLength(text)).toBeLessThan(20_000);
    },
  );

  it('lists everything when it fits', () => {
    const report = trackedReport(30, { resolved: 40, exempted: 10 });
    const message = buildSnsMessage(report);
    expect(reportIn(message)).toEqual({ ...report, findingsOmitted: 0 });
  });

  it('fills any limit without passing it', () => {
    const report = trackedReport(60, { resolved: 300, exempted: 100 });
    for (let limit = 20_000; limit < 300_000; limit += 19_997) {
      const message = buildSnsMessage(report, { maxBytes: limit });
      expect(publishSizeBytes(message)).toBeLessThanOrEqual(limit);
      expect(message.findingsIncluded + message.findingsOmitted).toBe(60);
    }
  });
});
