/**
 * The faults AWS really produces, through the real SDK clients (adaptive retries included) against the fake IAM
 * that speaks IAM's wire protocol on 127.0.0.1. The backoff between retries is the SDK's, scaled down
 * (`retryBackoffScale`) so that the retries are real but short.
 */
import { createAwsClients } from '../../lambdas/audit/adapters/aws-clients';
import { IamGateway } from '../../lambdas/audit/adapters/iam';
import { validateAuditConfig, type AuditConfigInput } from '../../lambdas/audit/config';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { runAudit } from '../../lambdas/audit/engine';
import type { FakeIamAccount } from '../../tools/fake-iam/account';
import { buildSampleAccount, buildSyntheticAccount } from '../../tools/fake-iam/sample-account';
import {
  startFakeIamServer,
  type FakeIamServer,
  type FakeIamServerOptions,
} from '../../tools/fake-iam/server';

const NOW = new Date('2026-11-28T09:00:00Z');

// Real retries, their backoff scaled down to a hundredth (10 ms for a throttle instead of 1 s): a run under load
// still takes seconds.
jest.setTimeout(60_000);
const THROTTLED = { status: 400, code: 'Throttling', message: 'Rate exceeded' };

let server: FakeIamServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function auditThrough(
  account: FakeIamAccount,
  options: FakeIamServerOptions = {},
  config: AuditConfigInput = {},
  users?: string[],
) {
  server = await startFakeIamServer(account, { now: () => NOW, ...options });
  const clients = createAwsClients({
    maxAttempts: config.maxAttempts ?? 10,
    retryBackoffScale: 0.01,
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' },
  });
  const report = await runAudit(
    {
      iam: IamGateway.fromClients(clients),
      config: validateAuditConfig({ reportWaitSeconds: 5, ...config }),
      pollIntervalMs: 10,
    },
    { now: NOW, users },
  );
  return { report, calls: clients.iamCalls.snapshot(), stats: server.stats };
}

const brief = (report: AuditReport) =>
  report.findings.map(
    (f) => `${f.rule} ${f.userName} ${f.accessKeyId ?? f.keys?.map((k) => k.accessKeyId).join('+') ?? '-'}`,
  );

describe('IAM throttling (Throttling: Rate exceeded)', () => {
  it('on a share of calls: the audit completes with the same findings, its retries counted', async () => {
    const clean = await auditThrough(
      buildSyntheticAccount({ users: 30, flaggedShare: 0.3, now: NOW, seed: 7 }),
    );
    await server?.close();
    let n = 0;
    const throttled = await auditThrough(
      buildSyntheticAccount({ users: 30, flaggedShare: 0.3, now: NOW, seed: 7 }),
      {
        // IAM only: STS calls are not counted by the IAM call counter.
        faults: (action) => (action !== 'GetCallerIdentity' && ++n % 4 === 0 ? THROTTLED : undefined),
      },
    );
    expect(brief(throttled.report)).toEqual(brief(clean.report));
    expect(throttled.report.findings.length).toBeGreaterThan(8);
    expect(throttled.calls.throttled).toBeGreaterThan(0);
    expect(throttled.calls.throttled).toBe(throttled.stats.errorsByCode.Throttling);
    expect(throttled.calls.attempts).toBe(throttled.calls.totalCalls + throttled.calls.throttled);
  });

  it('above the account rate: requests beyond it are refused and retried until they pass', async () => {
    const { report, calls, stats } = await auditThrough(
      buildSyntheticAccount({ users: 40, flaggedShare: 0.5, now: NOW, seed: 3 }),
      // Fast enough that the run is short, with a bucket far smaller than the audit's 8 calls in flight.
      {
        rateLimitPerSecond: 200,
        burst: 2,
      },
    );
    expect(report.summary.usersScanned).toBe(40);
    expect(stats.throttled).toBeGreaterThan(0);
    // The bucket is the account's, STS calls included; the IAM call counter counts IAM's refusals only.
    expect(calls.throttled).toBe(stats.throttled - (stats.throttledByAction.GetCallerIdentity ?? 0));
  });

  it('without end: retries are bounded and the audit fails with the throttling error', async () => {
    const run = auditThrough(
      buildSampleAccount(NOW),
      { faults: (action) => (action === 'ListAccessKeys' ? THROTTLED : undefined) },
      { maxAttempts: 3 },
    );
    await expect(run).rejects.toThrow(/Rate exceeded/);
    expect(server?.stats.errorsByCode.Throttling).toBeGreaterThanOrEqual(3);
    expect(server?.stats.errorsByCode.Throttling).toBeLessThanOrEqual(3 * 8); // at most maxAttempts per call in flight
  });
});

describe('the credential report', () => {
  it.each([
    ['always-in-progress', /credential report not ready after 1 s/],
    ['limit-exceeded', /credential report unavailable: LimitExceeded/],
    ['access-denied', /credential report unavailable: AccessDenied/],
  ] as const)('%s: bounded polling, then live enumeration, and the report says why', async (mode, reason) => {
    const withReport = await auditThrough(buildSampleAccount(NOW));
    await server?.close();
    const { report, stats } = await auditThrough(
      buildSampleAccount(NOW),
      { credentialReport: { mode } },
      { reportWaitSeconds: 1 },
    );
    expect(report.source).toMatchObject({ type: 'live', reason: expect.stringMatching(reason) });
    expect(stats.calls('GenerateCredentialReport')).toBeLessThanOrEqual(1 + 1000 / 10);
    // Live enumeration finds what the report would, but a root key's status is unknown without the report.
    const withoutRoot = (r: AuditReport) => brief(r).filter((f) => !f.startsWith('root-access-key'));
    expect(withoutRoot(report)).toEqual(withoutRoot(withReport.report));
    expect(brief(report)).toContain('root-access-key <root_account> -');
  });

  it('ReportExpired: generated again, then used', async () => {
    let expiredOnce = false;
    const { report } = await auditThrough(buildSampleAccount(NOW), {
      faults: (action) => {
        if (action !== 'GetCredentialReport' || expiredOnce) return undefined;
        expiredOnce = true;
        return { status: 410, code: 'ReportExpired', message: 'The report has expired.' };
      },
    });
    expect(report.source.type).toBe('credential-report');
  });
});

describe('a user or key deleted while the audit runs', () => {
  it('is skipped, not an error', async () => {
    const account = buildSampleAccount(NOW);
    const { report } = await auditThrough(account, {
      // A report three hours old: last use is read live where a use since could matter (old-cron's unused key).
      now: () => new Date(NOW.getTime() - 3 * 3_600_000),
      faults: (action, params) => {
        if (action === 'ListAccessKeys' && params.UserName === 'deploy-bot') account.deleteUser('deploy-bot');
        if (
          action === 'GetAccessKeyLastUsed' &&
          account.getKey(params.AccessKeyId ?? '')?.userName === 'old-cron'
        ) {
          account.deleteUser('old-cron'); // the key goes with its user: IAM answers AccessDenied for an unknown key
        }
        return undefined;
      },
    });
    expect(brief(report).some((f) => f.includes('deploy-bot') || f.includes('old-cron'))).toBe(false);
    expect(report.findings.length).toBeGreaterThan(5);
  });
});
