/**
 * The demo's audit without the fake IAM server: the sample account's users through the production stage's rules and
 * policies, and an in-memory state store, as `npm run demo` has them. For the tests of what the demo shows.
 */
import { STAGES } from '../../bin/stages';
import { validateAuditConfig } from '../../lambdas/audit/config';
import type { OpenFindingState } from '../../lambdas/audit/domain/changes';
import { applyPolicies } from '../../lambdas/audit/domain/policies';
import { buildReport, type AuditReport } from '../../lambdas/audit/domain/report';
import { evaluateRoot, evaluateUser } from '../../lambdas/audit/domain/rules';
import { DAY_MS } from '../../lambdas/audit/domain/time';
import type { AccessKey, IamUser } from '../../lambdas/audit/domain/types';
import type { StatePort } from '../../lambdas/audit/track-changes';
import type { FakeIamAccount, FakeUser } from '../../tools/fake-iam/account';

/** The production stage's validated configuration: the demo renders with it. */
export const productionConfig = validateAuditConfig(
  STAGES.find((s) => s.stage === 'production')!.audit ?? {},
);

/** The fake's user as the domain sees it. */
export function toDomainUser(user: FakeUser): IamUser {
  return {
    userName: user.userName,
    keys: user.keys.map((key): AccessKey => ({
      accessKeyId: key.accessKeyId,
      status: key.status,
      createdAt: key.createDate.toISOString(),
      lastUsed: key.lastUsed
        ? {
            date: key.lastUsed.date.toISOString(),
            service: key.lastUsed.service,
            region: key.lastUsed.region,
          }
        : null,
    })),
    tags: Object.fromEntries(user.tags.map((tag) => [tag.Key, tag.Value])),
  };
}

/** The report an audit of `account` at `now` gives (a 400-day-old root key included, as the demo's account has). */
export function auditDemoAccount(account: FakeIamAccount, now: Date): AuditReport {
  const config = productionConfig;
  const users = [...account.users()].map(toDomainUser);
  const findings = [
    ...evaluateRoot(
      [{ active: true, createdAt: new Date(now.getTime() - 400 * DAY_MS).toISOString(), lastUsed: null }],
      now,
      config.settings,
    ),
    ...users.flatMap((u) => evaluateUser(u, now, config.settings)),
  ];
  const { alerting, exempted } = applyPolicies(findings, users, now, config);
  return buildReport({
    now,
    accountId: account.accountId,
    accountAlias: 'acme-staging',
    scope: { type: 'account' },
    dryRun: false,
    source: { type: 'credential-report', generatedAt: now.toISOString() },
    thresholds: config.settings.thresholds,
    usersScanned: users.length,
    keysScanned: users.reduce((n, u) => n + u.keys.length, 0),
    findings: alerting,
    exempted,
  });
}

/** The state store in memory: what the table holds between two audits. */
export function memoryStateStore(): StatePort & { states: Map<string, OpenFindingState> } {
  const states = new Map<string, OpenFindingState>();
  return {
    states,
    load: async () => [...states.values()],
    save: async (_accountId, upserts, deletes) => {
      deletes.forEach((id) => states.delete(id));
      upserts.forEach((state) => states.set(state.id, state));
    },
    markAlerted: async (_accountId, ids, channel, at) => {
      ids.forEach((id) => {
        const state = states.get(id);
        if (state)
          states.set(id, { ...state, alertedAt: { ...state.alertedAt, [channel]: at.toISOString() } });
      });
    },
  };
}
