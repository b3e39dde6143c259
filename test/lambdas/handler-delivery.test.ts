/**
 * Issue 11, case by case, against the real handler: the state table in dynalite, Slack through the real
 * `@slack/webhook` client to a local server, SNS and Secrets Manager through the shared SDK mocks, IAM through the
 * in-memory account. Each case failed on the code before the pipeline (see the comment on each).
 */
import { DeleteItemCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetUserCommand } from '@aws-sdk/client-iam';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { leasePartitionKey, LEASE_SORT_KEY } from '../../lambdas/audit/adapters/delivery-store';
import { PARTITION_KEY, SORT_KEY } from '../../lambdas/audit/adapters/state-table-keys';
import { WEBHOOK_NOT_CONFIGURED } from '../../lambdas/audit/domain/patterns';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { handler as lambdaHandler, type RunSkipped } from '../../lambdas/audit/handler';
import { ACCOUNT_ID, daysAgo } from '../support/builders';
import { useDeliveryEnvironment } from '../support/delivery-environment';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { accountOf, iamMock, serveAccount, type MockUser } from '../support/iam-mock';
import { lambdaContext } from '../support/lambda-context';
import { SLACK, startSlackServer, type SlackServer } from '../support/slack-server';
import { metricsWritten } from '../support/metrics';

const handler = (event: unknown, context = lambdaContext()) =>
  lambdaHandler(event, context) as Promise<AuditReport | RunSkipped>;

const TOPIC_ARN = 'arn:aws:sns:eu-west-2:123456789012:iam-key-audit-findings';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:iam-key-auditor/slack-AbC123';
const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
const ALICE_KEY = 'AKIAALICE00000000001';

// Slack's pacing (one message a second) is real here: a three-message digest takes seconds.
jest.setTimeout(30_000);

const snsMock = mockClient(SNSClient);
const secretsMock = mockClient(SecretsManagerClient);
const ENV = { ...process.env };
let db: Dynalite;
let slack: SlackServer;
let table: string;
let tables = 0;

/**
 * alice with a key 120 days old, and `extra` more users each with one (for multi-message digests). Theirs are
 * service users with long names and described keys (a user tag keyed by the key's id, as IAM stores a key's
 * description), so that each of their findings takes a long line and a few users fill a message.
 */
function users(extra = 0, aliceKeyAgeDays = 120): MockUser[] {
  return [
    {
      userName: 'alice',
      keys: [
        {
          accessKeyId: ALICE_KEY,
          status: 'Active',
          createdAt: daysAgo(aliceKeyAgeDays),
          lastUsed: { date: daysAgo(1), service: 's3', region: 'eu-west-2' },
        },
      ],
    },
    ...Array.from({ length: extra }, (_, i) => ({
      userName: `svc-${String(i).padStart(3, '0')}-nightly-export-to-the-reporting-bucket`,
      tags: {
        [`AKIASVC${String(i).padStart(13, '0')}`]: `reporting export ${i}, deployed by the data pipeline`,
      },
      keys: [
        {
          accessKeyId: `AKIASVC${String(i).padStart(13, '0')}`,
          status: 'Active' as const,
          createdAt: daysAgo(100),
          lastUsed: { date: daysAgo(1), service: 's3', region: 'eu-west-2' },
        },
      ],
    })),
  ];
}

function environment(extra: Record<string, string> = {}): void {
  useDeliveryEnvironment(
    ENV,
    { topicArn: TOPIC_ARN, secretArn: SECRET_ARN, table, dynamoDbEndpoint: db.endpoint },
    extra,
  );
}

async function stateItem(id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await db.client.send(
    new GetItemCommand({
      TableName: table,
      Key: { [PARTITION_KEY]: { S: ACCOUNT_ID }, [SORT_KEY]: { S: id } },
    }),
  );
  return Item;
}

async function openFindingIds(): Promise<string[]> {
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      ExpressionAttributeValues: { ':pk': { S: ACCOUNT_ID } },
      ConsistentRead: true,
    }),
  );
  return Items.filter((item) => !item.resolvedAt).map((item) => item[SORT_KEY]!.S!);
}

