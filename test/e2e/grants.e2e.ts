/**
 * Every call granted: the real handler, with the environment of the synthesized function, runs every path
 * (scheduled audit, manual re-audit, dry run, fallback to live enumeration, state commit, the full report in S3,
 * each organization step, every notification channel) against local fakes that record each SDK operation. Each recorded `service:Action`
 * on its resource must be allowed by the synthesized policies of the role that signed it (iam-simulate), every
 * grant of the function's role must be used by some path, and removing any statement must deny some call.
 */
import { ORGANIZATION_STEP } from '../../lib/constructs/organization-fanout';
import { daysAgo } from '../support/builders';
import { accountOf, iamMock, stsMock, type MockUser } from '../support/iam-mock';
import type { RecordedCall } from './support/fake-aws';
import { deniedCalls, unusedGrants, type Principal } from './support/grants';
import {
  EXTERNAL_ID,
  MANAGEMENT_ACCOUNT,
  ORGANIZATION_ID,
  REGION,
  synthesizeAccess,
  synthesizeAuditor,
  TOOLING_ACCOUNT,
  type SynthesizedAccess,
  type SynthesizedAuditor,
} from './support/synthesized';
import { startWorld, type World } from './support/world';

// The shared client mocks stub every IAM and STS client's send; these tests answer through middleware instead.
iamMock.restore();
stsMock.restore();

/** Written by the Lambda service with the function's role, not by its code. */
const LAMBDA_SERVICE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

const TEAM_SECRET = `arn:aws:secretsmanager:${REGION}:${TOOLING_ACCOUNT}:secret:payments-slack-AbCdEf`;
const AUDIT = {
  teams: { payments: { webhookSecretArn: TEAM_SECRET, mention: '<!subteam^S0123ABCD>' } },
};

const oldKey = (id: string) => ({ accessKeyId: id, status: 'Active' as const, createdAt: daysAgo(100) });
/** alice (team payments) and carol (no team) hold keys too old; bob is healthy. */
const USERS: MockUser[] = [
  { userName: 'alice', tags: { team: 'payments' }, keys: [oldKey('AKIAALICE00000000001')] },
  {
    userName: 'bob',
    keys: [{ accessKeyId: 'AKIABOB0000000000001', status: 'Active', createdAt: daysAgo(5) }],
  },
  { userName: 'carol', keys: [oldKey('AKIACAROL00000000001')] },
];

const MEMBERS = ['222222222222', '333333333333'].map((accountId, i) => ({
  accountId,
  name: `member-${i + 1}`,
  iam: accountOf(USERS.map((u) => ({ ...u, keys: u.keys.map((k) => ({ ...k })) }))),
}));

/** The function's policies without statement `index` (counted across its documents). */
function withoutStatement(policies: Principal['policies'], index: number): Principal['policies'] {
  let i = 0;
  return policies.map(({ name, policy }) => ({
    name,
    policy: { ...policy, Statement: policy.Statement.filter(() => i++ !== index) },
  }));
}

/** Each statement of the function's role, removed in turn, must deny some recorded call. */
async function statementsEachNeeded(world: World): Promise<string[]> {
  const statements = world.functionRole.policies.flatMap((p) => p.policy.Statement);
  const baseline = (await world.deniedCalls()).length;
  const notNeeded: string[] = [];
  for (const [index, statement] of statements.entries()) {
    const actions = [statement.Action].flat();
    if (actions.every((a) => LAMBDA_SERVICE_ACTIONS.includes(a))) continue;
    const result = await world.deniedCalls(withoutStatement(world.functionRole.policies, index));
    if (result.length <= baseline) notNeeded.push(statement.Sid ?? JSON.stringify(actions));
  }
  return notNeeded;
}

