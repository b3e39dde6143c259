import 'aws-sdk-client-mock-jest';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsClients } from '../../../lambdas/audit/adapters/aws-clients';
import { validateAuditConfig } from '../../../lambdas/audit/config';
import type { SlackMessage } from '../../../lambdas/audit/present/slack-blocks';
import type { SnsMessage } from '../../../lambdas/audit/present/sns';
import {
  auditAccountStep,
  listAccountsStep,
  notifyStep,
  type OrganizationDeps,
} from '../../../lambdas/audit/organization/steps';
import type { AccountResult } from '../../../lambdas/audit/domain/organization';
import { daysAgo, key, NOW, user } from '../../support/builders';
import { accountOf, serveAccount, serviceError, stsMock as sts } from '../../support/iam-mock';

const org = mockClient(OrganizationsClient);
const READER = 'arn:aws:iam::999999999999:role/IamKeyAuditorOrganizationReader';
const CREDENTIALS = {
  AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  SecretAccessKey: 'do-not-show-this-secret',
  SessionToken: 'do-not-show-this-session',
  Expiration: new Date('2026-11-28T10:00:00Z'),
};

function accounts(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    Id: String(100000000000 + i),
    Name: `account-${String(i).padStart(3, '0')}`,
    State: 'ACTIVE' as const,
  }));
}

function deps() {
  const stored = new Map<string, AccountResult>();
  const posted: SlackMessage[][] = [];
  const published: SnsMessage[] = [];
  const value: OrganizationDeps = {
    config: validateAuditConfig({ reportWaitSeconds: 0 }),
    org: {
      accountRoleName: 'IamKeyAuditorReadOnly',
      readerRoleArn: READER,
      externalId: 'iam-key-auditor-ext-1',
    },
    sts: new STSClient({ region: 'us-east-1' }),
    clientsFor: (credentials) => createAwsClients({ maxAttempts: 1, credentials }),
    organizationsFor: (credentials) => new OrganizationsClient({ region: 'us-east-1', credentials }),
    runs: {
      put: async (_runId, result) => void stored.set(result.accountId, result),
      list: async () => [...stored.values()],
    },
    channels: {
      slack: {
        webhookUrl: async () => 'https://hooks.slack.com/services/T0/B0/x',
        post: async (_url, messages) => {
          posted.push(messages);
          return { sent: messages.length };
        },
      },
      sns: {
        publish: async (message) => {
          published.push(message);
          return { messageId: 'm-1' };
        },
      },
    },
    functionName: 'iam-key-auditor-production',
  };
  return { value, stored, posted, published };
}

beforeEach(() => {
  org.reset();
  // Every member account holds one user with a key 120 days old.
  const deployBot = user({
    userName: 'deploy-bot',
    keys: [key({ accessKeyId: 'AKIADEPLOY0000000001', createdAt: daysAgo(120) })],
  });
  serveAccount(accountOf([deployBot]));
  sts.on(AssumeRoleCommand).resolves({ Credentials: CREDENTIALS });
});

/** Audits one account, STS answering as that account (the mock cannot tell credentials apart). */
function auditAs(value: OrganizationDeps, account: { Id: string; Name: string }) {
  sts.on(GetCallerIdentityCommand).resolves({ Account: account.Id });
  return auditAccountStep(value, { runId: 'run-1', accountId: account.Id, accountName: account.Name }, NOW);
}

