/**
 * What a correct audit of a synthetic account finds, and what the call budget allows, computed straight
 * from the in-memory account with the same pure rules (no IAM call): the oracle both strategies are checked against.
 */
import type { AuditConfig } from '../lambdas/audit/config';
import { applyPolicies } from '../lambdas/audit/domain/policies';
import { evaluateRoot, evaluateUser, keysNeedingLastUse } from '../lambdas/audit/domain/rules';
import type { AccessKey, Finding, IamUser, RuleSettings } from '../lambdas/audit/domain/types';
import type { FakeAccessKey, FakeIamAccount, FakeLastUsed } from '../tools/fake-iam/account';

export interface ExpectedAudit {
  users: number;
  keys: number;
  /** Users with at least one finding (root excluded). */
  flaggedUsers: number;
  /** Keys of flagged users whose verdict depends on their last use (`keysNeedingLastUse`). */
  keysNeedingLastUse: number;
  /**
   * Of those, the keys whose verdict a more recent use than the credential report shows could still change:
   * the GetAccessKeyLastUsed calls left if the report's last use were trusted where it settles the verdict.
   */
  keysReportCannotSettle: number;
  findings: Finding[];
}

const lastUsed = (used: FakeLastUsed | undefined) =>
  used ? { date: used.date.toISOString(), service: used.service, region: used.region } : null;

const toKey = (key: FakeAccessKey): AccessKey => ({
  accessKeyId: key.accessKeyId,
  status: key.status,
  createdAt: key.createDate.toISOString(),
  lastUsed: lastUsed(key.lastUsed),
});

/** What identifies a finding's verdict: rule, user, key and, for two keys, the rotation step. */
export function verdictOf(finding: Finding): string {
  const keys = finding.accessKeyId ?? (finding.keys ?? []).map((key) => key.accessKeyId).join('+');
  return [finding.rule, finding.userName, keys, finding.rotationStep ?? ''].join(' ');
}

/**
 * True when a use of `key` more recent than the one it shows could change the user's verdicts. Rules only ever
 * compare a last use against a threshold, so a use at `now` (the most recent there can be) is the test.
 */
function verdictCanChange(user: IamUser, key: AccessKey, now: Date, settings: RuleSettings): boolean {
  const verdicts = (u: IamUser) => evaluateUser(u, now, settings).map(verdictOf).join('\n');
  const usedNow: IamUser = {
    ...user,
    keys: user.keys.map((k) =>
      k === key ? { ...k, lastUsed: { date: now.toISOString(), service: null, region: null } } : k,
    ),
  };
  return verdicts(user) !== verdicts(usedNow);
}

/** What the audit of `account` must find: the rules, then the same policy step (exemptions, owners) as the engine. */
export function expectedAudit(account: FakeIamAccount, now: Date, config: AuditConfig): ExpectedAudit {
  const { settings } = config;
  const users: IamUser[] = [];
  const findings: Finding[] = evaluateRoot(
    account.root.keys.map((key) => ({
      active: key.active,
      createdAt: key.createDate.toISOString(),
      lastUsed: lastUsed(key.lastUsed),
    })),
    now,
    settings,
  );
  let keys = 0;
  let flaggedUsers = 0;
  let needing = 0;
  let unsettled = 0;
  for (const fake of account.users()) {
    const tags = Object.fromEntries(fake.tags.map((tag) => [tag.Key, tag.Value]));
    const user: IamUser = { userName: fake.userName, keys: fake.keys.map(toKey), tags };
    users.push(user);
    keys += user.keys.length;
    const userFindings = evaluateUser(user, now, settings);
    if (userFindings.length === 0) continue;
    flaggedUsers += 1;
    findings.push(...userFindings);
    const needs = keysNeedingLastUse(user.keys, now, settings);
    needing += needs.length;
    unsettled += needs.filter((key) => verdictCanChange(user, key, now, settings)).length;
  }
  return {
    users: account.userCount,
    keys,
    flaggedUsers,
    keysNeedingLastUse: needing,
    keysReportCannotSettle: unsettled,
    findings: applyPolicies(findings, users, now, config).alerting,
  };
}
