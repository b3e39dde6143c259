import type { ContextBlock, HeaderBlock, SectionBlock } from '@slack/types';
import {
  buildOrganizationDigest,
  MAX_ACCOUNT_MESSAGES_IN_DIGEST,
} from '../../../lambdas/audit/domain/org-digest';
import type { AuditReport } from '../../../lambdas/audit/domain/report';
import { evaluateRoot } from '../../../lambdas/audit/domain/rules';
import {
  checkSlackLimits,
  code,
  formatFinding,
  type SlackMessage,
} from '../../../lambdas/audit/domain/slack-digest';
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

/** How many findings the messages show: each ends its action with `*Action:*`. */
const findingsShown = (messages: SlackMessage[]): number =>
  messages.reduce((n, m) => n + sections(m).join('\n').split('*Action:*').length - 1, 0);

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

  test('then each account with findings, most severe first, named by name and id', () => {
    const headings = sections(messages[0]!).filter((s) => s.startsWith(':office:'));
    expect(headings).toEqual([
      expect.stringMatching(
        /^:office: \*Account\* `prod` \(`100000000001`\): \*5 findings\*: \*1 critical\* · \*2 high\* · \*1 medium\* · \*1 low\*$/,
      ),
      expect.stringMatching(
        /^:office: \*Account\* `sandbox &lt;@U123&gt;` \(`100000000003`\): \*12 findings\*/,
      ),
      expect.stringMatching(
        /^:office: \*Account\* `staging` \(`100000000002`\): \*2 findings\*: \*1 high\* · \*1 medium\*$/,
      ),
    ]);
    expect(text).toContain(':white_check_mark: *No findings* in 1 account: `clean (100000000005)`');
  });

  test("shows each finding as the account's digest does, most severe first", () => {
    for (const account of [prod, staging, sandbox]) {
      const positions = account.findings.map((finding) => {
        const at = text.indexOf(
          formatFinding(finding, 3000, finding.owner ? `Team ${code(finding.owner)}` : null),
        );
        expect(at).toBeGreaterThan(-1);
        return at;
      });
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    expect(findingsShown(messages)).toBe(
      prod.findings.length + staging.findings.length + sandbox.findings.length,
    );
    expect(text).toContain('*CRITICAL · root-access-key*\n*Root account*');
    expect(text).toContain(':warning: *SES SMTP user:*');
    expect(text).toContain('Team `platform`');
  });

  test('an account whose result left findings out says how many, and how to re-audit it by hand', () => {
    expect(text).toContain(
      ":heavy_plus_sign: *and 8 more findings* (the account's result keeps its 4 most severe): " +
        're-audit this account by hand: `aws lambda invoke --function-name iam-key-auditor-org ' +
        `--cli-binary-format raw-in-base64-out --payload '{"accountId":"100000000003","dryRun":true}' report.json\``,
    );
  });
});

describe('buildOrganizationDigest: 300 accounts of 20 findings', () => {
  const users = usersWithFindings(20);
  const accounts = Array.from({ length: 300 }, (_, i) =>
    audited(`account-${String(i + 1).padStart(3, '0')}`, accountId(i + 1), users),
  );
  const report = organization(accounts);
  const messages = buildOrganizationDigest(report, { clean: 'silent' });

  test('every message is within the limits, numbered', () => {
    expect(messages.length).toBeGreaterThan(1);
    expectWithinLimits(messages);
    expectNumbered(messages, 'IAM key audit of the organization');
  });

  test('names every account and drops no finding', () => {
    const text = mrkdwnOf(messages);
    for (const account of accounts)
      expect(text).toContain(`\`${account.accountName}\` (\`${account.accountId}\`)`);
    expect(findingsShown(messages)).toBe(300 * 20);
  });

  test('an account split across messages is named again at the top of the next', () => {
    for (const message of messages.slice(1)) {
      expect(sections(message)[0]).toMatch(/^:office: \*Account\* `account-\d{3}` \(`\d{12}`\)/);
    }
  });
});

describe('buildOrganizationDigest: one account of 2,000 findings', () => {
  const big = audited('big', accountId(1), usersWithFindings(2000));
  const small = audited('small', accountId(2), usersWithFindings(3));
  const report = organization([small, big]);
  const messages = buildOrganizationDigest(report, { clean: 'silent' });
  const digest = messages.filter(
    (m) => headerOf(m).startsWith('IAM key audit of the organization') && !headerOf(m).includes(': big'),
  );
  const own = messages.filter((m) =>
    headerOf(m).startsWith('IAM key audit of the organization: big (100000000001)'),
  );

  test('the big account gets numbered messages of its own, after the digest', () => {
    expect(digest).toHaveLength(1);
    expect(messages[0]).toBe(digest[0]);
    expect(own.length).toBeGreaterThan(MAX_ACCOUNT_MESSAGES_IN_DIGEST);
    expect(digest.length + own.length).toBe(messages.length);
    expectNumbered(own, 'IAM key audit of the organization: big (100000000001)');
    expect(own[0]!.text).toBe(
      `IAM key audit of the organization: big (100000000001): 2,000 findings (1/${own.length})`,
    );
    expectWithinLimits(messages);
  });

  test('the digest names it, says where its findings are, and keeps the small account', () => {
    const text = mrkdwnOf(digest);
    expect(text).toContain(
      `:office: *Account* \`big\` (\`100000000001\`): *2,000 findings*: *500 high* · *500 medium* · *1,000 low*\n` +
        `:arrow_down: In ${own.length} messages of its own, after this digest.`,
    );
    expect(findingsShown(digest)).toBe(3);
  });

  test('its messages hold all its findings, most severe first', () => {
    expect(findingsShown(own)).toBe(2000);
    const labels = mrkdwnOf(own).match(/^\*(HIGH|MEDIUM|LOW) · /gm)!;
    expect(labels).toHaveLength(2000);
    const ranks = labels.map((l) => ['*HIGH · ', '*MEDIUM · ', '*LOW · '].indexOf(l));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
});
