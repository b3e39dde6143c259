import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { buildReport, type AuditReport, type ReportInput } from '../../../lambdas/audit/domain/report';
import { evaluateRoot, evaluateUser } from '../../../lambdas/audit/domain/rules';
import {
  buildSlackDigest,
  checkSlackLimits,
  code,
  escapeText,
  formatFinding,
  MAX_BLOCKS_PER_MESSAGE,
  MAX_CONTEXT_ELEMENTS,
  MAX_HEADER_TEXT_CHARS,
  MAX_MESSAGE_TEXT_CHARS,
  MAX_SECTION_TEXT_CHARS,
  type SlackMessage,
} from '../../../lambdas/audit/domain/slack-digest';
import { RULE_IDS, SEVERITIES, type Finding, type IamUser } from '../../../lambdas/audit/domain/types';
import { DEFAULT_RUNBOOK, DEFAULT_THRESHOLDS } from '../../../lambdas/audit/settings';
import { daysAgo, key, NOW, settings, used, user, type SettingsInput } from '../../support/builders';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: reports built by the real rules and report builder.

function reportOf(
  users: IamUser[],
  partial: Partial<ReportInput> = {},
  settingsInput: SettingsInput = {},
): AuditReport {
  const findings = users.flatMap((u) => evaluateUser(u, NOW, settings(settingsInput)));
  return buildReport({
    now: NOW,
    accountId: '123456789012',
    accountAlias: 'prod',
    scope: { type: 'account' },
    dryRun: false,
    source: { type: 'credential-report', generatedAt: '2026-11-28T08:59:00.000Z' },
    thresholds: DEFAULT_THRESHOLDS,
    usersScanned: users.length,
    keysScanned: users.reduce((n, u) => n + u.keys.length, 0),
    findings,
    ...partial,
    ...(partial.findings ? { findings: [...findings, ...partial.findings] } : {}),
  });
}

/** 2,000 users with one finding each, across four rules and three severities. */
function largeReport(count = 2000): AuditReport {
  const users = Array.from({ length: count }, (_, i) => {
    const userName = `user-${String(i + 1).padStart(4, '0')}`;
    const accessKeyId = `AKIA${String(i + 1).padStart(16, '0')}`;
    const description = `service ${i + 1} in the ${['billing', 'search', 'mail', 'ci'][i % 4]} stack`;
    const variants = [
      key({ accessKeyId, createdAt: daysAgo(91), lastUsed: used(1) }), // key-too-old
      key({ accessKeyId, createdAt: daysAgo(60), lastUsed: used(50) }), // key-unused
      key({ accessKeyId, status: 'Inactive', createdAt: daysAgo(10), lastUsed: used(5) }), // inactive-key
      key({ accessKeyId, createdAt: daysAgo(85), lastUsed: used(1) }), // key-expiring
    ];
    return user({ userName, keys: [variants[i % 4]!], tags: { [accessKeyId]: description } });
  });
  return reportOf(users);
}

const sections = (message: SlackMessage): string[] =>
  message.blocks.filter((b): b is SectionBlock => b.type === 'section').map((b) => b.text?.text ?? '');

const headerOf = (message: SlackMessage): string =>
  (message.blocks.find((b): b is HeaderBlock => b.type === 'header')?.text.text ?? '') as string;

const contexts = (message: SlackMessage): string[] =>
  message.blocks
    .filter((b): b is ContextBlock => b.type === 'context')
    .flatMap((b) => b.elements.map((e) => ('text' in e ? e.text : '')));

/** All the mrkdwn of a message: its sections and context elements. */
const mrkdwnOf = (message: SlackMessage): string => [...sections(message), ...contexts(message)].join('\n');

