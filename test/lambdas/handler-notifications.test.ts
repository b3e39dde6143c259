import 'aws-sdk-client-mock-jest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as lambdaHandler, resetRuntime } from '../../lambdas/audit/handler';
import { WEBHOOK_NOT_CONFIGURED } from '../../lambdas/audit/domain/patterns';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { NotificationError } from '../../lambdas/audit/notify';
import { accountOf, serveAccount, type MockAccount } from '../support/iam-mock';
import { lambdaContext } from '../support/lambda-context';
import { SLACK, startSlackServer, type SlackServer } from '../support/slack-server';
import { metricsWritten } from '../support/metrics';

/** The handler of a single-account audit, which returns the report. */
const handler = (event: unknown, context: Parameters<typeof lambdaHandler>[1]) =>
  lambdaHandler(event, context) as Promise<AuditReport>;

const NOW = Date.parse('2026-11-28T09:00:00Z');
const ago = (days: number) => new Date(NOW - days * 86_400_000).toISOString();
const TOPIC_ARN = 'arn:aws:sns:eu-west-2:123456789012:iam-key-audit-findings';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:iam-key-auditor/slack-AbC123';
const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

const snsMock = mockClient(SNSClient);
const secretsMock = mockClient(SecretsManagerClient);
let slack: SlackServer;
const ENV = { ...process.env };

function account(findings: boolean): MockAccount {
  return accountOf(
    [
      {
        userName: 'deploy-bot',
        tags: { AKIADEPLOY0000000001: '<!channel> <https://evil.example|click> &amp;' },
        keys: [
          {
            accessKeyId: 'AKIADEPLOY0000000001',
            status: 'Active',
            createdAt: ago(findings ? 120 : 5),
            lastUsed: { date: ago(1), service: 's3', region: 'eu-west-2' },
          },
        ],
      },
    ],
    { alias: 'acme-staging' },
  );
}

/** Everything the function wrote to its logs and metrics, as one string. */
function everythingLogged(): string {
  return (['log', 'info', 'warn', 'debug', 'error'] as const)
    .flatMap((level) => (console[level] as jest.Mock).mock.calls.flat())
    .map((arg) =>
      typeof arg === 'string' ? arg : JSON.stringify(arg, Object.getOwnPropertyNames(arg ?? {})),
    )
    .join('\n');
}

beforeAll(async () => {
  slack = await startSlackServer();
});

afterAll(async () => {
  await slack.close();
  process.env = ENV;
});

beforeEach(() => {
  process.env = {
    ...ENV,
    CREDENTIAL_REPORT_WAIT_SECONDS: '0',
    SNS_TOPIC_ARN: TOPIC_ARN,
    SLACK_WEBHOOK_SECRET_ARN: SECRET_ARN,
  };
  resetRuntime();
  serveAccount(account(true));
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'b5a1c0f6-sns' });
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: slack.url });
  slack.requests.length = 0;
  slack.setResponses([]);
});

describe('the handler sends the report', () => {
  it('to Slack and to SNS, and says so in the report', async () => {
    const report = await handler(SCHEDULED, lambdaContext());
    expect(report.notifications).toEqual({
      slack: { status: 'sent', messages: 1 },
      sns: { status: 'sent', messages: 1, detail: 'b5a1c0f6-sns' },
    });
    expect(slack.requests).toHaveLength(1);
    expect(slack.violations).toEqual([]);
    expect(JSON.stringify(slack.requests[0])).toContain('AKIADEPLOY0000000001');
    // The hostile description arrives as text: no mention, no link.
    expect(JSON.stringify(slack.requests[0])).not.toMatch(/<!channel>|<https:\/\/evil/);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      MessageStructure: 'json',
    });
    expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_ARN });
  });

  it('nowhere on a dry run', async () => {
    const report = await handler({ dryRun: true }, lambdaContext());
    expect(report.notifications).toEqual({
      slack: { status: 'skipped', reason: 'dry run' },
      sns: { status: 'skipped', reason: 'dry run' },
    });
    expect(slack.requests).toEqual([]);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(secretsMock).not.toHaveReceivedCommand(GetSecretValueCommand);
  });

  it('to SNS although Slack rejects the digest, then fails so the alarm sees it', async () => {
    slack.setResponses([SLACK.invalidBlocks]);
    const error = (await handler(SCHEDULED, lambdaContext()).catch((e: unknown) => e)) as NotificationError;
    expect(error).toBeInstanceOf(NotificationError);
    expect(error.results.slack).toEqual({
      status: 'failed',
      reason: expect.stringMatching(/^default channel: invalid_blocks: /),
    });
    expect(error.results.sns.status).toBe('sent');
    expect(slack.requests).toHaveLength(1); // a 400 is not retried
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(metricsWritten()).toEqual(
      expect.arrayContaining([
        { name: 'NotificationFailed', value: 1, dimension: 'slack' },
        { name: 'NotificationFailed', value: 0, dimension: 'sns' },
        { name: 'AuditCompleted', value: 1 },
      ]),
    );
  });

  it('to Slack although SNS is down, then fails', async () => {
    snsMock
      .on(PublishCommand)
      .rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
    await expect(handler(SCHEDULED, lambdaContext())).rejects.toThrow(
      /slack sent; sns failed \(.*NotFoundException/,
    );
    expect(slack.requests).toHaveLength(1);
  });

  it('as one healthy line for a clean audit', async () => {
    serveAccount(account(false));
    const report = await handler(SCHEDULED, lambdaContext());
    expect(report.findings).toEqual([]);
    expect(slack.requests).toHaveLength(1);
    expect(JSON.stringify(slack.requests[0])).toMatch(/healthy/);
  });

  it('never puts the webhook URL in a log line, a metric, the report or an error', async () => {
    const report = await handler(SCHEDULED, lambdaContext());
    slack.setResponses([SLACK.noService]);
    const error = (await handler(SCHEDULED, lambdaContext()).catch((e: unknown) => e)) as Error;
    const seen = [
      everythingLogged(),
      JSON.stringify(report),
      error.message,
      error.stack ?? '',
      JSON.stringify(error),
    ].join('\n');
    expect(seen).toContain('no_service'); // the failure is reported...
    expect(seen).not.toContain(slack.url); // ...but not where it was posted
    expect(seen).not.toContain('/services/T000/B000/XXXX');
  });
});

