import {
  assignOwners,
  DEFAULT_TEAM_TAG_KEY,
  ownerOf,
  routeFindings,
  validateTeams,
  type TeamRoute,
} from '../../../lambdas/audit/domain/owners';
import { evaluateRoot, evaluateUser } from '../../../lambdas/audit/domain/rules';
import type { Finding } from '../../../lambdas/audit/domain/types';
import { daysAgo, key, NOW, settings, user } from '../../support/builders';

const PAYMENTS_SECRET =
  'arn:aws:secretsmanager:eu-west-2:123456789012:secret:iam-key-auditor/payments-AbC123';
const TEAMS: Record<string, TeamRoute> = {
  payments: { mention: '<!subteam^S0PAYMENTS>', webhookSecretArn: PAYMENTS_SECRET },
  platform: { mention: '<!subteam^S0PLATFORM>' },
  data: { mention: '<@U0DATALEAD>' },
};

describe('ownerOf', () => {
  test.each<[string, Record<string, string>, string, string | null]>([
    ['the team tag', { team: 'payments' }, 'team', 'payments'],
    ['the tag key in another case', { Team: 'payments' }, 'team', 'payments'],
    ['the value trimmed', { team: '  payments ' }, 'team', 'payments'],
    ['a blank value: no owner', { team: '  ' }, 'team', null],
    ['no tag: no owner', { project: 'x' }, 'team', null],
    ['a configured tag key', { owner: 'data', team: 'payments' }, 'owner', 'data'],
  ])('%s', (_label, tags, tagKey, owner) => {
    expect(ownerOf(tags, tagKey)).toBe(owner);
  });

  test('the default tag key is team', () => {
    expect(DEFAULT_TEAM_TAG_KEY).toBe('team');
  });
});

describe('assignOwners', () => {
  const old = [key({ createdAt: daysAgo(100) })];
  const findings = [
    ...evaluateUser(user({ userName: 'alice', keys: old, tags: { team: 'payments' } }), NOW, settings()),
    ...evaluateUser(user({ userName: 'bob', keys: old }), NOW, settings()),
    ...evaluateRoot([{ active: true, createdAt: null, lastUsed: null }], NOW, settings()),
  ];

  const tagsByUser: Record<string, Record<string, string>> = { alice: { team: 'payments' }, bob: {} };

  test.each([
    ['a record', tagsByUser],
    ['a map', new Map(Object.entries(tagsByUser))],
  ])('sets owner from the user’s tags given %s; null without the tag or the user’s tags', (_label, tags) => {
    expect(assignOwners(findings, tags, 'team').map((f) => [f.userName, f.owner])).toEqual([
      ['alice', 'payments'],
      ['bob', null],
      ['<root_account>', null],
    ]);
  });

  test('leaves the input findings as they were', () => {
    assignOwners(findings, { alice: { team: 'payments' } }, 'team');
    expect(findings[0]).not.toHaveProperty('owner');
  });
});

describe('routeFindings', () => {
  const finding = (userName: string, owner: string | null): Pick<Finding, 'userName' | 'owner'> => ({
    userName,
    owner,
  });

  test('each team’s findings to its webhook, or to the default channel with its mention; unknown and unowned to the default channel', () => {
    const routes = routeFindings(
      [
        finding('nobody', null),
        finding('mallory', 'marketing'),
        finding('dan', 'data'),
        finding('pat', 'platform'),
        finding('paula', 'payments'),
        finding('piet', 'Platform'),
        finding('zed', 'analytics'),
        finding('untagged', undefined as unknown as null),
      ],
      TEAMS,
    );
    expect(routes.map((r) => [r.destination, r.team, r.mention, r.findings.map((f) => f.userName)])).toEqual([
      // A team with its own webhook: its channel, with its mention.
      [
        { team: 'payments', webhookSecretArn: PAYMENTS_SECRET },
        'payments',
        '<!subteam^S0PAYMENTS>',
        ['paula'],
      ],
      // Teams with a mention only: the default channel, mentioned, in the order of the map; the tag's case does not matter.
      ['default', 'platform', '<!subteam^S0PLATFORM>', ['pat', 'piet']],
      ['default', 'data', '<@U0DATALEAD>', ['dan']],
      // Teams the map does not know: the default channel, by name, no mention.
      ['default', 'analytics', undefined, ['zed']],
      ['default', 'marketing', undefined, ['mallory']],
      // No owner.
      ['default', null, undefined, ['nobody', 'untagged']],
    ]);
    expect(routes[3]).not.toHaveProperty('mention');
  });

  test.each<[string, Pick<Finding, 'owner'>[], number]>([
    ['no findings: no routes', [], 0],
    ['only unowned findings: one default route', [{ owner: null }], 1],
  ])('%s', (_label, findings, count) => {
    expect(routeFindings(findings, TEAMS)).toHaveLength(count);
  });

  test('without a map of teams everything goes to the default channel, grouped by owner', () => {
    const routes = routeFindings([finding('a', 'payments'), finding('b', null)], {});
    expect(routes.map((r) => [r.destination, r.team])).toEqual([
      ['default', 'payments'],
      ['default', null],
    ]);
  });
});

describe('validateTeams', () => {
  test('accepts user-group and user mentions and full secret ARNs', () => {
    const teams = {
      ...TEAMS,
      ops: { mention: '<@W0ENTERPRISE>' },
      'Core Infra': {
        webhookSecretArn: 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:hook-a1B2c3',
      },
    };
    expect(validateTeams(teams)).toBe(teams);
    expect(validateTeams()).toEqual({});
  });

  test.each<[string, Record<string, TeamRoute>, string]>([
    [
      'a handle, not a mention',
      { platform: { mention: '@platform' } },
      'teams["platform"].mention must be a Slack user group',
    ],
    ['a lowercase user-group id', { platform: { mention: '<!subteam^s0abc>' } }, 'got "<!subteam^s0abc>"'],
    [
      'a user-group mention with a label',
      { platform: { mention: '<!subteam^S0ABC|platform>' } },
      '.mention must be',
    ],
    ['a channel, not a mention', { platform: { mention: '<#C0123>' } }, '.mention must be'],
    ['a bot id', { platform: { mention: '<@B0123>' } }, '.mention must be'],
    [
      'a secret name, not an ARN',
      { payments: { webhookSecretArn: 'payments-hook' } },
      'teams["payments"].webhookSecretArn must be the full ARN',
    ],
    [
      'a partial ARN (no 6-character suffix)',
      {
        payments: { webhookSecretArn: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:payments-hook' },
      },
      'with its 6-character suffix',
    ],
    [
      'an SSM parameter ARN',
      { payments: { webhookSecretArn: 'arn:aws:ssm:eu-west-2:123456789012:parameter/hook-AbC123' } },
      '.webhookSecretArn must be',
    ],
    [
      'neither mention nor webhook',
      { payments: {} },
      'teams["payments"] must have a mention, a webhookSecretArn or both',
    ],
    [
      'a name IAM tags cannot hold',
      { 'pay,ments': { mention: '<@U0123>' } },
      'teams["pay,ments"]: a team name must be',
    ],
    ['a blank name', { ' ': { mention: '<@U0123>' } }, 'a team name must be'],
    [
      'two names differing in case',
      { platform: { mention: '<@U0123>' }, Platform: { mention: '<@U0456>' } },
      'teams["Platform"]: differs from teams["platform"] only in case',
    ],
  ])('throws naming the team and the value: %s', (_label, teams, message) => {
    expect(() => validateTeams(teams)).toThrow(message);
  });
});
