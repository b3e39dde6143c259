import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { AuditReport, ReportInput } from '../../../lambdas/audit/domain/report';
import { evaluateRoot, evaluateUser } from '../../../lambdas/audit/domain/rules';
import {
  buildSlackDigest,
  checkSlackLimits,
  code,
  escapeText,
  formatFinding,
  hasNothingToTell,
  isSlackMention,
  MAX_BLOCKS_PER_MESSAGE,
  MAX_CONTEXT_ELEMENTS,
  MAX_HEADER_TEXT_CHARS,
  MAX_MESSAGE_TEXT_CHARS,
  MAX_SECTION_TEXT_CHARS,
  type SlackMessage,
} from '../../../lambdas/audit/domain/slack-digest';
import {
  RULE_IDS,
  SEVERITIES,
  type Finding,
  type IamUser,
  type ResolvedFinding,
} from '../../../lambdas/audit/domain/types';
import { DEFAULT_RUNBOOK } from '../../../lambdas/audit/settings';
import {
  daysAgo,
  exempted,
  exemptionFinding,
  findingsOf,
  key,
  NEW,
  NOW,
  open,
  reportOfUsers,
  settings,
  used,
  user,
  withChanges,
  type SettingsInput,
} from '../../support/builders';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: reports built by the real rules and report builder.

