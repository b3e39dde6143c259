/**
 * The three steps of an organization run, each one invocation of the audit function from the state machine:
 * list the accounts; audit one account (assuming its read-only role) and store its result under the run; read
 * every result back, aggregate, and notify once. One account's failure is that account's result, never the run's.
 *
 * They go through the same pipeline as a single-account run (`pipeline.ts`): the audit step holds the account's
 * lease and writes what the audit saw (never "alerted"); the notify step holds the organization's lease, sends
 * what is pending and the organization digest through the outbox, and marks each account's findings alerted on a
 * channel only once that channel accepted the digest. Team routes and the notify mode apply as in single mode.
 *
 * The full report: the notify step writes the run's, once (`<prefix>organization/<date>/<time>-<run id>`: every
 * account, failed ones too, with the findings each account's result keeps), with the function's own credentials,
 * before the digest that links to it. The audit step writes none.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { AwsClients } from '../adapters/aws-clients';
import { IamGateway } from '../adapters/iam';
import type { AuditConfig } from '../config';
import { ORGANIZATION_REPORT_FOLDER } from '../adapters/report-location';
import type { NotificationResults } from '../domain/notification';
import type { FullReportResult } from '../domain/report';
import { buildOrganizationCsv } from '../present/csv';
import { audit, type AuditOutcome } from '../engine';
import { saveKeyIndex, type KeyIndexPort } from '../adapters/key-index-store';
import { planOrganization, slackNotConfigured, type Channels } from '../notify';
import {
  deliverAndCommit,
  isBusy,
  pipelineDepsOf,
  ORGANIZATION_SCOPE,
  reportNotifyOptions,
  withLease,
  writeFullReport,
  type Busy,
  type DeliveryOutcome,
  type DeliveryPort,
  type PipelineDeps,
  type ReportPort,
  type RunContext,
} from '../pipeline';
import { trackChanges, type StatePort } from '../track-changes';
import { buildOrganizationReport, failedAccountResult, toAccountResult } from './account-result';
import { listAuditableAccounts, requireListed, reuseFor } from './accounts';
import { assumeAuditRole } from './assume-role';
import type { OrganizationConfig } from './config';
import type { RunStore } from './run-store';
import type { AccountResult, OrganizationReport, OrgAccount } from '../domain/organization';

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
  /** The lease and the outbox (the state table); absent in tests that do not need them. */
  delivery?: DeliveryPort;
  /** The key index (issue 15): loaded before each account's audit, saved after its state is committed. */
  keyIndex?: KeyIndexPort;
  /** Where the run's full report goes (with the function's own credentials); absent when it is off. */
  reports?: ReportPort;
  channels: Channels;
  /** The audit function's name, for the re-audit commands the digest prints. */
  functionName?: string;
  /** Told when the lease could not be taken or given back (the handler logs it). */
  warn?: PipelineDeps['warn'];
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

/** How long a container reuses the organization's listing for {@link requireListedAccount}. */
export const LISTING_MAX_AGE_MS = 5 * 60_000;
const listings = new WeakMap<OrganizationDeps, () => Promise<OrgAccount[]>>();

/**
 * The data perimeter: `accountId` (a manual invoke's or a step's) must be one that {@link listAccounts} lists,
 * checked before any AssumeRole into it; throws `AccountNotListedError` otherwise. The listing is reused for
 * {@link LISTING_MAX_AGE_MS}.
 */
export async function requireListedAccount(deps: OrganizationDeps, accountId: string): Promise<void> {
  let listing = listings.get(deps);
  if (!listing) {
    listing = reuseFor(LISTING_MAX_AGE_MS, () => listAccounts(deps));
    listings.set(deps, listing);
  }
  requireListed(await listing(), accountId);
}

/**
 * Audits one member account through its read-only role, with its key index; the caller decides what to do with
 * the report, and saves the returned index (`saveKeyIndex`) where it commits the state.
 */
export async function auditAccount(
  deps: OrganizationDeps,
  accountId: string,
  request: { now: Date; users?: string[]; dryRun?: boolean },
  shouldStop?: () => boolean,
): Promise<AuditOutcome> {
  await requireListedAccount(deps, accountId);
  const credentials = await assumeAuditRole(deps.sts, {
    accountId,
    roleName: deps.org.accountRoleName,
    externalId: deps.org.externalId,
  });
  const keyIndex = await deps.keyIndex?.load(accountId);
  return audit(
    { iam: IamGateway.fromClients(deps.clientsFor(credentials)), config: deps.config, shouldStop },
    { ...request, ...(keyIndex && { keyIndex }) },
  );
}

