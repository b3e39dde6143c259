import type { AuditReport } from '../../lambdas/audit/domain/report';
import type { SlackMessage } from '../../lambdas/audit/present/slack-blocks';
import type { SnsMessage } from '../../lambdas/audit/present/sns';
import { WebhookNotConfiguredError } from '../../lambdas/audit/adapters/secrets';
import {
  notify,
  NotificationError,
  planOrganization,
  slackNotConfigured,
  type Channels,
} from '../../lambdas/audit/notify';
import { fromReport, organization } from '../support/organization';
import { daysAgo, key, reportOfUsers, user } from '../support/builders';

/** A report with `findingsCount` findings: that many users `svc-<i>`, each with one key too old. */
function reportWith(findingsCount: number): AuditReport {
  const users = Array.from({ length: findingsCount }, (_, i) =>
    user({
      userName: `svc-${i}`,
      keys: [key({ accessKeyId: `AKIASVC${String(i).padStart(13, '0')}`, createdAt: daysAgo(100) })],
    }),
  );
  return reportOfUsers(users);
}

const WEBHOOK = 'https://hooks.slack.com/services/T0/B0/secret-token';

function channels(overrides: { slackFails?: Error; snsFails?: Error; secretFails?: Error } = {}) {
  const posted: SlackMessage[][] = [];
  const published: SnsMessage[] = [];
  const all: Required<Channels> = {
    slack: {
      webhookUrl: async () => {
        if (overrides.secretFails) throw overrides.secretFails;
        return WEBHOOK;
      },
      post: async (_url, messages) => {
        if (overrides.slackFails) throw overrides.slackFails;
        posted.push(messages);
        return { sent: messages.length };
      },
    },
    sns: {
      publish: async (message) => {
        if (overrides.snsFails) throw overrides.snsFails;
        published.push(message);
        return { messageId: 'msg-1' };
      },
    },
  };
  return { all, posted, published };
}

describe('notify', () => {
  it('sends the digest to Slack and the message to SNS', async () => {
    const { all, posted, published } = channels();
    const results = await notify(reportWith(3), all, { dryRun: false, clean: 'healthy-message' });
    expect(results).toEqual({
      slack: { status: 'sent', messages: 1 },
      sns: { status: 'sent', messages: 1, detail: 'msg-1' },
    });
    expect(JSON.stringify(posted[0])).toContain('svc-0');
    expect(published[0]?.subject).toMatch(/IAM keys/);
  });

  it('sends nothing on a dry run', async () => {
    const { all, posted, published } = channels();
    const results = await notify(reportWith(3), all, { dryRun: true, clean: 'healthy-message' });
    expect(results).toEqual({
      slack: { status: 'skipped', reason: 'dry run' },
      sns: { status: 'skipped', reason: 'dry run' },
    });
    expect(posted).toEqual([]);
    expect(published).toEqual([]);
  });

  it('posts one healthy line for a clean audit, or nothing when set to be silent', async () => {
    const healthy = channels();
    await notify(reportWith(0), healthy.all, { dryRun: false, clean: 'healthy-message' });
    expect(healthy.posted).toHaveLength(1);
    expect(JSON.stringify(healthy.posted[0])).toMatch(/healthy/);
    const silent = channels();
    const results = await notify(reportWith(0), silent.all, { dryRun: false, clean: 'silent' });
    expect(results.slack).toEqual({ status: 'skipped', reason: 'clean audit, set to post nothing' });
    expect(silent.posted).toEqual([]);
    expect(silent.published).toEqual([]);
  });

  it('says a channel that is not configured was skipped', async () => {
    const { all } = channels();
    const results = await notify(
      reportWith(1),
      { sns: all.sns },
      { dryRun: false, clean: 'healthy-message' },
    );
    expect(results.slack).toEqual({ status: 'skipped', reason: 'not configured' });
    expect(results.sns.status).toBe('sent');
  });

  it('still publishes to SNS when Slack is down, and the reverse', async () => {
    const slackDown = channels({
      slackFails: Object.assign(new Error('Slack answered 500 after 4 retries'), { code: 'http_500' }),
    });
    const results = await notify(reportWith(2), slackDown.all, { dryRun: false, clean: 'healthy-message' });
    expect(results.slack).toEqual({
      status: 'failed',
      reason: 'default channel: http_500: Slack answered 500 after 4 retries',
    });
    expect(results.sns.status).toBe('sent');
    expect(slackDown.published).toHaveLength(1);

    const snsDown = channels({
      snsFails: new Error('SNS publish to arn:aws:sns:eu-west-2:123456789012:t failed: AuthorizationError'),
    });
    const reverse = await notify(reportWith(2), snsDown.all, { dryRun: false, clean: 'healthy-message' });
    expect(reverse.sns.status).toBe('failed');
    expect(reverse.slack.status).toBe('sent');
    expect(snsDown.posted).toHaveLength(1);
  });

  it('reports an unreadable webhook secret as a Slack failure', async () => {
    const { all } = channels({
      secretFails: new Error('could not read the Slack webhook secret arn:…: AccessDeniedException'),
    });
    const results = await notify(reportWith(1), all, { dryRun: false, clean: 'healthy-message' });
    expect(results.slack).toEqual({
      status: 'failed',
      reason: expect.stringContaining('AccessDeniedException'),
    });
    expect(results.sns.status).toBe('sent');
  });

  it('names every channel and what became of it in its error', () => {
    const error = new NotificationError({
      slack: { status: 'failed', reason: 'invalid_blocks: Slack rejected the message' },
      sns: { status: 'sent', messages: 1 },
    });
    expect(error.message).toBe(
      'notification failed: slack failed (invalid_blocks: Slack rejected the message); sns sent',
    );
  });
});