/** `reportOfUsers`, but `partial.findings` come on top of the users' findings instead of replacing them. */
function reportOf(
  users: IamUser[],
  partial: Partial<ReportInput> = {},
  settingsInput: SettingsInput = {},
): AuditReport {
  const findings = [...findingsOf(users, settingsInput), ...(partial.findings ?? [])];
  return reportOfUsers(users, { ...partial, findings });
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

// ---------------------------------------------------------------------------------------------------------
// Changes since the last audit, owners, exemptions

function resolved(userName: string, partial: Partial<ResolvedFinding> = {}): ResolvedFinding {
  return {
    rule: 'key-unused',
    userName,
    accessKeyId: `AKIA${userName.toUpperCase().padEnd(16, '0').slice(0, 16)}`,
    firstSeenAt: daysAgo(30),
    resolvedAt: NOW.toISOString(),
    ...partial,
  };
}

const tooOld = (userName: string, days = 100) =>
  user({
    userName,
    keys: [
      key({
        accessKeyId: `AKIA${userName.toUpperCase().padEnd(16, '0').slice(0, 16)}`,
        createdAt: daysAgo(days),
      }),
    ],
  });
const unused = (userName: string) =>
  user({
    userName,
    keys: [
      key({
        accessKeyId: `AKIA${userName.toUpperCase().padEnd(16, '0').slice(0, 16)}`,
        createdAt: daysAgo(60),
        lastUsed: used(50),
      }),
    ],
  });

const PLATFORM = '<!subteam^S0PLATFORM>';
const ESCALATION = '<!subteam^S0SECURITY>';
const MENTIONS = { teams: { platform: PLATFORM, data: '<@U0DATALEAD>' }, escalation: ESCALATION };

/** The section texts of a message from the one whose text starts with `title`, up to the next part's title. */
const partOf = (text: string, title: string): string => {
  const start = text.indexOf(title);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = text.slice(start + title.length);
  const next = rest.search(/:new: \*New since|:white_check_mark: \*Resolved since|:hourglass: \*Still open/);
  return next < 0 ? rest : rest.slice(0, next);
};

describe('buildSlackDigest: changes since the last audit', () => {
  const report = withChanges(
    reportOf([tooOld('alice'), tooOld('bob', 120), unused('carl'), unused('dave')]),
    { alice: NEW, bob: open(20, { escalated: true }), carl: open(3), dave: NEW },
    {
      resolved: [
        resolved('zed', { firstSeenAt: '2026-10-01T08:00:00.000Z' }),
        resolved('erin', { rule: 'key-too-old' }),
      ],
    },
  );
  const messages = buildSlackDigest(report, { clean: 'silent' });
  const text = messages.map(mrkdwnOf).join('\n');

  test('is one message within the limits', () => {
    expect(messages).toHaveLength(1);
    expectWithinLimits(messages);
  });

  test('the summary counts new, resolved and still open, and the escalated; the fallback text too', () => {
    expect(sections(messages[0]!)[0]).toBe(
      '*4 findings* in 4 users and 4 keys of `prod` (`123456789012`): ' +
        '*2 new* · *2 resolved* · *2 still open* · :rotating_light: *1 escalated*\n' +
        'By rule: *key-too-old* 2 · *key-unused* 2',
    );
    expect(messages[0]!.text).toBe(
      'IAM key audit of prod (123456789012): 4 findings (2 new, 2 resolved, 2 still open)',
    );
  });

  test('new first, then resolved, then still open', () => {
    const order = [
      ':new: *New since the last audit*: 2 findings',
      ':white_check_mark: *Resolved since the last audit*: 2 findings',
      ':hourglass: *Still open*: 2 findings',
    ].map((t) => text.indexOf(t));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(userNamesShown(messages)).toEqual(['alice', 'dave', 'bob', 'carl']);
  });

  test('new findings are grouped by rule, most severe first, and say nothing of days open', () => {
    const part = partOf(text, ':new: *New since the last audit*');
    expect(part).toMatch(
      /\*HIGH · key-too-old\*: active keys older than 90 days \(1 new\)[\s\S]*\*MEDIUM · key-unused\*.*\(1 new\)/,
    );
    expect(part).not.toMatch(/open \d+ day/i);
  });

  test('resolved findings are listed compactly: rule, user, key, first seen; in rule order', () => {
    const part = partOf(text, ':white_check_mark: *Resolved since the last audit*');
    expect(part.trim().split('\n')).toEqual([
      ': 2 findings',
      '• *key-too-old* · `erin` · `AKIAERIN000000000000` · first seen 2026-10-29',
      '• *key-unused* · `zed` · `AKIAZED0000000000000` · first seen 2026-10-01',
    ]);
  });

  test('still open findings say how long; an escalated one is marked', () => {
    const part = partOf(text, ':hourglass: *Still open*');
    expect(part).toContain('*HIGH · key-too-old*: active keys older than 90 days (1 still open)');
    expect(part).toContain(
      '*`bob`* · `AKIABOB0000000000000` · Active · 120 days old\n:rotating_light: *open 20 days — escalated*\nLast use:',
    );
    expect(part).toContain(
      '*`carl`* · `AKIACARL000000000000` · Active · 60 days old\nOpen 3 days\nLast use:',
    );
  });

  test('without an escalation mention configured, the marker stands alone; with one, it mentions the group', () => {
    expect(text).not.toContain('<!subteam');
    const mentioned = buildSlackDigest(report, { clean: 'silent', mentions: { escalation: ESCALATION } });
    expect(mrkdwnOf(mentioned[0]!)).toContain(`:rotating_light: *open 20 days — escalated* ${ESCALATION}`);
  });

  test('without changes the report reads as it always has', () => {
    const plain = reportOf([tooOld('alice')]);
    const [message] = buildSlackDigest(plain, { clean: 'silent', mentions: MENTIONS });
    expect(sections(message!)).toContain(formatFinding(plain.findings[0]!));
    expect(mrkdwnOf(message!)).not.toMatch(/New since|Still open|Resolved since|<!subteam|<@U/);
  });
});

describe('buildSlackDigest: the state store unavailable', () => {
  const report = withChanges(
    reportOf([tooOld('alice')]),
    { alice: NEW },
    { stateError: 'ResourceNotFoundException: Requested resource not found <!channel> *x*' },
  );

  test('says so plainly at the top, the reason escaped', () => {
    const [message] = buildSlackDigest(report, { clean: 'silent' });
    expect(message!.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          ':warning: *State unavailable (ResourceNotFoundException: Requested resource not found &lt;!channel&gt; ∗x∗): ' +
          'every finding is shown as new.*',
      },
    });
  });

  test('is news even when there is no finding', () => {
    const clean = withChanges(reportOf([user()]), {}, { stateError: 'AccessDeniedException' });
    expect(hasNothingToTell(clean)).toBe(false);
    const messages = buildSlackDigest(clean, { clean: 'silent' });
    expect(messages).toHaveLength(1);
    expect(mrkdwnOf(messages[0]!)).toContain('State unavailable (AccessDeniedException)');
  });

  test('a long reason is cut, and the message stays within the limits', () => {
    const long = withChanges(reportOf([tooOld('alice')]), { alice: NEW }, { stateError: 'x'.repeat(10_000) });
    const messages = buildSlackDigest(long, { clean: 'silent' });
    expectWithinLimits(messages);
    expect(sections(messages[0]!)[0]!.length).toBeLessThan(400);
  });
});

