import { handler as lambdaHandler, resetRuntime } from '../../lambdas/audit/handler';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { daysAgo, key, user } from '../support/builders';
import { accountOf, iamCallCounts, iamMock, serveAccount, stsMock } from '../support/iam-mock';
import { lambdaContext } from '../support/lambda-context';

/** The handler of a single-account audit, which returns the report. */
const handler = (event: unknown, context: Parameters<typeof lambdaHandler>[1]) =>
  lambdaHandler(event, context) as Promise<AuditReport>;

const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-28T07:00:00Z',
  region: 'eu-west-2',
  resources: ['arn:aws:events:eu-west-2:123456789012:rule/iam-key-auditor-daily'],
  detail: {},
};

/** alice's key is too old; bob's is healthy. */
function serve(): void {
  serveAccount(
    accountOf([
      user({
        userName: 'alice',
        keys: [key({ accessKeyId: 'AKIAALICE00000000001', createdAt: daysAgo(100) })],
      }),
      user({ userName: 'bob', keys: [key({ accessKeyId: 'AKIABOB0000000000001', createdAt: daysAgo(5) })] }),
    ]),
  );
}

const ENV = { ...process.env };

beforeEach(() => {
  process.env = { ...ENV, CREDENTIAL_REPORT_WAIT_SECONDS: '0' };
  resetRuntime();
  serve();
});

afterAll(() => {
  process.env = ENV;
});

describe('the Lambda handler', () => {
  it('runs a full audit on the scheduled EventBridge event', async () => {
    const report = await handler(SCHEDULED_EVENT, lambdaContext());
    expect(report.scope).toEqual({ type: 'account' });
    expect(report.source.type).toBe('credential-report');
    expect(report.findings.map((f) => `${f.rule} ${f.userName}`)).toEqual(['key-too-old alice']);
  });

  it('re-audits the named users live on a manual invoke, as of the given instant', async () => {
    const report = await handler(
      { users: ['alice', 'bob'], now: '2026-09-01T00:00:00Z', dryRun: true },
      lambdaContext(),
    );
    expect(report).toMatchObject({
      scope: { type: 'users', users: ['alice', 'bob'] },
      dryRun: true,
      auditedAt: '2026-09-01T00:00:00.000Z',
    });
    // On 1 September alice's key was 11 days old: nothing to report.
    expect(report.findings).toEqual([]);
    expect(iamCallCounts().GenerateCredentialReport).toBeUndefined();
  });

  it('audits everything on an empty manual payload', async () => {
    const report = await handler({}, lambdaContext());
    expect(report.scope).toEqual({ type: 'account' });
  });

  it.each([
    [{ users: ['alice'], force: true }, /unknown field\(s\) "force"/],
    [{ users: ['alice smith'] }, /invalid IAM user name "alice smith"/],
    [{ users: [] }, /"users" must be a non-empty list/],
    [{ now: 'yesterday', dryRun: true }, /"now" must be an ISO 8601 instant.*"yesterday"/],
    [{ now: '2026-09-01T00:00:00Z' }, /"now" is only for a dry run: add "dryRun": true/],
    [{ dryRun: 'yes' }, /"dryRun" must be true or false; got "yes"/],
    ['alice', /the event must be a JSON object/],
  ])('rejects %j before any AWS call', async (event, message) => {
    await expect(handler(event, lambdaContext())).rejects.toThrow(message);
    expect(iamMock.calls()).toHaveLength(0);
    expect(stsMock.calls()).toHaveLength(0);
  });

  it('rejects a bad configuration with an error naming the variable', async () => {
    process.env.MAX_KEY_AGE_DAYS = 'ninety';
    await expect(handler(SCHEDULED_EVENT, lambdaContext())).rejects.toThrow(
      /MAX_KEY_AGE_DAYS must be a whole number; got "ninety"/,
    );
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('applies thresholds from the environment', async () => {
    process.env.MAX_KEY_AGE_DAYS = '120';
    process.env.WARN_DAYS = '30';
    const report = await handler(SCHEDULED_EVENT, lambdaContext());
    expect(report.thresholds).toEqual({ maxKeyAgeDays: 120, warnDays: 30, unusedDays: 45 });
    expect(report.findings.map((f) => f.rule)).toEqual(['key-expiring']);
  });
});

describe('the Lambda handler and organization mode', () => {
  it('refuses an organization step in single-account mode, before any AWS call', async () => {
    await expect(handler({ organization: 'notify', runId: 'run-1' }, lambdaContext())).rejects.toThrow(
      'an organization step was sent to a function that is not in organization mode',
    );
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('refuses organization mode without the state table that holds a run', async () => {
    process.env.ORG_ACCOUNT_ROLE_NAME = 'IamKeyAuditorReadOnly';
    process.env.ORG_READER_ROLE_ARN = 'arn:aws:iam::999999999999:role/IamKeyAuditorOrganizationReader';
    process.env.ORG_EXTERNAL_ID = 'iam-key-auditor-ext-1';
    await expect(handler({ organization: 'list-accounts', runId: 'run-1' }, lambdaContext())).rejects.toThrow(
      /organization mode needs the state table/,
    );
  });

  it('refuses a re-audit that names no member account in organization mode, before any AWS call', async () => {
    process.env.ORG_ACCOUNT_ROLE_NAME = 'IamKeyAuditorReadOnly';
    process.env.ORG_READER_ROLE_ARN = 'arn:aws:iam::999999999999:role/IamKeyAuditorOrganizationReader';
    process.env.ORG_EXTERNAL_ID = 'iam-key-auditor-ext-1';
    process.env.STATE_TABLE_NAME = 'audit-state';
    await expect(handler({ users: ['alice'] }, lambdaContext())).rejects.toThrow(
      /this function audits an organization: name the member account/,
    );
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('names a bad organization variable', async () => {
    process.env.ORG_ACCOUNT_ROLE_NAME = 'IamKeyAuditorReadOnly';
    process.env.ORG_READER_ROLE_ARN = 'IamKeyAuditorOrganizationReader';
    await expect(handler(SCHEDULED_EVENT, lambdaContext())).rejects.toThrow(
      /ORG_READER_ROLE_ARN must be an IAM role ARN; got "IamKeyAuditorOrganizationReader"/,
    );
  });
});
