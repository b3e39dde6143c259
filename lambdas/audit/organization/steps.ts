/**
 * The three steps of an organization run, each one invocation of the audit function from the state machine:
 * list the accounts; audit one account (assuming its read-only role) and store its result under the run; read
 * every result back, aggregate, and notify once. One account's failure is that account's result, never the run's.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { AwsClients } from '../adapters/aws-clients';
import { IamGateway } from '../adapters/iam';
import type { AuditConfig } from '../config';
import type { NotificationResults } from '../domain/notification';
import type { AuditReport } from '../domain/report';
import { runAudit } from '../engine';
import { attempt, type Channels } from '../notify';
import { trackChanges, type StatePort } from '../track-changes';
import { buildOrganizationDigest } from '../present/org-slack';
import { buildOrganizationSnsMessage } from '../present/org-sns';
import { buildOrganizationReport, failedAccountResult, toAccountResult } from './account-result';
import { listAuditableAccounts } from './accounts';
import { assumeAuditRole } from './assume-role';
import type { OrganizationConfig } from './config';
import type { RunStore } from './run-store';
import type { AccountResult, OrganizationReport, OrgAccount } from './types';

export interface OrganizationDeps {
  config: AuditConfig;
  org: OrganizationConfig;
  /** STS with the function's own credentials: it assumes the reader and member roles. */
  sts: STSClient;
  /** The AWS clients for one member account, signing with its role's credentials. */
  clientsFor: (credentials: AwsCredentialIdentity) => AwsClients;
  /** An Organizations client signing with the reader role's credentials. */
  organizationsFor: (credentials: AwsCredentialIdentity) => OrganizationsClient;
  runs: Pick<RunStore, 'put' | 'list'>;
  state?: StatePort;
  channels: Channels;
  /** The audit function's name, for the re-audit commands the digest prints. */
  functionName?: string;
}

/** The member accounts to audit: ACTIVE ones, through the reader role, with the include and exclude lists. */
export async function listAccounts(deps: OrganizationDeps): Promise<OrgAccount[]> {
  const [, accountId, roleName] = /^arn:[^:]+:iam::(\d{12}):role\/(.+)$/.exec(deps.org.readerRoleArn) ?? [];
  const credentials = await assumeAuditRole(deps.sts, {
    accountId: accountId!,
    roleName: roleName!,
    externalId: deps.org.externalId,
    partition: deps.org.readerRoleArn.split(':')[1],
  });
  return listAuditableAccounts(deps.organizationsFor(credentials), {
    include: deps.org.include,
    exclude: deps.org.exclude,
  });
}

/** Step 1: the accounts, for the Map state. */
export async function listAccountsStep(deps: OrganizationDeps, runId: string) {
  const accounts = await listAccounts(deps);
  return {
    runId,
    count: accounts.length,
    accounts: accounts.map((a) => ({ accountId: a.accountId, accountName: a.name })),
  };
}

/** Audits one member account through its read-only role; the caller decides what to do with the report. */
export async function auditAccount(
  deps: OrganizationDeps,
  accountId: string,
  request: { now: Date; users?: string[]; dryRun?: boolean },
  shouldStop?: () => boolean,
): Promise<AuditReport> {
  const credentials = await assumeAuditRole(deps.sts, {
    accountId,
    roleName: deps.org.accountRoleName,
    externalId: deps.org.externalId,
  });
  return runAudit(
    { iam: IamGateway.fromClients(deps.clientsFor(credentials)), config: deps.config, shouldStop },
    request,
  );
}

function describe(error: unknown): string {
  const e = error as Error;
  return e.name === 'AccountAccessError' ? e.message : `${e.name}: ${e.message}`;
}

/**
 * Step 2: audits one account and stores its result under the run; a failure (role missing, AccessDenied,
 * throttled) becomes the account's failed result. Returns only what the Map needs.
 */
export async function auditAccountStep(
  deps: OrganizationDeps,
  input: { runId: string; accountId: string; accountName: string },
  now: Date,
  shouldStop?: () => boolean,
): Promise<{ accountId: string; status: AccountResult['status']; error?: string }> {
  const account: OrgAccount = { accountId: input.accountId, name: input.accountName };
  let result: AccountResult;
  try {
    const report = await auditAccount(deps, input.accountId, { now }, shouldStop);
    const tracked = await trackChanges(report, deps.state, now, {
      escalationDays: deps.config.escalationDays,
    });
    // The organization digest goes out at the end of the run; the findings count as alerted from here.
    await tracked.commit(true);
    result = toAccountResult(tracked.report, account);
  } catch (error) {
    result = failedAccountResult(account, describe(error), now);
  }
  await deps.runs.put(input.runId, result);
  return {
    accountId: result.accountId,
    status: result.status,
    ...(result.error ? { error: result.error } : {}),
  };
}

/** Step 3: reads every account's result, builds the organization report and sends it, once, to each channel. */
export async function notifyStep(
  deps: OrganizationDeps,
  runId: string,
  now: Date,
): Promise<{ report: OrganizationReport; notifications: NotificationResults }> {
  const [accounts, results] = await Promise.all([listAccounts(deps), deps.runs.list(runId)]);
  const report = buildOrganizationReport(runId, now, accounts, results);
  const { slack, sns } = deps.channels;
  const clean = deps.config.notifyOnClean;
  const [slackResult, snsResult] = await Promise.all([
    slack
      ? attempt(async () => {
          const messages = buildOrganizationDigest(report, {
            clean,
            functionName: deps.functionName,
            maxFindingLines: deps.config.maxFindingLines,
          });
          if (messages.length === 0) return { status: 'skipped', reason: 'clean audit, set to post nothing' };
          const { sent } = await slack.post(await slack.webhookUrl(), messages);
          return { status: 'sent', messages: sent };
        })
      : { status: 'skipped' as const, reason: 'not configured' },
    sns
      ? attempt(async () => {
          const { messageId } = await sns.publish(
            buildOrganizationSnsMessage(report, deps.functionName ? { functionName: deps.functionName } : {}),
          );
          return { status: 'sent', messages: 1, detail: messageId };
        })
      : { status: 'skipped' as const, reason: 'not configured' },
  ]);
  return { report, notifications: { slack: slackResult, sns: snsResult } };
}