/** The user names of the findings, in the order the messages show them (each finding opens with *`name`*). */
const userNamesShown = (messages: SlackMessage[]): string[] =>
  messages.flatMap((m) => sections(m).flatMap((t) => [...t.matchAll(/^\*`([^`]+)`\*/gm)].map((x) => x[1]!)));

const expectWithinLimits = (messages: SlackMessage[]) => {
  for (const message of messages) expect(checkSlackLimits(message)).toEqual([]);
};

// ---------------------------------------------------------------------------------------------------------

describe('buildSlackDigest: a clean audit', () => {
  const clean = reportOf([user()]);

  test('posts nothing when silent', () => {
    expect(buildSlackDigest(clean, { clean: 'silent' })).toEqual([]);
  });

  test('posts one short "all keys healthy" message in healthy-message mode', () => {
    const report = reportOf([user(), user({ userName: 'bob' }), user({ userName: 'carl' })]);
    const messages = buildSlackDigest(report, { clean: 'healthy-message' });
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe('All 3 keys of prod (123456789012) healthy');
    expect(mrkdwnOf(messages[0]!)).toContain('All 3 keys of `prod` (`123456789012`) healthy');
    expect(mrkdwnOf(messages[0]!)).toContain('credential report generated 2026-11-28T08:59:00.000Z');
    expectWithinLimits(messages);
  });

  test('a healthy message without an alias names the account id', () => {
    const report = reportOf([user()], { accountAlias: null });
    expect(buildSlackDigest(report, { clean: 'healthy-message' })[0]!.text).toBe(
      'The 1 key of 123456789012 healthy',
    );
  });

  test('users not found make the audit not clean, even when silent', () => {
    const report = reportOf([user()], {
      scope: { type: 'users', users: ['alice', 'ghost'] },
      usersNotFound: ['ghost'],
    });
    const messages = buildSlackDigest(report, { clean: 'silent' });
    expect(messages).toHaveLength(1);
    expect(mrkdwnOf(messages[0]!)).toContain('*Not found* (1 user): `ghost`');
    expect(mrkdwnOf(messages[0]!)).toContain('*Manual re-audit* of `alice`, `ghost`');
    expect(mrkdwnOf(messages[0]!)).toContain('*0 findings*');
  });
});

describe('buildSlackDigest: one finding', () => {
  const report = reportOf([
    user({
      userName: 'deploy-bot',
      keys: [key({ accessKeyId: 'AKIADEPLOY0000000001', createdAt: daysAgo(95), lastUsed: used(2) })],
      tags: { AKIADEPLOY0000000001: 'ci pipeline' },
    }),
  ]);
  const messages = buildSlackDigest(report, { clean: 'silent' });
  const [message] = messages;

  test('is one message within the limits, with a fallback text', () => {
    expect(messages).toHaveLength(1);
    expectWithinLimits(messages);
    expect(message!.text).toBe('IAM key audit of prod (123456789012): 1 finding (key-too-old 1)');
  });

  test('the header names the account by alias and id, unnumbered', () => {
    expect(message!.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'IAM key audit: prod (123456789012)', emoji: false },
    });
  });

  test('the summary counts the rules that fired, and says where the data came from', () => {
    const text = mrkdwnOf(message!);
    expect(text).toContain('*1 finding* in 1 user and 1 key of `prod` (`123456789012`): *key-too-old* 1');
    expect(text).not.toContain('key-unused');
    expect(text).toContain('Source: credential report generated 2026-11-28T08:59:00.000Z, verified live');
  });

  test('shows every field of the finding and links to its runbook section', () => {
    const text = sections(message!).join('\n');
    expect(text).toContain('*HIGH · key-too-old*: active keys older than 90 days (1 finding)');
    expect(text).toContain('*`deploy-bot`* · `AKIADEPLOY0000000001` · Active · 95 days old');
    expect(text).toContain('Last use: 2026-11-26 (`s3`, `eu-west-2`)');
    expect(text).toContain('Where used: `ci pipeline`');
    const action = /^\*Action:\* (.*)$/m.exec(text)?.[1] ?? '';
    // The rule's action, word for word, with the key id and the quoted description in inline code.
    expect(action.replace(/`/g, '')).toBe(report.findings[0]!.action);
    expect(action).toMatch(/^Rotate `AKIADEPLOY0000000001`: /);
    expect(action).toContain('(described as "`ci pipeline`")');
    expect(text).toContain(
      `<${DEFAULT_RUNBOOK.url}#3-find-where-the-key-is-used|runbook: find where the key is used>`,
    );
  });
});

