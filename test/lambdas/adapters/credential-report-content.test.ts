import { GetCredentialReportCommand, GetUserCommand } from '@aws-sdk/client-iam';
import { createAwsClients } from '../../../lambdas/audit/adapters/aws-clients';
import { renderCredentialReport } from '../../../tools/fake-iam/credential-report';
import { buildSyntheticAccount } from '../../../tools/fake-iam/sample-account';
import { startFakeIamServer, type FakeIamServer } from '../../../tools/fake-iam/server';

const NOW = new Date('2026-11-28T09:00:00Z');
let server: FakeIamServer;

afterEach(() => server.close());

async function clientsFor(users: number) {
  const account = buildSyntheticAccount({ users, flaggedShare: 0.2, now: NOW, seed: 11 });
  account.generateCredentialReport(NOW);
  server = await startFakeIamServer(account, { now: () => NOW });
  const clients = createAwsClients({
    maxAttempts: 2,
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' },
  });
  return { account, clients };
}

describe('the credential report content, taken out before the SDK parses the response', () => {
  it('arrives byte for byte, for 3,000 users', async () => {
    const { account, clients } = await clientsFor(3000);
    const report = await clients.reportIam.send(new GetCredentialReportCommand({}));
    const csv = Buffer.from(report.Content!).toString('utf8');
    expect(csv).toBe(account.credentialReport!.csv);
    expect(csv).toBe(renderCredentialReport(account));
    expect(report.GeneratedTime).toEqual(NOW);
    expect(report.ReportFormat).toBe('text/csv');
  });

  it('leaves other calls and error answers to the SDK', async () => {
    const { clients } = await clientsFor(5);
    await expect(clients.reportIam.send(new GetUserCommand({ UserName: 'nobody' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
    server.account.credentialReport = undefined;
    await expect(clients.reportIam.send(new GetCredentialReportCommand({}))).rejects.toMatchObject({
      name: 'CredentialReportNotPresentException',
    });
  });
});
