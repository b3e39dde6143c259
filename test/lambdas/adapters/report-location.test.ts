import {
  bucketNameProblem,
  keyPrefixProblem,
  reportKeys,
  s3ConsoleUrl,
  s3Uri,
} from '../../../lambdas/audit/adapters/report-location';

const ACCOUNT = '123456789012';

describe('reportKeys', () => {
  it('sorts by time as text does, across milliseconds, days, months and years', () => {
    const times = [
      '2026-11-29T10:19:38.123Z',
      '2026-11-29T10:19:38.124Z',
      '2026-11-29T10:19:39.000Z',
      '2026-11-30T00:00:00.000Z',
      '2026-12-01T06:00:00.000Z',
      '2027-01-01T06:00:00.000Z',
    ];
    const keys = times.map(
      (auditedAt) => reportKeys('r/', { accountId: ACCOUNT, auditedAt, scope: 'account' }).json,
    );
    expect([...keys].reverse().sort()).toEqual(keys);
  });

  it('gives two runs a millisecond apart, or of two scopes, their own keys', () => {
    const name = { accountId: ACCOUNT, auditedAt: '2026-11-29T10:19:38.123Z', scope: 'account' as const };
    const keys = [
      reportKeys('', name).json,
      reportKeys('', { ...name, auditedAt: '2026-11-29T10:19:38.124Z' }).json,
      reportKeys('', { ...name, scope: 'users' }).json,
      reportKeys('', { ...name, runId: 'run-1' }).json,
    ];
    expect(new Set(keys).size).toBe(4);
  });

  it("files an organization run's report under organization/, by day, named after the run", () => {
    const keys = reportKeys('iam-key-audit/', {
      accountId: 'organization',
      auditedAt: '2026-11-29T07:04:05.006Z',
      runId: 'run-42',
      scope: 'account',
    });
    expect(keys).toEqual({
      json: 'iam-key-audit/organization/2026/11/29/20261129T070405.006Z-run-42.json',
      csv: 'iam-key-audit/organization/2026/11/29/20261129T070405.006Z-run-42.csv',
    });
    expect(() =>
      reportKeys('', { accountId: 'organizations', auditedAt: '2026-11-29T07:04:05.006Z', scope: 'account' }),
    ).toThrow('invalid account id "organizations": it must be 12 digits (or "organization")');
  });

  it('holds only characters S3 calls safe, so no key needs escaping', () => {
    const { json, csv } = reportKeys('iam-key-audit/', {
      accountId: ACCOUNT,
      auditedAt: '2026-11-29T10:19:38.123Z',
      runId: 'Org_Run-2026',
      scope: 'account',
    });
    for (const key of [json, csv]) expect(key).toMatch(/^[A-Za-z0-9!_.*'()/-]+$/);
  });

  it('refuses a prefix the grant would not match', () => {
    expect(() =>
      reportKeys('reports', { accountId: ACCOUNT, auditedAt: '2026-11-29T10:19:38.123Z', scope: 'account' }),
    ).toThrow(/^invalid key prefix "reports": it must be empty, or folders/);
  });
});

describe('s3ConsoleUrl', () => {
  const KEY = 'iam-key-audit/123456789012/2026/11/29/20261129T101938.123Z-account.csv';

  it.each([
    [
      'the aws partition',
      'eu-west-2',
      `https://eu-west-2.console.aws.amazon.com/s3/object/reports?region=eu-west-2&bucketType=general&prefix=${KEY}`,
    ],
    [
      'the China regions',
      'cn-north-1',
      `https://cn-north-1.console.amazonaws.cn/s3/object/reports?region=cn-north-1&bucketType=general&prefix=${KEY}`,
    ],
    [
      'AWS GovCloud (US)',
      'us-gov-west-1',
      `https://console.amazonaws-us-gov.com/s3/object/reports?region=us-gov-west-1&bucketType=general&prefix=${KEY}`,
    ],
  ])('links to the object page of the console in %s', (_name, region, url) => {
    expect(s3ConsoleUrl('reports', region, KEY)).toBe(url);
  });

  it.each(['us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1'])(
    'has no URL in the isolated region %s, whose console is not public',
    (region) => {
      expect(s3ConsoleUrl('reports', region, KEY)).toBeUndefined();
    },
  );

  it('escapes what a key could hold, keeping its folders readable', () => {
    expect(s3ConsoleUrl('reports', 'eu-west-2', 'a b/c&d=e#f.csv')).toBe(
      'https://eu-west-2.console.aws.amazon.com/s3/object/reports?region=eu-west-2&bucketType=general&prefix=a%20b/c%26d%3De%23f.csv',
    );
  });

  it('refuses a region that is not one', () => {
    expect(() => s3ConsoleUrl('reports', 'evil.example/x?', KEY)).toThrow('invalid region "evil.example/x?"');
  });

  it('is never a presigned URL', () => {
    expect(s3ConsoleUrl('reports', 'eu-west-2', KEY)).not.toMatch(
      /X-Amz-|Signature|Expires|amazonaws\.com\/reports/,
    );
  });
});

describe('s3Uri', () => {
  it('is the s3:// form', () => {
    expect(s3Uri('reports', 'a/b.json')).toBe('s3://reports/a/b.json');
  });
});

describe('bucketNameProblem', () => {
  it.each([
    ['amzn-s3-demo-reports', 'it must not start with the reserved prefix amzn-s3-demo-'],
    ['sthree-reports', 'it must not start with the reserved prefix sthree-'],
    ['reports.mrap', 'it must not end with the reserved suffix .mrap'],
    ['reports--x-s3', 'it must not end with the reserved suffix --x-s3'],
    ['reports--table-s3', 'it must not end with the reserved suffix --table-s3'],
    ['reports--ol-s3', 'it must not end with the reserved suffix --ol-s3'],
    ['.reports', 'it must begin and end with a lowercase letter or a digit'],
    ['reports_2026', 'it may hold only lowercase letters, digits, dots (.) and hyphens (-)'],
  ])('refuses %s: %s', (name, problem) => {
    expect(bucketNameProblem(name)).toBe(problem);
  });

  it.each([
    'abc',
    'acme-iam-key-audit-reports',
    'reports.acme.example',
    '1-2-3',
    'a'.repeat(63),
    '192.168.5',
  ])('accepts %s', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });
});

describe('keyPrefixProblem', () => {
  it.each(['', 'iam-key-audit/', 'a/b/c/', 'security/iam_keys.v2/', '_x/'])('accepts %j', (prefix) => {
    expect(keyPrefixProblem(prefix)).toBeUndefined();
  });

  it.each(['reports', '/reports/', 'a//b/', 'a/*/', './a/', 'a/../', 'a b/', 'é/'])(
    'refuses %j',
    (prefix) => {
      expect(keyPrefixProblem(prefix)).toMatch(/^it must be empty, or folders/);
    },
  );
});
