/**
 * Organization runs on the same pipeline as single-account runs (issue 12, "One pipeline for both modes"; issue 11,
 * case 5): the real handler answers each step of the state machine, the state table is dynalite, Slack is the local
 * webhook server, SNS, STS, Organizations and Secrets Manager are the shared SDK mocks.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { PARTITION_KEY, SORT_KEY } from '../../lambdas/audit/adapters/state-table-keys';
import { handler } from '../../lambdas/audit/handler';
import { daysAgo } from '../support/builders';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { accountOf, serveAccount, stsMock } from '../support/iam-mock';
import { lambdaContext } from '../support/lambda-context';
import { SLACK, startSlackServer, type SlackServer } from '../support/slack-server';
import { useDeliveryEnvironment } from '../support/delivery-environment';

jest.setTimeout(30_000);

const TOPIC_ARN = 'arn:aws:sns:eu-west-2:999999999999:iam-key-audit-findings';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:999999999999:secret:iam-key-auditor/slack-AbC123';
const TEAM_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-2:999999999999:secret:iam-key-auditor/payments-AbC123';
const ACCOUNTS = [
  { Id: '111111111111', Name: 'production', State: 'ACTIVE' as const },
  { Id: '222222222222', Name: 'staging', State: 'ACTIVE' as const },
];
// Never used and 120 days old: one finding, decided by key-unused (remove it), with key-too-old among its rules.
const FINDING = 'key-unused|deploy-bot|AKIADEPLOY0000000001';
const PAYMENTS_KEY = 'AKIAPAYMENTS00000001';

const org = mockClient(OrganizationsClient);
const snsMock = mockClient(SNSClient);
const secretsMock = mockClient(SecretsManagerClient);
const s3Mock = mockClient(S3Client);
const ENV = { ...process.env };
let db: Dynalite;
let slack: SlackServer;
let teamSlack: SlackServer;
let table: string;
let tables = 0;

function environment(extra: Record<string, string> = {}): void {
  useDeliveryEnvironment(
    ENV,
    { topicArn: TOPIC_ARN, secretArn: SECRET_ARN, table, dynamoDbEndpoint: db.endpoint },
    {
      ORG_ACCOUNT_ROLE_NAME: 'IamKeyAuditorReadOnly',
      ORG_READER_ROLE_ARN: 'arn:aws:iam::999999999999:role/IamKeyAuditorOrganizationReader',
      ORG_EXTERNAL_ID: 'iam-key-auditor-ext-1',
      ...extra,
    },
  );
}

/** One organization run, step by step as the state machine invokes them. */
async function organizationRun(runId: string): Promise<unknown> {
  await handler({ organization: 'list-accounts', runId }, lambdaContext());
  for (const account of ACCOUNTS) {
    // The mock cannot tell credentials apart: STS answers as the account being audited.
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: account.Id });
    await handler(
      { organization: 'audit-account', runId, accountId: account.Id, accountName: account.Name },
      lambdaContext({ awsRequestId: `${runId}-${account.Id}` }),
    );
  }
  return handler({ organization: 'notify', runId }, lambdaContext({ awsRequestId: `${runId}-notify` }));
}

async function stateItem(accountId: string, id: string) {
  const { Item } = await db.client.send(
    new GetItemCommand({
      TableName: table,
      Key: { [PARTITION_KEY]: { S: accountId }, [SORT_KEY]: { S: id } },
    }),
  );
  return Item;
}

beforeAll(async () => {
  db = await startDynalite();
  slack = await startSlackServer();
  teamSlack = await startSlackServer();
});

afterAll(async () => {
  await teamSlack.close();
  await slack.close();
  await db.close();
  process.env = ENV;
});

beforeEach(async () => {
  tables += 1;
  table = `org-state-${tables}`;
  await db.createTable(table);
  org.reset();
  org.on(ListAccountsCommand).resolves({ Accounts: ACCOUNTS });
  serveAccount(
    accountOf([
      {
        userName: 'deploy-bot',
        keys: [{ accessKeyId: 'AKIADEPLOY0000000001', status: 'Active', createdAt: daysAgo(120) }],
      },
      {
        userName: 'payments-bot',
        tags: { team: 'payments' },
        keys: [{ accessKeyId: PAYMENTS_KEY, status: 'Active', createdAt: daysAgo(120) }],
      },
    ]),
  );
  stsMock.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
      SecretAccessKey: 'do-not-show-this-secret',
      SessionToken: 'do-not-show-this-session',
      Expiration: new Date(Date.now() + 3_600_000),
    },
  });
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'org-sns-1' });
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: slack.url });
  secretsMock
    .on(GetSecretValueCommand, { SecretId: TEAM_SECRET_ARN })
    .resolves({ SecretString: teamSlack.url });
  for (const server of [slack, teamSlack]) {
    server.requests.length = 0;
    server.setResponses([]);
  }
});