describe('buildSlackDigest: clean, but something was resolved', () => {
  const report = withChanges(reportOf([user()]), {}, { resolved: [resolved('zed'), resolved('amy')] });

  test('is not a "healthy" one-liner: good news is news, even when silent', () => {
    expect(hasNothingToTell(report)).toBe(false);
    for (const clean of ['silent', 'healthy-message'] as const) {
      const messages = buildSlackDigest(report, { clean });
      expect(messages).toHaveLength(1);
      const text = mrkdwnOf(messages[0]!);
      expect(text).not.toContain('healthy');
      expect(text).toContain(
        '*0 findings* in 1 user and 1 key of `prod` (`123456789012`): *0 new* · *2 resolved* · *0 still open*',
      );
      expect(text).toContain('• *key-unused* · `amy` ·');
      expect(text).toContain('• *key-unused* · `zed` ·');
      expect(text).not.toMatch(/New since|Still open/);
      expectWithinLimits(messages);
    }
  });

  test('nothing new, nothing resolved, nothing open is clean as before', () => {
    const quiet = withChanges(reportOf([user()]), {});
    expect(hasNothingToTell(quiet)).toBe(true);
    expect(buildSlackDigest(quiet, { clean: 'silent' })).toEqual([]);
    expect(buildSlackDigest(quiet, { clean: 'healthy-message' })[0]!.text).toBe(
      'The 1 key of prod (123456789012) healthy',
    );
  });
});

