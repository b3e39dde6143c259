import 'aws-sdk-client-mock-jest';
import { GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { IamGateway } from '../../lambdas/audit/adapters/iam';
import { validateAuditConfig } from '../../lambdas/audit/config';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { runAudit, type AuditRequest } from '../../lambdas/audit/engine';
import {
  credentialReportOf,
  iamCallCounts,
  iamMock,
  serveAccount,
  serviceError,
  type MockAccount,
  type MockUser,
} from '../support/iam-mock';

const NOW = new Date('2026-11-28T09:00:00Z');
const DAY = 86_400_000;
const ago = (days: number, minutes = 0) =>
  new Date(NOW.getTime() - days * DAY - minutes * 60_000).toISOString();
const REPORT_TIME = ago(0, 180);

function account(): MockAccount {
  return {
    alias: 'acme-staging',
    rootKeysPresent: true,
    users: [
      {
        userName: 'alice',
        tags: { AKIAALICE00000000001: 'deploy pipeline in github actions', team: 'platform' },
        keys: [
          {
            accessKeyId: 'AKIAALICE00000000001',
            status: 'Active',
            createdAt: ago(120),
            lastUsed: { date: ago(1), service: 's3', region: 'eu-west-2' },
          },
        ],
      },
      {
        userName: 'bob',
        keys: [
          {
            accessKeyId: 'AKIABOB0000000000001',
            status: 'Active',
            createdAt: ago(10),
            lastUsed: { date: ago(0, 300), service: 'sts', region: 'us-east-1' },
          },
        ],
      },
      {
        userName: 'carol',
        keys: [
          {
            accessKeyId: 'AKIACAROL00000000001',
            status: 'Active',
            createdAt: ago(100),
            lastUsed: { date: ago(30), service: 'ec2', region: 'eu-west-1' },
          },
          {
            accessKeyId: 'AKIACAROL00000000002',
            status: 'Active',
            createdAt: ago(20),
            lastUsed: { date: ago(1), service: 'ec2', region: 'eu-west-1' },
          },
        ],
      },
      {
        userName: 'dave',
        keys: [{ accessKeyId: 'AKIADAVE000000000001', status: 'Active', createdAt: ago(60), lastUsed: null }],
      },
      {
        userName: 'erin',
        keys: [
          {
            accessKeyId: 'AKIAERIN000000000001',
            status: 'Inactive',
            createdAt: ago(200),
            lastUsed: { date: ago(150), service: 's3', region: 'eu-west-2' },
          },
        ],
      },
      {
        userName: 'ses-smtp-user.20260301',
        keys: [
          {
            accessKeyId: 'AKIASES0000000000001',
            status: 'Active',
            createdAt: ago(150),
            lastUsed: { date: ago(0, 600), service: 'ses', region: 'eu-west-1' },
          },
        ],
      },
      { userName: 'no-keys', keys: [] },
    ],
  };
}

const ROOT_KEY = {
  status: 'Active' as const,
  createdAt: ago(400),
  lastUsed: { date: ago(3), service: 's3', region: 'us-east-1' },
};

/** Serves `acct` with a credential report taken now, then applies `drift` to the live account. */
function serveWithReport(acct: MockAccount, drift: (a: MockAccount) => void = () => {}): MockAccount {
  acct.report = credentialReportOf(acct, REPORT_TIME, [ROOT_KEY]);
  const live = structuredClone(acct);
  drift(live);
  serveAccount(live);
  return live;
}

function audit(
  request: Partial<AuditRequest> = {},
  config = validateAuditConfig({ reportWaitSeconds: 10 }),
  shouldStop?: () => boolean,
) {
  let elapsed = 0;
  const sleeps: number[] = [];
  const deps = {
    iam: new IamGateway(new IAMClient({ region: 'us-east-1' }), new STSClient({ region: 'us-east-1' })),
    config,
    pollIntervalMs: 2000,
    shouldStop,
    clock: () => elapsed,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      elapsed += ms;
    },
  };
  return { sleeps, result: runAudit(deps, { now: NOW, ...request }) };
}

const brief = (report: AuditReport) =>
  report.findings.map(
    (f) => `${f.rule} ${f.userName} ${f.accessKeyId ?? f.keys?.map((k) => k.accessKeyId).join('+') ?? '-'}`,
  );

const FULL_FINDINGS = [
  'root-access-key <root_account> -',
  'key-too-old alice AKIAALICE00000000001',
  'two-keys carol AKIACAROL00000000001+AKIACAROL00000000002',
  'key-too-old ses-smtp-user.20260301 AKIASES0000000000001',
  'key-unused dave AKIADAVE000000000001',
  'inactive-key erin AKIAERIN000000000001',
];