describe('a fresh deploy, whose webhook secret still holds the not-configured marker', () => {
  const reason =
    'not configured yet: put the URL with ' +
    `\`aws secretsmanager put-secret-value --secret-id ${SECRET_ARN} --secret-string https://hooks.slack.com/…\``;

  beforeEach(() => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: WEBHOOK_NOT_CONFIGURED });
  });

  it('publishes to SNS saying how to configure Slack, reports Slack as not configured, and does not throw', async () => {
    const report = await handler(SCHEDULED, lambdaContext());
    expect(report.notifications).toEqual({
      slack: { status: 'skipped', reason },
      sns: { status: 'sent', messages: 1, detail: 'b5a1c0f6-sns' },
    });
    expect(slack.requests).toEqual([]);
    const [publish] = snsMock.commandCalls(PublishCommand);
    const text = (JSON.parse(publish!.args[0].input.Message!) as { default: string }).default;
    expect(text).toContain(`Slack is ${reason}`);
    expect(text).toContain('AKIADEPLOY0000000001');
  });

  it('says so once in the log, writes no NotificationFailed, and logs no error', async () => {
    await handler(SCHEDULED, lambdaContext());
    expect(everythingLogged().split('not configured yet').length - 1).toBe(1);
    expect((console.error as jest.Mock).mock.calls).toEqual([]);
    expect(metricsWritten()).toEqual(
      expect.arrayContaining([
        { name: 'NotificationFailed', value: 0, dimension: 'slack' },
        { name: 'NotificationFailed', value: 0, dimension: 'sns' },
      ]),
    );
    expect(metricsWritten().filter((m) => m.name === 'NotificationFailed' && m.value > 0)).toEqual([]);
  });

  it('still fails clearly on a URL that is present but malformed', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'hooks.slack.com/services/T0/B0/x' });
    await expect(handler(SCHEDULED, lambdaContext())).rejects.toThrow(
      /slack failed \(default channel: SecretError: the Slack webhook secret .* does not hold a webhook URL/,
    );
  });
});

describe('the handler records the audit', () => {
  it('as one summary log line with the request id, and metrics per rule', async () => {
    await handler(SCHEDULED, lambdaContext());
    const summaries = (console.info as jest.Mock).mock.calls
      .map(([line]) => String(line))
      .filter((line) => line.includes('audit complete'));
    expect(summaries).toHaveLength(1);
    const summary = JSON.parse(summaries[0]!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      level: 'INFO',
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
      summary: { usersScanned: 1, findings: 1 },
      notifications: { slack: { status: 'sent' }, sns: { status: 'sent' } },
    });
    expect(metricsWritten()).toEqual(
      expect.arrayContaining([
        { name: 'AuditCompleted', value: 1 },
        { name: 'UsersScanned', value: 1 },
        { name: 'Findings', value: 1, dimension: 'key-too-old' },
        { name: 'Findings', value: 0, dimension: 'two-keys' },
      ]),
    );
  });

  it("in the namespace and with the service dimension the stack's alarms read", async () => {
    await handler(SCHEDULED, lambdaContext());
    const completed = (console.log as jest.Mock).mock.calls
      .map(([line]) => String(line))
      .find((line) => line.includes('"AuditCompleted"'));
    const blob = JSON.parse(completed!) as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
      service: string;
    };
    expect(blob._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'IamKeyAuditor',
      Dimensions: [['service']],
    });
    expect(blob.service).toBe('iam-key-auditor');
  });

  it('counts no completed audit for a manual re-audit of named users', async () => {
    await handler({ users: ['deploy-bot'] }, lambdaContext());
    expect(metricsWritten().map((m) => m.name)).not.toContain('AuditCompleted');
  });

  it('sends what it found and then fails when it nears the timeout before covering every user', async () => {
    const context = lambdaContext({ getRemainingTimeInMillis: () => 10_000 });
    const error = (await handler(SCHEDULED, context).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('IncompleteAuditError');
    expect(error.message).toMatch(/1 users not audited/);
    expect(slack.requests).toHaveLength(1);
    expect(JSON.stringify(slack.requests[0])).toMatch(/incomplete|not audited/i);
    expect(metricsWritten()).toEqual(expect.arrayContaining([{ name: 'AuditIncomplete', value: 1 }]));
    expect(metricsWritten().map((m) => m.name)).not.toContain('AuditCompleted');
  });

  it('logs a rejected event as an error and sends nothing', async () => {
    await expect(handler({ users: ['not a user'] }, lambdaContext())).rejects.toThrow(
      /invalid IAM user name/,
    );
    expect(slack.requests).toEqual([]);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(String((console.error as jest.Mock).mock.calls.flat()[0])).toContain('audit failed');
  });
});