describe('buildSlackDigest: owners and mentions', () => {
  const base = reportOf([tooOld('alice'), tooOld('bob'), unused('carl'), unused('dora'), tooOld('eve')]);
  const owned = {
    ...base,
    findings: base.findings.map((f) => ({
      ...f,
      owner: (
        { alice: 'platform', bob: 'platform', carl: null, dora: 'data', eve: 'search' } as Record<
          string,
          string | null
        >
      )[f.userName],
    })),
  };

  test('each finding names its team, with the team\'s mention once per message, or says "no owner"', () => {
    const [message] = buildSlackDigest(owned, { clean: 'silent', mentions: MENTIONS });
    const text = sections(message!).join('\n');
    expect(text).toContain(
      `*\`alice\`* · \`AKIAALICE00000000000\` · Active · 100 days old\nTeam \`platform\` ${PLATFORM}\n`,
    );
    expect(text).toContain('*`bob`* · `AKIABOB0000000000000` · Active · 100 days old\nTeam `platform`\n');
    expect(text).toContain('*`carl`* · `AKIACARL000000000000` · Active · 60 days old\nNo owner\n');
    expect(text).toContain('\nTeam `data` <@U0DATALEAD>\n');
    // A team without a mention is named all the same.
    expect(text).toContain('*`eve`* · `AKIAEVE0000000000000` · Active · 100 days old\nTeam `search`\n');
    expect(text.split(PLATFORM)).toHaveLength(2);
  });

  test('owners not resolved: no owner line at all', () => {
    const [message] = buildSlackDigest(base, { clean: 'silent', mentions: MENTIONS });
    expect(mrkdwnOf(message!)).not.toMatch(/Team `|No owner/);
  });

  test("a team's digest has only its findings, names the team in the header, and leaves resolved ones out", () => {
    const report = withChanges(owned, { alice: NEW, bob: open(4) }, { resolved: [resolved('zed')] });
    const messages = buildSlackDigest(report, {
      clean: 'silent',
      mentions: MENTIONS,
      audience: { team: 'platform' },
    });
    expect(messages).toHaveLength(1);
    expect(headerOf(messages[0]!)).toBe('IAM key audit for team platform: prod (123456789012)');
    expect(messages[0]!.text).toBe(
      'IAM key audit of prod (123456789012) for team platform: 2 findings (1 new, 1 still open)',
    );
    expect(userNamesShown(messages)).toEqual(['alice', 'bob']);
    const text = mrkdwnOf(messages[0]!);
    expect(text).toContain(
      '*2 findings* for team `platform` in 5 users and 5 keys of `prod` (`123456789012`): *1 new* · *1 still open*',
    );
    expect(text).not.toContain('zed');
    expectWithinLimits(messages);
  });

  test('a team with nothing posts nothing, or says it has nothing', () => {
    expect(buildSlackDigest(owned, { clean: 'silent', audience: { team: 'billing' } })).toEqual([]);
    const [healthy] = buildSlackDigest(owned, { clean: 'healthy-message', audience: { team: 'billing' } });
    expect(healthy!.text).toBe('No findings for team billing in prod (123456789012)');
    expect(mrkdwnOf(healthy!)).toContain(
      ':white_check_mark: No findings for team `billing` in `prod` (`123456789012`): nothing to do.',
    );
  });

  test("the account's news (state error, incomplete audit, resolved) goes to the default channel, not to a team's", () => {
    const news = withChanges(
      reportOf([user()], { notAudited: { reason: 'stopped before the Lambda timeout', users: ['zoe'] } }),
      {},
      { stateError: 'AccessDeniedException', resolved: [resolved('zed')] },
    );
    expect(hasNothingToTell(news, { team: 'platform' })).toBe(true);
    expect(buildSlackDigest(news, { clean: 'silent', audience: { team: 'platform' } })).toEqual([]);
    expect(hasNothingToTell(news, { exceptTeams: ['platform'] })).toBe(false);
    expect(hasNothingToTell(news)).toBe(false);
  });

  test('the default channel, when teams have their own: every other finding, and a line for the rest', () => {
    const messages = buildSlackDigest(owned, {
      clean: 'silent',
      mentions: MENTIONS,
      audience: { exceptTeams: ['platform', 'search', 'billing'] },
    });
    expect(userNamesShown(messages).sort()).toEqual(['carl', 'dora']);
    const text = mrkdwnOf(messages[0]!);
    expect(text).toContain(
      ':arrow_right: *3 findings* of teams `platform`, `search` went to their own channels.',
    );
    expect(text).toContain('*2 findings* in 5 users');
    expect(headerOf(messages[0]!)).toBe('IAM key audit: prod (123456789012)');
  });

  test('the default channel with nothing left of its own is not "healthy"', () => {
    const onlyTheirs = { ...owned, findings: owned.findings.filter((f) => f.owner === 'platform') };
    expect(
      buildSlackDigest(onlyTheirs, { clean: 'silent', audience: { exceptTeams: ['platform'] } }),
    ).toEqual([]);
    const [message] = buildSlackDigest(onlyTheirs, {
      clean: 'healthy-message',
      audience: { exceptTeams: ['platform'] },
    });
    const text = mrkdwnOf(message!);
    expect(text).not.toContain('healthy');
    expect(text).toContain(':arrow_right: *2 findings* of team `platform` went to their own channels.');
  });

  test('a team tag in another case is the same team, as routing has it: its digest, its mention', () => {
    const report = {
      ...owned,
      findings: owned.findings.map((f) => (f.owner === 'platform' ? { ...f, owner: 'Platform' } : f)),
    };
    const mine = buildSlackDigest(report, {
      clean: 'silent',
      mentions: MENTIONS,
      audience: { team: 'platform' },
    });
    expect(userNamesShown(mine)).toEqual(['alice', 'bob']);
    expect(mrkdwnOf(mine[0]!)).toContain(`Team \`Platform\` ${PLATFORM}`);
    const rest = buildSlackDigest(report, { clean: 'silent', audience: { exceptTeams: ['platform'] } });
    expect(userNamesShown(rest).sort()).toEqual(['carl', 'dora', 'eve']);
    expect(mrkdwnOf(rest[0]!)).toContain('*2 findings* of team `platform` went to their own channels.');
  });

  test('a hostile team name is escaped; a name like a prototype key picks up no mention', () => {
    const report = {
      ...base,
      findings: base.findings.map((f, i) => ({
        ...f,
        owner: ['<!here> *x*', 'constructor', '__proto__', 'toString', 'a`b'][i]!,
      })),
    };
    const [message] = buildSlackDigest(report, { clean: 'silent', mentions: MENTIONS });
    const text = mrkdwnOf(message!);
    expect(text).toContain('Team `&lt;!here&gt; *x*`\n');
    expect(text).toContain('Team `constructor`\n');
    expect(text).toContain('Team `__proto__`\n');
    expect(text).toContain('Team `toString`\n');
    expect(text).toContain('Team `aˋb`\n');
    expect(text).not.toContain('<!here>');
    expect(text).not.toContain('function');
  });

  test('a configured mention not shaped like one is shown as code, not sent as markup', () => {
    const report = withChanges(owned, { alice: open(30, { escalated: true }) });
    const [message] = buildSlackDigest(report, {
      clean: 'silent',
      mentions: { teams: { platform: '<!channel>' }, escalation: '<https://evil.example|x>' },
    });
    const text = mrkdwnOf(message!);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil');
    expect(text).toContain('· team `platform` `&lt;!channel&gt;`');
    expect(text).toContain(':rotating_light: *open 30 days — escalated* `&lt;https://evil.example|x&gt;`');
  });

  test.each([
    ['<!subteam^S0123ABC>', true],
    ['<@U0123ABC>', true],
    ['<@W0123ABC>', true],
    ['<!channel>', false],
    ['<!here>', false],
    ['<!subteam^S01|@team>', false],
    ['<@U0123ABC> <!channel>', false],
    ['@platform', false],
  ])('isSlackMention(%j) is %s', (text, expected) => {
    expect(isSlackMention(text)).toBe(expected);
  });
});