describe('buildSlackDigest: how each kind of finding reads', () => {
  const textOf = (report: AuditReport) =>
    sections(buildSlackDigest(report, { clean: 'silent' })[0]!).join('\n');

  test('a key never used, without a description tag', () => {
    const text = textOf(reportOf([user({ keys: [key({ createdAt: daysAgo(60), lastUsed: null })] })]));
    expect(text).toContain('Last use: never used');
    expect(text).toContain('Where used: no description tag');
    expect(text).toContain('|runbook: remove the old key>');
  });

  test('two keys: both keys and the rotation step in words', () => {
    const text = textOf(
      reportOf([
        user({
          userName: 'bob',
          keys: [
            key({ accessKeyId: 'AKIABOB0000000000001', createdAt: daysAgo(80), lastUsed: used(1) }),
            key({ accessKeyId: 'AKIABOB0000000000002', createdAt: daysAgo(3), lastUsed: used(1) }),
          ],
          tags: { AKIABOB0000000000001: 'old laptop' },
        }),
      ]),
    );
    expect(text).toContain(
      '*`bob`* · 2 keys · rotation step: both keys are in use: replace every use of one with the other, then remove it',
    );
    expect(text).toContain(
      '• `AKIABOB0000000000001` · Active · 80 days old · last used 2026-11-27 (`s3`, `eu-west-2`) · where used: `old laptop`',
    );
    expect(text).toContain('• `AKIABOB0000000000002` · Active · 3 days old · last used 2026-11-27');
    expect(text).toContain('where used: no description tag');
    expect(text).toMatch(/^\*Action:\* .*`AKIABOB0000000000001`/m);
  });

  test.each([
    [
      'deactivate-old-key',
      [daysAgo(80), used(20)],
      [daysAgo(10), used(1)],
      'the older key is no longer used',
    ],
    [
      'delete-inactive-key',
      [daysAgo(80), used(1), 'Inactive'],
      [daysAgo(10), used(1)],
      'one key is inactive',
    ],
    ['remove-unused-key', [daysAgo(80), used(1)], [daysAgo(10), null], 'one key has never been used'],
  ] as const)('two keys, %s: the step in words', (_step, [c1, u1, s1], [c2, u2], words) => {
    const text = textOf(
      reportOf([
        user({
          userName: 'bob',
          keys: [
            key({ accessKeyId: 'AKIABOB0000000000001', createdAt: c1, lastUsed: u1, status: s1 ?? 'Active' }),
            key({ accessKeyId: 'AKIABOB0000000000002', createdAt: c2, lastUsed: u2 }),
          ],
        }),
      ]),
    );
    expect(text).toContain(`rotation step: ${words}`);
  });

  test('an SES SMTP user carries a visible marker: rotation means re-creating the user', () => {
    const text = textOf(
      reportOf([user({ userName: 'ses-smtp-user.mailer', keys: [key({ createdAt: daysAgo(100) })] })]),
    );
    expect(text).toContain(':warning: *SES SMTP user:* rotating means re-creating the user');
    // The re-created user's name and the user's own name are inline code inside the action.
    expect(text).toMatch(/^\*Action:\* .*`ses-smtp-user\.mailer\.20261128`/m);
    expect(text).toMatch(/^\*Action:\* .*`ses-smtp-user\.mailer`/m);
    expect(text).toContain('|runbook: rotating ses smtp credentials>');
  });

  test('the root account', () => {
    const root = evaluateRoot([{ active: true, createdAt: daysAgo(400), lastUsed: null }], NOW, settings());
    const text = textOf(reportOf([], { findings: root }));
    expect(text).toContain('*CRITICAL · root-access-key*: the root user holds an access key (1 finding)');
    expect(text).toContain('*Root account* (`&lt;root_account&gt;`) · status Active · 400 days old');
    const unknown = evaluateRoot([{ active: null, createdAt: null, lastUsed: null }], NOW, settings());
    expect(textOf(reportOf([], { findings: unknown }))).toContain('status unknown · age unknown');
  });

  test('a live audit says why; a manual re-audit says which users', () => {
    const report = reportOf([user({ keys: [key({ createdAt: daysAgo(100) })] })], {
      source: { type: 'live', reason: 'credential report older than 4 hours' },
      scope: { type: 'users', users: ['alice'] },
    });
    const text = mrkdwnOf(buildSlackDigest(report, { clean: 'silent' })[0]!);
    expect(text).toContain('Source: live IAM calls (credential report older than 4 hours)');
    expect(text).toContain('*Manual re-audit* of `alice`');
  });
});

