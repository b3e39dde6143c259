import { Match } from 'aws-cdk-lib/assertions';
import { actionsOf, allStatements, onlyResource, synth } from '../support/cdk';

const DATA_SECRET = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:data/slack-AbC123';

describe('owners, exemptions and changes in the stack props', () => {
  it('pass to the function as validated environment variables', () => {
    const { template } = synth({
      audit: {
        notifyMode: 'changes',
        fullDigestWeekday: 5,
        escalationDays: 21,
        escalationMention: '<!subteam^S0SECOPS>',
        teams: { platform: { mention: '<!subteam^S0PLATFORM>' } },
        exemptions: [
          { user: 'legacy-app', rules: ['key-too-old'], until: '2027-01-31', reason: 'vendor cannot rotate' },
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          NOTIFY_MODE: 'changes',
          FULL_DIGEST_WEEKDAY: '5',
          ESCALATION_DAYS: '21',
          ESCALATION_MENTION: '<!subteam^S0SECOPS>',
          TEAMS: '{"platform":{"mention":"<!subteam^S0PLATFORM>"}}',
          EXEMPTIONS:
            '[{"user":"legacy-app","rules":["key-too-old"],"until":"2027-01-31","reason":"vendor cannot rotate"}]',
          TEAM_TAG_KEY: 'team',
          MAX_EXEMPTION_DAYS: '180',
        }),
      },
    });
  });

  it("let the function read a team's own webhook secret, and nothing more", () => {
    const { template } = synth({ audit: { teams: { data: { webhookSecretArn: DATA_SECRET } } } });
    const [secretId] = onlyResource(template, 'AWS::SecretsManager::Secret');
    const reads = allStatements(template).filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(reads.map((s) => s.Resource)).toEqual([[DATA_SECRET, { Ref: secretId }]]); // CDK sorts the resources
  });

  it.each([
    [
      { audit: { escalationMention: '@security' } },
      /escalationMention must be a Slack mention .*; got "@security"/,
    ],
    [{ audit: { notifyMode: 'weekly' as never } }, /notifyMode must be one of daily, changes; got "weekly"/],
    [{ audit: { fullDigestWeekday: 7 } }, /fullDigestWeekday must be a whole number from 0 to 6; got 7/],
    [{ audit: { teams: { data: { mention: 'data-team' } } } }, /teams\["data"\]\.mention/],
    [
      { audit: { exemptions: [{ user: 'bob', until: '2027-02-30', reason: 'x' }] } },
      /exemptions\[0\] \(user "bob"\): until .*"2027-02-30"/,
    ],
    [
      { audit: { exemptions: [{ user: 'bob', until: '2027-01-31', reason: ' ' }] } },
      /exemptions\[0\] \(user "bob"\): reason/,
    ],
    [
      {
        notifications: { slackWebhookSecret: false as const },
        audit: { teams: { data: { webhookSecretArn: DATA_SECRET } } },
      },
      /teams have Slack webhooks of their own, but Slack is off/,
    ],
    [
      {
        audit: {
          exemptions: Array.from({ length: 40 }, (_, i) => ({
            user: `user-${i}`,
            until: '2027-01-31',
            reason: 'a long enough reason',
          })),
        },
      },
      /bytes of environment variables, .* put exemptions on the users as tags/,
    ],
  ])('reject %j at synth, naming the value', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