function describe(error: unknown): string {
  const e = error as Error;
  return e.name === 'AccountAccessError' ? e.message : `${e.name}: ${e.message}`;
}

/** A run context for callers that have none (tests): the real clock, 15 minutes. */
function defaultContext(now: Date): RunContext {
  return {
    runId: `run-${now.getTime()}`,
    realNow: now,
    deadlineMs: now.getTime() + 14 * 60_000,
    leaseUntil: new Date(now.getTime() + 16 * 60_000),
  };
}

/**
 * Step 2: audits one account and stores its result under the run; a failure (role missing, AccessDenied,
 * throttled) becomes the account's failed result, and so does another run holding the account's lease. The
 * state records what the audit saw; the findings are marked alerted only by the notify step, once delivered.
 * Returns only what the Map needs.
 */
export async function auditAccountStep(
  deps: OrganizationDeps,
  input: { runId: string; accountId: string; accountName: string },
  now: Date,
  shouldStop?: () => boolean,
  context: RunContext = defaultContext(now),
): Promise<{ accountId: string; status: AccountResult['status']; error?: string }> {
  const account: OrgAccount = { accountId: input.accountId, name: input.accountName };
  let result: AccountResult;
  try {
    // The data perimeter first: nothing is written or assumed for an account the organization does not list.
    await requireListedAccount(deps, input.accountId);
    const audited = await withLease(
      deps.delivery,
      input.accountId,
      context,
      async () => {
        const { report, keyIndex } = await auditAccount(deps, input.accountId, { now }, shouldStop);
        const tracked = await trackChanges(report, deps.state, now, {
          escalationDays: deps.config.escalationDays,
        });
        const stateError = (await tracked.commit()) ?? tracked.report.changes?.stateError;
        const keyIndexSaveError = await saveKeyIndex(deps.keyIndex, report.accountId, keyIndex, now);
        if (keyIndexSaveError)
          deps.warn?.('key index not saved', { accountId: input.accountId, keyIndexSaveError });
        const changes = tracked.report.changes;
        return {
          ...toAccountResult(tracked.report, account),
          ...(changes
            ? {
                changes: {
                  newFindings: changes.newFindings,
                  resolved: changes.resolved.length,
                  ...(stateError ? { stateError } : {}),
                },
              }
            : {}),
        };
      },
      false,
      deps.warn,
    );
    result = isBusy(audited) ? failedAccountResult(account, busyMessage(audited), now) : audited;
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

/** What a run says when another holds the lease of its scope. */
export function busyMessage(busy: Busy): string {
  const until = busy.held.until ? ` until ${busy.held.until}` : '';
  return `another run of ${busy.scope} holds its lease${until}; this one ended without auditing or sending anything`;
}

/**
 * Step 3: reads every account's result, builds the organization report and sends it through the pipeline, once,
 * holding the organization's lease; each account's findings are marked alerted on a channel only once that
 * channel accepted the digest.
 */
export async function notifyStep(
  deps: OrganizationDeps,
  runId: string,
  now: Date,
  context: RunContext = defaultContext(now),
): Promise<
  | {
      report: OrganizationReport;
      notifications: NotificationResults;
      delivery: DeliveryOutcome;
      fullReport: FullReportResult;
    }
  | Busy
> {
  return withLease(
    deps.delivery,
    ORGANIZATION_SCOPE,
    context,
    async () => {
      const [accounts, results] = await Promise.all([listAccounts(deps), deps.runs.list(runId)]);
      const report = buildOrganizationReport(runId, now, accounts, results);
      const pipeline = pipelineDepsOf(deps);
      const fullReport = await writeFullReport(
        deps.reports,
        { accountId: ORGANIZATION_REPORT_FOLDER, auditedAt: report.auditedAt, runId, scope: 'account' },
        () => ({ json: `${JSON.stringify(report, null, 2)}\n`, csv: buildOrganizationCsv(report) }),
      );
      const planned = planOrganization(report, deps.channels, {
        ...pipeline.notify,
        ...reportNotifyOptions(fullReport),
        dryRun: false,
        now,
        slackNotConfigured: await slackNotConfigured(deps.channels, pipeline.notify.teams),
      });
      const delivery = await deliverAndCommit(ORGANIZATION_SCOPE, planned, pipeline, context);
      return { report, notifications: delivery.notifications, delivery, fullReport };
    },
    false,
    deps.warn,
  );
}
