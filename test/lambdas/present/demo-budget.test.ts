/**
 * The demo's digests (the sample account, with the production stage's thresholds, day one and day two as
 * `npm run demo` builds them) stay under 4,000 characters: the rules and the digest, without the fake IAM server.
 */
import { STAGES } from '../../../bin/stages';
import { validateAuditConfig } from '../../../lambdas/audit/config';
import type { OpenFindingState } from '../../../lambdas/audit/domain/changes';
import { applyPolicies } from '../../../lambdas/audit/domain/policies';
import { buildReport, type AuditReport } from '../../../lambdas/audit/domain/report';
import { evaluateRoot, evaluateUser } from '../../../lambdas/audit/domain/rules';
import { DAY_MS } from '../../../lambdas/audit/domain/time';
import type { AccessKey, IamUser } from '../../../lambdas/audit/domain/types';
import { buildSlackDigest } from '../../../lambdas/audit/present/slack';
import { checkSlackLimits, type SlackMessage } from '../../../lambdas/audit/present/slack-blocks';
import { trackChanges, type StatePort } from '../../../lambdas/audit/track-changes';
import type { FakeIamAccount, FakeUser } from '../../../tools/fake-iam/account';
import { buildSampleAccount } from '../../../tools/fake-iam/sample-account';
import { NOW } from '../../support/builders';

function toDomainUser(user: FakeUser): IamUser {
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

const production = STAGES.find((s) => s.stage === 'production')!;
const config = validateAuditConfig(production.audit ?? {});

function audit(account: FakeIamAccount, now: Date): AuditReport {
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

const chars = (m: SlackMessage) =>
  m.blocks.reduce((n, b) => {
    const x = b as { text?: { text: string }; elements?: { text: string }[] };
    return n + (x.text?.text.length ?? 0) + (x.elements ?? []).reduce((k, e) => k + e.text.length, 0);
  }, 0);

test("the demo's day-one and day-two digests are each one message under 4,000 characters", async () => {
  const states = new Map<string, OpenFindingState>();
  const store: StatePort = {
    load: async () => [...states.values()],
    save: async (_a, upserts, deletes) => {
      deletes.forEach((id) => states.delete(id));
      upserts.forEach((s) => states.set(s.id, s));
    },
    markAlerted: async (_a, ids, channel, at) => {
      ids.forEach((id) => {
        const state = states.get(id);
        if (state)
          states.set(id, { ...state, alertedAt: { ...state.alertedAt, [channel]: at.toISOString() } });
      });
    },
  };
  const yesterday = new Date(NOW.getTime() - DAY_MS);
  const one = await trackChanges(audit(buildSampleAccount(yesterday), yesterday), store, yesterday, {
    escalationDays: 14,
  });
  await one.commit();
  const two = await trackChanges(audit(buildSampleAccount(NOW), NOW), store, NOW, { escalationDays: 14 });
  for (const report of [one.report, two.report]) {
    const messages = buildSlackDigest(report, { clean: config.notifyOnClean });
    expect(messages).toHaveLength(1);
    expect(checkSlackLimits(messages[0]!)).toEqual([]);
    expect(chars(messages[0]!)).toBeLessThan(4000);
  }
});