describe('a Slack webhook not configured yet (the secret holds the marker)', () => {
  const TEAM_SECRET = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:data/slack-XyZ789';
  const teams = { data: { webhookSecretArn: TEAM_SECRET } };
  const teamReport = (): AuditReport => {
    const report = reportWith(2);
    return { ...report, findings: report.findings.map((f, i) => (i === 0 ? { ...f, owner: 'data' } : f)) };
  };
  const unconfigured = (which: string | undefined) => {
    const made = channels();
    const read = made.all.slack.webhookUrl;
    made.all.slack.webhookUrl = async (secretArn) => {
      if (secretArn === which) throw new WebhookNotConfiguredError(secretArn ?? 'default-secret');
      return read(secretArn);
    };
    return made;
  };

  it('skips only the team whose webhook is not configured, and the SNS message says how to configure it', async () => {
    const { all, posted, published } = unconfigured(TEAM_SECRET);
    const results = await notify(teamReport(), all, { dryRun: false, clean: 'healthy-message', teams });
    expect(results.slack).toEqual({ status: 'sent', messages: 1 });
    expect(posted).toHaveLength(1);
    const text = (JSON.parse(published[0]!.message) as { default: string }).default;
    expect(text).toContain(
      `Slack (team data) is not configured yet: put the URL with \`aws secretsmanager put-secret-value --secret-id ${TEAM_SECRET}`,
    );
  });

  it('finds the destinations not configured; other read errors are left to delivery', async () => {
    expect(await slackNotConfigured(unconfigured(undefined).all, teams)).toEqual({
      slack: expect.stringMatching(
        /^not configured yet: put the URL with `aws secretsmanager put-secret-value/,
      ),
    });
    const { all } = channels({ secretFails: new Error('AccessDeniedException') });
    expect(await slackNotConfigured(all, teams)).toEqual({});
    expect(await slackNotConfigured({}, teams)).toEqual({});
  });

  it('an organization run plans the default channel as skipped with the reason, and says so in SNS', () => {
    const reason = 'not configured yet: put the URL with `aws secretsmanager put-secret-value …`';
    const report = organization([fromReport('Prod', reportWith(2))]);
    const planned = planOrganization(report, channels().all, {
      dryRun: false,
      clean: 'healthy-message',
      slackNotConfigured: { slack: reason },
    });
    expect(planned.skipped.slack).toBe(reason);
    expect(planned.plans.map((p) => p.destination.key)).toEqual(['sns']);
    const sns = planned.plans[0]!.messages[0] as SnsMessage;
    expect((JSON.parse(sns.message) as { default: string }).default).toContain(`Slack is ${reason}`);
  });
});
