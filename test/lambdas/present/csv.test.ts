import { buildCsv, CSV_COLUMNS, csvCell } from '../../../lambdas/audit/present/csv';
import { daysAgo, exempted, key, reportOfUsers, used, user } from '../../support/builders';

describe('buildCsv: one row per finding, spreadsheet-friendly', () => {
  const report = reportOfUsers([
    user({
      userName: 'alice',
      keys: [key({ accessKeyId: 'AKIAALICE00000000001', createdAt: daysAgo(100), lastUsed: used(1) })],
      tags: { AKIAALICE00000000001: 'billing, "prod"' },
    }),
    user({
      userName: 'bob',
      keys: [
        key({ accessKeyId: 'AKIABOB0000000000001', createdAt: daysAgo(121), lastUsed: used(1) }),
        key({ accessKeyId: 'AKIABOB0000000000002', createdAt: daysAgo(1), lastUsed: null }),
      ],
    }),
  ]);
  const withExempted = {
    ...report,
    exempted: [exempted(report.findings[1]!)],
    findings: [report.findings[0]!],
  };
  const csv = buildCsv(withExempted);
  const lines = csv.split('\r\n');

  test('a header, then one row per finding (alerting, then exempted), CRLF line ends', () => {
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + 2 + 1); // header, two findings, the empty string after the last CRLF
    expect(lines.at(-1)).toBe('');
  });

  test('a pair is one row, its keys joined; the step and the key kept are columns', () => {
    const pair = lines.find((l) => l.includes(',bob,'))!;
    expect(pair).toContain('AKIABOB0000000000001 / AKIABOB0000000000002');
    expect(pair).toContain(',deploy-new-key,');
    expect(pair).toContain('AKIABOB0000000000002');
  });

  test('commas and quotes are quoted; an exempted row says until when and why', () => {
    expect(csv).toContain('"billing, ""prod"""');
    expect(lines.find((l) => l.includes(',bob,'))).toContain('2026-12-31,migrating to roles');
  });

  test.each([
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['plain', 'plain'],
    [42, '42'],
    [null, ''],
  ])('csvCell(%j) is %s: a would-be formula is text', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });
});
