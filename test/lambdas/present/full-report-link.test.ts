/**
 * Where the full report is, as every renderer says it: the Slack digest and the SNS text of an account audit and
 * of an organization run link to its S3 console page, or say that it could not be written; the organization CSV.
 */
import { buildCsv, buildOrganizationCsv, CSV_COLUMNS } from '../../../lambdas/audit/present/csv';
import { buildOrganizationDigest } from '../../../lambdas/audit/present/org-slack';
import { buildOrganizationSnsMessage } from '../../../lambdas/audit/present/org-sns';
import { buildSlackDigest } from '../../../lambdas/audit/present/slack';
import { buildSnsMessage, type SnsMessage } from '../../../lambdas/audit/present/sns';
import type { SlackMessage } from '../../../lambdas/audit/present/slack-blocks';
import { daysAgo, key, reportOfUsers, used, user } from '../../support/builders';
import {
  accountId,
  failedAccount,
  fromReport,
  organization,
  usersWithFindings,
} from '../../support/organization';

const LOCATION =
  'https://eu-west-2.console.aws.amazon.com/s3/object/acme-reports?region=eu-west-2&bucketType=general&prefix=iam-key-audit/123456789012/2026/11/28/20261128T090000.000Z-account.csv';
const FAILED = "could not be written this time (the audit function's log says why)";

const report = reportOfUsers([
  user({ userName: 'deploy-bot', keys: [key({ createdAt: daysAgo(120), lastUsed: used(1) })] }),
]);
const org = organization([
  fromReport('alpha', reportOfUsers(usersWithFindings(3), { accountId: accountId(1) })),
  failedAccount('beta', accountId(2), 'AccessDenied'),
]);

const slackText = (messages: SlackMessage[]) => JSON.stringify(messages);
const snsText = (message: SnsMessage) => (JSON.parse(message.message) as { default: string }).default;

describe('the full report in the account digest', () => {
  it('is linked from Slack (the URL escaped as mrkdwn wants it) and named in the SNS text', () => {
    expect(
      slackText(buildSlackDigest(report, { clean: 'healthy-message', reportLocation: LOCATION })),
    ).toContain(`Full report (JSON and CSV): <${LOCATION.replace(/&/g, '&amp;')}|open in the S3 console>`);
    expect(snsText(buildSnsMessage(report, { reportLocation: LOCATION }))).toContain(
      `Full report (every finding, CSV; the JSON is beside it): ${LOCATION}\n`,
    );
  });

  it('is said to be missing when it could not be written', () => {
    expect(slackText(buildSlackDigest(report, { clean: 'healthy-message', reportFailed: true }))).toContain(
      `The full report ${FAILED}`,
    );
    expect(snsText(buildSnsMessage(report, { reportFailed: true }))).toContain(`Full report: ${FAILED}`);
  });

  it('is not mentioned when there is none (report off, dry run)', () => {
    expect(slackText(buildSlackDigest(report, { clean: 'healthy-message' }))).not.toContain('Full report');
    expect(snsText(buildSnsMessage(report))).not.toContain('Full report');
  });

  it('is where the SNS text sends a reader for the findings left out to fit', () => {
    const many = reportOfUsers(usersWithFindings(400));
    const message = buildSnsMessage(many, { reportLocation: LOCATION, maxBytes: 64_000 });
    expect(message.findingsOmitted).toBeGreaterThan(0);
    expect(snsText(message)).toContain(`Every finding is in the full report: ${LOCATION}`);
    expect(snsText(message)).not.toContain('aws lambda invoke');
  });
});

describe("the organization run's full report", () => {
  it('is linked from the organization digest and named in its SNS text', () => {
    expect(
      slackText(buildOrganizationDigest(org, { clean: 'healthy-message', reportLocation: LOCATION })),
    ).toContain(
      `Full report of the run (JSON and CSV): <${LOCATION.replace(/&/g, '&amp;')}|open in the S3 console>`,
    );
    expect(snsText(buildOrganizationSnsMessage(org, { reportLocation: LOCATION }))).toContain(
      `Full report (every finding, CSV; the JSON is beside it): ${LOCATION}\n`,
    );
  });

  it('is said to be missing when it could not be written', () => {
    expect(
      slackText(buildOrganizationDigest(org, { clean: 'healthy-message', reportFailed: true })),
    ).toContain(`The run's full report ${FAILED}`);
    expect(snsText(buildOrganizationSnsMessage(org, { reportFailed: true }))).toContain(
      `Full report: ${FAILED}`,
    );
  });

  it("has a CSV row per finding each account kept, with the account's id, under one header", () => {
    const rows = buildOrganizationCsv(org).trimEnd().split('\r\n');
    expect(rows[0]).toBe(CSV_COLUMNS.join(','));
    expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual([accountId(1), accountId(1), accountId(1)]);
    // The same rows as the account's own CSV.
    const alpha = org.accounts.find((a) => a.accountName === 'alpha')!;
    expect(rows.slice(1).sort()).toEqual(
      buildCsv({ ...report, accountId: alpha.accountId, findings: alpha.findings, exempted: [] })
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .sort(),
    );
  });
});
