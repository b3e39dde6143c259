import { checkCaseBudgets, diffFindings, type CaseMeasurements } from '../../bench/budgets';
import { median, packageOf } from '../../bench/bundle';
import { expectedAudit } from '../../bench/expected';
import { parseBenchOptions, UsageError } from '../../bench/options';
import { validateAuditConfig } from '../../lambdas/audit/config';
import { evaluateUser } from '../../lambdas/audit/domain/rules';
import { FakeIamAccount } from '../../tools/fake-iam/account';
import { daysAgo, key, NOW, settings, used, user } from '../support/builders';

const tooOld = evaluateUser(user({ keys: [key({ createdAt: daysAgo(100) })] }), NOW, settings());
const unused = evaluateUser(
  user({ userName: 'bob', keys: [key({ createdAt: daysAgo(60), lastUsed: used(50) })] }),
  NOW,
  settings(),
);

describe('diffFindings', () => {
  it('finds identical sets identical, whatever their order', () => {
    expect(diffFindings([...tooOld, ...unused], [...unused, ...tooOld]).identical).toBe(true);
  });

  it('names the verdicts only one side found', () => {
    const diff = diffFindings([...tooOld, ...unused], tooOld);
    expect(diff).toMatchObject({ identical: false, onlyLeftCount: 1, onlyRightCount: 0 });
    expect(diff.onlyLeft).toEqual(['key-unused bob AKIAEXAMPLE000000001 ']);
  });

  it('counts findings with the same verdict but other content', () => {
    const changed = tooOld.map((f) => ({
      ...f,
      action: { ...f.action, step: 'remove-unused-key' as const },
    }));
    expect(diffFindings(tooOld, changed)).toMatchObject({
      identical: false,
      onlyLeftCount: 0,
      contentDiffers: 1,
    });
  });
});

describe('checkCaseBudgets', () => {
  const same = diffFindings(tooOld, tooOld);
  const measurements = (engine: Partial<NonNullable<CaseMeasurements['engine']>>): CaseMeasurements => ({
    users: 5000,
    flaggedShare: 0.2,
    latencyMs: 50,
    ratePerSecond: 10,
    expected: { flaggedUsers: 1000, keysNeedingLastUse: 900 },
    engine: {
      calls: { ListAccessKeys: 1000, GetAccessKeyLastUsed: 900, GetAccountAuthorizationDetails: 5 },
      totalCalls: 1905,
      wallMs: 170_000,
      rateLimited: true,
      peakRssBytes: 100 * 2 ** 20,
      vsExpected: same,
      ...engine,
    },
    naive: { totalCalls: 19_050, vsExpected: same },
    engineVsNaive: same,
  });
  const statusOf = (lines: ReturnType<typeof checkCaseBudgets>, budget: string) =>
    lines.find((line) => line.budget.startsWith(budget))?.status;

  it.each([
    ['ListAccessKeys', { calls: { ListAccessKeys: 1001 }, totalCalls: 1001 }],
    ['GetAccessKeyLastUsed', { calls: { GetAccessKeyLastUsed: 901 }, totalCalls: 901 }],
    ['other calls', { calls: {}, totalCalls: 16 }],
    ['wall time', { wallMs: 180_000 }],
    ['engine peak RSS', { peakRssBytes: 256 * 2 ** 20 }],
    ['>= 10x', { totalCalls: 1906 }],
  ])('fails %s over its limit', (budget, engine) => {
    expect(statusOf(checkCaseBudgets(measurements({})), budget)).toBe('PASS');
    expect(statusOf(checkCaseBudgets(measurements(engine)), budget)).toBe('FAIL');
  });

  it('does not judge wall time from a run without the rate limit', () => {
    expect(statusOf(checkCaseBudgets(measurements({ rateLimited: false })), 'wall time')).toBe('n/a');
  });

  it('sets the time and ratio budgets for the issue case only', () => {
    const lines = checkCaseBudgets({ ...measurements({}), users: 500 });
    expect(statusOf(lines, 'wall time')).toBeUndefined();
    expect(statusOf(lines, '>= 10x')).toBeUndefined();
  });
});

describe('expectedAudit', () => {
  it('counts the keys whose verdict depends on last use, and those the report cannot settle', () => {
    const now = new Date(NOW);
    const account = new FakeIamAccount({ accountId: '111122223333' });
    const daysBefore = (days: number) => new Date(Date.parse(daysAgo(days)));
    account.addUser({ userName: 'healthy', createDate: daysBefore(300) });
    account.addKey('healthy', {
      createDate: daysBefore(10),
      lastUsed: { date: daysBefore(1), service: 's3', region: 'eu-west-1' },
    });
    // Too old and used yesterday: last use matters to key-unused, but a newer use cannot change the verdict.
    account.addUser({ userName: 'old', createDate: daysBefore(300) });
    account.addKey('old', {
      createDate: daysBefore(100),
      lastUsed: { date: daysBefore(1), service: 's3', region: 'eu-west-1' },
    });
    // Never used in 50 days: a use now would clear key-unused.
    account.addUser({ userName: 'never', createDate: daysBefore(300) });
    account.addKey('never', { createDate: daysBefore(50) });

    expect(expectedAudit(account, now, validateAuditConfig())).toMatchObject({
      users: 3,
      keys: 3,
      flaggedUsers: 2,
      keysNeedingLastUse: 2,
      keysReportCannotSettle: 1,
    });
  });
});

describe('parseBenchOptions', () => {
  const startedAt = new Date('2026-06-01T09:30:00.123Z');

  it('defaults to the issue cases', () => {
    expect(parseBenchOptions([], startedAt)).toMatchObject({
      users: [500, 5000, 20000],
      flaggedShare: 0.2,
      latencyMs: 50,
      ratePerSecond: 10,
      strategies: ['engine', 'naive'],
      out: 'bench/results/2026-06-01T09-30-00Z.json',
    });
  });

  it.each([
    [['--users', '500,many']],
    [['--flagged', '1.5']],
    [['--rate', '0']],
    [['--strategies', 'engine,fast']],
    [['--unknown']],
  ])('rejects %j', (argv) => {
    expect(() => parseBenchOptions(argv, startedAt)).toThrow(UsageError);
  });
});

describe('bundle helpers', () => {
  it.each([
    ['node_modules/@aws-sdk/client-iam/dist-cjs/index.js', '@aws-sdk/client-iam'],
    ['node_modules/a/node_modules/csv-parse/dist/cjs/index.cjs', 'csv-parse'],
    ['lambdas/audit/engine.ts', '(project)'],
  ])('packageOf(%s) is %s', (path, name) => {
    expect(packageOf(path)).toBe(name);
  });

  it('takes the median of odd and even counts', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
