import type { ContextBlock, SectionBlock } from '@slack/types';
import { postSlackMessages } from '../../../lambdas/audit/adapters/slack';
import { applyExemptions, parseTagExemptions } from '../../../lambdas/audit/domain/exemptions';
import type { AuditReport } from '../../../lambdas/audit/domain/report';
import { buildSlackDigest, findingLine, hasNothingToTell } from '../../../lambdas/audit/present/slack';
import { checkSlackLimits, type SlackMessage } from '../../../lambdas/audit/present/slack-blocks';
import { buildAccountView } from '../../../lambdas/audit/present/view';
import { dayTwo } from '../../support/day-two';
import { daysAgo, key, NOW, reportOfUsers, settings, used, user } from '../../support/builders';
import { usersWithFindings } from '../../support/organization';
import { startSlackServer } from '../../support/slack-server';

// ---------------------------------------------------------------------------------------------------------
// Helpers

const texts = (message: SlackMessage): string[] =>
  message.blocks.flatMap((b) =>
    b.type === 'section'
      ? [(b as SectionBlock).text?.text ?? '']
      : b.type === 'context'
        ? (b as ContextBlock).elements.map((e) => ('text' in e ? e.text : ''))
        : [],
  );
const textOf = (messages: SlackMessage[]): string => messages.flatMap(texts).join('\n');

/** What a person reads of a line: links as their labels. */
const shown = (line: string): string => line.replace(/<[^|>]+\|([^>]+)>/g, '$1');

/** Every finding line (`• …`, and the `→` action lines of findings shown in full). */
const findingLines = (messages: SlackMessage[]): string[] =>
  textOf(messages)
    .split('\n')
    .filter((l) => l.startsWith('• ') || l.startsWith('  → '));

function expectWithinLimits(messages: SlackMessage[]): void {
  for (const message of messages) expect(checkSlackLimits(message)).toEqual([]);
}

/** A report of `n` users with findings (a quarter each too old, unused, inactive, expiring), tracked or not. */
function accountOf(n: number): AuditReport {
  return reportOfUsers(usersWithFindings(n), { usersScanned: n * 3, keysScanned: n * 3 });
}

// ---------------------------------------------------------------------------------------------------------

describe('the view: one channel-neutral account digest', () => {
  const report = dayTwo(accountOf(120), 9, 7, 2);

  test('new and escalated in full, most severe and oldest first; the rest one line each, grouped by step', () => {
    const view = buildAccountView(report, { maxFindingLines: 1000 });
    expect(view.full).toHaveLength(11);
    expect(view.full.every((f) => f.isNew || f.escalated)).toBe(true);
    const severities = view.full.map((f) => f.severity);
    expect(severities).toEqual(
      [...severities].sort(
        (a, b) =>
          ['critical', 'high', 'medium', 'low'].indexOf(a) - ['critical', 'high', 'medium', 'low'].indexOf(b),
      ),
    );
    expect(view.groups.map((g) => g.step)).toEqual([
      'rotate-key',
      'confirm-unused-then-remove',
      'plan-rotation',
      'delete-inactive-key',
    ]);
  });

  test('the cap counts finding lines, and everything past it is counted by severity', () => {
    const view = buildAccountView(report, { maxFindingLines: 50 });
    const lines = view.full.length + view.groups.reduce((n, g) => n + g.findings.length, 0);
    expect(lines).toBe(50);
    expect(view.omitted.total).toBe(120 - 50);
    const { critical, high, medium, low } = view.omitted.bySeverity;
    expect(critical + high + medium + low).toBe(70);
  });

  test('counts by severity and team, new, escalated, still open', () => {
    const owned = {
      ...report,
      findings: report.findings.map((f, i) => ({ ...f, owner: i % 3 ? 'data' : null })),
    };
    const view = buildAccountView(owned);
    expect(view.counts).toMatchObject({ fresh: 9, escalated: 2, stillOpen: 111 });
    expect(view.counts.byTeam).toEqual([
      { team: 'data', count: 80 },
      { team: null, count: 40 },
    ]);
  });

  test('a first audit (everything new, nothing resolved) is grouped, not all in full', () => {
    const first = dayTwo(accountOf(40), 40, 0);
    expect(buildAccountView(first).full).toEqual([]);
  });
});