describe('an organization run', () => {
  it('lists the ACTIVE accounts through the reader role, 20 a page, for 300 accounts', async () => {
    const all = accounts(300);
    org.on(ListAccountsCommand).callsFake((input: { NextToken?: string }) => {
      const start = Number(input.NextToken ?? 0);
      const page = all.slice(start, start + 20);
      return { Accounts: page, ...(start + 20 < all.length ? { NextToken: String(start + 20) } : {}) };
    });
    const { value } = deps();
    const listed = await listAccountsStep(value, 'run-1');
    expect(listed.count).toBe(300);
    expect(listed.accounts[0]).toEqual({ accountId: '100000000000', accountName: 'account-000' });
    expect(org).toHaveReceivedCommandTimes(ListAccountsCommand, 15);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: READER,
      ExternalId: 'iam-key-auditor-ext-1',
    });
  });

  it("audits each account through its role, and records a missing role as that account's failure only", async () => {
    org.on(ListAccountsCommand).resolves({ Accounts: accounts(3) });
    sts
      .on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::100000000001:role/IamKeyAuditorReadOnly' })
      .rejects(serviceError('AccessDenied'));
    const { value, stored } = deps();
    const results = [];
    for (const account of accounts(3)) results.push(await auditAs(value, account));
    expect(results.map((r) => r.status)).toEqual(['audited', 'failed', 'audited']);
    expect(results[1]?.error).toMatch(
      /cannot assume arn:aws:iam::100000000001:role\/IamKeyAuditorReadOnly in account 100000000001: AccessDenied/,
    );
    expect(stored.get('100000000000')?.findings.map((f) => f.rule)).toEqual(['key-too-old']);
    expect(JSON.stringify([...stored.values()])).not.toMatch(/do-not-show/);
  });

  it('never assumes a role in an account the organization does not list, and lists once for many accounts', async () => {
    org.on(ListAccountsCommand).resolves({ Accounts: accounts(2) });
    const { value, stored } = deps();
    const outside = { Id: '999988887777', Name: 'elsewhere' };
    const results = [];
    for (const account of [...accounts(2), outside]) results.push(await auditAs(value, account));
    expect(results.map((r) => r.status)).toEqual(['audited', 'audited', 'failed']);
    expect(results[2]?.error).toMatch(
      /AccountNotListedError: account 999988887777 is not one the organization lists/,
    );
    expect(sts).not.toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::999988887777:role/IamKeyAuditorReadOnly',
    });
    expect(org).toHaveReceivedCommandTimes(ListAccountsCommand, 1);
    expect(stored.get('999988887777')?.status).toBe('failed');
  });

  it('aggregates every stored result, reports an account without one as failed, and notifies once', async () => {
    const all = accounts(3);
    org.on(ListAccountsCommand).resolves({ Accounts: all });
    const { value, posted, published } = deps();
    await auditAs(value, all[0]!);
    await auditAs(value, all[1]!);
    const notified = await notifyStep(value, 'run-1', NOW);
    if ('busy' in notified) throw new Error('no lease is taken without a delivery store');
    const { report, notifications } = notified;
    expect(report.summary).toMatchObject({ accounts: 3, accountsAudited: 2, accountsFailed: 1, findings: 2 });
    expect(report.accounts.find((a) => a.accountId === all[2]!.Id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/no result/),
    });
    expect(notifications).toEqual({
      slack: { status: 'sent', messages: posted[0]!.length },
      sns: { status: 'sent', messages: 1, detail: 'm-1' },
    });
    expect(published[0]?.subject).toMatch(/in 3 accounts \(1 failed\)/);
    expect(JSON.stringify(posted)).toContain('--function-name iam-key-auditor-production');
  });
});

describe('the key index of each member account (issue 15)', () => {
  it("is loaded before the account's audit and the one the audit returns is saved after its state", async () => {
    const { value } = deps();
    const loaded: string[] = [];
    const saved: { accountId: string; users: string[] }[] = [];
    value.keyIndex = {
      load: async (accountId) => {
        loaded.push(accountId);
        return { status: 'missing' };
      },
      save: async (accountId, index) => void saved.push({ accountId, users: [...index.users.keys()] }),
    };
    const [first] = accounts(1);
    org.on(ListAccountsCommand).resolves({ Accounts: [first!] });
    await auditAs(value, first!);
    expect(loaded).toEqual([first!.Id]);
    expect(saved).toEqual([{ accountId: first!.Id, users: ['deploy-bot'] }]);
  });
});
