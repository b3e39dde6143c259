/**
 * The fake IAM endpoint, exercised through the real SDK clients: if @aws-sdk/client-iam and client-sts parse its
 * answers (pages, typed errors, throttling), the engine and the demo can trust it.
 */
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
  ListUserTagsCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListUsers,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { parse } from 'csv-parse/sync';
import { FakeIamAccount, type FakeUser } from '../../tools/fake-iam/account';
import { CREDENTIAL_REPORT_COLUMNS, renderCredentialReport } from '../../tools/fake-iam/credential-report';
import { buildSampleAccount, buildSyntheticAccount } from '../../tools/fake-iam/sample-account';
import {
  startFakeIamServer,
  type FakeIamServer,
  type FakeIamServerOptions,
} from '../../tools/fake-iam/server';
import { applyPolicies } from '../../lambdas/audit/domain/policies';
import { evaluateUser, rotationStepOf } from '../../lambdas/audit/domain/rules';
import { validateAuditConfig } from '../../lambdas/audit/config';
import { createAwsClients } from '../../lambdas/audit/adapters/aws-clients';
import { RULE_IDS, type AccessKey } from '../../lambdas/audit/domain/types';
import { toDomainUser } from '../support/demo-audit';
import { DEFAULT_RULE_SETTINGS } from '../../lambdas/audit/settings';

const NOW = new Date('2026-08-30T10:00:00Z');
const HOUR_MS = 60 * 60 * 1000;

type SdkError = Error & { $metadata: { httpStatusCode?: number; attempts?: number }; $fault?: string };

const servers: FakeIamServer[] = [];
const clients: { destroy(): void }[] = [];