describe('a full audit from the credential report', () => {
  it('reports every finding of the live account, sorted by severity then user', async () => {
    serveWithReport(account());
    const report = await audit().result;
    expect(brief(report)).toEqual(FULL_FINDINGS);
    expect(report).toMatchObject({
      auditedAt: NOW.toISOString(),
      accountId: '123456789012',
      accountAlias: 'acme-staging',
      scope: { type: 'account' },
      source: { type: 'credential-report', generatedAt: REPORT_TIME },
      thresholds: { maxKeyAgeDays: 90, warnDays: 7, unusedDays: 45 },
      summary: { usersScanned: 7, keysScanned: 7, findings: 6 },
      usersNotFound: [],
    });
    expect(report.summary.byRule).toEqual({
      'root-access-key': 1,
      'key-too-old': 2,
      'key-expiring': 0,
      'two-keys': 1,
      'key-unused': 1,
      'inactive-key': 1,
      'invalid-exemption': 0,
      'exemption-expired': 0,
    });
  });

  it('gives each finding its key details, description tag, action and runbook section', async () => {
    serveWithReport(account());
    const report = await audit().result;
    const alice = report.findings.find((f) => f.userName === 'alice');
    expect(alice).toEqual({
      rule: 'key-too-old',
      rules: ['key-too-old'],
      severity: 'high',
      userName: 'alice',
      accessKeyId: 'AKIAALICE00000000001',
      status: 'Active',
      createdAt: ago(120),
      ageDays: 120,
      lastUsed: { date: ago(1), service: 's3', region: 'eu-west-2' },
      description: 'deploy pipeline in github actions',
      owner: 'platform',
      sesSmtpUser: false,
      runbookUrl: expect.stringMatching(/aws-iam-key-rotation\.html\.md#3-find-where-the-key-is-used$/),
      action: {
        step: 'rotate-key',
        accessKeyId: 'AKIAALICE00000000001',
        facts: { ageDays: 120, lastUsedDaysAgo: 1, maxKeyAgeDays: 90 },
      },
    });
    const ses = report.findings.find((f) => f.userName.startsWith('ses-smtp-user'));
    expect(ses).toMatchObject({
      sesSmtpUser: true,
      runbookUrl: expect.stringMatching(/#rotating-ses-smtp-credentials$/),
    });
    expect(ses?.action).toMatchObject({
      step: 'recreate-ses-user',
      facts: { newUserName: 'ses-smtp-user.20261128' },
    });
    const twoKeys = report.findings.find((f) => f.rule === 'two-keys');
    expect(twoKeys).toMatchObject({ rotationStep: 'deactivate-old-key', userName: 'carol' });
    expect(twoKeys).not.toHaveProperty('accessKeyId');
    const root = report.findings.find((f) => f.rule === 'root-access-key');
    expect(root).toMatchObject({ severity: 'critical', createdAt: ago(400), ageDays: 400, status: 'Active' });
    expect(root).not.toHaveProperty('accessKeyId');
  });

  it('verifies only the report candidates live: one ListAccessKeys per candidate, last use only where it decides', async () => {
    serveWithReport(account());
    await audit().result;
    const counts = iamCallCounts();
    // Candidates: alice, carol, dave, erin and the SES user; bob and no-keys are healthy in the report.
    expect(counts.ListAccessKeys).toBe(5);
    expect(iamMock).not.toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'bob' });
    // The report is three hours old: last use is read live only where a use since could change the verdict:
    // dave's never-used key (unused?) and carol's older key, idle since the newer one was created (which step?).
    // Not alice's or the SES user's old keys used lately, carol's newer key in use, nor erin's inactive one.
    expect(counts.GetAccessKeyLastUsed).toBe(2);
    expect(iamMock).toHaveReceivedCommandWith(GetAccessKeyLastUsedCommand, {
      AccessKeyId: 'AKIADAVE000000000001',
    });
    expect(iamMock).toHaveReceivedCommandWith(GetAccessKeyLastUsedCommand, {
      AccessKeyId: 'AKIACAROL00000000001',
    });
    expect(counts).toMatchObject({
      GenerateCredentialReport: 1,
      GetCredentialReport: 1,
      GetAccountAuthorizationDetails: 1,
      GetAccountSummary: 1,
      ListAccountAliases: 1,
    });
    expect(counts.GetUser).toBeUndefined();
  });

  it('trusts the last use of a report generated minutes ago: it is the live data', async () => {
    const acct = account();
    acct.report = credentialReportOf(acct, ago(0, 5), [ROOT_KEY]);
    serveAccount(acct);
    const report = await audit().result;
    expect(brief(report)).toEqual(FULL_FINDINGS);
    expect(iamCallCounts().GetAccessKeyLastUsed).toBeUndefined();
  });

  it("leaves alone a user the report shows healthy, even if a key was added since (the report's blind spot)", async () => {
    serveWithReport(account(), (live) => {
      live.users
        .find((u) => u.userName === 'bob')!
        .keys.push({
          accessKeyId: 'AKIABOB0000000000002',
          status: 'Active',
          createdAt: ago(0, 60),
          lastUsed: null,
        });
    });
    await audit().result;
    // bob was healthy in the report: no call at all for him, whatever changed since.
    expect(iamMock).not.toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'bob' });
  });

  it('drops what is no longer true and finds what is new since the report', async () => {
    serveWithReport(account(), (live) => {
      const user = (name: string) => live.users.find((u) => u.userName === name) as MockUser;
      user('alice').keys = []; // key deleted
      user('dave').keys[0]!.lastUsed = { date: ago(0, 30), service: 'sqs', region: 'eu-west-1' }; // used since
      user('erin').keys = []; // inactive key deleted
      user('carol').keys.shift(); // rotation finished: old key deleted
      live.users = live.users.filter((u) => u.userName !== 'ses-smtp-user.20260301'); // user deleted
      live.users.push({
        userName: 'frank', // created since the report, with two keys
        keys: [
          { accessKeyId: 'AKIAFRANK00000000001', status: 'Active', createdAt: ago(0, 120), lastUsed: null },
          { accessKeyId: 'AKIAFRANK00000000002', status: 'Inactive', createdAt: ago(0, 100), lastUsed: null },
        ],
      });
    });
    const report = await audit().result;
    expect(brief(report)).toEqual([
      'root-access-key <root_account> -',
      'two-keys frank AKIAFRANK00000000001+AKIAFRANK00000000002',
    ]);
    expect(report.summary).toMatchObject({ usersScanned: 7, keysScanned: 5 });
  });

  it('uses the live status of a key deactivated since the report', async () => {
    serveWithReport(account(), (live) => {
      live.users.find((u) => u.userName === 'alice')!.keys[0]!.status = 'Inactive';
    });
    const report = await audit().result;
    expect(brief(report).filter((f) => f.includes('alice'))).toEqual([
      'inactive-key alice AKIAALICE00000000001',
    ]);
  });

  it('skips a user deleted between the listing and its verification (NoSuchEntity is not an error)', async () => {
    serveWithReport(account());
    iamMock.on(ListAccessKeysCommand, { UserName: 'dave' }).rejects(serviceError('NoSuchEntityException'));
    const report = await audit().result;
    expect(brief(report).some((f) => f.includes('dave'))).toBe(false);
    expect(report.summary.usersScanned).toBe(6);
  });

  it('drops a key deleted between ListAccessKeys and GetAccessKeyLastUsed', async () => {
    serveWithReport(account());
    iamMock
      .on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIADAVE000000000001' })
      .rejects(serviceError('NoSuchEntityException'));
    const report = await audit().result;
    expect(brief(report).some((f) => f.includes('dave'))).toBe(false);
  });

  it('drops a key deleted before GetAccessKeyLastUsed that answers AccessDenied, after listing the keys again', async () => {
    const live = serveWithReport(account());
    iamMock.on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIADAVE000000000001' }).callsFake(() => {
      live.users.find((u) => u.userName === 'dave')!.keys = [];
      throw serviceError('AccessDenied', 'User is not authorized to perform iam:GetAccessKeyLastUsed');
    });
    const report = await audit().result;
    expect(brief(report).some((f) => f.includes('dave'))).toBe(false);
    expect(iamMock).toHaveReceivedCommandTimes(ListAccessKeysCommand, 6);
  });

  it('fails on an AccessDenied from GetAccessKeyLastUsed for a key that still exists', async () => {
    serveWithReport(account());
    iamMock
      .on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIADAVE000000000001' })
      .rejects(serviceError('AccessDenied', 'User is not authorized to perform iam:GetAccessKeyLastUsed'));
    await expect(audit().result).rejects.toThrow(/not authorized to perform iam:GetAccessKeyLastUsed/);
  });

  it('reports no root finding when the root key was deleted since the report', async () => {
    serveWithReport({ ...account(), rootKeysPresent: false });
    const report = await audit().result;
    expect(report.findings.some((f) => f.rule === 'root-access-key')).toBe(false);
  });

  it('pages through every user, 1,000 a call, and verifies only the flagged ones', async () => {
    const users: MockUser[] = Array.from({ length: 2500 }, (_, i) => ({
      userName: `svc-${String(i).padStart(4, '0')}`,
      keys: [
        {
          accessKeyId: `AKIASVC${String(i).padStart(13, '0')}`,
          status: 'Active' as const,
          createdAt: i % 500 === 0 ? ago(95) : ago(5),
          lastUsed: { date: ago(1), service: 's3', region: 'eu-west-1' },
        },
      ],
    }));
    serveWithReport({ users, alias: null });
    const report = await audit().result;
    expect(report.summary).toMatchObject({ usersScanned: 2500, keysScanned: 2500, findings: 5 });
    expect(report.accountAlias).toBeNull();
    const counts = iamCallCounts();
    expect(counts.GetAccountAuthorizationDetails).toBe(3);
    expect(counts.ListAccessKeys).toBe(5);
  });

  it('polls GenerateCredentialReport until COMPLETE, pausing between polls', async () => {
    const acct = account();
    acct.reportPolls = 2;
    serveWithReport(acct);
    const run = audit();
    const report = await run.result;
    expect(report.source.type).toBe('credential-report');
    expect(iamCallCounts().GenerateCredentialReport).toBe(3);
    expect(run.sleeps).toEqual([2000, 2000]);
  });
});