describe('buildSlackDigest: a digest that fits on a screen', () => {
  const report = dayTwo(accountOf(114), 9, 7, 1);
  const messages = buildSlackDigest(report, { clean: 'silent' });
  const text = textOf(messages);

  test('the summary comes first: counts by severity, changes, teams, data freshness', () => {
    const [summary] = texts(messages[0]!);
    expect(summary).toMatch(
      /^\*114 findings\* in 342 users and 342 keys: \*29\* high · \*29\* medium · \*56\* low/,
    );
    expect(summary).toContain('*9* new · *7* resolved · *105* still open · *1* escalated');
    expect(summary).toContain('By team: no owner 114');
    expect(texts(messages[0]!)[1]).toMatch(
      /^Data: credential report 2026-11-28 08:59 UTC, verified live; audited 09:00 UTC$/,
    );
  });

  test('the full report location is rendered when the view has one', () => {
    const withReport = buildSlackDigest(report, {
      clean: 'silent',
      reportLocation: 'https://s3.console.aws.amazon.com/s3/object/bucket?prefix=x.json',
    });
    expect(texts(withReport[0]!)[0]).toContain(
      'Full report (JSON and CSV): <https://s3.console.aws.amazon.com/s3/object/bucket?prefix=x.json|open in the S3 console>',
    );
    expect(texts(messages[0]!)[0]).not.toContain('Full report');
  });

  test('then new and escalated in full, resolved one line each, still open grouped with the step once', () => {
    const at = (s: string) => text.indexOf(s);
    expect(at(':new: *New and escalated* (10)')).toBeGreaterThan(0);
    expect(at(':white_check_mark: *Resolved* (7)')).toBeGreaterThan(at(':new: *New and escalated*'));
    expect(at(':hourglass: *Still open* (104)')).toBeGreaterThan(at(':white_check_mark: *Resolved*'));
    expect(text.match(/ · step 3/g)?.length).toBeGreaterThanOrEqual(1);
    // The step's words once per group, not once per finding.
    expect(text.split(': deploy a new key, confirm it is used, delete the old one · step 3').length - 1).toBe(
      1,
    );
  });

  test('past the cap, the rest is counted truthfully and pointed at the full report', () => {
    expect(text).toContain(':heavy_plus_sign: *and 64 more*:');
    expect(findingLines(messages).filter((l) => l.startsWith('• `user-')).length).toBe(50);
  });

  test('the 300-user day two (114 findings: 9 new, 7 resolved) fits in 2 messages', () => {
    expect(messages.length).toBeLessThanOrEqual(2);
    expectWithinLimits(messages);
  });

  test('no finding line is over 200 characters as read', () => {
    for (const line of findingLines(messages)) expect(shown(line).length).toBeLessThanOrEqual(200);
  });

  test('1,643 findings fit in at most 5 messages, tracked or not', () => {
    const big = accountOf(1643);
    for (const r of [big, dayTwo(big, 200, 40, 30), dayTwo(big, 1643, 0)]) {
      const out = buildSlackDigest(r, { clean: 'silent' });
      expect(out.length).toBeLessThanOrEqual(5);
      expectWithinLimits(out);
      for (const line of findingLines(out)) expect(shown(line).length).toBeLessThanOrEqual(200);
      expect(textOf(out)).toMatch(/\*and 1,\d{3} more\*/);
    }
  });

  test('maxFindingLines is honoured', () => {
    const out = buildSlackDigest(report, { clean: 'silent', maxFindingLines: 10 });
    expect(textOf(out)).toContain('*and 104 more*');
  });

  test('exempted findings are visible, one compact line each, capped', () => {
    const base = accountOf(30);
    const withExempted: AuditReport = {
      ...base,
      findings: base.findings.slice(0, 5),
      exempted: base.findings.slice(5).map((f) => ({
        ...f,
        exemption: {
          userName: f.userName,
          until: '2027-01-31',
          reason: 'vendor contract',
          source: 'tag' as const,
        },
      })),
    };
    const out = textOf(buildSlackDigest(withExempted, { clean: 'silent' }));
    expect(out).toContain(':mute: *Exempted* (25)');
    expect(out.match(/ · until 2027-01-31 · `vendor contract`/g)).toHaveLength(10);
    expect(out).toContain('• and 15 more, in the full report');
  });

  test('a healthy audit is one line, or nothing when silent', () => {
    const clean = reportOfUsers([user()]);
    expect(hasNothingToTell(clean)).toBe(true);
    expect(buildSlackDigest(clean, { clean: 'silent' })).toEqual([]);
    expect(textOf(buildSlackDigest(clean, { clean: 'healthy-message' }))).toContain(
      'healthy: nothing to do.',
    );
  });
});

