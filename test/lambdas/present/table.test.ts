import { evaluateRoot } from '../../../lambdas/audit/domain/rules';
import { actionParts } from '../../../lambdas/audit/present/action';
import { plainParts, runbookLabel } from '../../../lambdas/audit/present/text';
import { WriteStream } from 'node:tty';
import stringWidth from 'string-width';
import { showsColours, terminalWidth } from '../../../lambdas/audit/cli/terminal';
import { formatReportTable, truncateCell, wrapText } from '../../../lambdas/audit/present/table';
import type { AuditChanges, Exemption, Finding } from '../../../lambdas/audit/domain/types';
import { DEFAULT_RUNBOOK } from '../../../lambdas/audit/settings';
import { daysAgo, key, NOW, reportOfUsers, settings, used, user } from '../../support/builders';

const RUNBOOK = DEFAULT_RUNBOOK.url;
const ANCHOR = DEFAULT_RUNBOOK.sections;

/** The table line of the finding of `rule` for `userName` (the lines before "What to do:"). */
function rowOf(table: string, userName: string, rule: string): string {
  const rows = table
    .split('\n\nWhat to do:')[0]!
    .split('\n')
    .filter((line) => line.includes(` ${rule} `) && line.includes(` ${userName}`));
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe('formatReportTable', () => {
  const alice = user({
    userName: 'alice',
    keys: [key({ accessKeyId: 'AKIAALICE00000000001', createdAt: daysAgo(91), lastUsed: used(2) })],
    tags: { AKIAALICE00000000001: 'billing app on Heroku' },
  });
  const bob = user({
    userName: 'bob',
    keys: [key({ accessKeyId: 'AKIABOB0000000000001', createdAt: daysAgo(50), lastUsed: null })],
  });
  const ses = user({
    userName: 'ses-smtp-user.mailer',
    keys: [
      key({
        accessKeyId: 'AKIASES0000000000001',
        createdAt: daysAgo(120),
        lastUsed: used(3, { service: 'ses', region: null }),
      }),
    ],
  });
  const dora = user({
    userName: 'dora',
    keys: [
      key({ accessKeyId: 'AKIADORA000000000001', createdAt: daysAgo(85), lastUsed: used(1) }),
      key({
        accessKeyId: 'AKIADORA000000000002',
        createdAt: daysAgo(10),
        lastUsed: used(2, { service: 'sqs' }),
      }),
    ],
    tags: { AKIADORA000000000002: 'queue worker' },
  });
  const table = formatReportTable(reportOfUsers([alice, bob, ses, dora]));

  test('starts with the account, the scope, the time, the source and the counts', () => {
    expect(table.split('\n').slice(0, 3)).toEqual([
      'IAM access key audit of prod (123456789012), all users, at 2026-11-28T09:00:00.000Z',
      'Source: credential report generated 2026-11-28T08:59:00.000Z, verified live',
      'Scanned 4 users and 5 keys: 4 finding(s) (key-too-old 2, two-keys 1, key-unused 1)',
    ]);
  });

  test.each([
    [
      'alice',
      'key-too-old',
      [
        'HIGH',
        'AKIAALICE00000000001',
        '91d',
        `${daysAgo(2).slice(0, 10)} s3 eu-west-2`,
        'billing app on Heroku',
      ],
    ],
    ['bob', 'key-unused', ['MEDIUM', 'AKIABOB0000000000001', '50d', 'never used']],
    [
      'ses-smtp-user.mailer [SES SMTP]',
      'key-too-old',
      ['AKIASES0000000000001', '120d', `${daysAgo(3).slice(0, 10)} ses`],
    ],
    [
      'dora',
      'two-keys',
      [
        'AKIADORA000000000001 (active), AKIADORA000000000002 (active)',
        '85d/10d',
        `${daysAgo(1).slice(0, 10)} s3 eu-west-2 / ${daysAgo(2).slice(0, 10)} sqs eu-west-2`,
        '- / queue worker',
      ],
    ],
  ])("%s's %s row shows %j", (userName, rule, cells) => {
    const row = rowOf(table, userName, rule);
    for (const text of cells) expect(row).toContain(text);
  });

  test('a key without a description tag shows "-" in the description column', () => {
    expect(rowOf(table, 'bob', 'key-unused')).toMatch(/ never used +-$/);
  });

  test('columns line up under the header', () => {
    const lines = table.split('\n');
    const header = lines.find((line) => line.startsWith('#'))!;
    const aliceRow = rowOf(table, 'alice', 'key-too-old');
    for (const [title, cell] of [
      ['KEY', 'AKIAALICE00000000001'],
      ['AGE', '91d'],
      ['WHERE USED', 'billing app on Heroku'],
    ] as const) {
      expect(aliceRow.indexOf(cell)).toBe(header.indexOf(title));
    }
  });

  test('lists each action with its runbook section, numbered as the rows, then each runbook link once', () => {
    const [whatToDo, runbook] = table.split('What to do:\n')[1]!.split('\n\nRunbook:\n');
    const report = reportOfUsers([alice, bob, ses, dora]);
    const expected = report.findings.map(
      (f, i) => `${String(i + 1).padStart(3)}. ${plainParts(actionParts(f))} (${runbookLabel(f.runbookUrl)})`,
    );
    expect(whatToDo!.split('\n').map((line) => line.replace(/\u00a0/g, ' '))).toEqual(expected);
    expect(whatToDo).toContain('create user ses-smtp-user.mailer.20261128');
    const links = runbook!.trimEnd().split('\n');
    expect(links).toEqual(
      [...new Set(report.findings.map((f) => f.runbookUrl))]
        .sort()
        .map((url) => `  ${runbookLabel(url)}: ${url}`),
    );
    expect(links).toContain(`  SES SMTP: ${RUNBOOK}${ANCHOR.sesSmtp}`);
  });

  test('only SES SMTP users carry the [SES SMTP] marker', () => {
    const marked = table.split('\n').filter((line) => line.includes('[SES SMTP]'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toContain('ses-smtp-user.mailer [SES SMTP]');
  });

  test('a clean report says all keys are healthy, without a table', () => {
    const clean = formatReportTable(reportOfUsers([user()]));
    expect(clean).toBe(
      [
        'IAM access key audit of prod (123456789012), all users, at 2026-11-28T09:00:00.000Z',
        'Source: credential report generated 2026-11-28T08:59:00.000Z, verified live',
        'Scanned 1 users and 1 keys: 0 finding(s)',
        '',
        'All keys healthy: nothing to do.',
        '',
      ].join('\n'),
    );
  });

  test('a manual re-audit names its users, the users not found and a live source; no alias shows the id alone', () => {
    const text = formatReportTable(
      reportOfUsers([user()], {
        accountAlias: null,
        scope: { type: 'users', users: ['alice', 'ghost'] },
        source: { type: 'live', reason: 'credential report not ready after 60 s' },
        usersNotFound: ['ghost'],
      }),
    );
    expect(text.split('\n').slice(0, 4)).toEqual([
      'IAM access key audit of 123456789012, users alice, ghost, at 2026-11-28T09:00:00.000Z',
      'Source: live IAM calls (credential report not ready after 60 s)',
      'Scanned 1 users and 1 keys: 0 finding(s)',
      'Not found: ghost',
    ]);
  });

  test('a root key shows the root user, no key id, its age and last use', () => {
    const report = reportOfUsers([], {
      findings: evaluateRoot(
        [
          {
            active: true,
            createdAt: daysAgo(400),
            lastUsed: used(5, { service: 'iam', region: 'us-east-1' }),
          },
          { active: null, createdAt: null, lastUsed: null },
        ],
        NOW,
        settings(),
      ),
    });
    const rows = formatReportTable(report)
      .split('\n')
      .filter((line) => line.includes('CRITICAL'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^1 +CRITICAL +root-access-key +<root_account> +- +400d +\S+ iam us-east-1 +-$/);
    expect(rows[1]).toMatch(/^2 +CRITICAL +root-access-key +<root_account> +- +- +never used +-$/);
  });
});

describe('formatReportTable with owners, changes and exemptions', () => {
  const tooOld = (userName: string, id: string, days = 100) =>
    user({ userName, keys: [key({ accessKeyId: id, createdAt: daysAgo(days), lastUsed: used(1) })] });
  const base = reportOfUsers([
    tooOld('alice', 'AKIAALICE00000000001'),
    tooOld('bob', 'AKIABOB0000000000001', 120),
    tooOld('carl', 'AKIACARL000000000001'),
  ]);
  const tracking: Record<string, Partial<Finding>> = {
    alice: { owner: 'platform', isNew: true, openDays: 0 },
    bob: { owner: null, isNew: false, openDays: 20, escalated: true },
    carl: { owner: 'data', isNew: false, openDays: 3 },
  };
  const changes: AuditChanges = {
    newFindings: 1,
    openFindings: 2,
    resolved: [
      {
        rule: 'key-unused',
        userName: 'zed',
        accessKeyId: 'AKIAZED0000000000001',
        firstSeenAt: '2026-10-01T08:00:00.000Z',
        resolvedAt: NOW.toISOString(),
      },
      {
        rule: 'root-access-key',
        userName: '<root_account>',
        firstSeenAt: '2026-09-01T08:00:00.000Z',
        resolvedAt: NOW.toISOString(),
      },
    ],
  };
  const tracked = {
    ...base,
    findings: base.findings.map((f) => ({ ...f, ...tracking[f.userName] })),
    changes,
  };
  const exemption: Exemption = {
    userName: 'dan',
    until: '2026-12-31',
    reason: 'migration',
    source: 'tag',
    tagKey: 'iam-audit-exempt',
  };

  test('a STATE column says new or open for how many days, escalated ones marked; an OWNER column names the team', () => {
    const table = formatReportTable(tracked);
    const lines = table.split('\n');
    const header = lines.find((line) => line.startsWith('#'))!;
    expect(header).toMatch(/^# +STATE +SEVERITY +RULE +USER +OWNER +KEY +AGE +LAST USED +WHERE USED/);
    expect(rowOf(table, 'alice', 'key-too-old')).toMatch(
      /^1 +new +HIGH +key-too-old +alice +platform +AKIAALICE00000000001 /,
    );
    expect(rowOf(table, 'bob', 'key-too-old')).toMatch(
      /^2 +open 20d escalated +HIGH +key-too-old +bob +no owner +AKIABOB/,
    );
    expect(rowOf(table, 'carl', 'key-too-old')).toMatch(
      /^3 +open 3d +HIGH +key-too-old +carl +data +AKIACARL/,
    );
    const bob = rowOf(table, 'bob', 'key-too-old');
    expect(bob.indexOf('no owner')).toBe(header.indexOf('OWNER'));
  });

  test('the header counts the changes; the resolved follow the actions, in rule order', () => {
    const table = formatReportTable(tracked);
    expect(table.split('\n')[3]).toBe('Since the last audit: 1 new, 2 resolved, 2 still open (1 escalated).');
    expect(
      table.endsWith(
        [
          '',
          'Resolved since the last audit:',
          '  root-access-key: <root_account>, first seen 2026-09-01',
          '  key-unused: zed, AKIAZED0000000000001, first seen 2026-10-01',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
  });

  test('owners alone add the OWNER column only; changes alone the STATE column only', () => {
    const ownersOnly = formatReportTable({
      ...base,
      findings: base.findings.map((f) => ({ ...f, owner: 'platform' })),
    });
    const ownersHeader = ownersOnly.split('\n').find((line) => line.startsWith('#'))!;
    expect(ownersHeader).toMatch(/^# +SEVERITY +RULE +USER +OWNER +KEY/);
    const changesOnly = formatReportTable({ ...base, changes: { ...changes, resolved: [] } });
    const changesHeader = changesOnly.split('\n').find((line) => line.startsWith('#'))!;
    expect(changesHeader).toMatch(/^# +STATE +SEVERITY +RULE +USER +KEY/);
  });

  test('owners resolved, but nobody with a team tag: no OWNER column', () => {
    const unowned = formatReportTable({
      ...base,
      findings: base.findings.map((f) => ({ ...f, owner: null })),
    });
    expect(unowned).toBe(formatReportTable(base));
  });

  test('without owners, changes or exemptions the table is as it always was', () => {
    const before = formatReportTable(base);
    expect(formatReportTable({ ...base, exempted: [] })).toBe(before);
    expect(before).not.toMatch(/STATE|OWNER|exempted|Since the last audit|Resolved/);
  });

  test('the state error and the exempted count each get a line', () => {
    const [danFinding] = reportOfUsers([tooOld('dan', 'AKIADAN0000000000001')]).findings;
    const table = formatReportTable({
      ...tracked,
      changes: { ...changes, stateError: 'ResourceNotFoundException: no table' },
      exempted: [{ ...danFinding!, exemption }],
    });
    const lines = table.split('\n');
    expect(lines[2]).toBe(
      'State unavailable (ResourceNotFoundException: no table): every finding is shown as new.',
    );
    expect(lines).toContain(
      '1 finding exempted (until 2026-12-31): not alerted; --json lists it under "exempted"',
    );
    expect(table).not.toMatch(/ dan /);
  });

  test('clean but resolved: nothing to do, and what was resolved', () => {
    const clean = { ...reportOfUsers([user()]), changes: { ...changes, newFindings: 0, openFindings: 0 } };
    const table = formatReportTable(clean);
    expect(table).toContain(
      'All keys healthy: nothing to do.\n\nResolved since the last audit:\n  root-access-key:',
    );
  });

  test('clean with exempted findings: nothing to act on', () => {
    const [danFinding] = reportOfUsers([tooOld('dan', 'AKIADAN0000000000001')]).findings;
    const table = formatReportTable({
      ...reportOfUsers([user()]),
      exempted: [{ ...danFinding!, exemption }],
    });
    expect(table).toContain('1 finding exempted (until 2026-12-31)');
    expect(table).toContain('No finding to act on: nothing to do.');
  });

  test('an invalid exemption shows the tag and its raw value in the description column', () => {
    const finding: Finding = {
      rule: 'invalid-exemption',
      rules: ['invalid-exemption'],
      severity: 'medium',
      userName: 'mallory',
      lastUsed: null,
      description: null,
      sesSmtpUser: false,
      runbookUrl: `${RUNBOOK}#exemptions`,
      action: { step: 'fix-exemption', facts: { problems: ['bad'], latestUntil: '2027-05-27' } },
      exemption: { ...exemption, userName: 'mallory', until: '', reason: '', raw: 'soon-ish' },
    };
    const table = formatReportTable(reportOfUsers([], { findings: [finding] }));
    expect(rowOf(table, 'mallory', 'invalid-exemption')).toMatch(
      /^1 +MEDIUM +invalid-exemption +mallory +- +- +- +exemption tag iam-audit-exempt = "soon-ish"$/,
    );
  });
});

describe('formatReportTable fitted to a terminal', () => {
  // Two users with one key each (a user holding two keys gets one finding for the pair): both too old.
  const long = user({
    userName: 'a-service-user-with-a-very-long-name@example.com',
    keys: [key({ accessKeyId: 'AKIALONG000000000001', createdAt: daysAgo(120), lastUsed: used(1) })],
    tags: { AKIALONG000000000001: 'the nightly export job on the reporting cluster, owned by the data team' },
  });
  const wide = user({
    userName: 'billing-tokyo',
    keys: [key({ accessKeyId: 'AKIALONG000000000002', createdAt: daysAgo(100), lastUsed: used(2) })],
    tags: { AKIALONG000000000002: '東京の請求システム（経理部）' },
  });
  const report = reportOfUsers([long, wide, user()]);
  const tableRowsOf = (text: string) => {
    const lines = text.split('\n');
    return lines.slice(
      lines.findIndex((line) => line.startsWith('#')),
      lines.indexOf('What to do:') - 1,
    );
  };

  test.each([[80], [120], [40]])('every row fits %i columns, long cells ending in "…"', (width) => {
    const text = formatReportTable(report, { width });
    const rows = tableRowsOf(text);
    expect(rows.length).toBeGreaterThan(2);
    for (const row of rows) expect(stringWidth(row)).toBeLessThanOrEqual(width);
    expect(rows.some((row) => row.includes('…'))).toBe(true);
    // Prose wraps at spaces: only an unbreakable word (a runbook URL) may be wider.
    const wide = text.split('\n').filter((line) => stringWidth(line) > width);
    for (const line of wide) expect(line.trim()).not.toContain(' ');
  });

  test('at 80 columns the least useful columns are hidden (and said so) before a key id is cut', () => {
    const text = formatReportTable(report, { width: 80 });
    const header = tableRowsOf(text)[0]!;
    expect(header).not.toContain('WHERE USED');
    expect(text).toContain('(WHERE USED hidden to fit the terminal: widen it, or use --json)');
    expect(text).toContain('AKIALONG000000000001');
    expect(text).toContain('AKIALONG000000000002');
  });

  test('a wide terminal shows every cell whole, exactly as without a width', () => {
    expect(formatReportTable(report, { width: 1000 })).toBe(formatReportTable(report));
  });

  test('at 120 columns the rule, the key id and the severity stay whole; the description gives way first', () => {
    const row = tableRowsOf(formatReportTable(report, { width: 120 })).find((line) =>
      line.includes('key-too-old'),
    )!;
    expect(row).toMatch(/^1 +HIGH +key-too-old +a-service-user.*… +AKIALONG000000000001 +120d /);
    expect(row).toMatch(/the nightly.*…$/);
  });

  test('a wide character (CJK) counts two columns', () => {
    expect(truncateCell('東京の請求', 5)).toBe('東京…');
    expect(stringWidth(truncateCell('東京の請求', 6))).toBeLessThanOrEqual(6);
    expect(truncateCell('short', 5)).toBe('short');
  });

  test('severity colours paint the severity cell only; the columns still line up', () => {
    const paint = (severity: string, text: string) => `<${severity}>${text}</>`;
    const plain = tableRowsOf(formatReportTable(report, { width: 100 }));
    const painted = tableRowsOf(formatReportTable(report, { width: 100, paintSeverity: paint }));
    expect(painted[1]).toMatch(/^1 +<high>HIGH +<\/> {2}key-too-old/);
    expect(painted.map((line) => line.replace(/<\/?[a-z]*>/g, ''))).toEqual(plain);
    expect(painted[0]).toBe(plain[0]);
  });

  test('an action wraps under its text, after its number', () => {
    expect(wrapText('  3. Rotate the key: create a new one, then delete the old one.', 30)).toEqual([
      '  3. Rotate the key: create a',
      '     new one, then delete the',
      '     old one.',
    ]);
  });
});

describe('the CLI terminal: colours only where Node says the terminal shows them', () => {
  // A real tty.WriteStream's hasColors(), which reads NO_COLOR, NODE_DISABLE_COLORS, FORCE_COLOR and TERM.
  const terminal = Object.assign(Object.create(WriteStream.prototype) as WriteStream, { isTTY: true });

  test.each([
    [{ TERM: 'xterm-256color' }, true],
    [{ TERM: 'xterm-256color', NO_COLOR: '1' }, false],
    [{ TERM: 'xterm-256color', NO_COLOR: '' }, false],
    [{ TERM: 'dumb' }, false],
  ])('a terminal with %j: colours %s', (env, expected) => {
    expect(showsColours(terminal, env)).toBe(expected);
  });

  test('a pipe or a file: no colours, no width unless COLUMNS says', () => {
    expect(showsColours({ isTTY: false }, { TERM: 'xterm-256color', FORCE_COLOR: '1' })).toBe(false);
    expect(terminalWidth({}, {})).toBeUndefined();
    expect(terminalWidth({}, { COLUMNS: '80' })).toBe(80);
    expect(terminalWidth({ isTTY: true, columns: 132 }, {})).toBe(132);
    expect(terminalWidth({ isTTY: true, columns: 132 }, { COLUMNS: 'wide' })).toBe(132);
  });
});