afterEach(async () => {
  clients.splice(0).forEach((client) => client.destroy());
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(account: FakeIamAccount, options: FakeIamServerOptions = {}): Promise<FakeIamServer> {
  const server = await startFakeIamServer(account, { now: () => NOW, ...options });
  servers.push(server);
  return server;
}

function clientConfig(server: FakeIamServer, maxAttempts?: number) {
  return {
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' },
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  };
}

function iamClient(server: FakeIamServer, maxAttempts?: number): IAMClient {
  const client = new IAMClient(clientConfig(server, maxAttempts));
  clients.push(client);
  return client;
}

function stsClient(server: FakeIamServer): STSClient {
  const client = new STSClient(clientConfig(server));
  clients.push(client);
  return client;
}

async function failure(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to fail');
}

function csvRows(csv: string): Record<string, string>[] {
  return parse(csv, { columns: true }) as Record<string, string>[];
}

async function fetchReport(iam: IAMClient): Promise<{ csv: string; generatedTime: Date | undefined }> {
  const report = await iam.send(new GetCredentialReportCommand({}));
  if (!report.Content) throw new Error('no Content');
  expect(report.ReportFormat).toBe('text/csv');
  return { csv: Buffer.from(report.Content).toString('utf8'), generatedTime: report.GeneratedTime };
}

function requireUser(account: FakeIamAccount, userName: string): FakeUser {
  const user = account.getUser(userName);
  if (!user) throw new Error(`no user ${userName}`);
  return user;
}

function keyId(account: FakeIamAccount, userName: string, index = 0): string {
  const key = requireUser(account, userName).keys[index];
  if (!key) throw new Error(`${userName} has no key ${index}`);
  return key.accessKeyId;
}

describe('one server for IAM and STS', () => {
  it('answers GetCallerIdentity with the account', async () => {
    const server = await start(buildSampleAccount(NOW));
    const identity = await stsClient(server).send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('123456789012');
    expect(identity.Arn).toBe('arn:aws:sts::123456789012:assumed-role/IamKeyAuditor/fake-iam');
    expect(identity.UserId).toMatch(/^AROA/);
  });

  it('answers account-level calls: alias and summary', async () => {
    const server = await start(buildSampleAccount(NOW));
    const iam = iamClient(server);
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual(['acme-staging']);
    const { SummaryMap } = await iam.send(new GetAccountSummaryCommand({}));
    expect(SummaryMap).toMatchObject({ AccountAccessKeysPresent: 1, Users: 15, AccessKeysPerUserQuota: 2 });

    const bare = new FakeIamAccount({ accountId: '111122223333' });
    const bareServer = await start(bare);
    const bareIam = iamClient(bareServer);
    expect((await bareIam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([]);
    expect((await bareIam.send(new GetAccountSummaryCommand({}))).SummaryMap).toMatchObject({
      AccountAccessKeysPresent: 0,
      Users: 0,
    });
  });
});

describe('pagination', () => {
  const account = buildSyntheticAccount({ users: 2500, flaggedShare: 0, now: NOW, seed: 1 });
  const allNames = [...account.users()].map((user) => user.userName).sort();

  it('pages GetAccountAuthorizationDetails (Filter User) 1,000 at a time: 3 pages, every user once, in order', async () => {
    const server = await start(account);
    const pages = [];
    for await (const page of paginateGetAccountAuthorizationDetails(
      { client: iamClient(server), pageSize: 1000 },
      { Filter: ['User'] },
    )) {
      pages.push(page);
    }
    expect(pages.map((page) => page.UserDetailList?.length)).toEqual([1000, 1000, 500]);
    expect(pages.map((page) => page.IsTruncated)).toEqual([true, true, false]);
    expect(pages.flatMap((page) => page.UserDetailList ?? []).map((user) => user.UserName)).toEqual(allNames);
    const first = pages[0]?.UserDetailList?.[0];
    expect(first).toMatchObject({
      Path: '/',
      UserPolicyList: [],
      GroupList: [],
      AttachedManagedPolicies: [],
    });
    expect(first?.Arn).toBe(`arn:aws:iam::210987654321:user/${first?.UserName}`);
    expect(first?.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
    expect(first?.CreateDate).toBeInstanceOf(Date);
    expect(first?.Tags?.find((tag) => tag.Key === 'case')?.Value).toBe('healthy');
    expect(server.stats.calls('GetAccountAuthorizationDetails')).toBe(3);
  });

  it('pages ListUsers 1,000 at a time', async () => {
    const server = await start(account);
    const sizes: number[] = [];
    const names: string[] = [];
    for await (const page of paginateListUsers({ client: iamClient(server), pageSize: 1000 }, {})) {
      sizes.push(page.Users?.length ?? 0);
      names.push(...(page.Users ?? []).map((user) => user.UserName ?? ''));
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(names).toEqual(allNames);
  });

  it('resumes after the marker even when users are deleted between pages', async () => {
    const sample = buildSampleAccount(NOW);
    const server = await start(sample);
    const iam = iamClient(server);
    const first = await iam.send(
      new GetAccountAuthorizationDetailsCommand({ Filter: ['User'], MaxItems: 2 }),
    );
    expect(first.UserDetailList?.map((user) => user.UserName)).toEqual(['alice.admin', 'analytics']);
    sample.deleteUser('backup=nightly,eu');
    const second = await iam.send(
      new GetAccountAuthorizationDetailsCommand({ Filter: ['User'], MaxItems: 2, Marker: first.Marker }),
    );
    expect(second.UserDetailList?.map((user) => user.UserName)).toEqual([
      'build-agent',
      'ci+deploy@acme.example',
    ]);
  });

  it('rejects MaxItems outside 1-1000 with a ValidationError', async () => {
    const server = await start(account);
    const error = await failure(
      iamClient(server, 1).send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1001 })),
    );
    expect(error.name).toBe('ValidationError');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });
});

describe('the credential report', () => {
  it('is generated, polled and fetched as AWS does, with typed errors before it is ready', async () => {
    const server = await start(buildSampleAccount(NOW));
    const iam = iamClient(server, 1);

    const notPresent = await failure(iam.send(new GetCredentialReportCommand({})));
    expect(notPresent.name).toBe('CredentialReportNotPresentException');
    expect(notPresent.$metadata.httpStatusCode).toBe(410);

    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    const notReady = await failure(iam.send(new GetCredentialReportCommand({})));
    expect(notReady.name).toBe('CredentialReportNotReadyException');
    expect(notReady.$metadata.httpStatusCode).toBe(404);
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('COMPLETE');

    const { csv, generatedTime } = await fetchReport(iam);
    expect(generatedTime).toEqual(NOW);
    const [header] = csv.split('\n');
    expect(header).toBe(CREDENTIAL_REPORT_COLUMNS.join(','));
    const rows = csvRows(csv);
    expect(rows).toHaveLength(16);
    expect(rows[0]).toMatchObject({
      user: '<root_account>',
      arn: 'arn:aws:iam::123456789012:root',
      password_enabled: 'not_supported',
      password_last_changed: 'not_supported',
      password_next_rotation: 'not_supported',
      mfa_active: 'true',
      access_key_1_active: 'true',
      access_key_1_last_used_service: 'iam',
      access_key_2_active: 'false',
      access_key_2_last_rotated: 'N/A',
      cert_1_active: 'false',
      cert_1_last_rotated: 'N/A',
    });
    const byUser = new Map(rows.map((row) => [row.user, row]));
    expect(byUser.get('monitoring.agent_01')).toMatchObject({
      password_enabled: 'false',
      password_last_used: 'N/A',
      access_key_1_active: 'true',
      access_key_1_last_used_date: 'N/A',
      access_key_1_last_used_region: 'N/A',
      access_key_1_last_used_service: 'N/A',
      access_key_2_active: 'false',
      access_key_2_last_rotated: 'N/A',
    });
    // Key 1 is the older key, whatever its status.
    expect(byUser.get('legacy-app')).toMatchObject({
      access_key_1_active: 'false',
      access_key_2_active: 'true',
    });
    expect(byUser.get('deploy-bot')?.access_key_1_last_rotated).toBe('2026-05-02T10:00:00+00:00');
    expect(byUser.get('backup=nightly,eu')?.arn).toBe('arn:aws:iam::123456789012:user/backup=nightly,eu');
    for (const row of rows) {
      expect(row.user_creation_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    }
  });

  it('is a snapshot: drift after generation shows in the live calls, not in the report, until it is regenerated', async () => {
    const account = buildSampleAccount(NOW);
    let clock = NOW;
    const server = await start(account, { now: () => clock, credentialReport: { pollsBeforeComplete: 0 } });
    const iam = iamClient(server, 1);
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    const before = await fetchReport(iam);

    const deleted = keyId(account, 'deploy-bot');
    const unusedKey = keyId(account, 'monitoring.agent_01');
    const rotated = keyId(account, 'old-cron');
    account.deleteKey(deleted);
    account.setKeyStatus(keyId(account, 'reporting-etl'), 'Inactive');
    account.recordKeyUse(unusedKey, {
      date: new Date(NOW.getTime() - HOUR_MS),
      service: 's3',
      region: 'eu-west-1',
    });
    const fresh = account.rotateKey(rotated, NOW);
    account.deleteUser('former-contractor');
    account.addUser({ userName: 'new-hire', createDate: NOW });

    clock = new Date(NOW.getTime() + HOUR_MS);
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('COMPLETE');
    expect((await fetchReport(iam)).csv).toBe(before.csv);

    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }))).AccessKeyMetadata).toEqual(
      [],
    );
    const lastUse = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: unusedKey }));
    expect(lastUse.AccessKeyLastUsed).toEqual({
      LastUsedDate: new Date(NOW.getTime() - HOUR_MS),
      ServiceName: 's3',
      Region: 'eu-west-1',
    });
    const cronKeys = await iam.send(new ListAccessKeysCommand({ UserName: 'old-cron' }));
    expect(cronKeys.AccessKeyMetadata?.map((key) => key.AccessKeyId)).toEqual([fresh.accessKeyId]);
    expect((await failure(iam.send(new GetUserCommand({ UserName: 'former-contractor' })))).name).toBe(
      'NoSuchEntityException',
    );

    clock = new Date(NOW.getTime() + 4 * HOUR_MS + 1000);
    const expired = await failure(iam.send(new GetCredentialReportCommand({})));
    expect(expired.name).toBe('CredentialReportExpiredException');
    expect(expired.$metadata.httpStatusCode).toBe(410);
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    const after = await fetchReport(iam);
    expect(after.generatedTime).toEqual(clock);
    const rows = new Map(csvRows(after.csv).map((row) => [row.user, row]));
    expect(rows.has('former-contractor')).toBe(false);
    expect(rows.get('new-hire')?.access_key_1_active).toBe('false');
    expect(rows.get('deploy-bot')).toMatchObject({
      access_key_1_active: 'false',
      access_key_1_last_rotated: 'N/A',
    });
    expect(rows.get('reporting-etl')?.access_key_1_active).toBe('false');
    expect(rows.get('monitoring.agent_01')?.access_key_1_last_used_service).toBe('s3');
  });

  it('can stay in progress forever', async () => {
    const server = await start(buildSampleAccount(NOW), { credentialReport: { mode: 'always-in-progress' } });
    const iam = iamClient(server, 1);
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    for (let i = 0; i < 5; i++) {
      expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('INPROGRESS');
    }
    expect((await failure(iam.send(new GetCredentialReportCommand({})))).name).toBe(
      'CredentialReportNotReadyException',
    );
  });

  it('waits the configured number of polls', async () => {
    const server = await start(buildSampleAccount(NOW), { credentialReport: { pollsBeforeComplete: 3 } });
    const iam = iamClient(server, 1);
    const states = [];
    for (let i = 0; i < 5; i++) states.push((await iam.send(new GenerateCredentialReportCommand({}))).State);
    expect(states).toEqual(['STARTED', 'INPROGRESS', 'INPROGRESS', 'INPROGRESS', 'COMPLETE']);
  });

  it('answers LimitExceeded (409) or AccessDenied (403) in those modes', async () => {
    const limited = await start(buildSampleAccount(NOW), { credentialReport: { mode: 'limit-exceeded' } });
    const limitError = await failure(iamClient(limited, 1).send(new GenerateCredentialReportCommand({})));
    expect(limitError.name).toBe('LimitExceededException');
    expect(limitError.$metadata.httpStatusCode).toBe(409);

    const denied = await start(buildSampleAccount(NOW), { credentialReport: { mode: 'access-denied' } });
    const iam = iamClient(denied, 1);
    for (const command of [new GenerateCredentialReportCommand({}), new GetCredentialReportCommand({})]) {
      const error = await failure(iam.send(command as GetCredentialReportCommand));
      expect(error.name).toBe('AccessDenied');
      expect(error.$metadata.httpStatusCode).toBe(403);
    }
  });
});

