import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as lambdaHandler, ReportWriteError, resetRuntime } from '../../lambdas/audit/handler';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { CSV_COLUMNS } from '../../lambdas/audit/present/csv';
import { ConfigError } from '../../lambdas/audit/settings';
import { accountOf, serveAccount } from '../support/iam-mock';
import { lambdaContext } from '../support/lambda-context';
import { SLACK, startSlackServer, type SlackServer } from '../support/slack-server';

/** The handler of a single-account audit, which returns the report. */
const handler = (event: unknown) => lambdaHandler(event, lambdaContext()) as Promise<AuditReport>;

const NOW = Date.parse('2026-11-28T09:00:00Z');
const ago = (days: number) => new Date(NOW - days * 86_400_000).toISOString();
const TOPIC_ARN = 'arn:aws:sns:eu-west-2:123456789012:iam-key-audit-findings';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:iam-key-auditor/slack-AbC123';
const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
const BUCKET = 'acme-audit-reports';
const OWNER = '123456789012';
const REPORT_ENV = {
  REPORT_BUCKET_NAME: BUCKET,
  REPORT_KEY_PREFIX: 'iam-key-audit/',
  REPORT_BUCKET_REGION: 'eu-west-2',
  REPORT_BUCKET_OWNER: OWNER,
};
/** Console URLs of the report objects (any key under the prefix). */
const CONSOLE_URL =
  /https:\/\/eu-west-2\.console\.aws\.amazon\.com\/s3\/object\/acme-audit-reports\?region=eu-west-2&bucketType=general&prefix=iam-key-audit\/\d{12}\/\d{4}\/\d{2}\/\d{2}\/[0-9TZ.]+-account\.csv/;

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const secretsMock = mockClient(SecretsManagerClient);
let slack: SlackServer;
const ENV = { ...process.env };

/** What happened, in order: each PutObject's key, each Slack post and SNS publish. */
let events: string[];

function snsText(): string {
  const [call] = snsMock.commandCalls(PublishCommand);
  return (JSON.parse(call!.args[0].input.Message!) as { default: string }).default;
}

function logged(): string {
  return (['log', 'info', 'warn', 'error'] as const)
    .flatMap((level) => (console[level] as jest.Mock).mock.calls.flat())
    .map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg)))
    .join('\n');
}

beforeAll(async () => {
  // A message Slack accepted is the event (the webhook secret is read earlier, to know Slack is configured).
  slack = await startSlackServer(() => {
    events.push('slack');
    return SLACK.ok;
  });
});

afterAll(async () => {
  await slack.close();
  process.env = ENV;
});

beforeEach(() => {
  process.env = {
    ...ENV,
    ...REPORT_ENV,
    CREDENTIAL_REPORT_WAIT_SECONDS: '0',
    SNS_TOPIC_ARN: TOPIC_ARN,
    SLACK_WEBHOOK_SECRET_ARN: SECRET_ARN,
  };
  resetRuntime();
  serveAccount(
    accountOf([
      {
        userName: 'deploy-bot',
        keys: [
          {
            accessKeyId: 'AKIADEPLOY0000000001',
            status: 'Active',
            createdAt: ago(120),
            lastUsed: { date: ago(1), service: 's3', region: 'eu-west-2' },
          },
        ],
      },
    ]),
  );
  events = [];
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).callsFake((input: { Key: string }) => {
    events.push(`s3 ${input.Key.split('.').pop()}`);
    return { ETag: '"etag"', VersionId: `v-${input.Key.split('.').pop()}` };
  });
  snsMock.reset();
  snsMock.on(PublishCommand).callsFake(() => {
    events.push('sns');
    return { MessageId: 'sns-1' };
  });
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: slack.url });
  slack.requests.length = 0;
  slack.setResponses([]);
});

