import { main } from '../../lambdas/audit/cli';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { daysAgo, key, user } from '../support/builders';
import { accountOf, iamMock, serveAccount } from '../support/iam-mock';

function run(argv: string[], env: NodeJS.ProcessEnv = { CREDENTIAL_REPORT_WAIT_SECONDS: '0' }) {
  let out = '';
  return main(argv, { env, write: (text) => (out += text), pollIntervalMs: 0 }).then((result) => ({
    ...result,
    out,
  }));
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
    expect(code).toBe(0);
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
  ])('rejects %j with exit code 2 and no AWS call', async (argv, message) => {
    const { code, out } = await run(argv);
    expect(code).toBe(2);
    expect(out).toMatch(message);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('rejects a bad threshold from the environment', async () => {
    const { code, out } = await run([], { WARN_DAYS: '95' });
    expect(code).toBe(2);
    expect(out).toContain('warnDays (95) must be less than maxKeyAgeDays (90)');
  });
});