describe('an organization run', () => {
  it("marks each account's findings alerted on a channel only once that channel accepted the digest (case 5)", async () => {
    environment({ NOTIFY_MODE: 'changes' });
    slack.setResponses([SLACK.noService]);

    await expect(organizationRun('run-1')).rejects.toThrow(/slack failed .*no_service/);
    for (const account of ACCOUNTS) {
      // Before: the audit step marked them alerted before the digest was sent.
      const item = await stateItem(account.Id, FINDING);
      expect(item).toMatchObject({ snsAlertedAt: expect.anything() });
      expect(item).not.toHaveProperty('slackAlertedAt');
    }
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);

    // The next run has nothing new (changes mode), but the digest Slack refused is still pending: sent once.
    const second = (await organizationRun('run-2')) as { notifications: Record<string, unknown> };
    expect(second.notifications).toEqual({
      slack: { status: 'sent', messages: 1 },
      sns: { status: 'skipped', reason: 'nothing new or resolved since the last audit' },
    });
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]).toEqual(slack.requests[0]);
    for (const account of ACCOUNTS) {
      expect(await stateItem(account.Id, FINDING)).toMatchObject({ slackAlertedAt: expect.anything() });
    }

    // And not again.
    await organizationRun('run-3');
    expect(slack.requests).toHaveLength(2);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it("routes a team's findings to the team's own webhook, and the rest to the default channel", async () => {
    environment({ TEAMS: JSON.stringify({ payments: { webhookSecretArn: TEAM_SECRET_ARN } }) });

    const result = (await organizationRun('run-1')) as { notifications: Record<string, unknown> };

    expect(result.notifications).toMatchObject({ slack: { status: 'sent' }, sns: { status: 'sent' } });
    // Before: organization mode ignored team routes; everything went to the default channel.
    expect(teamSlack.requests).toHaveLength(1);
    expect(JSON.stringify(teamSlack.requests)).toContain(PAYMENTS_KEY);
    expect(JSON.stringify(teamSlack.requests)).not.toContain('AKIADEPLOY0000000001');
    expect(JSON.stringify(slack.requests)).toContain('AKIADEPLOY0000000001');
    expect(JSON.stringify(slack.requests)).not.toContain(PAYMENTS_KEY);
    expect(teamSlack.violations).toEqual([]);
    expect(slack.violations).toEqual([]);
  });

  it('follows notifyMode: in changes mode a run with nothing new posts nothing', async () => {
    environment({ NOTIFY_MODE: 'changes' });
    await organizationRun('run-1');
    expect(slack.requests).toHaveLength(1);
    // Before: organization mode posted the full digest every day whatever the notify mode.
    const second = (await organizationRun('run-2')) as { notifications: Record<string, unknown> };
    expect(second.notifications).toEqual({
      slack: { status: 'skipped', reason: 'nothing new or resolved since the last audit' },
      sns: { status: 'skipped', reason: 'nothing new or resolved since the last audit' },
    });
    expect(slack.requests).toHaveLength(1);
  });
});

describe("an organization run's full report", () => {
  const REPORT = {
    REPORT_BUCKET_NAME: 'acme-audit-reports',
    REPORT_KEY_PREFIX: 'iam-key-audit/',
    REPORT_BUCKET_REGION: 'eu-west-2',
    REPORT_BUCKET_OWNER: '999999999999',
  };
  const KEY = /^iam-key-audit\/organization\/\d{4}\/\d{2}\/\d{2}\/[0-9TZ.]+-run-report\.(json|csv)$/;

  beforeEach(() => {
    s3Mock.reset();
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
  });

  it('is written once, by the notify step, under organization/, and linked from the digest', async () => {
    environment(REPORT);

    const result = (await organizationRun('run-report')) as { fullReport: { status: string } };

    const puts = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts.map((input) => input.Key)).toEqual([expect.stringMatching(KEY), expect.stringMatching(KEY)]);
    expect(puts.map((input) => input.Key!.split('.').pop())).toEqual(['json', 'csv']);
    const written = JSON.parse(puts[0]!.Body as string) as {
      runId: string;
      accounts: { accountId: string }[];
    };
    expect(written.runId).toBe('run-report');
    expect(written.accounts.map((a) => a.accountId).sort()).toEqual(ACCOUNTS.map((a) => a.Id));
    expect(puts[1]!.Body).toContain('AKIADEPLOY0000000001');
    expect(result.fullReport.status).toBe('written');
    expect(JSON.stringify(slack.requests)).toContain('|open in the S3 console>');
  });

  it('that cannot be written: the digest says so and is sent, then the step fails', async () => {
    environment(REPORT);
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    await expect(organizationRun('run-report')).rejects.toThrow(
      /^the organization digest was sent, but could not write the audit report to s3:\/\/acme-audit-reports\/iam-key-audit\/organization\/.*AccessDenied/,
    );
    expect(slack.requests).toHaveLength(1);
    expect(JSON.stringify(slack.requests)).toContain("The run's full report could not be written this time");
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });
});
