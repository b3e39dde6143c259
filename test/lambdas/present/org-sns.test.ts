import {
  buildOrganizationSnsMessage,
  buildOrganizationSubject,
  type OrganizationSnsMessage,
  type SnsOrganizationReport,
} from '../../../lambdas/audit/present/org-sns';
import { evaluateRoot } from '../../../lambdas/audit/domain/rules';
import {
  publishSizeBytes,
  SNS_MAX_PUBLISH_BYTES,
  SNS_MAX_SUBJECT_LENGTH,
  type SnsMessage,
} from '../../../lambdas/audit/present/sns';
import type { Finding, IamUser, Severity } from '../../../lambdas/audit/domain/types';
import type { AccountResult, OrganizationReport } from '../../../lambdas/audit/domain/organization';
import {
  accountId,
  capped,
  failedAccount,
  fromReport,
  organization,
  usersWithFindings as sharedUsersWithFindings,
} from '../../support/organization';
import { daysAgo, NOW, reportOfUsers, settings, user } from '../../support/builders';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: accounts audited by the real rules and report builder.

/** The shared users, their keys described as this file's assertions expect. */
const usersWithFindings = (n: number, prefix = 'user') =>
  sharedUsersWithFindings(n, prefix, (i) => `service ${i} of the stack`);

function audited(
  accountName: string,
  accountId: string,
  users: IamUser[],
  extra: Finding[] = [],
): AccountResult {
  const findings = [...reportOfUsers(users).findings, ...extra];
  return fromReport(accountName, reportOfUsers(users, { accountId, accountAlias: accountName, findings }));
}

const rootFindings = evaluateRoot(
  [{ active: true, createdAt: daysAgo(400), lastUsed: null }],
  NOW,
  settings(),
);

interface Envelope {
  default: string;
  sqs: string;
  lambda: string;
  https: string;
}
const envelopeOf = (message: SnsMessage) => JSON.parse(message.message) as Envelope;
const reportIn = (message: SnsMessage) => JSON.parse(envelopeOf(message).sqs) as SnsOrganizationReport;

