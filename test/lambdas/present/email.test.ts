/**
 * The email (SNS `default`) text, from the same view as the Slack digest: the cap and its truthful count, line
 * lengths, values on one line, and the demo's day-two email within its budget.
 */
import type { AuditReport } from '../../../lambdas/audit/domain/report';
import { DAY_MS } from '../../../lambdas/audit/domain/time';
import type { Finding, IamUser } from '../../../lambdas/audit/domain/types';
import { buildEmailText, emailActionLine, emailFindingLine } from '../../../lambdas/audit/present/email';
import { buildSnsMessage } from '../../../lambdas/audit/present/sns';
import { compareForAttention } from '../../../lambdas/audit/present/view';
import { trackChanges } from '../../../lambdas/audit/track-changes';
import { buildSampleAccount } from '../../../tools/fake-iam/sample-account';
import { dayTwo as dayTwoOf } from '../../support/day-two';
import { daysAgo, key, NOW, reportOfUsers, used, user } from '../../support/builders';
import { auditDemoAccount, memoryStateStore } from '../../support/demo-audit';
import { usersWithFindings } from '../../support/organization';

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const count = (n: number) => n.toLocaleString('en-US');

/** A report of `n` users with findings (a quarter each too old, unused, inactive, expiring). */
function accountOf(n: number, describe?: (i: number) => string): AuditReport {
  return reportOfUsers(usersWithFindings(n, 'user', describe), { usersScanned: n, keysScanned: n });
}

/** Day two with owners: two in three findings the platform team's, the rest no one's. */
const owned = (i: number) => (i % 3 ? 'platform' : null);
const dayTwo = (report: AuditReport, fresh: number, resolved: number, escalated = 0) =>
  dayTwoOf(report, fresh, resolved, escalated, owned);

/** The lines that show a finding: `- user …` (one per key or pair) and the `→` action of one shown in full. */
const findingLines = (text: string) =>
  text.split('\n').filter((l) => l.startsWith('- ') || l.startsWith('  → '));

describe('the cap on finding lines', () => {
  test.each([
    ['untracked', accountOf(300)],
    ['day two', dayTwo(accountOf(300), 9, 7, 2)],
  ])(
    '%s: at most maxFindingLines, the most severe and oldest first, the rest counted truthfully',
    (_, report) => {
      const text = buildEmailText(report, { maxFindingLines: 20 });
      const shown = text.split('\n').filter((l) => l.startsWith('- user-'));
      expect(shown).toHaveLength(20);
      // What is shown is the 20 most severe (new and escalated first on day two).
      const first = (f: Finding) => (report.changes ? (f.isNew || f.escalated ? 0 : 1) : 0);
      const expected = [...report.findings].sort((a, b) => first(a) - first(b) || compareForAttention(a, b));
      const hidden = expected.slice(20);
      const bySeverity = SEVERITIES.filter((s) => hidden.some((f) => f.severity === s))
        .map((s) => `${count(hidden.filter((f) => f.severity === s).length)} ${s}`)
        .join(', ');
      expect(text).toContain(
        `\nAnd ${count(280)} more: ${bySeverity}; in the full report (this message shows at most 20 finding lines).`,
      );
      for (const f of expected.slice(0, 20)) expect(text).toContain(`- ${f.userName} · `);
      for (const f of hidden) expect(text).not.toContain(`- ${f.userName} · `);
    },
  );

  test('the default is 50; a digest within the cap says nothing is left out', () => {
    expect(
      buildEmailText(accountOf(300))
        .split('\n')
        .filter((l) => l.startsWith('- user-')),
    ).toHaveLength(50);
    expect(buildEmailText(accountOf(30))).not.toContain('more: ');
  });

  test('the new and escalated count toward the cap, shown in full, most severe first', () => {
    const text = buildEmailText(dayTwo(accountOf(300), 9, 7, 2), { maxFindingLines: 5 });
    expect(text).toContain('\nNEW AND ESCALATED (11)\n');
    expect(text.match(/^ {2}→ /gm)).toHaveLength(5);
    expect(text).not.toContain('STILL OPEN');
    expect(text).toContain(`\nAnd ${count(295)} more: `);
  });

  test('resolved and exempted are capped too, and counted', () => {
    const base = dayTwo(accountOf(40), 2, 30);
    const report: AuditReport = {
      ...base,
      exempted: base.findings.slice(0, 25).map((f) => ({
        ...f,
        exemption: { userName: f.userName, until: '2027-01-31', reason: 'vendor', source: 'tag' as const },
      })),
    };
    const text = buildEmailText(report);
    expect(text).toContain('\nRESOLVED (30)\n');
    expect(text).toContain('\n- and 20 more, in the full report\n');
    expect(text).toContain('\n25 findings exempted (listed below).\n');
    expect(text).toContain('\nEXEMPTED (25)\n');
    expect(text).toContain('\n- and 15 more, in the full report');
  });
});

