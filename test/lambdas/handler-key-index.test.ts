/** The handler's key index wiring (issue 15): one load before the audit, one save after the state commit. */
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as lambdaHandler, resetRuntime } from '../../lambdas/audit/handler';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { daysAgo, key, user } from '../support/builders';
import { accountOf, serveAccount } from '../support/iam-mock';
import { lambdaContext } from '../support/lambda-context';

const dynamodb = mockClient(DynamoDBDocumentClient);
const handler = (event: unknown) => lambdaHandler(event, lambdaContext()) as Promise<AuditReport>;
const ENV = { ...process.env };

beforeEach(() => {
  process.env = {
    ...ENV,
    CREDENTIAL_REPORT_WAIT_SECONDS: '0',
    STATE_TABLE_NAME: 'audit-state',
    AWS_REGION: 'eu-west-2',
  };
  resetRuntime();
  dynamodb.reset();
  dynamodb.on(QueryCommand).resolves({ Items: [] });
  dynamodb.on(PutCommand).resolves({});
  serveAccount(
    accountOf([
      user({
        userName: 'alice',
        keys: [key({ accessKeyId: 'AKIAALICE00000000001', createdAt: daysAgo(100) })],
      }),
    ]),
  );
});

afterAll(() => {
  process.env = ENV;
});

const keyIndexQueries = () =>
  dynamodb
    .commandCalls(QueryCommand)
    .filter((call) => String(call.args[0].input.ExpressionAttributeValues?.[':pk']).startsWith('keyindex#'));
const keyIndexWrites = () =>
  dynamodb
    .commandCalls(PutCommand)
    .map((call) => call.args[0].input.Item)
    .filter((item) => String(item?.pk).startsWith('keyindex#'));

describe('the handler and the key index', () => {
  it('loads the index before a scheduled audit and saves the new one (its shard, then its header)', async () => {
    const report = await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    expect(report.source.verification).toMatchObject({ live: 1, keyIndex: 'not used: no key index yet' });
    expect(keyIndexQueries().length).toBeGreaterThanOrEqual(1);
    const writes = keyIndexWrites().map((item) => item?.sk);
    expect(writes).toEqual([expect.stringMatching(/^shard#/), 'header']);
    expect(JSON.stringify(keyIndexWrites())).toContain('AKIAALICE00000000001');
  });

  it('a dry run reads the index and writes none', async () => {
    const report = await handler({ dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(keyIndexQueries().length).toBeGreaterThanOrEqual(1);
    expect(keyIndexWrites()).toEqual([]);
  });
});