describe('buildSlackDigest: grouping', () => {
  const users = [
    user({ userName: 'zoe', keys: [key({ accessKeyId: 'AKIAZOE0000000000001', status: 'Inactive' })] }),
    user({
      userName: 'bob',
      keys: [
        key({ accessKeyId: 'AKIABOB0000000000002', createdAt: daysAgo(100), lastUsed: used(1) }),
        key({ accessKeyId: 'AKIABOB0000000000001', createdAt: daysAgo(200), lastUsed: used(60) }),
      ],
    }),
    user({ userName: 'alice', keys: [key({ accessKeyId: 'AKIAALICE00000000001', createdAt: daysAgo(85) })] }),
    user({
      userName: 'carl',
      keys: [key({ accessKeyId: 'AKIACARL000000000001', createdAt: daysAgo(300), lastUsed: null })],
    }),
  ];
  const root = evaluateRoot([{ active: true, createdAt: daysAgo(500), lastUsed: null }], NOW, settings());
  const report = reportOf(users, { findings: root });
  const [message] = buildSlackDigest(report, { clean: 'silent' });

  test('groups by rule, most severe first, then in the order of RULE_IDS', () => {
    const headings = sections(message!).flatMap((t) => [
      ...t.matchAll(/^\*(CRITICAL|HIGH|MEDIUM|LOW) · ([a-z-]+)\*/gm),
    ]);
    expect(headings.map((h) => h[2])).toEqual([
      'root-access-key',
      'key-too-old',
      'two-keys',
      'key-unused',
      'key-expiring',
      'inactive-key',
    ]);
    // The policy rules (invalid-exemption, exemption-expired) do not come from these users.
    const expected = RULE_IDS.filter((rule) => report.findings.some((f) => f.rule === rule)).sort(
      (a, b) =>
        SEVERITIES.indexOf(report.findings.find((f) => f.rule === a)!.severity) -
          SEVERITIES.indexOf(report.findings.find((f) => f.rule === b)!.severity) ||
        RULE_IDS.indexOf(a) - RULE_IDS.indexOf(b),
    );
    expect(headings.map((h) => h[2])).toEqual(expected);
  });

  test('the summary lists the count of each rule in the same order', () => {
    expect(sections(message!)[0]).toContain(
      '*root-access-key* 1 · *key-too-old* 3 · *two-keys* 1 · *key-unused* 2 · *key-expiring* 1 · *inactive-key* 1',
    );
  });
});

describe('buildSlackDigest: a large audit', () => {
  const report = largeReport(2000);
  const messages = buildSlackDigest(report, { clean: 'silent' });

  test('every one of the 2,000 findings arrives exactly once, in the digest order', () => {
    const severity = (f: Finding) => SEVERITIES.indexOf(f.severity);
    const expected = [...report.findings]
      .sort((a, b) => severity(a) - severity(b) || RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule))
      .map((f) => f.userName);
    const shown = userNamesShown(messages);
    expect(shown).toHaveLength(2000);
    expect(new Set(shown).size).toBe(2000);
    expect(shown).toEqual(expected);
  });

  test('every message is within the limits', () => {
    expect(messages.length).toBeGreaterThan(1);
    expectWithinLimits(messages);
    for (const message of messages) {
      expect(message.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS_PER_MESSAGE);
      expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThan(16 * 1024);
    }
  });

  test('the messages are numbered 1/N to N/N, in order, in header and fallback text', () => {
    const n = messages.length;
    messages.forEach((message, i) => {
      expect(headerOf(message)).toBe(`IAM key audit: prod (123456789012) (${i + 1}/${n})`);
      expect(message.text.endsWith(`(${i + 1}/${n})`)).toBe(true);
    });
  });

  test('a rule split across messages repeats its heading as continued', () => {
    const continued = messages.slice(1).map((m) => sections(m)[0] ?? '');
    expect(continued.some((t) => /^\*HIGH · key-too-old\*.*\(continued\)$/.test(t))).toBe(true);
  });

  test('packs several findings per section', () => {
    const findingSections = messages.flatMap(sections).filter((t) => t.startsWith('*`'));
    expect(2000 / findingSections.length).toBeGreaterThan(3);
  });
});

