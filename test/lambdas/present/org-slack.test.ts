import type { ContextBlock, HeaderBlock, SectionBlock } from '@slack/types';
import { buildOrganizationDigest } from '../../../lambdas/audit/present/org-slack';
import type { AuditReport } from '../../../lambdas/audit/domain/report';
import { evaluateRoot } from '../../../lambdas/audit/domain/rules';
import { checkSlackLimits, type SlackMessage } from '../../../lambdas/audit/present/slack-blocks';
import { SEVERITIES, type Finding, type IamUser } from '../../../lambdas/audit/domain/types';
import type { AccountResult } from '../../../lambdas/audit/domain/organization';
import {
  accountId,
  capped,
  failedAccount,
  fromReport,
  organization,
  usersWithFindings,
} from '../../support/organization';
import { daysAgo, key, NOW, reportOfUsers, settings, user } from '../../support/builders';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: accounts audited by the real rules and report builder.

/** An audited account: the report of `users` (plus `extra` findings) as the account's result. */
function audited(
  accountName: string,
  accountId: string,
  users: IamUser[],
  extra: Finding[] = [],
  partial: Partial<AccountResult> = {},
): AccountResult {
  const base = reportOfUsers(users, { accountId, accountAlias: accountName });
  const report: AuditReport = extra.length
    ? reportOfUsers(users, { accountId, accountAlias: accountName, findings: [...base.findings, ...extra] })
    : base;
  return fromReport(accountName, report, partial);
}

const rootFindings = evaluateRoot(
  [{ active: true, createdAt: daysAgo(400), lastUsed: null }],
  NOW,
  settings(),
);

const sections = (message: SlackMessage): string[] =>
  message.blocks.filter((b): b is SectionBlock => b.type === 'section').map((b) => b.text?.text ?? '');

const headerOf = (message: SlackMessage): string =>
  (message.blocks.find((b): b is HeaderBlock => b.type === 'header')?.text.text ?? '') as string;

const contexts = (message: SlackMessage): string[] =>
  message.blocks
    .filter((b): b is ContextBlock => b.type === 'context')
    .flatMap((b) => b.elements.map((e) => ('text' in e ? e.text : '')));

const mrkdwnOf = (messages: SlackMessage[]): string =>
  messages.flatMap((m) => [...sections(m), ...contexts(m)]).join('\n');

/** How many findings the messages show in full: each has its action on a `  → ` line. */
const findingsShown = (messages: SlackMessage[]): number =>
  messages.reduce((n, m) => n + sections(m).join('\n').split('\n  → ').length - 1, 0);

const expectWithinLimits = (messages: SlackMessage[]) => {
  for (const message of messages) expect(checkSlackLimits(message)).toEqual([]);
};

/** `(1/N)` … `(N/N)` at the end of each header, in order. */
const expectNumbered = (messages: SlackMessage[], title: string) => {
  messages.forEach((m, i) => {
    expect(headerOf(m)).toBe(`${title} (${i + 1}/${messages.length})`);
    expect(m.text.endsWith(` (${i + 1}/${messages.length})`)).toBe(true);
  });
};

// ---------------------------------------------------------------------------------------------------------

describe('buildOrganizationDigest: a clean organization', () => {
  const report = organization([
    audited('prod', accountId(1), [user()]),
    audited('staging', accountId(2), [user(), user({ userName: 'bob' })]),
    audited('sandbox', accountId(3), []),
  ]);

  test('posts nothing when silent', () => {
    expect(buildOrganizationDigest(report, { clean: 'silent' })).toEqual([]);
  });

  test('posts one healthy line otherwise', () => {
    const messages = buildOrganizationDigest(report, { clean: 'healthy-message' });
    expect(messages).toHaveLength(1);
    expectWithinLimits(messages);
    expect(mrkdwnOf(messages)).toContain(
      ':white_check_mark: All 3 keys in 3 accounts of the organization healthy: nothing to do.',
    );
    expect(messages[0]!.text).toBe('IAM key audit of the organization: healthy (3 accounts, 3 keys)');
  });

  test('a failed account is not clean, even when silent', () => {
    const withFailure = organization([
      ...report.accounts,
      failedAccount('legacy', accountId(4), 'AccessDenied'),
    ]);
    const messages = buildOrganizationDigest(withFailure, { clean: 'silent' });
    expect(messages).toHaveLength(1);
    expect(mrkdwnOf(messages)).toContain('*No findings* in 4 accounts (3 audited, *1 failed*)');
    expect(mrkdwnOf(messages)).toContain('`legacy` (`100000000004`): AccessDenied');
  });
});