describe('users and keys', () => {
  it('answers GetUser, ListAccessKeys and ListUserTags, and NoSuchEntity (404) for an unknown user', async () => {
    const account = buildSampleAccount(NOW);
    const server = await start(account);
    const iam = iamClient(server, 1);
    const { User } = await iam.send(new GetUserCommand({ UserName: 'deploy-bot' }));
    expect(User).toMatchObject({
      UserName: 'deploy-bot',
      Path: '/',
      Arn: 'arn:aws:iam::123456789012:user/deploy-bot',
    });
    expect(User?.Tags).toContainEqual({
      Key: keyId(account, 'deploy-bot'),
      Value: 'deploy pipeline in github actions',
    });

    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'legacy-app' }));
    expect(keys.AccessKeyMetadata?.map((key) => [key.UserName, key.Status])).toEqual([
      ['legacy-app', 'Inactive'],
      ['legacy-app', 'Active'],
    ]);
    expect(keys.AccessKeyMetadata?.[0]?.AccessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(keys.IsTruncated).toBe(false);

    for (const command of [
      new GetUserCommand({ UserName: 'nobody' }),
      new ListAccessKeysCommand({ UserName: 'nobody' }),
      new ListUserTagsCommand({ UserName: 'nobody' }),
    ]) {
      const error = await failure(iam.send(command as GetUserCommand));
      expect(error.name).toBe('NoSuchEntityException');
      expect(error.message).toBe('The user with name nobody cannot be found.');
      expect(error.$metadata.httpStatusCode).toBe(404);
    }
    // An assumed role has no user of its own.
    expect((await failure(iam.send(new ListAccessKeysCommand({})))).name).toBe('ValidationError');
  });

  it('gives a never-used key no LastUsedDate and N/A service and region', async () => {
    const account = buildSampleAccount(NOW);
    const server = await start(account);
    const iam = iamClient(server, 1);
    const never = await iam.send(
      new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId(account, 'analytics', 1) }),
    );
    expect(never.UserName).toBe('analytics');
    expect(never.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
    const usedKey = await iam.send(
      new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId(account, 'deploy-bot') }),
    );
    expect(usedKey.AccessKeyLastUsed).toEqual({
      LastUsedDate: new Date('2026-08-29T08:00:00Z'),
      ServiceName: 'cloudformation',
      Region: 'us-east-1',
    });
  });

  it('answers AccessDenied for an unknown key id by default, NoSuchEntity when asked', async () => {
    const gone = 'AKIA0000000000000000';
    const server = await start(buildSampleAccount(NOW));
    const denied = await failure(
      iamClient(server, 1).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: gone })),
    );
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata.httpStatusCode).toBe(403);

    const strict = await start(buildSampleAccount(NOW), { unknownAccessKeyError: 'NoSuchEntity' });
    const missing = await failure(
      iamClient(strict, 1).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: gone })),
    );
    expect(missing.name).toBe('NoSuchEntityException');
  });

  it('round-trips tags and names with XML-special characters exactly', async () => {
    const account = buildSampleAccount(NOW);
    const value = `<!channel> & "quoted" 'apostrophe' &amp; &lt; ]]> <b>bold</b> ünïcødé 🚀 \t tab`;
    account.setTag('ci+deploy@acme.example', 'slack<&>', value);
    const server = await start(account);
    const iam = iamClient(server, 1);
    const expected = { Key: 'slack<&>', Value: value };

    const { User } = await iam.send(new GetUserCommand({ UserName: 'ci+deploy@acme.example' }));
    expect(User?.UserName).toBe('ci+deploy@acme.example');
    expect(User?.Tags).toContainEqual(expected);
    expect(
      (await iam.send(new ListUserTagsCommand({ UserName: 'ci+deploy@acme.example' }))).Tags,
    ).toContainEqual(expected);
    const details = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'] }));
    const detail = details.UserDetailList?.find((user) => user.UserName === 'ci+deploy@acme.example');
    expect(detail?.Tags).toContainEqual(expected);
  });
});

