/**
 * The benchmark's baseline: the naive per-user strategy an audit script would use without the credential
 * report. ListUsers (pages of 1,000, the most IAM allows), then for every user ListAccessKeys, GetAccessKeyLastUsed
 * for each key and ListUserTags; root from GetAccountSummary alone. Same SDK clients, same concurrency and the
 * same pure rules and report as the engine, so that the two reports can be compared finding by finding.
 *
 * It talks to the SDK directly rather than through `IamGateway`, so it is an independent reading of the account.
 */
import {
  GetAccessKeyLastUsedCommand,
  GetAccountSummaryCommand,
  paginateListAccessKeys,
  paginateListAccountAliases,
  paginateListUserTags,
  paginateListUsers,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AuditConfig } from '../lambdas/audit/config';
import { mapWithConcurrency } from '../lambdas/audit/concurrency';
import { buildReport, type AuditReport } from '../lambdas/audit/domain/report';
import { applyPolicies } from '../lambdas/audit/domain/policies';
import { evaluateRoot, evaluateUser } from '../lambdas/audit/domain/rules';
import type { AccessKey, Finding, LastUsed, RootKey } from '../lambdas/audit/domain/types';

export interface NaiveAuditDeps {
  iam: IAMClient;
  sts: STSClient;
  config: AuditConfig;
}

/** The naive audit's user pages: ListUsers' maximum, so the baseline makes as few list calls as it can. */
const LIST_USERS_PAGE_SIZE = 1000;

function isNoSuchEntity(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'NoSuchEntity' || name === 'NoSuchEntityException';
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`IAM returned no ${what}`);
  return value;
}

async function listUserNames(iam: IAMClient): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListUsers({ client: iam, pageSize: LIST_USERS_PAGE_SIZE }, {})) {
    for (const user of page.Users ?? []) names.push(required(user.UserName, 'user name'));
  }
  return names;
}

async function lastUsedOf(iam: IAMClient, accessKeyId: string): Promise<LastUsed | null> {
  const { AccessKeyLastUsed: used } = await iam.send(
    new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
  );
  if (!used?.LastUsedDate) return null;
  const orNull = (value: string | undefined) => (value === undefined || value === 'N/A' ? null : value);
  return {
    date: used.LastUsedDate.toISOString(),
    service: orNull(used.ServiceName),
    region: orNull(used.Region),
  };
}

/** One user's findings and key count, or null when the user was deleted while the audit ran. */
async function auditUser(
  deps: NaiveAuditDeps,
  userName: string,
  now: Date,
): Promise<{ keys: number; findings: Finding[]; tags: Record<string, string> } | null> {
  try {
    const keys: AccessKey[] = [];
    for await (const page of paginateListAccessKeys({ client: deps.iam }, { UserName: userName })) {
      for (const meta of page.AccessKeyMetadata ?? []) {
        const accessKeyId = required(meta.AccessKeyId, 'access key id');
        const status = meta.Status === 'Active' ? 'Active' : 'Inactive';
        const createdAt = required(meta.CreateDate, 'key creation date').toISOString();
        keys.push({ accessKeyId, status, createdAt, lastUsed: await lastUsedOf(deps.iam, accessKeyId) });
      }
    }
    const tags: Record<string, string> = {};
    for await (const page of paginateListUserTags({ client: deps.iam }, { UserName: userName })) {
      for (const tag of page.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    }
    return {
      keys: keys.length,
      findings: evaluateUser({ userName, keys, tags }, now, deps.config.settings),
      tags,
    };
  } catch (error) {
    if (isNoSuchEntity(error)) return null;
    throw error;
  }
}

/** Whether root holds an access key, from GetAccountSummary (which says neither its status nor its age). */
async function rootKeys(iam: IAMClient): Promise<RootKey[]> {
  const summary = await iam.send(new GetAccountSummaryCommand({}));
  return (summary.SummaryMap?.AccountAccessKeysPresent ?? 0) > 0
    ? [{ active: null, createdAt: null, lastUsed: null }]
    : [];
}

async function accountAlias(iam: IAMClient): Promise<string | null> {
  for await (const page of paginateListAccountAliases({ client: iam }, {})) {
    const alias = page.AccountAliases?.[0];
    if (alias) return alias;
  }
  return null;
}

/** Audits the whole account user by user, every value read live. */
export async function runNaiveAudit(deps: NaiveAuditDeps, now: Date): Promise<AuditReport> {
  const [identity, alias, userNames] = await Promise.all([
    deps.sts.send(new GetCallerIdentityCommand({})),
    accountAlias(deps.iam),
    listUserNames(deps.iam),
  ]);
  const audits = await mapWithConcurrency(userNames, deps.config.concurrency, (userName) =>
    auditUser(deps, userName, now),
  );
  const found = audits.filter((audit) => audit !== null);
  const root = evaluateRoot(await rootKeys(deps.iam), now, deps.config.settings);
  // The same pure policy step as the engine (exemptions from tags, owners), on the tags it read per user.
  const users = userNames.flatMap((userName, i) => (audits[i] ? [{ userName, tags: audits[i].tags }] : []));
  const { alerting, exempted } = applyPolicies(
    [...root, ...found.flatMap((audit) => audit.findings)],
    users,
    now,
    deps.config,
  );
  return buildReport({
    now,
    accountId: required(identity.Account, 'account id'),
    accountAlias: alias,
    scope: { type: 'account' },
    dryRun: true,
    source: { type: 'live', reason: 'naive per-user baseline (benchmark)' },
    thresholds: deps.config.settings.thresholds,
    usersScanned: found.length,
    keysScanned: found.reduce((sum, audit) => sum + audit.keys, 0),
    findings: alerting,
    exempted,
  });
}
