import type { CfnResource } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import {
  OrganizationAccessStack,
  type OrganizationAccessStackProps,
} from '../../lib/organization-access-stack';
import { IamKeyAuditorStack } from '../../lib/iam-key-auditor-stack';
import type { OrganizationModeProps } from '../../lib/props';
import { organizationDeploymentFrom, organizationStacks } from '../../bin/organization-deployment';
import {
  acknowledgements,
  actionsOf,
  allStatements,
  newApp,
  onlyResource,
  STACK_ID,
  synth,
  type Statement,
  synthDefault,
  once,
} from '../support/cdk';

/** The IAM actions the member role allows, written out: a change to the engine's reads must change this list. */
const MEMBER_ROLE_ACTIONS = [
  'iam:GenerateCredentialReport',
  'iam:GetAccessKeyLastUsed',
  'iam:GetAccountAuthorizationDetails',
  'iam:GetAccountSummary',
  'iam:GetCredentialReport',
  'iam:GetUser',
  'iam:ListAccessKeys',
  'iam:ListAccountAliases',
];

const MANAGEMENT = '111111111111';
const TOOLING = '222222222222';
const MEMBER_A = '333333333333';
const MEMBER_B = '444444444444';
const ORG_ID = 'o-exampleorg1';
const EXTERNAL_ID = 'iam-key-auditor-example';

const ACCESS_PROPS: OrganizationAccessStackProps = {
  auditorStage: 'production',
  toolingAccountId: TOOLING,
  organizationId: ORG_ID,
  externalId: EXTERNAL_ID,
  organizationalUnitIds: ['ou-exam-ple12345', 'ou-exam-ple67890'],
};

const ORG_PROPS: OrganizationModeProps = {
  organizationId: ORG_ID,
  externalId: EXTERNAL_ID,
  managementAccountId: MANAGEMENT,
};