const publishes = () => snsMock.commandCalls(PublishCommand).length;
const ALICE_FINDING = `key-too-old|alice|${ALICE_KEY}`;

beforeAll(async () => {
  db = await startDynalite();
  slack = await startSlackServer();
});

afterAll(async () => {
  await slack.close();
  await db.close();
  process.env = ENV;
});

beforeEach(async () => {
  tables += 1;
  table = `audit-state-${tables}`;
  await db.createTable(table);
  environment();
  serveAccount(accountOf(users()));
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'sns-message-1' });
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: slack.url });
  slack.requests.length = 0;
  slack.setResponses([]);
});

describe('case 1: a finding counts as alerted on a channel only once that channel accepted it', () => {
  it('both channels down, then a re-run in changes mode: delivered exactly once', async () => {
    environment({ NOTIFY_MODE: 'changes' });
    slack.setResponses([SLACK.noService]);
    snsMock
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }))
      .resolves({ MessageId: 'sns-message-2' });

    await expect(handler(SCHEDULED)).rejects.toThrow(/slack failed .*no_service.*sns failed/);
    expect(await stateItem(ALICE_FINDING)).not.toHaveProperty('slackAlertedAt');

    // Before: "skipped: nothing new or resolved", and the findings stayed unannounced until the full digest.
    const rerun = (await handler({})) as AuditReport;
    expect(rerun.notifications).toEqual({
      slack: { status: 'sent', messages: 1 },
      sns: { status: 'sent', messages: 1, detail: 'sns-message-2' },
    });
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]).toEqual(slack.requests[0]);
    expect(publishes()).toBe(2);
    expect(await stateItem(ALICE_FINDING)).toMatchObject({
      slackAlertedAt: expect.anything(),
      snsAlertedAt: expect.anything(),
    });

    // And never again: the next run has nothing new, and nothing pending.
    const third = (await handler(SCHEDULED)) as AuditReport;
    expect(third.notifications?.slack).toEqual({
      status: 'skipped',
      reason: 'nothing new or resolved since the last audit',
    });
    expect(slack.requests).toHaveLength(2);
    expect(publishes()).toBe(2);
  });

  it.each(['daily', 'changes'])(
    'Slack failing on message 2 of 3, then a re-run in %s mode: only the missing parts are sent',
    async (mode) => {
      // Every finding in full (no cap), so that the day-one digest of 140 users takes 3 messages.
      environment({ NOTIFY_MODE: mode, MAX_FINDING_LINES: '1000' });
      serveAccount(accountOf(users(139)));
      slack.setResponses([SLACK.ok, SLACK.actionProhibited]);

      await expect(handler(SCHEDULED)).rejects.toThrow(/message 2 of 3/);
      const first = slack.requests.slice();
      expect(first).toHaveLength(2);
      expect(metricsWritten()).toEqual(expect.arrayContaining([{ name: 'DeliveryPending', value: 2 }]));

      // Before: daily mode posted all 3 again (1 twice); changes mode never posted 2 and 3.
      const rerun = (await handler({})) as AuditReport;
      expect(rerun.notifications?.slack).toEqual({ status: 'sent', messages: 2 });
      expect(slack.requests).toHaveLength(4);
      expect(slack.requests.slice(2)).toEqual([first[1], expect.anything()]);
      expect(JSON.stringify(slack.requests[3])).not.toEqual(JSON.stringify(first[0]));
      expect(slack.violations).toEqual([]);
      // SNS accepted its message on the first run: it is not published again.
      expect(publishes()).toBe(1);
    },
  );
});

describe('case 2: now is for dry runs', () => {
  it('rejects now without dryRun before anything is read, written or sent', async () => {
    // Before: it posted "2 resolved" for findings still open and rewrote their first-seen dates.
    await expect(handler({ now: daysAgo(200) })).rejects.toThrow(/"now" is only for a dry run/);
    await expect(handler({ now: '1970-01-01T00:00:00Z', dryRun: true })).rejects.toThrow(
      /"now" must be from 2006-01-01/,
    );
    expect(slack.requests).toEqual([]);
    expect(publishes()).toBe(0);
    expect(await openFindingIds()).toEqual([]);
  });

  it('a dry run with now writes no state and sends nothing', async () => {
    const report = (await handler({ now: daysAgo(30), dryRun: true })) as AuditReport;
    expect(report.auditedAt).toBe(daysAgo(30));
    expect(await openFindingIds()).toEqual([]);
    expect(slack.requests).toEqual([]);
  });
});