describe('protocol, rate limit, latency, faults and stats', () => {
  it('answers an unknown action with InvalidAction (400) in the IAM error shape', async () => {
    const server = await start(buildSampleAccount(NOW));
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DeleteEverything&Version=2010-05-08',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(
      /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
  });

  it('answers Throttling (400, "Rate exceeded") above the rate; the SDK retries it to success', async () => {
    const server = await start(buildSampleAccount(NOW), { rateLimitPerSecond: 2 });
    const once = iamClient(server, 1);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => once.send(new GetUserCommand({ UserName: 'deploy-bot' }))),
    );
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(5);
    for (const { reason } of rejected) {
      const error = reason as SdkError;
      expect(error.name).toBe('Throttling');
      expect(error.message).toBe('Rate exceeded');
      expect(error.$metadata.httpStatusCode).toBe(400);
    }
    expect(server.stats.throttled).toBe(rejected.length);
    expect(server.stats.throttledByAction.GetUser).toBe(rejected.length);
    expect(server.stats.calls('GetUser')).toBe(10 - rejected.length);
    expect(server.stats.total).toBe(10);

    const limited = await start(buildSampleAccount(NOW), { rateLimitPerSecond: 100, burst: 5 });
    // The audit's own IAM client (adaptive retries), its backoff scaled down as in faults.test.ts.
    const auditClients = createAwsClients({
      maxAttempts: 10,
      retryBackoffScale: 0.01,
      ...clientConfig(limited),
    });
    clients.push(auditClients.iam, auditClients.reportIam, auditClients.sts);
    const retrying = auditClients.iam;
    const users = await Promise.all(
      Array.from({ length: 20 }, () => retrying.send(new GetUserCommand({ UserName: 'deploy-bot' }))),
    );
    expect(users.every((result) => result.User?.UserName === 'deploy-bot')).toBe(true);
    expect(limited.stats.throttled).toBeGreaterThan(0);
    expect(limited.stats.calls('GetUser')).toBe(20);
  });

  it('adds the configured latency to each call', async () => {
    const server = await start(buildSampleAccount(NOW), { latencyMs: 150 });
    const sts = stsClient(server);
    await sts.send(new GetCallerIdentityCommand({})); // warm the connection
    const started = performance.now();
    await sts.send(new GetCallerIdentityCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('injects faults per call and counts them; the SDK retries a 500', async () => {
    const seen: Record<string, string>[] = [];
    const server = await start(buildSampleAccount(NOW), {
      faults: (action, params) => {
        if (action !== 'ListAccessKeys' || params.UserName !== 'build-agent') return undefined;
        seen.push({ ...params });
        return { status: 500, code: 'ServiceFailure', message: 'injected' };
      },
    });
    const error = await failure(
      iamClient(server, 3).send(new ListAccessKeysCommand({ UserName: 'build-agent' })),
    );
    expect(error.name).toBe('ServiceFailureException');
    expect(error.$fault).toBe('server');
    expect(error.$metadata.attempts).toBe(3);
    expect(seen).toHaveLength(3);
    expect(seen[0]).toMatchObject({
      Action: 'ListAccessKeys',
      Version: '2010-05-08',
      UserName: 'build-agent',
    });
    expect(server.stats.errorsByCode.ServiceFailure).toBe(3);
    await iamClient(server, 1).send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
  });

  it('counts calls by action, errors by code, and resets', async () => {
    const server = await start(buildSampleAccount(NOW));
    const iam = iamClient(server, 1);
    await iam.send(new GetUserCommand({ UserName: 'deploy-bot' }));
    await iam.send(new GetUserCommand({ UserName: 'analytics' }));
    await failure(iam.send(new GetUserCommand({ UserName: 'nobody' })));
    await iam.send(new ListAccountAliasesCommand({}));
    await stsClient(server).send(new GetCallerIdentityCommand({}));
    expect(server.stats.callsByAction).toEqual({ GetUser: 3, ListAccountAliases: 1, GetCallerIdentity: 1 });
    expect(server.stats.errorsByCode).toEqual({ NoSuchEntity: 1 });
    expect(server.stats.total).toBe(5);
    expect(server.stats.throttled).toBe(0);
    server.stats.reset();
    expect(server.stats.total).toBe(0);
    expect(server.stats.callsByAction).toEqual({});
    expect(server.stats.calls('GetUser')).toBe(0);
  });
});

describe('the accounts', () => {
  it('the sample account fires every rule and every rotation step, and leaves the healthy users alone', () => {
    const account = buildSampleAccount(NOW);
    const settings = DEFAULT_RULE_SETTINGS;
    const users = [...account.users()].map(toDomainUser);
    const { alerting: findings, exempted } = applyPolicies(
      users.flatMap((user) => evaluateUser(user, NOW, settings)),
      users,
      NOW,
      validateAuditConfig(),
    );
    // root-access-key fires on any active root key.
    expect(account.root.keys.some((key) => key.active)).toBe(true);
    const rules = new Set<string>(['root-access-key', ...findings.map((finding) => finding.rule)]);
    expect([...rules].sort()).toEqual([...RULE_IDS].sort());
    expect(exempted.map((finding) => `${finding.rule} ${finding.userName}`)).toEqual([
      'key-too-old vendor-sftp',
    ]);

    const steps = [...account.users()]
      .filter((user) => user.keys.length === 2)
      .map(
        (user) =>
          rotationStepOf(
            toDomainUser(user).keys as [AccessKey, AccessKey],
            NOW,
            settings.thresholds.unusedDays,
          ).step,
      );
    expect(steps.sort()).toEqual([
      'deactivate-old-key',
      'delete-inactive-key',
      'deploy-new-key',
      'remove-unused-key',
      'replace-uses',
    ]);

    const flaggedUsers = new Set(findings.map((finding) => finding.userName));
    for (const healthy of ['ci+deploy@acme.example', 'backup=nightly,eu', 'alice.admin']) {
      expect(flaggedUsers.has(healthy)).toBe(false);
    }
    const deployBot = findings.find((finding) => finding.userName === 'deploy-bot');
    expect(deployBot).toMatchObject({
      rule: 'key-too-old',
      description: 'deploy pipeline in github actions',
    });
    expect(findings.find((finding) => finding.userName === 'ses-smtp-user.20260301')?.sesSmtpUser).toBe(true);
  });

  // How fast it builds is the benchmark's to measure (npm run bench), not a timed assertion's.
  it('builds a 20,000-user synthetic account deterministically, with the flagged share asked for', () => {
    const big = buildSyntheticAccount({ users: 20_000, flaggedShare: 0.2, now: NOW, seed: 42 });
    expect(big.userCount).toBe(20_000);
    const cases = new Map<string, number>();
    for (const user of big.users()) {
      const userCase = user.tags.find((tag) => tag.Key === 'case')?.Value ?? 'missing';
      cases.set(userCase, (cases.get(userCase) ?? 0) + 1);
    }
    expect(cases.get('healthy')).toBe(16_000);
    expect(cases.get('missing')).toBeUndefined();

    const again = buildSyntheticAccount({ users: 20_000, flaggedShare: 0.2, now: NOW, seed: 42 });
    expect(renderCredentialReport(again)).toBe(renderCredentialReport(big));
    const other = buildSyntheticAccount({ users: 200, flaggedShare: 0.2, now: NOW, seed: 43 });
    const small = buildSyntheticAccount({ users: 200, flaggedShare: 0.2, now: NOW, seed: 42 });
    expect(renderCredentialReport(other)).not.toBe(renderCredentialReport(small));
  });

  it('gives every flagged synthetic user a finding and no healthy one any', () => {
    const account = buildSyntheticAccount({ users: 3000, flaggedShare: 0.3, now: NOW, seed: 7 });
    let flagged = 0;
    for (const user of account.users()) {
      const healthy = user.tags.some((tag) => tag.Key === 'case' && tag.Value === 'healthy');
      const findings = evaluateUser(toDomainUser(user), NOW, DEFAULT_RULE_SETTINGS);
      expect({ user: user.userName, flagged: findings.length > 0 }).toEqual({
        user: user.userName,
        flagged: !healthy,
      });
      if (!healthy) flagged += 1;
    }
    expect(flagged).toBe(900);
  });

  it('keeps at most two keys per user, and unique names regardless of case', () => {
    const account = new FakeIamAccount({ accountId: '111122223333' });
    account.addUser({ userName: 'Bob', createDate: NOW });
    account.addKey('bob', { createDate: NOW });
    account.addKey('Bob', { createDate: NOW });
    expect(() => account.addKey('Bob', { createDate: NOW })).toThrow('already has 2 access keys');
    expect(() => account.addUser({ userName: 'BOB', createDate: NOW })).toThrow('already exists');
    expect(() => account.addUser({ userName: 'bad name', createDate: NOW })).toThrow('user name must be');
    expect(account.keyCount).toBe(2);
    account.deleteUser('Bob');
    expect(account.keyCount).toBe(0);
  });
});