describe('the full report', () => {
  it('is written as JSON then CSV before anything is sent, to the bucket of its owner', async () => {
    const report = await handler(SCHEDULED);

    expect(events.slice(0, 2)).toEqual(['s3 json', 's3 csv']);
    expect([...events.slice(2)].sort()).toEqual(['slack', 'sns']);
    const [json, csv] = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(json).toMatchObject({
      Bucket: BUCKET,
      ExpectedBucketOwner: OWNER,
      ContentType: 'application/json; charset=utf-8',
    });
    expect(json!.Key).toMatch(/^iam-key-audit\/\d{12}\/\d{4}\/\d{2}\/\d{2}\/[0-9TZ.]+-account\.json$/);
    expect(csv).toMatchObject({ Bucket: BUCKET, ContentType: 'text/csv; charset=utf-8' });
    const written = JSON.parse(json!.Body as string) as AuditReport;
    expect(written.findings.map((f) => f.accessKeyId)).toEqual(['AKIADEPLOY0000000001']);
    expect(written.notifications).toBeUndefined();
    const rows = (csv!.Body as string).trimEnd().split('\r\n');
    expect(rows[0]).toBe(CSV_COLUMNS.join(','));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain('AKIADEPLOY0000000001');

    expect(report.fullReport).toEqual({
      status: 'written',
      json: expect.objectContaining({ bucket: BUCKET, key: json!.Key, versionId: 'v-json' }),
      csv: expect.objectContaining({ bucket: BUCKET, key: csv!.Key, versionId: 'v-csv' }),
    });
  });

  it('is linked from the Slack digest and the SNS text by its console URL, never presigned', async () => {
    const report = await handler(SCHEDULED);

    const csvUrl = report.fullReport?.status === 'written' ? report.fullReport.csv.consoleUrl : undefined;
    expect(csvUrl).toMatch(CONSOLE_URL);
    const posted = JSON.stringify(slack.requests);
    // Slack mrkdwn escapes & in a link's URL as &amp;.
    expect(posted).toContain(`<${csvUrl!.replace(/&/g, '&amp;')}|open in the S3 console>`);
    expect(snsText()).toContain(`Full report (every finding, CSV; the JSON is beside it): ${csvUrl}`);
    expect(`${posted}${snsText()}`).not.toMatch(/X-Amz-Signature|X-Amz-Credential/);
  });

  it('is not written on a dry run', async () => {
    const report = await handler({ dryRun: true, users: ['deploy-bot'] });

    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(report.fullReport).toEqual({ status: 'skipped', reason: 'dry run' });
  });

  it('is not written, and not mentioned, when no bucket is named (report: false)', async () => {
    for (const name of Object.keys(REPORT_ENV)) delete process.env[name];
    resetRuntime();

    const report = await handler(SCHEDULED);

    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(report.fullReport).toEqual({ status: 'skipped', reason: 'not configured' });
    expect(JSON.stringify(slack.requests)).not.toContain('Full report');
    expect(snsText()).not.toContain('Full report');
    expect(report.notifications?.slack.status).toBe('sent');
  });

  describe('that cannot be written', () => {
    beforeEach(() => {
      s3Mock.on(PutObjectCommand).rejects(
        Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        }),
      );
    });

    it('does not stop delivery: the digest and the SNS text say so, then the invocation fails', async () => {
      const run = handler(SCHEDULED);

      await expect(run).rejects.toThrow(ReportWriteError);
      await expect(run).rejects.toThrow(
        /^the report was sent, but could not write the audit report to s3:\/\/acme-audit-reports\/iam-key-audit\/.*\.json: AccessDenied \(HTTP 403\): Access Denied/,
      );
      expect(slack.requests).toHaveLength(1);
      expect(JSON.stringify(slack.requests)).toContain(
        "The full report could not be written this time (the audit function's log says why).",
      );
      expect(snsText()).toContain(
        "Full report: could not be written this time (the audit function's log says why).",
      );
    });

    it('logs why, with the bucket and the key', async () => {
      await handler(SCHEDULED).catch(() => undefined);

      expect(logged()).toMatch(
        /"fullReport": \{\s*"status": "failed",\s*"reason": "could not write the audit report to s3:\/\/acme-audit-reports\/iam-key-audit\/\d{12}\/.*\.json: AccessDenied/,
      );
    });
  });

  it('refuses a bucket name that is not one at cold start, before any AWS call', async () => {
    process.env.REPORT_BUCKET_NAME = 'Not_A_Bucket';
    resetRuntime();

    await expect(handler(SCHEDULED)).rejects.toThrow(ConfigError);
    await expect(handler(SCHEDULED)).rejects.toThrow(/invalid REPORT_BUCKET_NAME/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(events).toEqual([]);
  });
});