describe('case 3: one run at a time per account; state writes never go back in time', () => {
  it('two runs at once: one digest, and the second ends at once with a metric, not an error', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    secretsMock.on(GetSecretValueCommand).callsFake(async () => {
      await gate;
      return { SecretString: slack.url };
    });

    const first = handler(SCHEDULED);
    // The first run holds the lease and waits for the webhook secret, about to post.
    while (secretsMock.commandCalls(GetSecretValueCommand).length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Before: the second run posted the same digest.
    const second = await handler(SCHEDULED, lambdaContext({ awsRequestId: 'second-invocation' }));
    expect(second).toEqual({
      status: 'skipped',
      reason: expect.stringMatching(
        /another run of 123456789012 holds its lease.*without .*sending anything/,
      ),
    });
    expect(metricsWritten()).toEqual(expect.arrayContaining([{ name: 'RunSkipped', value: 1 }]));
    open();
    await first;
    expect(slack.requests).toHaveLength(1);
    expect(publishes()).toBe(1);
    // The lease is given back after the commit.
    const { Item } = await db.client.send(
      new GetItemCommand({
        TableName: table,
        Key: { [PARTITION_KEY]: { S: leasePartitionKey(ACCOUNT_ID) }, [SORT_KEY]: { S: LEASE_SORT_KEY } },
      }),
    );
    expect(Item).toBeUndefined();
  });

  it('a slower run whose lease expired cannot bring back a finding a manual re-audit resolved', async () => {
    await handler(SCHEDULED);
    expect(await openFindingIds()).toContain(ALICE_FINDING);

    // The slow full run stops at its first state write (it has read alice's old key and her open state).
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let held = false;
    const send = DynamoDBDocumentClient.prototype.send;
    jest.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(async function (
      this: DynamoDBDocumentClient,
      command: unknown,
    ) {
      const stateWrite =
        (command instanceof PutCommand && command.input.Item?.[PARTITION_KEY] === ACCOUNT_ID) ||
        command instanceof BatchWriteCommand;
      if (stateWrite && !held) {
        held = true;
        await gate;
      }
      return (send as (c: unknown) => Promise<unknown>).call(this, command);
    } as never);
    const slow = handler(SCHEDULED, lambdaContext({ awsRequestId: 'slow-run' }));
    while (!held) await new Promise((resolve) => setImmediate(resolve));

    // Its lease expires (here: removed, as time would), alice rotates, and a manual re-audit resolves her.
    await db.client.send(
      new DeleteItemCommand({
        TableName: table,
        Key: { [PARTITION_KEY]: { S: leasePartitionKey(ACCOUNT_ID) }, [SORT_KEY]: { S: LEASE_SORT_KEY } },
      }),
    );
    serveAccount(accountOf(users(0, 1)));
    const manual = (await handler(
      { users: ['alice'] },
      lambdaContext({ awsRequestId: 'manual-run' }),
    )) as AuditReport;
    expect(manual.changes?.resolved.map((r) => r.userName)).toEqual(['alice']);

    open();
    await slow;
    // Before: the slow run wrote alice's finding back, and the next run announced "resolved" again.
    expect(await openFindingIds()).not.toContain(ALICE_FINDING);
    const next = (await handler(SCHEDULED)) as AuditReport;
    expect(next.changes?.resolved).toEqual([]);
  });
});