describe('buildSlackDigest: untrusted values', () => {
  const HOSTILE = [
    '<!channel>',
    '<https://evil.example|click>',
    '&amp;',
    '*bold* _it_ ~x~ `code`',
    '<@U123> <!here>',
  ];
  const users = HOSTILE.map((description, i) => {
    const accessKeyId = `AKIAHOSTILE00000000${i}`;
    return user({
      userName: i === 0 ? 'a+=,.@_-b' : `user-${i}`,
      keys: [
        key({
          accessKeyId,
          createdAt: daysAgo(100),
          lastUsed: used(1, { service: '*s3*', region: '<!here>' }),
        }),
      ],
      tags: { [accessKeyId]: description },
    });
  });
  const report = reportOf(users, { accountAlias: '<!channel>&_x_' });
  const messages = buildSlackDigest(report, { clean: 'silent' });
  const all = messages.map(mrkdwnOf).join('\n');
  /** The text with our own runbook links removed: what is left holds no raw control character. */
  const withoutOurLinks = all.replace(/<https:\/\/github\.com\/[^|<>]+\|runbook: [a-z ]+>/g, '');

  test('are within the limits', () => {
    expectWithinLimits(messages);
  });

  test('cannot form a link, a mention or a broadcast', () => {
    expect(withoutOurLinks).not.toMatch(/[<>]/);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<!here>');
    expect(all).not.toContain('<@U123>');
    expect(all).not.toContain('<https://evil.example');
    expect(all).toContain('`&lt;!channel&gt;`');
    expect(all).toContain('`&lt;https://evil.example|click&gt;`');
    expect(all).toContain('`&lt;@U123&gt; &lt;!here&gt;`');
    for (const message of messages) expect(message.text).not.toMatch(/[<>]/);
  });

  test('an entity in a tag arrives as literal text', () => {
    expect(all).toContain('Where used: `&amp;amp;`');
    expect(all).not.toMatch(/`&amp;`/);
  });

  test('mrkdwn control characters are shown, not applied', () => {
    expect(all).toContain('Where used: `*bold* _it_ ~x~ ˋcodeˋ`');
    expect(all).toContain('(`*s3*`, `&lt;!here&gt;`)');
    expect(all).not.toContain('`code`');
  });

  test('a user name with + = , . @ _ - is shown intact', () => {
    expect(all).toContain('*`a+=,.@_-b`*');
  });

  test('the alias is escaped in mrkdwn and made inert in the plain-text header', () => {
    expect(all).toContain('`&lt;!channel&gt;&amp;_x_` (`123456789012`)');
    expect(headerOf(messages[0]!)).toBe('IAM key audit: ‹!channel›＆_x_ (123456789012)');
    expect(messages[0]!.text).toContain('&lt;!channel&gt;&amp;ˍxˍ (123456789012)');
  });

  test('escapeText and code', () => {
    expect(escapeText('*b* _i_ ~s~ `c` <!here> &amp; a\nb')).toBe(
      '∗b∗ ˍiˍ ∼s∼ ˋcˋ &lt;!here&gt; &amp;amp; a b',
    );
    expect(code('a`b <x> &')).toBe('`aˋb &lt;x&gt; &amp;`');
    expect(code('  ')).toBe('_(blank)_');
  });

  test('the runbook URL from config is escaped for | and > and &', () => {
    const text = sections(
      buildSlackDigest(
        reportOf(
          [user({ keys: [key({ createdAt: daysAgo(100) })] })],
          {},
          { runbook: { url: 'https://rb.example/p?a=1&b=2|x>y' } },
        ),
        { clean: 'silent' },
      )[0]!,
    ).join('\n');
    expect(text).toContain(
      '<https://rb.example/p?a=1&amp;b=2%7Cx%3Ey#3-find-where-the-key-is-used|runbook: find where the key is used>',
    );
  });
});