describe('buildSlackDigest: exempted findings', () => {
  const report = reportOf([tooOld('alice')]);
  const [carlFinding] = reportOf([unused('carl')]).findings;
  const [danFinding] = reportOf([tooOld('dan')]).findings;

  test('are counted in one line with the earliest expiry, and not listed', () => {
    const withExempted = {
      ...report,
      exempted: [
        exempted(carlFinding!, { until: '2027-03-31' }),
        exempted(danFinding!, { until: '2026-12-31' }),
      ],
    };
    const [message] = buildSlackDigest(withExempted, { clean: 'silent' });
    const text = mrkdwnOf(message!);
    expect(text).toContain(
      ':mute: *2 findings exempted* (until 2026-12-31 at the earliest): not alerted, see the report.',
    );
    expect(userNamesShown([message!])).toEqual(['alice']);
    expect(text).not.toContain('carl');
  });

  test('one exemption date reads as "until"', () => {
    const [message] = buildSlackDigest(
      { ...report, exempted: [exempted(carlFinding!)] },
      { clean: 'silent' },
    );
    expect(mrkdwnOf(message!)).toContain(
      ':mute: *1 finding exempted* (until 2026-12-31): not alerted, see the report.',
    );
  });

  test('an audit whose only findings are exempted is clean: silent posts nothing; the healthy message says so', () => {
    const onlyExempted = { ...reportOf([user()]), exempted: [exempted(carlFinding!)] };
    expect(hasNothingToTell(onlyExempted)).toBe(true);
    expect(buildSlackDigest(onlyExempted, { clean: 'silent' })).toEqual([]);
    const [message] = buildSlackDigest(onlyExempted, { clean: 'healthy-message' });
    const text = mrkdwnOf(message!);
    expect(text).toContain(':white_check_mark: Nothing to do here for the 1 key of `prod` (`123456789012`).');
    expect(text).toContain(':mute: *1 finding exempted* (until 2026-12-31)');
    expect(text).not.toContain('healthy');
  });

  test("a team's digest counts only the team's exempted findings", () => {
    const mixed = {
      ...report,
      findings: report.findings.map((f) => ({ ...f, owner: 'platform' })),
      exempted: [
        exempted({ ...carlFinding!, owner: 'platform' }),
        exempted({ ...danFinding!, owner: 'data' }),
      ],
    };
    const [message] = buildSlackDigest(mixed, { clean: 'silent', audience: { team: 'platform' } });
    expect(mrkdwnOf(message!)).toContain('*1 finding exempted*');
  });
});