const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Every count the message gives agrees with the report's, and with what the JSON lists. */
function expectTruthful(message: OrganizationSnsMessage, report: OrganizationReport) {
  const copy = reportIn(message);
  const total = report.accounts.reduce((n, a) => n + a.findings.length + a.findingsOmitted, 0);
  const listed = copy.accounts.reduce((n, a) => n + a.findings.length, 0);
  expect(message.findingsIncluded).toBe(listed);
  expect(message.findingsIncluded + message.findingsOmitted).toBe(total);
  expect(copy.findingsOmitted).toBe(message.findingsOmitted);
  expect(message.attributes.findings.StringValue).toBe(String(report.summary.findings));
  expect(message.attributes.findingsOmitted.StringValue).toBe(String(message.findingsOmitted));
  expect(copy.accounts).toHaveLength(message.accountsIncluded);
  expect(message.accountsIncluded + message.accountsOmitted).toBe(report.accounts.length);
  expect(copy.accountsOmitted).toBe(message.accountsOmitted);
  expect(copy.summary).toEqual(report.summary);
  expect(copy.runId).toBe(report.runId);
  for (const entry of copy.accounts) {
    const original = report.accounts.find((a) => a.accountId === entry.accountId)!;
    expect(entry.findings).toEqual(original.findings.slice(0, entry.findings.length));
    expect(entry.findings.length + entry.findingsOmitted).toBe(
      original.findings.length + original.findingsOmitted,
    );
    expect({ ...entry, findings: [], findingsOmitted: 0 }).toEqual({
      ...original,
      findings: [],
      findingsOmitted: 0,
    });
  }
  // Most severe first: nothing listed is less severe than anything left out of an account's listed findings.
  const listedRanks = copy.accounts.flatMap((a) => a.findings.map((f) => RANK[f.severity]));
  const leftOut = report.accounts.flatMap((a) => {
    const entry = copy.accounts.find((e) => e.accountId === a.accountId);
    return a.findings.slice(entry?.findings.length ?? 0).map((f) => RANK[f.severity]);
  });
  if (listedRanks.length && leftOut.length) {
    const worstListed = listedRanks.reduce((a, b) => Math.max(a, b), 0);
    expect(leftOut.every((rank) => rank >= worstListed)).toBe(true);
  }
  const text = envelopeOf(message).default;
  // Each listed finding: its line, then its action with its runbook section; each section linked once at the end.
  expect(text.match(/^ {2}→ .+ \((step \d|SES SMTP|README\.md#exemptions)\)$/gm) ?? []).toHaveLength(
    message.findingsIncluded,
  );
  const links = text.match(/^(step \d|SES SMTP): https:\/\/\S+$/gm) ?? [];
  expect(new Set(links).size).toBe(links.length);
  if (message.findingsIncluded > 0) expect(text).toMatch(/\n\nRUNBOOK\n(.+: https:\/\/\S+\n?)+$/);
  expect(publishSizeBytes(message)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
  expect(Object.keys(message.attributes).length).toBeLessThanOrEqual(10);
  expect(message.subject.length).toBeLessThanOrEqual(SNS_MAX_SUBJECT_LENGTH);
  expect(message.subject).toMatch(/^[\x20-\x7e]+$/);
}

// ---------------------------------------------------------------------------------------------------------

describe('buildOrganizationSnsMessage: no findings', () => {
  const report = organization([
    audited('prod', accountId(1), [user()]),
    audited('staging', accountId(2), [user(), user({ userName: 'bob' })]),
  ]);
  const message = buildOrganizationSnsMessage(report);

  test('says the keys are healthy, in the subject and the text', () => {
    expect(message.subject).toBe('IAM keys healthy in 2 accounts');
    const text = envelopeOf(message).default;
    expect(text).toContain('Accounts: 2 (2 audited, 0 failed)');
    expect(text).toContain('Scanned 3 users and 3 keys: no findings.');
    expect(text).toContain('All keys healthy: nothing to do.');
    expect(text).toContain('No findings (2): prod (100000000001), staging (100000000002)');
  });

  test('sets the attributes of a clean organization', () => {
    expect(message.attributes).toEqual({
      highestSeverity: { DataType: 'String', StringValue: 'none' },
      severities: { DataType: 'String.Array', StringValue: '["none"]' },
      rules: { DataType: 'String.Array', StringValue: '["none"]' },
      findings: { DataType: 'Number', StringValue: '0' },
      findingsOmitted: { DataType: 'Number', StringValue: '0' },
      accountId: { DataType: 'String.Array', StringValue: '["none"]' },
      scope: { DataType: 'String', StringValue: 'organization' },
      publisher: { DataType: 'String', StringValue: 'iam-key-auditor' },
      accountsFailed: { DataType: 'Number', StringValue: '0' },
    });
  });

  test('carries the whole report for machine subscribers', () => {
    expect(reportIn(message)).toEqual({ ...report, findingsOmitted: 0, accountsOmitted: 0 });
    expectTruthful(message, report);
  });
});

describe('buildOrganizationSnsMessage: three accounts with findings and one failed', () => {
  const hostile = '<!channel> AssumeRole denied\nInjected: line';
  const prod = audited('prod', accountId(1), usersWithFindings(3, 'prod'), rootFindings);
  const staging = audited('staging', accountId(2), usersWithFindings(2, 'staging'));
  const sandbox = capped(audited('sandbox', accountId(3), usersWithFindings(12, 'sandbox')), 4);
  const report = organization([
    sandbox,
    staging,
    failedAccount('legacy', accountId(4), hostile),
    prod,
    audited('clean', accountId(5), [user()]),
  ]);
  const message = buildOrganizationSnsMessage(report, { functionName: 'iam-key-auditor-org' });
  const text = envelopeOf(message).default;

  test('counts severities, accounts and failures in the subject', () => {
    expect(message.subject).toBe('IAM keys: 1 critical, 5 high, 5 medium, 7 low in 5 accounts (1 failed)');
  });

  test('sets 9 attributes, the failed count and the accounts concerned among them', () => {
    expect(Object.keys(message.attributes)).toHaveLength(9);
    expect(message.attributes).toMatchObject({
      highestSeverity: { DataType: 'String', StringValue: 'critical' },
      severities: { DataType: 'String.Array', StringValue: '["critical","high","medium","low"]' },
      findings: { DataType: 'Number', StringValue: '18' },
      findingsOmitted: { DataType: 'Number', StringValue: '8' },
      accountsFailed: { DataType: 'Number', StringValue: '1' },
      scope: { DataType: 'String', StringValue: 'organization' },
      accountId: {
        DataType: 'String.Array',
        StringValue: JSON.stringify([accountId(4), accountId(1), accountId(3), accountId(2)]),
      },
    });
    expect(JSON.parse(message.attributes.rules.StringValue)).toEqual([
      'root-access-key',
      'key-too-old',
      'key-unused',
      'key-expiring',
      'inactive-key',
    ]);
  });

  test('the overview names each account, most severe first, the failed one with its error on one line', () => {
    expect(text).toContain(
      [
        'Accounts with findings or failed, most severe first (4):',
        '- legacy (100000000004): FAILED, not audited: <!channel> AssumeRole denied Injected: line',
        '- prod (100000000001): 4 findings (1 critical, 1 high, 1 medium, 1 low)',
        '- sandbox (100000000003): 12 findings (3 high, 3 medium, 6 low)',
        '- staging (100000000002): 2 findings (1 high, 1 medium)',
      ].join('\n'),
    );
    expect(text).not.toMatch(/^Injected/m);
  });

  test('lists every finding under its account, with severity and rule, and the accounts most severe first', () => {
    const titles = [...text.matchAll(/^Account (\S+) /gm)].map((m) => m[1]);
    expect(titles).toEqual(['prod', 'sandbox', 'staging']);
    expect(text).toContain('- CRITICAL root-access-key: <root_account>');
    expect(text).toContain(
      '- HIGH key-too-old: prod-0001 · AKIA0000000000000001 91d used 2026-11-27 · "service 1 of the stack"\n' +
        '  → Rotate the key (91 days old, limit 90): deploy a new key, confirm it is used, delete the old one. (step 3)',
    );
    expect(message).toMatchObject({ findingsIncluded: 10, findingsOmitted: 8, accountsOmitted: 0 });
  });

  test("says what the account's result left out, and how to re-audit it by hand", () => {
    expect(text).toContain(
      [
        "and 8 more findings (left out: 8 by the account's result).",
        'Re-audit this account by hand (a dry run: it sends no notifications):',
        `  aws lambda invoke --function-name iam-key-auditor-org --cli-binary-format raw-in-base64-out --payload '{"accountId":"100000000003","dryRun":true}' report.json`,
      ].join('\n'),
    );
  });

  test('carries the report, failed account first, with true counts', () => {
    const copy = reportIn(message);
    expect(copy.accounts.map((a) => a.accountName)).toEqual([
      'legacy',
      'prod',
      'sandbox',
      'staging',
      'clean',
    ]);
    expect(copy.accounts[0]!.error).toBe(hostile);
    expectTruthful(message, report);
  });
});

describe('buildOrganizationSnsMessage: 300 accounts of 500 findings', () => {
  const findings = reportOfUsers(usersWithFindings(500)).findings;
  const accounts = Array.from({ length: 300 }, (_, i) => {
    const name = `account-${String(i + 1).padStart(3, '0')}`;
    const base = reportOfUsers([], { accountId: accountId(i + 1), accountAlias: name, findings });
    const account = fromReport(name, {
      ...base,
      summary: { ...base.summary, usersScanned: 500, keysScanned: 500 },
    });
    // Every tenth account found a root key too, and kept 500 of its 501 findings.
    return i % 10 === 0
      ? capped(audited(name, accountId(i + 1), [], [...rootFindings, ...findings]), 500)
      : account;
  });
  const report = organization([
    ...accounts.slice(0, 150),
    failedAccount('broken', accountId(999), 'AccessDenied'),
    ...accounts.slice(150),
  ]);
  const started = performance.now();
  const message = buildOrganizationSnsMessage(report);
  const elapsed = performance.now() - started;

  test('is built fast and fits 256 KiB', () => {
    expect(elapsed).toBeLessThan(2_000);
    expect(publishSizeBytes(message)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    expect(publishSizeBytes(message)).toBeGreaterThan(SNS_MAX_PUBLISH_BYTES - 8_000);
  });

  test('keeps the most severe first and counts truthfully what it leaves out', () => {
    expectTruthful(message, report);
    const copy = reportIn(message);
    expect(copy.accounts[0]!.accountName).toBe('broken');
    // The 30 accounts with a critical finding come first, each with it.
    expect(copy.accounts.slice(1, 31).map((a) => a.findings[0]?.rule)).toEqual(
      Array(30).fill('root-access-key'),
    );
    expect(message.findingsOmitted).toBeGreaterThan(140_000);
    expect(message.subject).toBe(
      'IAM keys: 30 critical, 37500 high, 37500 medium, 75000 low in 301 accounts (1 failed)',
    );
  });

  test('says how much it left out, and how to see an account in full', () => {
    const text = envelopeOf(message).default;
    expect(text).toContain(
      `This message lists the ${message.findingsIncluded.toLocaleString('en-US')} most severe of 150,030 findings, ` +
        `in ${message.accountsIncluded} of 301 accounts: ${message.findingsOmitted.toLocaleString('en-US')} are left out`,
    );
    expect(text).toContain(`--payload '{"accountId":"<account id>","dryRun":true}'`);
    expect(text).toMatch(/^Accounts with findings or failed, most severe first \(301\):$/m);
  });
});

describe('buildOrganizationSnsMessage: limits', () => {
  const report = organization([
    audited('a', accountId(1), usersWithFindings(40, 'a'), rootFindings),
    audited('b', accountId(2), usersWithFindings(40, 'b')),
    failedAccount('c', accountId(3), 'x'.repeat(2000)),
    audited('d', accountId(4), usersWithFindings(40, 'd')),
  ]);

  test('fills any limit with as much as fits, never more', () => {
    for (let limit = 12_000; limit < 400_000; limit += 9_973) {
      const message = buildOrganizationSnsMessage(report, { maxBytes: limit });
      const size = publishSizeBytes(message);
      expect(size).toBeLessThanOrEqual(limit);
      if (message.findingsOmitted > 0) expect(limit - size).toBeLessThan(8_000);
    }
    expectTruthful(buildOrganizationSnsMessage(report), report);
  });

  test('refuses a limit too small for any account', () => {
    expect(() => buildOrganizationSnsMessage(report, { maxBytes: 1_000 })).toThrow(RangeError);
  });

  test('keeps the subject under 100 ASCII characters whatever the counts', () => {
    const huge = organization([]);
    huge.summary = {
      ...huge.summary,
      accounts: 12_345_678,
      accountsFailed: 1_234_567,
      findings: 4_444_444_444,
      bySeverity: { critical: 1_111_111_111, high: 1_111_111_111, medium: 1_111_111_111, low: 1_111_111_111 },
    };
    const subject = buildOrganizationSubject(huge);
    expect(subject.length).toBeLessThanOrEqual(SNS_MAX_SUBJECT_LENGTH);
    expect(subject).toBe(
      'IAM keys: 4444444444 findings, 1111111111 critical in 12345678 accounts (1234567 failed)',
    );
  });

  test('does not change the report', () => {
    const before = JSON.stringify(report);
    buildOrganizationSnsMessage(report, { maxBytes: 50_000 });
    expect(JSON.stringify(report)).toBe(before);
  });
});