describe('exemptions and owners', () => {
  it('lists findings a valid exemption tag covers under exempted, with reason and expiry, not as findings', async () => {
    serveWithReport(account(), (live) => {
      live.users.find((u) => u.userName === 'carol')!.tags = {
        'iam-key-auditor:exempt': '2027-01-31 migrating to IAM Identity Center',
        team: 'data',
      };
    });
    const report = await audit().result;
    expect(brief(report).some((f) => f.includes('carol'))).toBe(false);
    expect(report.exempted.map((f) => `${f.rule} ${f.userName}`)).toEqual(['two-keys carol']);
    expect(report.exempted[0]).toMatchObject({
      owner: 'data',
      exemption: { until: '2027-01-31', reason: 'migrating to IAM Identity Center', source: 'tag' },
    });
  });

  it('reports an exemption without a reason as its own finding, and alerts the original findings as usual', async () => {
    serveWithReport(account(), (live) => {
      live.users.find((u) => u.userName === 'dave')!.tags = { 'iam-key-auditor:exempt': '2027-01-31' };
    });
    const report = await audit().result;
    expect(brief(report)).toEqual(
      expect.arrayContaining(['key-unused dave AKIADAVE000000000001', 'invalid-exemption dave -']),
    );
    expect(report.exempted).toEqual([]);
  });

  it('applies exemptions from the stack props', async () => {
    serveWithReport(account());
    const config = validateAuditConfig({
      reportWaitSeconds: 10,
      exemptions: [
        { user: 'erin', rules: ['inactive-key'], until: '2026-12-31', reason: 'kept for the audit trail' },
      ],
    });
    const report = await audit({}, config).result;
    expect(report.exempted.map((f) => `${f.rule} ${f.userName}`)).toEqual(['inactive-key erin']);
    expect(report.exempted[0]?.exemption.source).toBe('props');
  });

  it("names each finding's owning team, or none", async () => {
    serveWithReport(account());
    const report = await audit().result;
    expect(report.findings.find((f) => f.userName === 'alice')?.owner).toBe('platform');
    expect(report.findings.find((f) => f.userName === 'dave')?.owner).toBeNull();
  });
});