function synthAccess(props: Partial<OrganizationAccessStackProps> = {}) {
  const stack = new OrganizationAccessStack(newApp(), 'IamKeyAuditorOrganizationAccess', {
    ...ACCESS_PROPS,
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

function synthOrg(organization: Partial<OrganizationModeProps> = {}) {
  return synth({ organization: { ...ORG_PROPS, ...organization } });
}

/** The two stacks with the default props, synthesized once, for the tests that only read them. */
const accessDefault = once(() => synthAccess());
const orgDefault = once(() => synthOrg());

/** A value with `Fn::Join`, `Ref` and `Fn::GetAtt` rendered as text: `<Ref>`, `<LogicalId.Attribute>`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return `<${object.Ref as string}>`;
  if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
  return parts.map(render).join(separator);
}

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  [key: string]: unknown;
}

/** The state machine's definition, parsed, with the function's ARN rendered `<AuditFunction….Arn>`. */
function definitionOf(template: Template): { StartAt: string; States: Record<string, State> } {
  const [, stateMachine] = onlyResource(template, 'AWS::StepFunctions::StateMachine');
  return JSON.parse(render(stateMachine.Properties.DefinitionString)) as {
    StartAt: string;
    States: Record<string, State>;
  };
}

function memberTemplateOf(template: Template) {
  const [, stackSet] = onlyResource(template, 'AWS::CloudFormation::StackSet');
  return JSON.parse(stackSet.Properties.TemplateBody as string) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
}

function nagReport(stack: IConstruct) {
  return new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
}

/** The conditions both roles trust the auditor on, its ARN as `arn` writes it. */
function trustConditions(arn: (text: string) => unknown) {
  return {
    ArnEquals: { 'aws:PrincipalArn': arn(`:iam::${TOOLING}:role/iam-key-auditor-production`) },
    StringEquals: { 'aws:PrincipalOrgID': ORG_ID, 'sts:ExternalId': EXTERNAL_ID },
  };
}

describe('OrganizationAccessStack', () => {
  describe('the StackSet', () => {
    it('is service-managed and auto-deploys to the OUs, in one region, removing the role from accounts that leave', () => {
      const { template } = accessDefault();
      template.resourceCountIs('AWS::CloudFormation::StackSet', 1);
      template.hasResourceProperties('AWS::CloudFormation::StackSet', {
        StackSetName: 'iam-key-auditor-member-role',
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        CallAs: 'SELF',
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        StackInstancesGroup: [
          {
            DeploymentTargets: { OrganizationalUnitIds: ['ou-exam-ple12345', 'ou-exam-ple67890'] },
            Regions: ['us-east-1'],
          },
        ],
        OperationPreferences: {
          ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
          FailureTolerancePercentage: 10,
          MaxConcurrentPercentage: 25,
          RegionConcurrencyType: 'SEQUENTIAL',
        },
      });
    });

    it('is called as a delegated administrator, targets the root and the region it is given', () => {
      const { template } = synthAccess({
        callAs: 'DELEGATED_ADMIN',
        organizationalUnitIds: ['r-ab12'],
        memberRoleRegion: 'eu-west-2',
      });
      template.hasResourceProperties('AWS::CloudFormation::StackSet', {
        CallAs: 'DELEGATED_ADMIN',
        StackInstancesGroup: [
          { DeploymentTargets: { OrganizationalUnitIds: ['r-ab12'] }, Regions: ['eu-west-2'] },
        ],
      });
    });
  });

  describe('the member role, in the StackSet template', () => {
    it('is the only resource, named IamKeyAuditorReadOnly, with no managed policy', () => {
      const { template } = accessDefault();
      const member = memberTemplateOf(template);
      expect(Object.values(member.Resources).map((r) => r.Type)).toEqual(['AWS::IAM::Role']);
      const role = Object.values(member.Resources)[0]!.Properties;
      expect(role.RoleName).toBe('IamKeyAuditorReadOnly');
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.MaxSessionDuration).toBe(3600);
    });

    it('trusts only the auditor role of the tooling account, in the organization, with the external id', () => {
      const { template } = accessDefault();
      const role = Object.values(memberTemplateOf(template).Resources)[0]!.Properties;
      expect(role.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'TrustTheIamKeyAuditorOnly',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::${TOOLING}:root` } },
            Action: 'sts:AssumeRole',
            Condition: trustConditions((text) => ({ 'Fn::Sub': `arn:\${AWS::Partition}${text}` })),
          },
        ],
      });
    });

    it('allows exactly the IAM reads the audit makes, on *, and nothing else', () => {
      const { template } = accessDefault();
      const role = Object.values(memberTemplateOf(template).Resources)[0]!.Properties;
      const policies = role.Policies as { PolicyDocument: { Statement: Statement[] } }[];
      expect(policies).toHaveLength(1);
      const statements = policies[0]!.PolicyDocument.Statement;
      expect(statements).toHaveLength(1);
      expect([...actionsOf(statements[0]!)].sort()).toEqual(MEMBER_ROLE_ACTIONS);
      expect(statements[0]).toMatchObject({ Effect: 'Allow', Resource: '*' });
    });

    it("trusts the role of the auditor's stage", () => {
      const { template } = synthAccess({ auditorStage: 'staging' });
      const role = Object.values(memberTemplateOf(template).Resources)[0]!.Properties;
      expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain(
        `:iam::${TOOLING}:role/iam-key-auditor-staging"`,
      );
    });
  });

  describe('the organization reader role', () => {
    it('is named IamKeyAuditorOrganizationReader, trusted like the member role, allowed only ListAccounts', () => {
      const { template } = accessDefault();
      const [, role] = onlyResource(template, 'AWS::IAM::Role');
      const props = role.Properties as {
        RoleName: string;
        AssumeRolePolicyDocument: { Statement: Record<string, unknown>[] };
        ManagedPolicyArns?: unknown;
      };
      expect(props.RoleName).toBe('IamKeyAuditorOrganizationReader');
      expect(props.ManagedPolicyArns).toBeUndefined();
      const [trust, ...others] = props.AssumeRolePolicyDocument.Statement;
      expect(others).toEqual([]);
      expect(render((trust!.Principal as { AWS: unknown }).AWS)).toBe(
        `arn:<AWS::Partition>:iam::${TOOLING}:root`,
      );
      const conditions = trust!.Condition as { ArnEquals: Record<string, unknown> };
      expect({
        ...conditions,
        ArnEquals: { 'aws:PrincipalArn': render(conditions.ArnEquals['aws:PrincipalArn']) },
      }).toEqual(trustConditions((text) => `arn:<AWS::Partition>${text}`));
      expect(allStatements(template)).toEqual([
        {
          Sid: 'ListTheOrganizationsAccounts',
          Effect: 'Allow',
          Action: 'organizations:ListAccounts',
          Resource: '*',
        },
      ]);
    });
  });

  describe('props validated at synth', () => {
    it.each<[string, Partial<OrganizationAccessStackProps>, RegExp]>([
      [
        'a short account id',
        { toolingAccountId: '12345' },
        /toolingAccountId must be a 12-digit AWS account id; got "12345"/,
      ],
      [
        'an organization id without o-',
        { organizationId: 'exampleorg1' },
        /organizationId must be .*; got "exampleorg1"/,
      ],
      ['an external id of one character', { externalId: 'x' }, /externalId must be 2 to 1224 .*; got "x"/],
      ['an external id with a space', { externalId: 'a b' }, /externalId must be .*; got "a b"/],
      [
        'an account id as an OU',
        { organizationalUnitIds: [MEMBER_A] },
        /organizationalUnitIds must hold OU ids .*; got "333333333333"/,
      ],
      [
        'no OU',
        { organizationalUnitIds: [] },
        /organizationalUnitIds must name at least one OU or the root; got \[\]/,
      ],
      [
        'an OU twice',
        { organizationalUnitIds: ['r-ab12', 'r-ab12'] },
        /organizationalUnitIds names "r-ab12" twice/,
      ],
      [
        'a region that is not one',
        { memberRoleRegion: 'europe' },
        /memberRoleRegion must be a region .*; got "europe"/,
      ],
      [
        'an unknown callAs',
        { callAs: 'ADMIN' as 'SELF' },
        /callAs must be SELF or DELEGATED_ADMIN; got "ADMIN"/,
      ],
      ['an upper-case stage', { auditorStage: 'Prod' }, /stage must be lowercase .*; got "Prod"/],
    ])('rejects %s', (_name, props, message) => {
      expect(() => synthAccess(props)).toThrow(message);
      expect(() => synthAccess(props)).toThrow(/^IamKeyAuditorOrganizationAccess: invalid props: /);
    });
  });

  describe('cdk-nag (AWS Solutions)', () => {
    it.each([
      ['with no environment', undefined],
      ['in a set account and region', { account: MANAGEMENT, region: 'us-east-1' }],
    ])('leaves no unacknowledged error or warning, %s', (_name, env) => {
      const { stack } = synthAccess({ env });
      const report = nagReport(stack);
      expect(report.violations).toEqual([]);
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    });

    it("acknowledges only the reader role's Resource *, which the rule does raise", () => {
      const { stack } = accessDefault();
      expect(acknowledgements(stack)).toEqual([
        {
          path: 'IamKeyAuditorOrganizationAccess/OrganizationReader',
          ids: ['AwsSolutions-IAM5[Resource::*]'],
        },
      ]);
      const role = stack.readerRole.node.defaultChild as CfnResource;
      expect(rules.iam.IAMNoWildcardPermissions(role)).toEqual(['Resource::*']);
    });
  });
});

describe('IamKeyAuditorStack in organization mode', () => {
  describe('the audit function', () => {
    it('has a role named for the stage, which the member roles trust', () => {
      const { template } = orgDefault();
      const [roleId] = Object.entries(
        template.findResources('AWS::IAM::Role', {
          Properties: {
            AssumeRolePolicyDocument: {
              Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
            },
          },
        }),
      )[0]!;
      template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'iam-key-auditor-test' });
      template.hasResourceProperties('AWS::Lambda::Function', { Role: { 'Fn::GetAtt': [roleId, 'Arn'] } });
    });

    it('may assume the member role in any account and the reader role in the management account, and no other role', () => {
      const { template } = orgDefault();
      const assume = allStatements(template).filter((s) => actionsOf(s).includes('sts:AssumeRole'));
      expect(assume).toHaveLength(1);
      expect(actionsOf(assume[0]!)).toEqual(['sts:AssumeRole']);
      expect((assume[0]!.Resource as unknown[]).map(render)).toEqual([
        'arn:<AWS::Partition>:iam::*:role/IamKeyAuditorReadOnly',
        `arn:<AWS::Partition>:iam::${MANAGEMENT}:role/IamKeyAuditorOrganizationReader`,
      ]);
    });

    it('assumes roles only in accounts of the organization (aws:ResourceOrgID)', () => {
      const { template } = orgDefault();
      const assume = allStatements(template).find((s) => actionsOf(s).includes('sts:AssumeRole'))!;
      expect((assume as { Condition?: unknown }).Condition).toEqual({
        StringEquals: { 'aws:ResourceOrgID': ORG_ID },
      });
    });

    it("stores the accounts' results of a run in the state table, and reads no IAM itself", () => {
      const { template } = orgDefault();
      const [, fn] = onlyResource(template, 'AWS::Lambda::Function');
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const policies = Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
      ) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[];
      const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap(actionsOf));
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query']));
      expect(actions.filter((a) => a.startsWith('iam:'))).toEqual([]);
    });

    it('assumes the reader role in the delegated administrator account when one is named', () => {
      const { template } = synthOrg({ readerAccountId: MEMBER_B });
      const assume = allStatements(template).find((s) => actionsOf(s).includes('sts:AssumeRole'))!;
      expect(render((assume.Resource as unknown[])[1])).toBe(
        `arn:<AWS::Partition>:iam::${MEMBER_B}:role/IamKeyAuditorOrganizationReader`,
      );
    });

    it('is told the roles, the external id, and the accounts to include and exclude, the management account always excluded', () => {
      const { template } = synthOrg({ include: [MEMBER_A], exclude: [MEMBER_B] });
      const [, fn] = onlyResource(template, 'AWS::Lambda::Function');
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.ORG_ACCOUNT_ROLE_NAME).toBe('IamKeyAuditorReadOnly');
      expect(render(variables.ORG_READER_ROLE_ARN)).toBe(
        `arn:<AWS::Partition>:iam::${MANAGEMENT}:role/IamKeyAuditorOrganizationReader`,
      );
      expect(variables.ORG_EXTERNAL_ID).toBe(EXTERNAL_ID);
      expect(JSON.parse(variables.ORG_INCLUDE as string)).toEqual([MEMBER_A]);
      expect(JSON.parse(variables.ORG_EXCLUDE as string)).toEqual([MEMBER_B, MANAGEMENT]);
    });

    it('includes every account by default, leaving ORG_INCLUDE out', () => {
      const { template } = orgDefault();
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ ORG_INCLUDE: Match.absent(), ORG_EXCLUDE: `["${MANAGEMENT}"]` }),
        },
      });
    });
  });

  describe('the state machine', () => {
    it('lists the accounts, chooses the Map by their count, audits each, then notifies', () => {
      const { States, StartAt } = definitionOf(orgDefault().template);
      expect(StartAt).toBe('ListAccounts');
      expect(Object.keys(States).sort()).toEqual(
        ['AuditAccounts', 'AuditAccountsDistributed', 'ListAccounts', 'ManyAccounts', 'Notify'].sort(),
      );
      // The payloads are exactly what the function parses; the selectors keep only what the next states read.
      const functionArn = expect.stringMatching(/^<AuditFunction[0-9A-F]{8}\.Arn>$/) as unknown;
      expect(States.ListAccounts).toMatchObject({
        Type: 'Task',
        Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
        Next: 'ManyAccounts',
      });
      expect(States.ListAccounts!.Parameters).toEqual({
        FunctionName: functionArn,
        Payload: { organization: 'list-accounts', 'runId.$': '$$.Execution.Name' },
      });
      expect(States.ListAccounts!.ResultSelector).toEqual({
        'count.$': 'States.ArrayLength($.Payload.accounts)',
        'accounts.$': '$.Payload.accounts',
      });
      expect(States.ManyAccounts).toMatchObject({
        Type: 'Choice',
        Choices: [{ Variable: '$.count', NumericGreaterThan: 500, Next: 'AuditAccountsDistributed' }],
        Default: 'AuditAccounts',
      });
      // Each Map passes its input on: the accounts' results are in the state table, not in the state.
      expect(States.AuditAccounts).toMatchObject({ ResultPath: null, Next: 'Notify' });
      expect(States.AuditAccountsDistributed).toMatchObject({ ResultPath: null, Next: 'Notify' });
      expect(States.Notify).toMatchObject({ Type: 'Task', End: true });
      expect(States.Notify!.Parameters).toEqual({
        FunctionName: functionArn,
        Payload: { organization: 'notify', 'runId.$': '$$.Execution.Name' },
      });
      expect(States.Notify!.ResultSelector).toEqual({
        'runId.$': '$.Payload.runId',
        'summary.$': '$.Payload.summary',
      });
    });

    it.each([
      ['AuditAccounts', 'AuditAccount', 'AccountFailed', { Mode: 'INLINE' }],
      [
        'AuditAccountsDistributed',
        'AuditAccountDistributed',
        'AccountFailedDistributed',
        { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
      ],
    ])(
      '%s audits each account, 10 at a time, retrying Lambda errors and catching every other one per account',
      (mapName, auditName, failedName, processorConfig) => {
        const map = definitionOf(orgDefault().template).States[mapName] as State & {
          ItemProcessor: { ProcessorConfig: unknown; StartAt: string; States: Record<string, State> };
        };
        expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 10, ItemsPath: '$.accounts' });
        expect(map.ItemSelector).toEqual({
          organization: 'audit-account',
          'runId.$': '$$.Execution.Name',
          'accountId.$': '$$.Map.Item.Value.accountId',
          'accountName.$': '$$.Map.Item.Value.accountName',
        });
        expect(map.ItemProcessor.ProcessorConfig).toEqual(processorConfig);
        expect(map.ItemProcessor.StartAt).toBe(auditName);
        expect(Object.keys(map.ItemProcessor.States).sort()).toEqual([failedName, auditName].sort());
        expect(map.ItemProcessor.States[auditName]).toEqual({
          Type: 'Task',
          Comment: 'Audits one account through its read-only role',
          Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
          Parameters: {
            FunctionName: expect.stringMatching(/^<AuditFunction[0-9A-F]{8}\.Arn>$/),
            'Payload.$': '$',
          },
          ResultSelector: { 'accountId.$': '$.Payload.accountId', 'status.$': '$.Payload.status' },
          Retry: [
            {
              ErrorEquals: [
                'Lambda.ServiceException',
                'Lambda.AWSLambdaException',
                'Lambda.SdkClientException',
                'Lambda.TooManyRequestsException',
                'Lambda.ClientExecutionTimeoutException',
              ],
              IntervalSeconds: 2,
              MaxAttempts: 6,
              BackoffRate: 2,
              JitterStrategy: 'FULL',
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: failedName }],
          End: true,
        });
        expect(map.ItemProcessor.States[failedName]).toMatchObject({
          Type: 'Pass',
          Parameters: { 'accountId.$': '$.accountId', status: 'failed', 'error.$': '$.error.Error' },
          End: true,
        });
      },
    );

    it('takes the concurrency and the distributed Map threshold it is given', () => {
      const { States } = definitionOf(synthOrg({ maxConcurrency: 3, distributedMapAbove: 200 }).template);
      expect(States.ManyAccounts).toMatchObject({ Choices: [{ NumericGreaterThan: 200 }] });
      expect(States.AuditAccounts).toMatchObject({ MaxConcurrency: 3 });
      expect(States.AuditAccountsDistributed).toMatchObject({ MaxConcurrency: 3 });
    });

    it('logs every event to its own log group and is traced', () => {
      const { template } = orgDefault();
      const groups = template.findResources('AWS::Logs::LogGroup');
      const [groupId] = Object.entries(groups).find(([id]) => id.startsWith('Organization'))!;
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [groupId, 'Arn'] } } }],
        },
        TracingConfiguration: { Enabled: true },
      });
      expect(groups[groupId]).toMatchObject({
        Properties: { RetentionInDays: 90 },
        DeletionPolicy: 'Delete',
      });
    });
  });

  describe('the schedule', () => {
    it('starts the state machine, not the function, and only EventBridge may start it', () => {
      const { template } = orgDefault();
      const [stateMachineId] = onlyResource(template, 'AWS::StepFunctions::StateMachine');
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 7 * * ? *)',
        Targets: [
          {
            Arn: { Ref: stateMachineId },
            Id: Match.anyValue(),
            RoleArn: Match.anyValue(),
            RetryPolicy: { MaximumRetryAttempts: 0 },
          },
        ],
      });
      template.resourceCountIs('AWS::Lambda::Permission', 0);
      const starters = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify(policy).includes('"states:StartExecution"'),
      ) as { Properties: { Roles: { Ref: string }[] } }[];
      const roles = template.findResources('AWS::IAM::Role');
      const serviceOf = (roleId: string) =>
        (
          roles[roleId] as {
            Properties: { AssumeRolePolicyDocument: { Statement: { Principal: { Service: string } }[] } };
          }
        ).Properties.AssumeRolePolicyDocument.Statement[0]!.Principal.Service;
      // EventBridge starts runs; the state machine starts its own distributed Map's child executions.
      expect(starters.flatMap((p) => p.Properties.Roles.map((r) => serviceOf(r.Ref))).sort()).toEqual([
        'events.amazonaws.com',
        'states.amazonaws.com',
      ]);
    });
  });

  describe('alarms', () => {
    it('fire when any account could not be audited, through a Metrics Insights query over every account', () => {
      const { template } = orgDefault();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [
          {
            Id: Match.anyValue(),
            Expression:
              'SELECT SUM(AccountAuditFailed) FROM SCHEMA("IamKeyAuditor", Account, service) WHERE service = \'iam-key-auditor\'',
            Period: 300,
            Label: 'Accounts not audited',
            ReturnData: true,
          },
        ],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    });

    it('fire when a run fails as a whole', () => {
      const { template } = orgDefault();
      const [stateMachineId] = onlyResource(template, 'AWS::StepFunctions::StateMachine');
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stateMachineId } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('read the namespace the function writes to, and go with the others to the alarm topic', () => {
      const { template } = orgDefault();
      const [topicId] = onlyResource(template, 'AWS::SNS::Topic');
      template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
      for (const props of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
        expect((props as { Properties: unknown }).Properties).toMatchObject({
          AlarmActions: [{ Ref: topicId }],
          OKActions: [{ Ref: topicId }],
        });
      }
      const custom = synth({ organization: ORG_PROPS, monitoring: { metricsNamespace: 'Platform/IamKeys' } });
      custom.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [
          Match.objectLike({
            Expression: Match.stringLikeRegexp('FROM SCHEMA\\("Platform/IamKeys", Account, service\\)'),
          }),
        ],
      });
    });
  });

  describe('outputs', () => {
    it('name the state machine and give a ready-to-paste manual re-audit of one member account', () => {
      const { template } = orgDefault();
      const [stateMachineId] = onlyResource(template, 'AWS::StepFunctions::StateMachine');
      const [functionId] = onlyResource(template, 'AWS::Lambda::Function');
      template.hasOutput('StateMachineArn', { Value: { Ref: stateMachineId } });
      expect(render(template.findOutputs('ManualInvokeCommand').ManualInvokeCommand?.Value)).toBe(
        `aws lambda invoke --region <AWS::Region> --function-name <${functionId}> --cli-binary-format raw-in-base64-out ` +
          `--payload '{"accountId":"111122223333","users":["alice"]}' out.json`,
      );
      expect(render(template.findOutputs('DryRunCommand').DryRunCommand?.Value)).toBe(
        `aws lambda invoke --region <AWS::Region> --function-name <${functionId}> --cli-binary-format raw-in-base64-out ` +
          `--payload '{"accountId":"111122223333","dryRun":true}' report.json`,
      );
    });
  });

  describe('props validated at synth', () => {
    it.each<[string, Partial<OrganizationModeProps>, RegExp]>([
      [
        'a bad organization id',
        { organizationId: 'o-X' },
        /invalid organization: organizationId must be .*; got "o-X"/,
      ],
      [
        'a bad external id',
        { externalId: 'has space' },
        /invalid organization: externalId must be .*; got "has space"/,
      ],
      [
        'a bad management account',
        { managementAccountId: '1111' },
        /managementAccountId must be a 12-digit AWS account id; got "1111"/,
      ],
      [
        'a bad reader account',
        { readerAccountId: 'abc' },
        /readerAccountId must be a 12-digit AWS account id; got "abc"/,
      ],
      ['a bad included account', { include: ['12'] }, /include must be a 12-digit AWS account id; got "12"/],
      [
        'an empty include',
        { include: [] },
        /include must name at least one account; omit it to audit every account/,
      ],
      ['an account twice', { exclude: [MEMBER_A, MEMBER_A] }, /exclude names "333333333333" twice/],
      [
        'an account included and excluded',
        { include: [MEMBER_A], exclude: [MEMBER_A] },
        /account 333333333333 is both in include and in exclude/,
      ],
      [
        'the management account included',
        { include: [MANAGEMENT] },
        /include names the management account 111111111111, which organization mode cannot audit/,
      ],
      [
        'too many listed accounts',
        { exclude: Array.from({ length: 51 }, (_, i) => String(100000000000 + i)) },
        /include and exclude name 51 accounts; at most 50 fit/,
      ],
      ['no concurrency', { maxConcurrency: 0 }, /maxConcurrency must be a whole number from 1 to 40; got 0/],
      ['too much concurrency', { maxConcurrency: 41 }, /maxConcurrency must be .*; got 41/],
      [
        'a fractional threshold',
        { distributedMapAbove: 2.5 },
        /distributedMapAbove must be a whole number from 1 to 1000; got 2.5/,
      ],
    ])('rejects %s', (_name, organization, message) => {
      expect(() => synthOrg(organization)).toThrow(message);
      expect(() => synthOrg(organization)).toThrow(/^IamKeyAuditor-test: invalid organization: /);
    });

    it('rejects organization mode without the state table', () => {
      expect(() => synth({ organization: ORG_PROPS, state: false })).toThrow(
        /^IamKeyAuditor-test: invalid state: organization mode keeps each account's result in the state table, so state cannot be false$/,
      );
    });
  });

  describe('cdk-nag (AWS Solutions)', () => {
    it.each([
      ['with no environment', undefined],
      ['in a set account and region', { account: TOOLING, region: 'eu-west-2' }],
    ])('leaves no unacknowledged error or warning, %s', (_name, env) => {
      const { stack } = synth({
        organization: ORG_PROPS,
        env,
        notifications: { topic: { emailSubscriptions: ['platform@acme.example'] } },
      });
      expect(nagReport(stack).violations).toEqual([]);
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    });

    it('acknowledges each wildcard on the policy that holds it, and the rules do raise each one', () => {
      const { stack, template } = orgDefault();
      const [stateMachineId] = onlyResource(template, 'AWS::StepFunctions::StateMachine');
      const [functionId] = onlyResource(template, 'AWS::Lambda::Function');
      const [bucketId] = onlyResource(template, 'AWS::S3::Bucket');
      const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineId}"}]}]}`;
      const machine = `${STACK_ID}/Organization/StateMachine`;
      expect(acknowledgements(stack)).toEqual([
        { path: `${STACK_ID}/Notifications/Topic`, ids: ['AwsSolutions-SNS2'] },
        { path: `${STACK_ID}/Notifications/SlackWebhookUrl`, ids: ['AwsSolutions-SMG4'] },
        {
          path: `${STACK_ID}/Default/Audit/Role/DefaultPolicy`,
          ids: ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/IamKeyAuditorReadOnly]'],
        },
        {
          path: `${STACK_ID}/Default/Audit/Role/DefaultPolicy`,
          ids: [`AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/iam-key-audit/*]`],
        },
        { path: `${STACK_ID}/Default/Audit/Function/Resource`, ids: ['AwsSolutions-L1'] },
        { path: `${machine}/Role/DefaultPolicy`, ids: ['AwsSolutions-IAM5[Resource::*]'] },
        {
          path: `${machine}/Role/DefaultPolicy`,
          ids: [`AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`],
        },
        { path: `${machine}/DistributedMapPolicy`, ids: [`AwsSolutions-IAM5[Resource::${executions}:*]`] },
        { path: `${machine}/DistributedMapPolicy`, ids: [`AwsSolutions-IAM5[Resource::${executions}/*:*]`] },
        { path: `${STACK_ID}/Report/Bucket`, ids: ['AwsSolutions-S1'] },
      ]);
      const policy = (path: string) =>
        path.split('/').reduce<IConstruct>((scope, id) => scope.node.findChild(id), stack).node
          .defaultChild as CfnResource;
      expect(rules.iam.IAMNoWildcardPermissions(policy('Default/Audit/Role/DefaultPolicy'))).toEqual([
        'Resource::arn:<AWS::Partition>:iam::*:role/IamKeyAuditorReadOnly',
        `Resource::<${bucketId}.Arn>/iam-key-audit/*`,
      ]);
      expect(
        rules.iam.IAMNoWildcardPermissions(policy('Organization/StateMachine/Role/DefaultPolicy')),
      ).toEqual([`Resource::<${functionId}.Arn>:*`, 'Resource::*']);
      expect(
        rules.iam.IAMNoWildcardPermissions(policy('Organization/StateMachine/DistributedMapPolicy')),
      ).toEqual([`Resource::${executions}:*`, `Resource::${executions}/*:*`]);
    });
  });

  describe('single-account mode', () => {
    it('has no state machine, no organization role and no organization variables', () => {
      const { template } = synthDefault();
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
      expect(allStatements(template).filter((s) => actionsOf(s).includes('sts:AssumeRole'))).toEqual([]);
      expect(JSON.stringify(template.toJSON())).not.toMatch(
        /IamKeyAuditor(ReadOnly|OrganizationReader)|ORG_/,
      );
      template.hasResourceProperties('AWS::IAM::Role', { RoleName: Match.absent() });
    });
  });
});