describe('case 4: delivery has a deadline', () => {
  it('Slack asking Retry-After: 60 on every message: the run ends in time, state committed, failure counted', async () => {
    const context = lambdaContext({ getRemainingTimeInMillis: () => 60_000 });
    const rateLimited = await startSlackServer(() => SLACK.rateLimited(60));
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: rateLimited.url });
    try {
      // Before: the function waited 60 s per retry (up to 1,927 s) and was killed mid-post.
      const error = (await handler(SCHEDULED, context).catch((e: unknown) => e)) as Error;
      expect(error.name).toBe('NotificationError');
      expect(error.message).toMatch(/slack failed .*deadline/);
      expect(rateLimited.requests).toHaveLength(1);
    } finally {
      await rateLimited.close();
    }
    expect(await openFindingIds()).toEqual([ALICE_FINDING]);
    expect(await stateItem(ALICE_FINDING)).toMatchObject({ snsAlertedAt: expect.anything() });
    expect(await stateItem(ALICE_FINDING)).not.toHaveProperty('slackAlertedAt');
    expect(metricsWritten()).toEqual(
      expect.arrayContaining([
        { name: 'NotificationFailed', value: 1, dimension: 'slack' },
        { name: 'NotificationFailed', value: 0, dimension: 'sns' },
        { name: 'DeliveryPending', value: 1 },
      ]),
    );

    // Slack answers again: the pending digest goes out once, SNS is not repeated.
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: slack.url });
    environment();
    const rerun = (await handler({})) as AuditReport;
    expect(rerun.notifications?.slack).toEqual({ status: 'sent', messages: 1 });
    expect(slack.requests).toHaveLength(1);
    expect(publishes()).toBe(1);
  });
});

describe('case 6: user names as IAM spells them', () => {
  it('a re-audit of "ALICE" tracks and resolves alice', async () => {
    await handler(SCHEDULED);
    // IAM matches user names without regard to case, and answers with its own spelling.
    iamMock
      .on(GetUserCommand, { UserName: 'ALICE' })
      .resolves({ User: { UserName: 'alice', Tags: [] } as never });

    // Before: alice's tracked finding showed as new, and after rotation nothing was resolved.
    const again = (await handler({ users: ['ALICE'] })) as AuditReport;
    expect(again.findings.map((f) => [f.userName, f.isNew])).toEqual([['alice', false]]);

    serveAccount(accountOf(users(0, 1)));
    iamMock
      .on(GetUserCommand, { UserName: 'ALICE' })
      .resolves({ User: { UserName: 'alice', Tags: [] } as never });
    const rotated = (await handler({ users: ['ALICE'] })) as AuditReport;
    expect(rotated.changes?.resolved.map((r) => r.userName)).toEqual(['alice']);
    expect(await openFindingIds()).toEqual([]);
  });
});

describe('case 7: a fresh deploy, whose webhook secret still holds the not-configured marker', () => {
  const reason =
    'not configured yet: put the URL with ' +
    `\`aws secretsmanager put-secret-value --secret-id ${SECRET_ARN} --secret-string https://hooks.slack.com/…\``;

  it('plans Slack as skipped, so nothing waits in the outbox for it; once the URL is in, the digest goes out', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: WEBHOOK_NOT_CONFIGURED });
    const first = (await handler(SCHEDULED)) as AuditReport;
    expect(first.notifications).toEqual({
      slack: { status: 'skipped', reason },
      sns: { status: 'sent', messages: 1, detail: 'sns-message-1' },
    });
    expect(slack.requests).toEqual([]);
    expect(metricsWritten()).toEqual(
      expect.arrayContaining([
        { name: 'NotificationFailed', value: 0, dimension: 'slack' },
        { name: 'DeliveryPending', value: 0 },
      ]),
    );
    expect(await stateItem(ALICE_FINDING)).toMatchObject({ snsAlertedAt: expect.anything() });
    expect(await stateItem(ALICE_FINDING)).not.toHaveProperty('slackAlertedAt');

    // The URL is put in (a new container: the marker is no longer cached): the next run posts, SNS as usual.
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: slack.url });
    environment();
    const second = (await handler(SCHEDULED)) as AuditReport;
    expect(second.notifications?.slack).toEqual({ status: 'sent', messages: 1 });
    expect(slack.requests).toHaveLength(1);
    expect(await stateItem(ALICE_FINDING)).toMatchObject({ slackAlertedAt: expect.anything() });
  });
});