describe('buildOrganizationDigest: three accounts with findings and one failed', () => {
  const hostile =
    '<!channel> AssumeRole denied for *everyone* <https://evil.example|click> & more\nsecond line';
  const prod = audited(
    'prod',
    accountId(1),
    [
      ...usersWithFindings(3, 'prod'),
      user({
        userName: 'ses-smtp-user.20250101',
        keys: [key({ accessKeyId: 'AKIASES0000000000001', createdAt: daysAgo(120) })],
      }),
    ],
    rootFindings,
  );
  const staging = audited('staging', accountId(2), usersWithFindings(2, 'staging'));
  staging.findings = staging.findings.map((f, i) => (i === 0 ? { ...f, owner: 'platform' } : f));
  const sandbox = capped(audited('sandbox <@U123>', accountId(3), usersWithFindings(12, 'sandbox')), 4);
  const clean = audited('clean', accountId(5), [user()]);
  const report = organization([
    sandbox,
    staging,
    failedAccount('legacy *ops*', accountId(4), hostile),
    clean,
    prod,
  ]);
  const messages = buildOrganizationDigest(report, { clean: 'silent', functionName: 'iam-key-auditor-org' });
  const text = mrkdwnOf(messages);

  test('is one message within the limits, headed "IAM key audit of the organization"', () => {
    expect(messages).toHaveLength(1);
    expectWithinLimits(messages);
    expect(headerOf(messages[0]!)).toBe('IAM key audit of the organization');
  });

  test('opens with the counts across accounts', () => {
    const { summary } = report;
    expect(summary.bySeverity.critical).toBe(1);
    const severities = SEVERITIES.filter((s) => summary.bySeverity[s] > 0)
      .map((s) => `*${summary.bySeverity[s]} ${s}*`)
      .join(' · ');
    expect(sections(messages[0]!)[0]).toBe(
      `*${summary.findings} findings* in 5 accounts (4 audited, *1 failed*): ${severities}\n` +
        `Scanned ${summary.usersScanned} users and ${summary.keysScanned} keys.\n` +
        ':warning: 8 findings of 1 account are not in its results (each keeps its most severe): ' +
        'that account says how to re-audit by hand.',
    );
    expect(contexts(messages[0]!)).toEqual(['Run `run-2026-11-28`', `Audited ${NOW.toISOString()}`]);
    expect(messages[0]!.text).toBe(
      `IAM key audit of the organization: ${summary.findings} findings (1 critical, ` +
        `${summary.bySeverity.high} high, ${summary.bySeverity.medium} medium, ${summary.bySeverity.low} low) ` +
        'in 5 accounts, 1 failed',
    );
  });

  test('lists the failed account with its error, escaped: no mention, no link, no formatting', () => {
    expect(text).toContain(
      '• `legacy *ops*` (`100000000004`): &lt;!channel&gt; AssumeRole denied for ∗everyone∗ ' +
        '&lt;https://evil.example|click&gt; &amp; more second line',
    );
    const json = JSON.stringify(messages);
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<https://evil.example');
    expect(json).not.toContain('<@U123>');
  });

  test('leads with one line per account with findings, most severe first, named by name and id', () => {
    const lines = sections(messages[0]!)
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('• :office:'));
    expect(lines).toEqual([
      expect.stringMatching(
        /^• :office: \*Account\* `prod` \(`100000000001`\): \*5 findings\*: \*1 critical\* · \*2 high\* · \*1 medium\* · \*1 low\*$/,
      ),
      expect.stringMatching(
        /^• :office: \*Account\* `sandbox &lt;@U123&gt;` \(`100000000003`\): \*12 findings\*/,
      ),
      expect.stringMatching(
        /^• :office: \*Account\* `staging` \(`100000000002`\): \*2 findings\*: \*1 high\* · \*1 medium\*$/,
      ),
    ]);
    expect(text).toContain(':white_check_mark: *No findings* in 1 account: `clean (100000000005)`');
  });

  test('without a state store, then shows the most severe findings across accounts, each with its action', () => {
    expect(text).toContain('*Most severe findings*');
    expect(findingsShown(messages)).toBe(
      prod.findings.length + staging.findings.length + sandbox.findings.length,
    );
    expect(text.indexOf('*Critical · root-access-key*')).toBeLessThan(text.indexOf('*High · '));
  });
});

describe('buildOrganizationDigest: 300 accounts of 20 findings', () => {
  const users = usersWithFindings(20);
  const accounts = Array.from({ length: 300 }, (_, i) =>
    audited(`account-${String(i + 1).padStart(3, '0')}`, accountId(i + 1), users),
  );
  const report = organization(accounts);
  const messages = buildOrganizationDigest(report, { clean: 'silent' });

  test('fits in at most 10 messages, each within the limits, numbered', () => {
    expect(messages.length).toBeLessThanOrEqual(10);
    expectWithinLimits(messages);
    if (messages.length > 1) expectNumbered(messages, 'IAM key audit of the organization');
  });

  test('names every account in one line each, and shows at most 50 findings, counting the rest', () => {
    const text = mrkdwnOf(messages);
    for (const account of accounts)
      expect(text).toContain(`\`${account.accountName}\` (\`${account.accountId}\`)`);
    expect(findingsShown(messages)).toBe(50);
    expect(text).toContain(`*and ${(300 * 20 - 50).toLocaleString('en-US')} more*`);
  });

  test('with a state store, shows only the new and escalated findings', () => {
    const tracked = organization(
      accounts.map((a, i) => ({
        ...a,
        findings: a.findings.map((f, j) => ({
          ...f,
          isNew: i === 0 && j < 3,
          escalated: i === 1 && j === 0,
        })),
      })),
    );
    const out = buildOrganizationDigest(tracked, { clean: 'silent' });
    expect(findingsShown(out)).toBe(4);
    expect(mrkdwnOf(out)).toContain(':new: *New and escalated* (4)');
  });
});