describe('an audit nearing the Lambda timeout', () => {
  it('starts no new user once told to stop, and says which users it did not cover', async () => {
    serveWithReport(account());
    let started = 0;
    const config = validateAuditConfig({ reportWaitSeconds: 10, concurrency: 1 });
    const report = await audit({}, config, () => ++started > 2).result;
    // Candidates in listing order: alice, carol, dave, erin, ses-smtp-user.20260301; two were audited.
    expect(report.incomplete).toEqual({
      reason: 'stopped before the Lambda timeout: not every user was audited',
      usersNotAudited: 3,
      usersNotAuditedSample: ['dave', 'erin', 'ses-smtp-user.20260301'],
    });
    expect(brief(report)).toEqual([
      'root-access-key <root_account> -',
      'key-too-old alice AKIAALICE00000000001',
      'two-keys carol AKIACAROL00000000001+AKIACAROL00000000002',
    ]);
    expect(report.summary.usersScanned).toBe(4);
    expect(iamCallCounts().ListAccessKeys).toBe(2);
  });

  it('has no incomplete section when it covered everyone', async () => {
    serveWithReport(account());
    const report = await audit({}, undefined, () => false).result;
    expect(report).not.toHaveProperty('incomplete');
  });

  it('reports named users it did not reach as not audited, not as not found', async () => {
    serveWithReport(account());
    const report = await audit({ users: ['alice', 'dave'] }, undefined, () => true).result;
    expect(report.usersNotFound).toEqual([]);
    expect(report.incomplete?.usersNotAuditedSample).toEqual(['alice', 'dave']);
    expect(report.summary.usersScanned).toBe(0);
  });
});