describe('lines', () => {
  test('no line over 200 characters for generated accounts, but for the runbook links (each once)', () => {
    const long = (i: number) => `${'deploy pipeline '.repeat(20)}${i}`;
    const reports = [
      accountOf(300),
      dayTwo(accountOf(300), 9, 7, 2),
      dayTwo(accountOf(1643, long), 200, 40, 30),
      // The longest names IAM allows (64 characters), a long team tag, on a generated account.
      {
        ...accountOf(100, long),
        findings: accountOf(100, long).findings.map((f) => ({
          ...f,
          userName: `${f.userName}-${'x'.repeat(64)}`.slice(0, 64),
          owner: `team-${'y'.repeat(200)}`,
        })),
      },
    ];
    for (const report of reports) {
      const text = buildEmailText(report);
      const lines = text.split('\n');
      for (const line of lines.filter((l) => !/^[^:]+: https:\/\//.test(l))) {
        expect(line.length).toBeLessThanOrEqual(200);
      }
      const links = lines.filter((l) => /^[^:]+: https:\/\//.test(l));
      expect(new Set(links).size).toBe(links.length);
    }
  });

  test('a pair is one line with both keys, each description shown when there is one', () => {
    const [pair] = reportOfUsers([
      user({
        userName: 'dora',
        keys: [
          key({ accessKeyId: 'AKIADORA000000000001', createdAt: daysAgo(121), lastUsed: used(1) }),
          key({ accessKeyId: 'AKIADORA000000000002', createdAt: daysAgo(0), lastUsed: null }),
        ],
        tags: { AKIADORA000000000001: 'billing on Heroku' },
      }),
    ]).findings;
    expect(emailFindingLine(pair!, NOW.toISOString())).toBe(
      '- dora · AKIADORA000000000001 121d used 1d ago "billing on Heroku" + AKIADORA000000000002 0d never used',
    );
    // Mid-rotation: deploy the new key, never remove it.
    expect(emailActionLine(pair!)).toBe(
      '  → Rotation in progress: deploy the new key AKIADORA000000000002 where AKIADORA000000000001 is used, ' +
        'confirm it is used, then remove the old one. Keep the new key. (step 4)',
    );
  });

  test('values stay on one line: a description, a user name, an owner and a reason with line breaks', () => {
    const users: IamUser[] = [
      user({
        userName: 'eve',
        keys: [key({ accessKeyId: 'AKIAEVE0000000000001', createdAt: daysAgo(91), lastUsed: used(2) })],
        tags: { AKIAEVE0000000000001: 'one\nINJECTED: two\r\n\u2028three\u001b[31m' },
      }),
    ];
    const base = reportOfUsers(users);
    const [finding] = base.findings;
    const report: AuditReport = {
      ...base,
      findings: [{ ...finding!, owner: 'plat\nform' }],
      exempted: [
        {
          ...finding!,
          userName: 'mal\nlory',
          exemption: { userName: 'mallory', until: '2027-01-31', reason: 'why\nnot', source: 'tag' },
        },
      ],
    };
    const text = buildEmailText(report);
    expect(text).toContain(
      '- eve · AKIAEVE0000000000001 91d used 2d ago · plat form · "one INJECTED: two three [31m"\n',
    );
    expect(text).toContain('- mal lory · AKIAEVE0000000000001 · key-too-old · until 2027-01-31 · "why not"');
    expect(text).not.toMatch(/^(INJECTED|form|lory|not")/m);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  test('the full report is named when there is one', () => {
    const url = 'https://s3.console.aws.amazon.com/s3/object/bucket?prefix=report.json';
    expect(buildEmailText(accountOf(3), { reportLocation: url })).toContain(
      `\nFull report (every finding, CSV; the JSON is beside it): ${url}\n`,
    );
    expect(buildEmailText(accountOf(3))).not.toContain('Full report');
  });
});

// ---------------------------------------------------------------------------------------------------------
// The demo's email: the sample account with the production stage's settings, day two as `npm run demo` builds it

test("the demo's day-two email is under 4,000 characters and says new, resolved, escalated and still open", async () => {
  const store = memoryStateStore();
  // As tools/demo.ts: a user whose key is gone by day two, a new user with an old key on day two.
  const yesterday = new Date(NOW.getTime() - DAY_MS);
  const dayOne = buildSampleAccount(yesterday);
  dayOne.addUser({ userName: 'temp-migration', createDate: new Date(yesterday.getTime() - 300 * DAY_MS) });
  dayOne.addKey('temp-migration', { createDate: new Date(yesterday.getTime() - 130 * DAY_MS) });
  const one = await trackChanges(auditDemoAccount(dayOne, yesterday), store, yesterday, {
    escalationDays: 14,
  });
  await one.commit();
  const deployBot = [...store.states.values()].find((s) => s.userName === 'deploy-bot')!;
  deployBot.firstSeenAt = new Date(NOW.getTime() - 21 * DAY_MS).toISOString();
  const dayTwoAccount = buildSampleAccount(NOW);
  dayTwoAccount.addUser({
    userName: 'report-builder',
    createDate: new Date(NOW.getTime() - 200 * DAY_MS),
    tags: [{ Key: 'team', Value: 'data' }],
  });
  dayTwoAccount.addKey('report-builder', {
    createDate: new Date(NOW.getTime() - 95 * DAY_MS),
    lastUsed: { date: new Date(NOW.getTime() - 2 * DAY_MS), service: 'athena', region: 'eu-west-1' },
  });
  const two = await trackChanges(auditDemoAccount(dayTwoAccount, NOW), store, NOW, { escalationDays: 14 });

  const message = buildSnsMessage(two.report);
  const text = (JSON.parse(message.message) as { default: string }).default;
  expect(text.length).toBeLessThan(4_000);
  expect(text).toContain('\nNEW AND ESCALATED (2)\n');
  expect(text).toContain('ESCALATED, 21 days open\n- deploy-bot · ');
  expect(text).toContain('\nRESOLVED (1)\n- key-unused · temp-migration · ');
  expect(text).toMatch(/\nSTILL OPEN, NOT ESCALATED \(\d+\)\n/);
  expect(text).toContain('\nEXEMPTED (1)\n- vendor-sftp · ');
  // The subject counts what the text lists (an expired exemption is alerted once, on day one).
  const listed = text.split('\n')[1]!;
  const subjectCounts = /: (.+?) \(1 new\)/.exec(message.subject)![1];
  expect(listed).toContain(`: ${subjectCounts}.`);
  for (const line of findingLines(text)) expect(line.length).toBeLessThanOrEqual(200);
});