describe('buildSlackDigest: values too long for one section', () => {
  test('a description over the limit is truncated with an ellipsis; the finding stays in one section', () => {
    const long = 'x'.repeat(5000);
    const report = reportOf([
      user({
        keys: [key({ accessKeyId: 'AKIALONG000000000001', createdAt: daysAgo(100) })],
        tags: { AKIALONG000000000001: long },
      }),
    ]);
    const messages = buildSlackDigest(report, { clean: 'silent' });
    expectWithinLimits(messages);
    const text = sections(messages[0]!).join('\n');
    expect(text).toMatch(/Where used: `x+…`/);
    expect(text).toContain('|runbook: find where the key is used>');
  });

  test('a user name over the limit still gives a finding within the limit, with no open link', () => {
    const finding = evaluateUser(
      user({ userName: 'n'.repeat(4000), keys: [key({ createdAt: daysAgo(100) })] }),
      NOW,
      settings(),
    )[0]!;
    const text = formatFinding(finding);
    expect(text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT_CHARS);
    expect(text.endsWith('…')).toBe(true);
    expect(text.lastIndexOf('<')).toBeLessThanOrEqual(text.lastIndexOf('>'));
    expect((text.match(/`/g) ?? []).length % 2).toBe(0);
  });

  test('a long list of users not found is split into whole names, all listed', () => {
    const ghosts = Array.from({ length: 1500 }, (_, i) => `ghost-user-${String(i).padStart(5, '0')}`);
    const report = reportOf([], { scope: { type: 'users', users: ghosts }, usersNotFound: ghosts });
    const messages = buildSlackDigest(report, { clean: 'silent' });
    expectWithinLimits(messages);
    const text = messages.map(mrkdwnOf).join('\n');
    for (const ghost of ghosts) expect(text.split(`\`${ghost}\``).length - 1).toBe(2); // re-audit list + not found
  });
});

describe('checkSlackLimits', () => {
  const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
  const ok: SlackMessage = { text: 'fallback', blocks: [section('hello')] };

  test('a message within the limits has no violation', () => {
    expect(checkSlackLimits(ok)).toEqual([]);
  });

  test.each<[string, SlackMessage, RegExp]>([
    [
      '51 blocks',
      { text: 't', blocks: Array.from({ length: 51 }, () => section('x')) },
      /blocks: 51 \(max 50\)/,
    ],
    [
      'a section of 3,001 characters',
      { text: 't', blocks: [section('x'.repeat(3001))] },
      /3001 characters \(max 3000\)/,
    ],
    [
      'a header of 151 characters',
      { text: 't', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] },
      /151 characters \(max 150\)/,
    ],
    [
      '11 context elements',
      {
        text: 't',
        blocks: [
          {
            type: 'context',
            elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'c' })),
          },
        ],
      },
      /11 elements \(max 10\)/,
    ],
    ['no fallback text', { text: '', blocks: [section('x')] }, /text: missing/],
    [
      'too much text in total',
      { text: 't', blocks: Array.from({ length: 4 }, () => section('x'.repeat(2800))) },
      /11200 characters of text in total/,
    ],
  ])('reports %s', (_name, message, violation) => {
    expect(checkSlackLimits(message).join('\n')).toMatch(violation);
  });

  test('the limits are the ones Slack documents', () => {
    expect([
      MAX_BLOCKS_PER_MESSAGE,
      MAX_SECTION_TEXT_CHARS,
      MAX_HEADER_TEXT_CHARS,
      MAX_CONTEXT_ELEMENTS,
    ]).toEqual([50, 3000, 150, 10]);
    expect(MAX_MESSAGE_TEXT_CHARS).toBeLessThan(12_000);
  });
});

describe('buildSlackDigest: an incomplete audit', () => {
  const notAudited = {
    reason: 'stopped before the Lambda timeout: not every user was audited',
    users: ['dave', 'erin_2'],
  };

  test('is never "healthy", even in silent mode, and says who was not audited', () => {
    const report = reportOf([user()], { notAudited });
    const messages = buildSlackDigest(report, { clean: 'silent' });
    expect(messages).toHaveLength(1);
    const text = mrkdwnOf(messages[0]!);
    expect(text).not.toContain('healthy');
    expect(text).toContain(':warning: *Incomplete: stopped before the Lambda timeout');
    expect(text).toContain('2 users not audited: dave, erin\u02CD2.'); // `_` cannot start italics
  });
});
