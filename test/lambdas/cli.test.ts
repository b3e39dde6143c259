import { EXIT, main } from '../../lambdas/audit/cli';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { daysAgo, key, user } from '../support/builders';
import { accountOf, iamMock, serveAccount } from '../support/iam-mock';

const CREDENTIALS = { accessKeyId: 'AKIATESTTESTTESTTEST', secretAccessKey: 'test-not-a-secret' };

async function run(argv: string[], env: NodeJS.ProcessEnv = { CREDENTIAL_REPORT_WAIT_SECONDS: '0' }) {
  let out = '';
  let err = '';
  const result = await main(argv, {
    env,
    write: (text) => (out += text),
    writeError: (text) => (err += text),
    credentials: CREDENTIALS,
    pollIntervalMs: 0,
  });
  return { ...result, out, err };
}

beforeEach(() => {
  serveAccount(
    accountOf(
      [
        user({
          userName: 'ci+deploy@acme.example',
          tags: { AKIACI00000000000001: 'github actions: deploy workflow' },
          keys: [key({ accessKeyId: 'AKIACI00000000000001', createdAt: daysAgo(100), lastUsed: null })],
        }),
        user({
          userName: 'bob',
          keys: [key({ accessKeyId: 'AKIABOB0000000000001', createdAt: daysAgo(5) })],
        }),
      ],
      { alias: 'acme-production' },
    ),
  );
});

describe('the CLI', () => {
  it('prints a table with each finding, its action and runbook link', async () => {
    const { code, out } = await run(['--now', '2026-11-28T09:00:00Z']);
    expect(code).toBe(EXIT.findings);
    expect(out).toContain('IAM access key audit of acme-production (123456789012), all users');
    // One verdict per key: too old and never used is removed, not rotated.
    expect(out).toMatch(
      /HIGH\s+key-unused\s+ci\+deploy@acme\.example\s+AKIACI00000000000001\s+100d\s+never used\s+github actions: deploy workflow/,
    );
    expect(out).toContain('#6-remove-the-old-key');
    expect(out).not.toMatch(/\bbob\b/);
  });

  it('prints the JSON report with --json', async () => {
    const { out } = await run(['--json', '--now', '2026-11-28T09:00:00Z']);
    const report = JSON.parse(out) as AuditReport;
    expect(report.summary).toMatchObject({ usersScanned: 2, findings: 1 });
    expect(report.findings[0]).toMatchObject({
      userName: 'ci+deploy@acme.example',
      description: 'github actions: deploy workflow',
    });
  });

  it('re-audits named users with --users', async () => {
    const { out } = await run(['--json', '--users', 'bob,ghost', '--now', '2026-11-28T09:00:00Z']);
    const report = JSON.parse(out) as AuditReport;
    expect(report.scope).toEqual({ type: 'users', users: ['bob', 'ghost'] });
    expect(report.usersNotFound).toEqual(['ghost']);
  });

  it.each([
    [['--now', 'soon'], /"now" must be an ISO 8601 instant/],
    [['--users', 'bad name'], /invalid IAM user name "bad name"/],
    [['--colour'], /Unknown option '--colour'/],
    [['--fail-on', 'severe'], /--fail-on must be one of critical, high, medium, low, never; got "severe"/],
  ])('rejects %j with exit code 2 and no AWS call', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(EXIT.usage);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('rejects a bad threshold from the environment', async () => {
    const { code, err } = await run([], { WARN_DAYS: '95' });
    expect(code).toBe(EXIT.usage);
    expect(err).toContain('warnDays (95) must be less than maxKeyAgeDays (90)');
  });

  it.each([
    [[], EXIT.findings],
    [['--fail-on', 'critical'], EXIT.ok],
    [['--fail-on', 'medium'], EXIT.findings],
    [['--fail-on', 'never'], EXIT.ok],
    [['--users', 'bob'], EXIT.ok],
  ])('with %j exits %i (a HIGH and a MEDIUM finding; bob has none)', async (argv, expected) => {
    const { code, out } = await run(['--json', '--now', '2026-11-28T09:00:00Z', ...argv]);
    expect(code).toBe(expected);
    expect(JSON.parse(out)).toHaveProperty('summary');
  });

  it('lists in --help exactly the options it accepts', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(EXIT.ok);
    const listed = [...out.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(['--users', '--now', '--json', '--fail-on', '--region', '--help']);
    for (const option of listed) {
      const value = option === '--help' || option === '--json' ? [] : ['x'];
      const { err } = await run([option!, ...value]);
      // Each listed option is known: at worst its value is refused, never the option itself.
      expect(err).not.toMatch(/Unknown option/);
    }
    expect(out).toMatch(/Exit codes:\n {2}0 .*\n {2}3 .*\n {2}1 .*\n {2}2 /);
  });
});
