/**
 * The demo's digests (the sample account, with the production stage's thresholds, day one and day two as
 * `npm run demo` builds them) stay under 4,000 characters: the rules and the digest, without the fake IAM server.
 */
import { DAY_MS } from '../../../lambdas/audit/domain/time';
import { buildSlackDigest } from '../../../lambdas/audit/present/slack';
import { checkSlackLimits, type SlackMessage } from '../../../lambdas/audit/present/slack-blocks';
import { trackChanges } from '../../../lambdas/audit/track-changes';
import { buildSampleAccount } from '../../../tools/fake-iam/sample-account';
import { NOW } from '../../support/builders';
import { auditDemoAccount, memoryStateStore, productionConfig } from '../../support/demo-audit';

const chars = (m: SlackMessage) =>
  m.blocks.reduce((n, b) => {
    const x = b as { text?: { text: string }; elements?: { text: string }[] };
    return n + (x.text?.text.length ?? 0) + (x.elements ?? []).reduce((k, e) => k + e.text.length, 0);
  }, 0);

test("the demo's day-one and day-two digests are each one message under 4,000 characters", async () => {
  const store = memoryStateStore();
  const yesterday = new Date(NOW.getTime() - DAY_MS);
  const one = await trackChanges(
    auditDemoAccount(buildSampleAccount(yesterday), yesterday),
    store,
    yesterday,
    {
      escalationDays: 14,
    },
  );
  await one.commit();
  const two = await trackChanges(auditDemoAccount(buildSampleAccount(NOW), NOW), store, NOW, {
    escalationDays: 14,
  });
  for (const report of [one.report, two.report]) {
    const messages = buildSlackDigest(report, { clean: productionConfig.notifyOnClean });
    expect(messages).toHaveLength(1);
    expect(checkSlackLimits(messages[0]!)).toEqual([]);
    expect(chars(messages[0]!)).toBeLessThan(4000);
  }
});
