import { parseCredentialReport } from '../../../lambdas/audit/adapters/credential-report';
import {
  CREDENTIAL_REPORT_COLUMNS,
  credentialReportCsv,
  credentialReportRow,
  daysAgo,
  key,
  used,
  user,
} from '../../support/builders';

describe('parseCredentialReport', () => {
  test('the builder renders the report as AWS writes it', () => {
    const csv = credentialReportCsv([
      { user: 'alice', access_key_1_active: true, access_key_1_last_rotated: '2026-08-30T09:00:00Z' },
    ]);
    const [header, line] = csv.split('\n');
    expect(header).toBe(CREDENTIAL_REPORT_COLUMNS.join(','));
    expect(header?.split(',')).toHaveLength(22);
    expect(line).toBe(
      'alice,arn:aws:iam::123456789012:user/alice,2025-10-24T09:00:00+00:00,false,N/A,N/A,N/A,false,' +
        'true,2026-08-30T09:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
    );
  });

  test('gives the root account its own row, with its keys', () => {
    const report = parseCredentialReport(
      credentialReportCsv([
        {
          user: '<root_account>',
          password_enabled: 'not_supported',
          access_key_1_active: true,
          access_key_1_last_rotated: '2024-01-15T10:00:00Z',
          access_key_1_last_used_date: '2026-11-20T08:30:00Z',
          access_key_1_last_used_region: 'us-east-1',
          access_key_1_last_used_service: 'iam',
        },
        { user: 'alice' },
      ]),
    );
    expect(report.root).toEqual({
      userName: '<root_account>',
      arn: 'arn:aws:iam::123456789012:root',
      keys: [
        {
          slot: 1,
          active: true,
          createdAt: '2024-01-15T10:00:00.000Z',
          lastUsed: { date: '2026-11-20T08:30:00.000Z', service: 'iam', region: 'us-east-1' },
        },
      ],
    });
    expect(report.users.map((u) => u.userName)).toEqual(['alice']);
  });

  test('no root row gives root null; a root row without keys gives no root keys', () => {
    expect(parseCredentialReport(credentialReportCsv([{ user: 'alice' }])).root).toBeNull();
    expect(parseCredentialReport(credentialReportCsv([{ user: '<root_account>' }])).root?.keys).toEqual([]);
  });

  test.each([
    ['no keys (N/A everywhere)', {}, []],
    [
      'a key in slot 1 only',
      { access_key_1_active: true, access_key_1_last_rotated: '2026-08-30T09:00:00Z' },
      [{ slot: 1, active: true, createdAt: '2026-08-30T09:00:00.000Z', lastUsed: null }],
    ],
    [
      'a key in slot 2 only (slot 1 deleted)',
      { access_key_2_active: false, access_key_2_last_rotated: '2026-08-30T09:00:00Z' },
      [{ slot: 2, active: false, createdAt: '2026-08-30T09:00:00.000Z', lastUsed: null }],
    ],
    [
      'an active flag without a creation date (no key in the slot)',
      { access_key_1_active: true, access_key_1_last_rotated: 'N/A' },
      [],
    ],
    [
      'two keys, one inactive',
      {
        access_key_1_active: false,
        access_key_1_last_rotated: '2025-01-01T00:00:00Z',
        access_key_1_last_used_date: '2025-06-01T12:00:00Z',
        access_key_1_last_used_region: 'eu-west-1',
        access_key_1_last_used_service: 's3',
        access_key_2_active: true,
        access_key_2_last_rotated: '2026-10-01T00:00:00Z',
        access_key_2_last_used_date: '2026-11-27T16:00:00Z',
        access_key_2_last_used_region: 'eu-west-2',
        access_key_2_last_used_service: 'sqs',
      },
      [
        {
          slot: 1,
          active: false,
          createdAt: '2025-01-01T00:00:00.000Z',
          lastUsed: { date: '2025-06-01T12:00:00.000Z', service: 's3', region: 'eu-west-1' },
        },
        {
          slot: 2,
          active: true,
          createdAt: '2026-10-01T00:00:00.000Z',
          lastUsed: { date: '2026-11-27T16:00:00.000Z', service: 'sqs', region: 'eu-west-2' },
        },
      ],
    ],
    [
      'a last use without service or region',
      {
        access_key_1_active: true,
        access_key_1_last_rotated: '2026-08-30T09:00:00Z',
        access_key_1_last_used_date: '2026-09-01T09:00:00Z',
        access_key_1_last_used_region: 'N/A',
        access_key_1_last_used_service: 'N/A',
      },
      [
        {
          slot: 1,
          active: true,
          createdAt: '2026-08-30T09:00:00.000Z',
          lastUsed: { date: '2026-09-01T09:00:00.000Z', service: null, region: null },
        },
      ],
    ],
    [
      'a last use of no_information',
      {
        access_key_1_active: true,
        access_key_1_last_rotated: '2026-08-30T09:00:00Z',
        access_key_1_last_used_date: 'no_information',
      },
      [{ slot: 1, active: true, createdAt: '2026-08-30T09:00:00.000Z', lastUsed: null }],
    ],
  ])('%s', (_label, columns, keys) => {
    const report = parseCredentialReport(credentialReportCsv([{ user: 'alice', ...columns }]));
    expect(report.users).toEqual([{ userName: 'alice', arn: 'arn:aws:iam::123456789012:user/alice', keys }]);
  });

  test('a user name with a comma is read whole (CSV quoting)', () => {
    const csv = credentialReportCsv([
      { user: 'svc,legacy@example', access_key_1_active: true, access_key_1_last_rotated: daysAgo(5) },
      { user: 'bob' },
    ]);
    expect(csv).toContain('\n"svc,legacy@example","arn:aws:iam::123456789012:user/svc,legacy@example",');
    const report = parseCredentialReport(csv);
    expect(report.users.map((u) => [u.userName, u.arn, u.keys.length])).toEqual([
      ['svc,legacy@example', 'arn:aws:iam::123456789012:user/svc,legacy@example', 1],
      ['bob', 'arn:aws:iam::123456789012:user/bob', 0],
    ]);
  });

  test('reads back the keys of a user built with the builders', () => {
    const alice = user({
      keys: [
        key({ accessKeyId: 'AKIA1', createdAt: daysAgo(100), lastUsed: used(3, { service: 'ec2' }) }),
        key({ accessKeyId: 'AKIA2', status: 'Inactive', createdAt: daysAgo(5), lastUsed: null }),
      ],
    });
    const [parsed] = parseCredentialReport(credentialReportCsv([credentialReportRow(alice)])).users;
    expect(parsed?.keys).toEqual([
      { slot: 1, active: true, createdAt: daysAgo(100), lastUsed: used(3, { service: 'ec2' }) },
      { slot: 2, active: false, createdAt: daysAgo(5), lastUsed: null },
    ]);
  });

  test.each(['access_key_2_last_used_service', 'arn', 'access_key_1_last_rotated'] as const)(
    'a report without %s is rejected naming the column',
    (missing) => {
      const csv = credentialReportCsv([{ user: 'alice' }], {
        columns: CREDENTIAL_REPORT_COLUMNS.filter((c) => c !== missing),
      });
      expect(() => parseCredentialReport(csv)).toThrow(`credential report: missing column(s) ${missing}`);
    },
  );

  test.each([
    ['access_key_1_last_rotated', { access_key_1_active: true, access_key_1_last_rotated: 'not-a-date' }],
    [
      'access_key_2_last_used_date',
      {
        access_key_2_active: true,
        access_key_2_last_rotated: '2026-08-30T09:00:00Z',
        access_key_2_last_used_date: 'sometime',
      },
    ],
  ])('a date that does not parse is rejected naming the user and %s', (column, columns) => {
    const csv = credentialReportCsv([{ user: 'alice' }, { user: 'bob.smith', ...columns }]);
    const bad = Object.values(columns).at(-1);
    expect(() => parseCredentialReport(csv)).toThrow(
      `credential report: ${column} of user "bob.smith" is not a date: ${JSON.stringify(bad)}`,
    );
  });

  test.each([
    ['an empty report', ''],
    ['a header without rows', credentialReportCsv([])],
    ['a header and a blank line', `${credentialReportCsv([])}\n\n`],
  ])('%s has no users and no root', (_label, csv) => {
    expect(parseCredentialReport(csv)).toEqual({ root: null, users: [] });
  });
});