describe('buildSlackDigest: invalid and expired exemptions', () => {
  const invalid = exemptionFinding('invalid-exemption', {
    userName: 'mallory',
    tagKey: 'iam-audit-exempt',
    raw: '<!channel> *now* `x` &amp;',
    until: '',
    reason: '',
  });
  const expired = exemptionFinding('exemption-expired', {
    userName: 'olga',
    accessKeyId: 'AKIAOLGA000000000001',
    rules: ['key-too-old'],
    until: '2026-11-01',
    reason: 'vendor <@U999> migration',
  });
  const props = exemptionFinding('exemption-expired', {
    userName: 'pat',
    source: 'props',
    tagKey: undefined,
    reason: 'legacy',
  });
  const report = reportOf([], {
    findings: [invalid, { ...expired, accessKeyId: 'AKIAOLGA000000000001' }, props],
  });
  const messages = buildSlackDigest(report, { clean: 'silent' });
  const text = messages.map(mrkdwnOf).join('\n');

  test('are grouped under their rules like other findings', () => {
    expectWithinLimits(messages);
    expect(text).toContain(
      '*MEDIUM · invalid-exemption*: exemptions that are not valid, so they exempt nothing (1 finding)',
    );
    expect(text).toContain(
      '*LOW · exemption-expired*: exemptions past their date, no longer exempting (2 findings)',
    );
  });

  test('show the tag and its raw value, escaped, and the action', () => {
    expect(text).toContain(
      '*`mallory`* · all keys\nExemption: tag `iam-audit-exempt` = `&lt;!channel&gt; *now* ˋxˋ &amp;amp;`',
    );
    expect(text).toMatch(
      /^\*Action:\* Fix the tag `iam-audit-exempt` on `mallory`: "`&lt;!channel&gt; \*now\* ˋxˋ &amp;amp;`" is not/m,
    );
  });

  test('an expired one shows its rules, date and reason, escaped', () => {
    expect(text).toContain(
      '*`olga`* · `AKIAOLGA000000000001`\nExemption: tag `iam-audit-exempt` for `key-too-old` · until `2026-11-01` · reason `vendor &lt;@U999&gt; migration`',
    );
    expect(text).toContain(
      '*`pat`* · all keys\nExemption: stack props · until `2026-11-01` · reason `legacy`',
    );
  });

  test('nothing in them can form a mention or a link', () => {
    const withoutOurLinks = text.replace(/<https:\/\/github\.com\/[^|<>]+\|runbook[^>]*>/g, '');
    expect(withoutOurLinks).not.toMatch(/[<>]/);
  });

  test('a raw value too long for a section is cut; the finding stays within it', () => {
    const long = exemptionFinding('invalid-exemption', { userName: 'x', raw: 'y'.repeat(6000) });
    const out = formatFinding(long);
    expect(out.length).toBeLessThanOrEqual(MAX_SECTION_TEXT_CHARS);
    expect(out).toMatch(/= `y+…`/);
  });
});

describe('buildSlackDigest: a large audit with changes, owners and mentions', () => {
  const teams = ['platform', 'data', 'search', null] as const;
  const base = largeReport(2000);
  const report: AuditReport = {
    ...base,
    findings: base.findings.map((f, i) => ({
      ...f,
      owner: teams[i % 4]!,
      ...(i % 3 === 0 ? NEW : open(1 + (i % 40), { escalated: 1 + (i % 40) > 14 })),
    })),
    changes: {
      newFindings: Math.ceil(2000 / 3),
      openFindings: 2000 - Math.ceil(2000 / 3),
      resolved: Array.from({ length: 700 }, (_, i) => resolved(`gone-${String(i).padStart(4, '0')}`)),
    },
  };
  const messages = buildSlackDigest(report, { clean: 'silent', mentions: MENTIONS });

  test('every message is within the limits', () => {
    expect(messages.length).toBeGreaterThan(1);
    expectWithinLimits(messages);
  });

  test('every finding arrives exactly once: the new ones first, then the still open', () => {
    const shown = userNamesShown(messages);
    expect(shown).toHaveLength(2000);
    expect(new Set(shown).size).toBe(2000);
    const firstOpen = shown.findIndex((name) => !report.findings.find((f) => f.userName === name)!.isNew);
    expect(
      shown.slice(0, firstOpen).every((name) => report.findings.find((f) => f.userName === name)!.isNew),
    ).toBe(true);
    expect(
      shown.slice(firstOpen).every((name) => !report.findings.find((f) => f.userName === name)!.isNew),
    ).toBe(true);
  });

  test('every resolved finding is listed once, between the new and the still open', () => {
    const all = messages.map(mrkdwnOf).join('\n');
    for (let i = 0; i < 700; i += 1)
      expect(all.split(`\`gone-${String(i).padStart(4, '0')}\``)).toHaveLength(2);
    expect(all.indexOf('Resolved since the last audit')).toBeGreaterThan(
      all.indexOf('New since the last audit'),
    );
    expect(all.indexOf('Still open')).toBeGreaterThan(all.lastIndexOf('`gone-0699`'));
  });

  test('each mention appears at most once per message, and in every message that has that team or an escalation', () => {
    for (const message of messages) {
      const text = mrkdwnOf(message);
      for (const [mention, present] of [
        [PLATFORM, /\nTeam `platform`|· team `platform`/.test(text)],
        ['<@U0DATALEAD>', /\nTeam `data`|· team `data`/.test(text)],
        [ESCALATION, text.includes('— escalated*')],
      ] as const) {
        expect(text.split(mention).length - 1).toBe(present ? 1 : 0);
      }
    }
  });

  test('the messages are numbered', () => {
    messages.forEach((m, i) => expect(headerOf(m).endsWith(`(${i + 1}/${messages.length})`)).toBe(true));
  });
});