describe('finding lines', () => {
  test('a pair shows both keys; the description tag only when there is one; under 200 characters', () => {
    const report = reportOfUsers([
      user({
        userName: 'x'.repeat(64),
        keys: [
          key({ accessKeyId: 'AKIAOLD0000000000001', createdAt: daysAgo(121), lastUsed: used(1) }),
          key({ accessKeyId: 'AKIANEW0000000000002', createdAt: daysAgo(0.1), lastUsed: null }),
        ],
        tags: { AKIANEW0000000000002: 'y'.repeat(256) },
      }),
    ]);
    const line = findingLine(report.findings[0]!, report.auditedAt);
    expect(line).toContain('`AKIAOLD0000000000001` 121d used 1d ago + `AKIANEW0000000000002` 0d never used');
    expect(shown(line).length).toBeLessThanOrEqual(200);
    const bare = findingLine(
      reportOfUsers([user({ keys: [key({ createdAt: daysAgo(100) })] })]).findings[0]!,
      NOW.toISOString(),
    );
    expect(bare).toBe('• `alice` · `AKIAEXAMPLE000000001` 100d used 1d ago');
  });
});

describe('safe text, end to end through the real Slack client', () => {
  const HOSTILE = 'rotation done see https://evil.example/x @here';

  test('an exemption reason from a tag arrives inert: code, verbatim, no link, no mention', async () => {
    const users = [
      user({
        userName: 'olga',
        keys: [key({ accessKeyId: 'AKIAOLGA000000000001', createdAt: daysAgo(100) })],
      }),
      user({
        userName: 'pat',
        keys: [key({ accessKeyId: 'AKIAPAT0000000000001', createdAt: daysAgo(100) })],
      }),
    ];
    const findings = users.flatMap((u) => reportOfUsers([u]).findings);
    const expired = parseTagExemptions('olga', { 'iam-key-auditor:exempt': `2026-11-01 ${HOSTILE}` });
    const current = parseTagExemptions('pat', { 'iam-key-auditor:exempt': `2026-12-31 ${HOSTILE}` });
    const { alerting, exempted } = applyExemptions(
      findings,
      [...expired.exemptions, ...current.exemptions],
      [],
      NOW,
      { maxExemptionDays: 180, settings: settings() },
    );
    const report = reportOfUsers(users, { findings: alerting, exempted });
    const messages = buildSlackDigest(report, { clean: 'silent' });
    const slack = await startSlackServer();
    try {
      await postSlackMessages(slack.url, messages, { sleep: async () => {}, minIntervalMs: 0 });
      expect(slack.violations).toEqual([]);
      const bodies = JSON.stringify(slack.requests);
      const received = slack.requests as { blocks: SlackMessage['blocks'] }[];
      for (const body of received) {
        for (const block of body.blocks) {
          const objects =
            block.type === 'section'
              ? [(block as SectionBlock).text!]
              : block.type === 'context'
                ? (block as ContextBlock).elements
                : [];
          for (const o of objects) {
            if ('type' in o && o.type === 'mrkdwn') expect(o).toMatchObject({ verbatim: true });
          }
        }
      }
      const all = received.flatMap((b) => texts({ text: '', blocks: b.blocks })).join('\n');
      // The reason is shown (both the expired exemption's and the current one's), always inside inline code.
      const spans = all.match(/`[^`]*evil\.example[^`]*`/g) ?? [];
      expect(spans.length).toBeGreaterThanOrEqual(2);
      expect(all.replace(/`[^`]*`/g, '')).not.toContain('evil.example');
      expect(bodies).not.toContain('<https://evil');
      expect(all).not.toMatch(/<!here>|<!channel>|<@/);
      expect(all).toContain('`rotation done see https://evil.example/x @here`');
    } finally {
      await slack.close();
    }
  });
});