describe('every call of the single-account function is granted by its synthesized role', () => {
  let auditor: SynthesizedAuditor;
  let world: World;

  beforeAll(async () => {
    auditor = synthesizeAuditor({ audit: AUDIT });
    const tooling = accountOf(USERS.map((u) => ({ ...u, keys: u.keys.map((k) => ({ ...k })) })));
    world = await startWorld({ auditor, tooling, teamSecrets: [TEAM_SECRET] });

    // The scheduled audit: credential report, state read and commit, default and team Slack, SNS.
    await world.invoke({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    // A manual re-audit of named users (live), then a dry run.
    await world.invoke({ users: ['alice', 'bob'] });
    await world.invoke({ dryRun: true });
    // The credential report refused: the audit falls back to live enumeration.
    tooling.report = { error: 'LimitExceeded' };
    await world.invoke({});
  }, 60_000);

  afterAll(() => world.close());

  it('ran every path: report and live reads, state read and commit, both Slack webhooks and SNS', () => {
    expect(world.aws.actions()).toEqual(
      expect.arrayContaining([
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'iam:GenerateCredentialReport',
        'iam:GetAccountAuthorizationDetails',
        'iam:GetCredentialReport',
        'iam:ListAccessKeys',
        'iam:GetAccessKeyLastUsed',
        'iam:GetUser',
        's3:PutObject',
        'secretsmanager:GetSecretValue',
        'sns:Publish',
      ]),
    );
    // The full report of each audit but the dry run, JSON and CSV, under the prefix, in the stack's bucket.
    const bucket = auditor.environment.REPORT_BUCKET_NAME;
    const written = [...world.aws.objects.keys()];
    expect(written).toHaveLength(6);
    for (const key of written) {
      expect(key).toMatch(
        new RegExp(
          `^${bucket}/iam-key-audit/${TOOLING_ACCOUNT}/\\d{4}/\\d{2}/\\d{2}/[0-9TZ.]+-(account|users)\\.(json|csv)$`,
        ),
      );
    }
    const secretsRead = world.aws.calls
      .filter((c) => c.action === 'GetSecretValue')
      .map((c) => c.input.SecretId);
    expect(new Set(secretsRead)).toEqual(
      new Set([auditor.environment.SLACK_WEBHOOK_SECRET_ARN, TEAM_SECRET]),
    );
    expect(world.slack.requests.length).toBeGreaterThan(1);
  });

  it('sends no call its role does not allow', async () => {
    expect(await world.deniedCalls()).toEqual([]);
  });

  it('is granted nothing that no path uses', async () => {
    expect(
      await unusedGrants(world.aws.calls, world.functionRole, world.describer, LAMBDA_SERVICE_ACTIONS),
    ).toEqual([]);
  });

  it('needs every statement of its role: removing one denies a call', async () => {
    expect(await statementsEachNeeded(world)).toEqual([]);
  });

  it('writes the full report through its s3:PutObject statement alone: without it, every write is denied', async () => {
    const statements = world.functionRole.policies.flatMap((p) => p.policy.Statement);
    const index = statements.findIndex((s) => s.Sid === 'WriteAuditReports');
    expect(index).toBeGreaterThanOrEqual(0);
    const denied = await world.deniedCalls(withoutStatement(world.functionRole.policies, index));
    expect(denied).toHaveLength(world.aws.objects.size);
    expect(denied.every((d) => d.startsWith('s3:PutObject arn:aws:s3:::'))).toBe(true);
  });
});

describe('every call of the organization-mode function is granted by its synthesized roles', () => {
  let auditor: SynthesizedAuditor;
  let access: SynthesizedAccess;
  let world: World;

  beforeAll(async () => {
    auditor = synthesizeAuditor({
      audit: AUDIT,
      organization: {
        organizationId: ORGANIZATION_ID,
        externalId: EXTERNAL_ID,
        managementAccountId: MANAGEMENT_ACCOUNT,
      },
    });
    access = synthesizeAccess();
    world = await startWorld({
      auditor,
      access,
      tooling: accountOf([]),
      members: MEMBERS,
      teamSecrets: [TEAM_SECRET],
    });
    const runId = 'e2e-run-1';
    await world.invoke({ organization: ORGANIZATION_STEP.listAccounts, runId });
    for (const member of MEMBERS) {
      await world.invoke({
        organization: ORGANIZATION_STEP.auditAccount,
        runId,
        accountId: member.accountId,
        accountName: member.name,
      });
    }
    await world.invoke({ organization: ORGANIZATION_STEP.notify, runId });
    // A manual re-audit of a member account's user.
    await world.invoke({ accountId: MEMBERS[0]!.accountId, users: ['alice'] });
  }, 60_000);

  afterAll(() => world.close());

  it('ran every step: listing through the reader role, audits through the member roles, results and digest', () => {
    expect(world.aws.actions()).toEqual(
      expect.arrayContaining([
        'dynamodb:PutItem',
        'dynamodb:Query',
        'organizations:ListAccounts',
        'sts:AssumeRole',
        'iam:GetCredentialReport',
        's3:PutObject',
        'sns:Publish',
        'secretsmanager:GetSecretValue',
      ]),
    );
    // The run's report at the notify step, and the manual re-audit's, each signed by the function's own role.
    const bucket = auditor.environment.REPORT_BUCKET_NAME;
    expect(
      [...world.aws.objects.keys()].map((key) =>
        key.replace(/\/\d{4}\/\d{2}\/\d{2}\/[0-9TZ.]+-/, '/<time>-'),
      ),
    ).toEqual([
      `${bucket}/iam-key-audit/organization/<time>-e2e-run-1.json`,
      `${bucket}/iam-key-audit/organization/<time>-e2e-run-1.csv`,
      `${bucket}/iam-key-audit/${MEMBERS[0]!.accountId}/<time>-users.json`,
      `${bucket}/iam-key-audit/${MEMBERS[0]!.accountId}/<time>-users.csv`,
    ]);
    const writers = new Set(world.aws.calls.filter((c) => c.service === 's3').map((c) => c.principal));
    expect(writers).toEqual(new Set([world.functionRole.arn]));
    const roles = new Set(world.aws.calls.filter((c) => c.service === 'iam').map((c) => c.principal));
    expect(roles).toEqual(
      new Set(MEMBERS.map((m) => `arn:aws:iam::${m.accountId}:role/IamKeyAuditorReadOnly`)),
    );
  });

  it('sends no call that the role signing it does not allow (function, reader and member roles)', async () => {
    expect(await world.deniedCalls()).toEqual([]);
  });

  it('is granted nothing that no path uses', async () => {
    expect(
      await unusedGrants(world.aws.calls, world.functionRole, world.describer, LAMBDA_SERVICE_ACTIONS),
    ).toEqual([]);
  });

  it('needs every statement of its role: removing one denies a call', async () => {
    expect(await statementsEachNeeded(world)).toEqual([]);
  });

  it('may not assume a role of that name in an account outside the organization (aws:ResourceOrgID)', async () => {
    const stranger = '444444444444';
    const roleArn = `arn:aws:iam::${stranger}:role/IamKeyAuditorReadOnly`;
    const call: RecordedCall = {
      service: 'sts',
      action: 'AssumeRole',
      input: { RoleArn: roleArn, ExternalId: EXTERNAL_ID },
      principal: world.functionRole.arn,
      account: TOOLING_ACCOUNT,
    };
    // A role someone else made, trusting the auditor: only the auditor's own policy can refuse it.
    const describer = {
      ...world.describer,
      orgOf: (account: string) => (account === stranger ? 'o-zzzzzzzzzz' : ORGANIZATION_ID),
      trustOf: () => ({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: world.functionRole.arn }, Action: 'sts:AssumeRole' },
        ],
      }),
    };
    expect(await deniedCalls([call], world.functionRole, describer)).toEqual([
      `sts:AssumeRole ${roleArn}: ImplicitlyDenied`,
    ]);
    const withoutPerimeter = world.functionRole.policies.map(({ name, policy }) => ({
      name,
      policy: {
        ...policy,
        Statement: policy.Statement.map(({ Condition: _condition, ...statement }) => statement),
      },
    }));
    expect(
      await deniedCalls([call], { ...world.functionRole, policies: withoutPerimeter }, describer),
    ).toEqual([]);
  });
});