describe('falling back to live enumeration', () => {
  it.each([
    ['AccessDenied', 'generate', /credential report unavailable: AccessDenied/],
    ['LimitExceededException', 'generate', /credential report unavailable: LimitExceeded/],
    ['AccessDeniedException', 'get', /credential report unavailable: AccessDenied/],
  ] as const)(
    'on %s (%s) it audits live and finds the same as the report would',
    async (error, on, reason) => {
      const acct = account();
      serveWithReport(acct);
      const expected = brief(await audit().result);
      acct.report = { error, on };
      serveAccount(acct);
      const report = await audit().result;
      expect(report.source).toEqual({
        type: 'live',
        reason: expect.stringMatching(reason),
        verification: { live: 7, fromIndex: 0, keyIndex: 'not used: no key index store' },
      });
      expect(brief(report)).toEqual(expected);
      expect(iamCallCounts().ListAccessKeys).toBe(7);
    },
  );

  it('gives up waiting after the configured time and says so', async () => {
    const acct = account();
    acct.reportPolls = 1000;
    serveWithReport(acct);
    const run = audit();
    const report = await run.result;
    expect(report.source).toEqual({
      type: 'live',
      reason: expect.stringMatching(/not ready after 10 s/),
      verification: { live: 7, fromIndex: 0, keyIndex: 'not used: no key index store' },
    });
    expect(run.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
    expect(brief(report)).toEqual(FULL_FINDINGS);
  });

  it('treats a report it cannot parse as unavailable', async () => {
    const acct = account();
    serveWithReport(acct);
    acct.report = { csv: 'user,arn\nalice,arn:aws:iam::1:user/alice\n', generatedAt: REPORT_TIME };
    serveAccount(acct);
    const report = await audit().result;
    expect(report.source).toEqual({
      type: 'live',
      reason: expect.stringMatching(/unreadable: .*missing column/),
      verification: { live: 7, fromIndex: 0, keyIndex: 'not used: no key index store' },
    });
  });

  it('without a report, flags a root key whose status it cannot know', async () => {
    const acct = account();
    acct.report = { error: 'AccessDenied' };
    serveAccount(acct);
    const root = (await audit().result).findings[0];
    expect(root).toMatchObject({ rule: 'root-access-key', severity: 'critical', createdAt: null });
    expect(root?.action.facts.statusUnknown).toBe(true);
  });

  it('lets an unexpected IAM error fail the audit', async () => {
    serveWithReport(account());
    iamMock
      .on(ListAccessKeysCommand)
      .rejects(serviceError('AccessDenied', 'not authorized to perform iam:ListAccessKeys'));
    await expect(audit().result).rejects.toThrow(/not authorized to perform iam:ListAccessKeys/);
  });
});

describe('a manual re-audit of named users', () => {
  it('uses live calls only and reports the users that do not exist', async () => {
    serveWithReport(account(), (live) => {
      // Rotated minutes ago: the report still shows carol's old key, the live account does not.
      live.users.find((u) => u.userName === 'carol')!.keys.shift();
    });
    const report = await audit({ users: ['carol', 'ghost', 'dave', 'carol'] }).result;
    expect(report.scope).toEqual({ type: 'users', users: ['carol', 'ghost', 'dave'] });
    expect(report.source).toEqual({
      type: 'live',
      reason: 'manual re-audit of named users',
      verification: { live: 2, fromIndex: 0, keyIndex: 'not used: manual re-audit' },
    });
    expect(brief(report)).toEqual(['key-unused dave AKIADAVE000000000001']);
    expect(report.usersNotFound).toEqual(['ghost']);
    expect(report.summary).toMatchObject({ usersScanned: 2, keysScanned: 2 });
    const counts = iamCallCounts();
    expect(counts.GenerateCredentialReport).toBeUndefined();
    expect(counts.GetAccountAuthorizationDetails).toBeUndefined();
    expect(counts.GetUser).toBe(3);
    expect(counts.GetAccessKeyLastUsed).toBe(2);
  });

  it('reads the description tag from GetUser', async () => {
    serveWithReport(account());
    const report = await audit({ users: ['alice'] }).result;
    expect(report.findings[0]?.description).toBe('deploy pipeline in github actions');
  });
});