describe('bin: the organization deployment', () => {
  const CONFIG = {
    organizationId: ORG_ID,
    externalId: EXTERNAL_ID,
    managementAccountId: MANAGEMENT,
    toolingAccountId: TOOLING,
    region: 'eu-west-2',
    organizationalUnitIds: ['r-ab12'],
  };
  const contextOf =
    (values: Record<string, unknown>) =>
    (key: string): unknown =>
      values[key];

  it('is absent without organization context: the single-account stages only', () => {
    expect(organizationDeploymentFrom(contextOf({}))).toBeUndefined();
  });

  it('reads the typed config file that organizationConfig names, or the organization context itself', () => {
    const fromFile = organizationDeploymentFrom(contextOf({ organizationConfig: 'org.json' }), (file) => {
      expect(file).toBe('org.json');
      return JSON.stringify(CONFIG);
    });
    expect(fromFile).toEqual(CONFIG);
    expect(organizationDeploymentFrom(contextOf({ organization: JSON.stringify(CONFIG) }))).toEqual(CONFIG);
    expect(organizationDeploymentFrom(contextOf({ organization: CONFIG }))).toEqual(CONFIG);
  });

  it.each([
    [{ ...CONFIG, organisationId: 'o-x' }, /unknown field\(s\) "organisationId"/],
    [{ ...CONFIG, toolingAccountId: 111111111111 }, /toolingAccountId must be a string; got 111111111111/],
    [{ ...CONFIG, organizationalUnitIds: 'r-ab12' }, /organizationalUnitIds must be a list/],
    [{ ...CONFIG, maxConcurrency: '10' }, /maxConcurrency must be a number/],
  ])('rejects a bad config, naming the field (%#)', (config, message) => {
    expect(() => organizationDeploymentFrom(contextOf({ organization: config }))).toThrow(message);
  });

  it('creates the access stack in the management account and the organization stage in the tooling account', () => {
    const { access, auditor } = organizationStacks({ ...CONFIG, exclude: [MEMBER_A] });
    expect(access).toMatchObject({
      env: { account: MANAGEMENT, region: 'us-east-1' },
      auditorStage: 'organization',
      toolingAccountId: TOOLING,
      organizationalUnitIds: ['r-ab12'],
    });
    expect(auditor).toEqual({
      stage: 'organization',
      env: { account: TOOLING, region: 'eu-west-2' },
      organization: {
        organizationId: ORG_ID,
        externalId: EXTERNAL_ID,
        managementAccountId: MANAGEMENT,
        exclude: [MEMBER_A],
      },
    });
    // Both synthesize, and cdk-nag finds nothing unacknowledged.
    const app = newApp();
    const stacks = [
      new OrganizationAccessStack(app, 'IamKeyAuditorOrganizationAccess', access),
      new IamKeyAuditorStack(app, 'IamKeyAuditor-organization', auditor),
    ];
    for (const stack of stacks) expect(nagReport(stack).violations).toEqual([]);
  });

  it('reads the reader role from a delegated administrator when the access stack is deployed there', () => {
    const { access, auditor } = organizationStacks({
      ...CONFIG,
      accessAccountId: MEMBER_B,
      callAs: 'DELEGATED_ADMIN',
    });
    expect(access).toMatchObject({ env: { account: MEMBER_B }, callAs: 'DELEGATED_ADMIN' });
    expect(auditor.organization.readerAccountId).toBe(MEMBER_B);
  });
});
