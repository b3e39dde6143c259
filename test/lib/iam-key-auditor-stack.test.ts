import { Duration, Validations, type CfnElement, type CfnResource } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, NagRuleCompliance, rules } from 'cdk-nag';
import {
  DEPLOY_CONFIG_CONTEXT,
  deployConfigFrom,
  EXAMPLE_DEPLOY_CONFIG,
  stagesWith,
} from '../../bin/deploy-config';
import { STAGES, stackIdFor } from '../../bin/stages';
import { IamKeyAuditorStack } from '../../lib/iam-key-auditor-stack';
import type { IamKeyAuditorStackProps } from '../../lib/props';
import {
  acknowledgements,
  actionsOf,
  allStatements,
  newApp,
  onlyResource,
  renderJoin,
  type Statement,
  snapshotOf,
  STACK_ID,
  synth,
  synthDefault,
} from '../support/cdk';

/** The IAM actions the audit needs, written out: a change to the grant must change this list too. */
const EXPECTED_IAM_ACTIONS = [
  'iam:GenerateCredentialReport',
  'iam:GetAccessKeyLastUsed',
  'iam:GetAccountAuthorizationDetails',
  'iam:GetAccountSummary',
  'iam:GetCredentialReport',
  'iam:GetUser',
  'iam:ListAccessKeys',
  'iam:ListAccountAliases',
];

/** The stages with the README's documented deploy config, `deploy.example.json`, applied as bin applies it. */
const DOCUMENTED_STAGES = stagesWith(
  STAGES,
  deployConfigFrom(
    (key) => (key === DEPLOY_CONFIG_CONTEXT ? EXAMPLE_DEPLOY_CONFIG : undefined),
    STAGES.map((props) => props.stage),
  ),
);
const EMAIL = 'platform-team@example.com';

/** The logical id of the report bucket the stack created. */
function reportBucketId(stack: IamKeyAuditorStack): string {
  return stack.getLogicalId(stack.reportBucket!.bucket.node.defaultChild as CfnElement);
}

/** The function's environment variables. */
function environmentOf(template: Template): Record<string, unknown> {
  const [, fn] = onlyResource(template, 'AWS::Lambda::Function');
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

const IAM_WRITE_ACTION =
  /^iam:(Create|Delete|Update|Put|Attach|Detach|Add|Remove|Tag|Untag|Set|Upload|Change|Enable|Deactivate|Reset|Resync|Pass)/;

describe('IamKeyAuditorStack', () => {
  describe('schedule', () => {
    it('runs every day at 07:00 UTC by default, invoking the function once with no retries', () => {
      const { template } = synthDefault();
      const [functionId] = onlyResource(template, 'AWS::Lambda::Function');
      template.resourceCountIs('AWS::Events::Rule', 1);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 7 * * ? *)',
        State: 'ENABLED',
        Targets: [
          {
            Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
            Id: Match.anyValue(),
            RetryPolicy: { MaximumRetryAttempts: 0 },
          },
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      });
    });

    it.each(['rate(6 hours)', 'rate(1 day)', 'cron(30 6 ? * MON-FRI *)', 'cron(0 8 1 * ? *)'])(
      'uses the schedule it is given: %s',
      (schedule) => {
        const { template } = synth({ schedule });
        template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: schedule });
      },
    );
  });

  describe('function', () => {
    it('runs nodejs22.x on arm64 with 15 minutes and 1024 MB by default, never retried, with no reserved concurrency', () => {
      const { template } = synthDefault();
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 900,
        MemorySize: 1024,
        ReservedConcurrentExecutions: Match.absent(),
      });
      const [functionId] = onlyResource(template, 'AWS::Lambda::Function');
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId },
        MaximumRetryAttempts: 0,
        Qualifier: '$LATEST',
      });
    });

    it('takes the timeout and memory it is given', () => {
      const { template } = synth({ timeout: Duration.minutes(5), memorySize: 512 });
      template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 300, MemorySize: 512 });
    });

    it('gets the default audit configuration, the service name and source maps in its environment', () => {
      const { template } = synthDefault();
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            MAX_KEY_AGE_DAYS: '90',
            WARN_DAYS: '7',
            UNUSED_DAYS: '45',
            SES_USER_PATTERNS: '["^ses-smtp-user\\\\."]',
            RUNBOOK_URL: Match.stringLikeRegexp(
              '^https://github\\.com/alphagov/govuk-developer-docs/.*aws-iam-key-rotation',
            ),
            RUNBOOK_SECTIONS: Match.serializedJson(
              Match.objectEquals({
                findIfUsed: '#2-find-out-if-the-key-is-used',
                findWhereUsed: '#3-find-where-the-key-is-used',
                createAndDeploy: '#4-create-and-deploy-new-key',
                sesSmtp: '#rotating-ses-smtp-credentials',
                ensureNewKeyUsed: '#5-ensure-new-key-is-being-used',
                removeOldKey: '#6-remove-the-old-key',
              }),
            ),
            AUDIT_CONCURRENCY: '8',
            CREDENTIAL_REPORT_WAIT_SECONDS: '60',
            IAM_MAX_ATTEMPTS: '10',
            POWERTOOLS_SERVICE_NAME: 'iam-key-auditor',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    });

    it('writes the audit settings it is given to the environment', () => {
      const { template } = synth({
        audit: {
          thresholds: { maxKeyAgeDays: 60, warnDays: 10, unusedDays: 30 },
          sesUserPatterns: ['^smtp-'],
          runbook: { url: 'https://example.com/runbook', sections: { removeOldKey: '#remove' } },
          concurrency: 4,
          reportWaitSeconds: 120,
          maxAttempts: 5,
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            MAX_KEY_AGE_DAYS: '60',
            WARN_DAYS: '10',
            UNUSED_DAYS: '30',
            SES_USER_PATTERNS: '["^smtp-"]',
            RUNBOOK_URL: 'https://example.com/runbook',
            RUNBOOK_SECTIONS: Match.serializedJson(Match.objectLike({ removeOldKey: '#remove' })),
            AUDIT_CONCURRENCY: '4',
            CREDENTIAL_REPORT_WAIT_SECONDS: '120',
            IAM_MAX_ATTEMPTS: '5',
          }),
        },
      });
    });
  });

  describe('logs', () => {
    it('keeps three months of logs in a retained log group that the function logs to', () => {
      const { template } = synthDefault();
      const [logGroupId] = onlyResource(template, 'AWS::Logs::LogGroup');
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 90 },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        LoggingConfig: { LogGroup: { Ref: logGroupId } },
      });
    });

    it('takes the retention it is given', () => {
      const { template } = synth({ logRetention: RetentionDays.ONE_WEEK });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    });
  });

  describe('permissions', () => {
    it('grants exactly the IAM read actions the audit needs, on *, in one statement', () => {
      const { template } = synthDefault();
      const iamStatements = allStatements(template).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('iam:')),
      );
      expect(iamStatements).toHaveLength(1);
      const [statement] = iamStatements as [Statement];
      expect([...actionsOf(statement)].sort()).toEqual(EXPECTED_IAM_ACTIONS);
      expect(statement.Effect).toBe('Allow');
      expect(statement.Resource).toBe('*');
    });

    it('grants nothing else but its log group, its topic, its webhook secret, its state table and its report objects', () => {
      const { template } = synthDefault();
      const [logGroupId] = onlyResource(template, 'AWS::Logs::LogGroup');
      const [topicId] = onlyResource(template, 'AWS::SNS::Topic');
      const [secretId] = onlyResource(template, 'AWS::SecretsManager::Secret');
      const statements = allStatements(template);
      const actions = statements.flatMap(actionsOf).sort();
      expect(actions).toEqual(
        [
          ...EXPECTED_IAM_ACTIONS,
          'dynamodb:DeleteItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          's3:PutObject',
          'secretsmanager:GetSecretValue',
          'sns:Publish',
        ].sort(),
      );
      const resourceOf = (action: string) =>
        statements.filter((s) => actionsOf(s).includes(action)).map((s) => s.Resource);
      const [bucketId] = onlyResource(template, 'AWS::S3::Bucket');
      expect(resourceOf('s3:PutObject')).toEqual([
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/iam-key-audit/*']] },
      ]);
      expect(resourceOf('sns:Publish')).toEqual([{ Ref: topicId }]);
      expect(resourceOf('secretsmanager:GetSecretValue')).toEqual([{ Ref: secretId }]);
      const [tableId] = onlyResource(template, 'AWS::DynamoDB::Table');
      expect(resourceOf('dynamodb:Query')).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
      expect(actions.filter((action) => IAM_WRITE_ACTION.test(action))).toEqual([]);
      expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
      const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [logGroupId, 'Arn'] }]);
    });

    it('uses its own role, assumable by Lambda only, with no managed policy', () => {
      const { template } = synthDefault();
      const [roleId] = onlyResource(template, 'AWS::IAM::Role');
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
          ],
        },
        ManagedPolicyArns: Match.absent(),
        Policies: Match.absent(),
      });
      template.hasResourceProperties('AWS::Lambda::Function', { Role: { 'Fn::GetAtt': [roleId, 'Arn'] } });
    });
  });

  describe('full report', () => {
    const statementsOn = (template: Template, action: string) =>
      allStatements(template).filter((s) => actionsOf(s).includes(action));

    it('creates the bucket by default and lets the function put objects under the prefix, nothing else in S3', () => {
      const { stack, template } = synthDefault();
      const bucketId = reportBucketId(stack);
      template.resourceCountIs('AWS::S3::Bucket', 1);
      const s3Statements = allStatements(template).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('s3:')),
      );
      expect(s3Statements).toEqual([
        {
          Sid: 'WriteAuditReports',
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/iam-key-audit/*']] },
        },
      ]);
      expect(environmentOf(template)).toMatchObject({
        REPORT_BUCKET_NAME: { Ref: bucketId },
        REPORT_KEY_PREFIX: 'iam-key-audit/',
        REPORT_BUCKET_REGION: { Ref: 'AWS::Region' },
        REPORT_BUCKET_OWNER: { Ref: 'AWS::AccountId' },
      });
      const outputs = Object.values(template.findOutputs('*')).filter((o) =>
        String(o.Description).startsWith('Where each audit writes its full report'),
      );
      expect(outputs.map((o) => renderJoin(o.Value))).toEqual([`s3://<${bucketId}>/iam-key-audit/`]);
    });

    it('writes no report with report: false: no bucket, no S3 grant, no REPORT_ variable', () => {
      const { stack, template } = synth({ report: false });
      expect(stack.reportBucket).toBeUndefined();
      template.resourceCountIs('AWS::S3::Bucket', 0);
      template.resourceCountIs('AWS::S3::BucketPolicy', 0);
      expect(
        allStatements(template)
          .flatMap(actionsOf)
          .filter((a) => a.startsWith('s3:')),
      ).toEqual([]);
      expect(Object.keys(environmentOf(template)).filter((name) => name.startsWith('REPORT_'))).toEqual([]);
    });

    it('imports a named bucket: no bucket created, the grant on its objects under the prefix only', () => {
      const { template } = synth({
        report: { bucketName: 'audit-evidence', keyPrefix: 'iam/daily/', account: '444455556666' },
      });
      template.resourceCountIs('AWS::S3::Bucket', 0);
      template.resourceCountIs('AWS::S3::BucketPolicy', 0);
      const [statement, ...others] = statementsOn(template, 's3:PutObject');
      expect(others).toEqual([]);
      expect(actionsOf(statement!)).toEqual(['s3:PutObject']);
      expect(renderJoin(statement!.Resource)).toBe('arn:<AWS::Partition>:s3:::audit-evidence/iam/daily/*');
      expect(environmentOf(template)).toMatchObject({
        REPORT_BUCKET_NAME: 'audit-evidence',
        REPORT_KEY_PREFIX: 'iam/daily/',
        REPORT_BUCKET_OWNER: '444455556666',
      });
    });

    it("grants the write to the function's own role in organization mode too (member roles only read IAM)", () => {
      const { stack, template } = synth({
        organization: {
          organizationId: 'o-abcdefghij',
          externalId: 'iam-key-auditor-test',
          managementAccountId: '111111111111',
        },
      });
      const [statement] = statementsOn(template, 's3:PutObject');
      expect(statement).toBeDefined();
      const policies = template.findResources('AWS::IAM::Policy');
      const holding = Object.values(policies).filter((p) =>
        JSON.stringify(p.Properties.PolicyDocument).includes('s3:PutObject'),
      );
      expect(holding.map((p) => p.Properties.Roles)).toEqual([
        [{ Ref: stack.getLogicalId(stack.auditFunction.role.node.defaultChild as CfnElement) }],
      ]);
    });

    it.each<[string, IamKeyAuditorStackProps['report'], RegExp]>([
      [
        'an upper-case bucket name',
        { bucketName: 'Audit-Evidence' },
        /^IamKeyAuditor-test: invalid report: bucketName must be an S3 bucket name .*; got "Audit-Evidence"/,
      ],
      [
        'a prefix with a wildcard',
        { keyPrefix: 'reports/*/' },
        /^IamKeyAuditor-test: invalid report: keyPrefix must be .*; got "reports\/\*\/"/,
      ],
      [
        'a retention of zero days',
        { retentionDays: 0 },
        /^IamKeyAuditor-test: invalid report: retentionDays must be a whole number of days from 1 to 36500; got 0/,
      ],
    ])('rejects %s', (_name, report, message) => {
      expect(() => synth({ report })).toThrow(message);
    });
  });

  describe('outputs', () => {
    it('names the function and gives a ready-to-paste manual invoke command', () => {
      const { template } = synthDefault();
      const [functionId] = onlyResource(template, 'AWS::Lambda::Function');
      template.hasOutput('AuditFunctionName', { Value: { Ref: functionId } });
      const outputs = template.findOutputs('ManualInvokeCommand');
      expect(renderJoin(outputs.ManualInvokeCommand?.Value)).toBe(
        `aws lambda invoke --region <AWS::Region> --function-name <${functionId}> ` +
          `--cli-binary-format raw-in-base64-out --payload '{"users":["alice"]}' out.json`,
      );
    });

    it('gives the dry-run invoke command and the command that puts the webhook URL in the secret', () => {
      const { template } = synthDefault();
      const [functionId] = onlyResource(template, 'AWS::Lambda::Function');
      const [secretId] = onlyResource(template, 'AWS::SecretsManager::Secret');
      const outputs = template.findOutputs('*');
      expect(renderJoin(outputs.DryRunCommand?.Value)).toBe(
        `aws lambda invoke --region <AWS::Region> --function-name <${functionId}> ` +
          `--cli-binary-format raw-in-base64-out --payload '{"dryRun":true}' report.json`,
      );
      const [logGroupId] = onlyResource(template, 'AWS::Logs::LogGroup');
      expect(renderJoin(outputs.LogsCommand?.Value)).toBe(
        `aws logs tail --region <AWS::Region> <${logGroupId}> --since 1d --filter-pattern '{ $.message = "audit complete" }'`,
      );
      template.hasOutput('SlackWebhookSecretArn', { Value: { Ref: secretId } });
      expect(renderJoin(outputs.SlackWebhookCommand?.Value)).toBe(
        `aws secretsmanager put-secret-value --region <AWS::Region> --secret-id <${secretId}> ` +
          `--secret-string 'https://hooks.slack.com/services/T000/B000/XXXX'`,
      );
    });

    it('has no webhook command when Slack is off', () => {
      const { template } = synth({ notifications: { slackWebhookSecret: false } });
      expect(Object.keys(template.findOutputs('*'))).not.toContain('SlackWebhookCommand');
    });
  });

  describe('props validated at synth', () => {
    it.each<[string, Partial<IamKeyAuditorStackProps>, RegExp]>([
      [
        'warnDays not below maxKeyAgeDays',
        { audit: { thresholds: { maxKeyAgeDays: 30, warnDays: 30 } } },
        /^IamKeyAuditor-test: invalid audit: warnDays \(30\) must be less than maxKeyAgeDays \(30\)/,
      ],
      [
        'an empty runbook url',
        { audit: { runbook: { url: '' } } },
        /^IamKeyAuditor-test: invalid audit: runbook\.url must be an http\(s\) URL .*; got ""/,
      ],
      [
        'a concurrency out of range',
        { audit: { concurrency: 0 } },
        /^IamKeyAuditor-test: invalid audit: concurrency must be a whole number from 1 to 64; got 0/,
      ],
      [
        'a 5-field cron',
        { schedule: 'cron(0 7 * * *)' },
        /^IamKeyAuditor-test: invalid schedule: schedule must be .*cron\(minutes hours day-of-month month day-of-week year\).*; got "cron\(0 7 \* \* \*\)" \(5 field\(s\)\)/,
      ],
      [
        'a cron with both day fields set',
        { schedule: 'cron(0 7 1 * MON *)' },
        /got "cron\(0 7 1 \* MON \*\)" \(neither day-of-month nor day-of-week is \?\)/,
      ],
      [
        'a bare cron expression',
        { schedule: '0 7 * * ? *' },
        /^IamKeyAuditor-test: invalid schedule: schedule must be rate\(N minute\|minutes\|hour\|hours\|day\|days\).*; got "0 7 \* \* \? \*"/,
      ],
      ['a rate in weeks', { schedule: 'rate(1 week)' }, /got "rate\(1 week\)"/],
      ['a plural unit for 1', { schedule: 'rate(1 hours)' }, /got "rate\(1 hours\)" \(use "hour"\)/],
      ['a singular unit for 2', { schedule: 'rate(2 day)' }, /got "rate\(2 day\)" \(use "days"\)/],
      [
        'a zero rate',
        { schedule: 'rate(0 minutes)' },
        /got "rate\(0 minutes\)" \(the rate must be at least 1\)/,
      ],
      [
        'an upper-case stage',
        { stage: 'Production' },
        /^IamKeyAuditor-test: invalid stage: .*; got "Production"$/,
      ],
      ['a stage with an underscore', { stage: 'prod_1' }, /invalid stage: .*; got "prod_1"$/],
      ['an empty stage', { stage: '' }, /invalid stage: .*; got ""$/],
      [
        'a timeout under a minute',
        { timeout: Duration.seconds(30) },
        /^IamKeyAuditor-test: invalid timeout: timeout must be a whole number of seconds from 60 to 900; got 30 seconds/,
      ],
      [
        'a timeout over 15 minutes',
        { timeout: Duration.minutes(16) },
        /invalid timeout: .*; got 16 minutes \(960 s\)/,
      ],
      [
        'too little memory',
        { memorySize: 64 },
        /^IamKeyAuditor-test: invalid memorySize: .* from 128 to 10240; got 64$/,
      ],
    ])('rejects %s', (_name, props, message) => {
      expect(() => synth(props)).toThrow(message);
    });
  });

  describe('cdk-nag (AWS Solutions)', () => {
    it.each([
      {
        name: 'defaults with a subscriber',
        props: { notifications: { topic: { emailSubscriptions: [EMAIL] } } },
      },
      ...DOCUMENTED_STAGES.map((props) => ({ name: props.stage, props })),
    ])('leaves no unacknowledged error or warning: $name', ({ props }) => {
      const { stack } = synth(props);
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
      expect(report.violations.filter((v) => v.severity === 'error')).toEqual([]);
      expect(report.violations.filter((v) => v.severity === 'warning')).toEqual([]);
      expect(report.success).toBe(true);
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    });

    it('warns, naming the fix, only that nobody is told when no subscriber is given', () => {
      const { stack } = synth();
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
      expect(report.violations).toEqual([]);
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
      expect(warnings.map((w) => [w.id, w.entry.data])).toEqual([
        [
          `/${STACK_ID}/Notifications`,
          expect.stringMatching(
            /^nobody is subscribed to the findings topic, so nobody will be told of stage test's findings and alarms: deploy with -c deployConfig=deploy\.json .*"alertEmail": "nobody".* on purpose \[ack: iam-key-auditor:nobodyIsTold\]$/,
          ),
        ],
      ]);
    });

    it('acknowledges only six findings, each on the one resource it concerns', () => {
      const { stack } = synthDefault();
      expect(acknowledgements(stack)).toEqual([
        { path: `${STACK_ID}/Notifications/Topic`, ids: ['AwsSolutions-SNS2'] },
        { path: `${STACK_ID}/Notifications/SlackWebhookUrl`, ids: ['AwsSolutions-SMG4'] },
        // The scheduled audit (id `Default`, left out of logical ids) holds the function.
        { path: `${STACK_ID}/Default/Audit/Role/DefaultPolicy`, ids: ['AwsSolutions-IAM5[Resource::*]'] },
        {
          path: `${STACK_ID}/Default/Audit/Role/DefaultPolicy`,
          ids: [`AwsSolutions-IAM5[Resource::<${reportBucketId(stack)}.Arn>/iam-key-audit/*]`],
        },
        { path: `${STACK_ID}/Default/Audit/Function/Resource`, ids: ['AwsSolutions-L1'] },
        { path: `${STACK_ID}/Report/Bucket`, ids: ['AwsSolutions-S1'] },
      ]);
    });

    it('acknowledges findings the rules do raise, so none is stale', () => {
      const { stack } = synthDefault();
      const policy = stack.auditFunction.role.node.findChild('DefaultPolicy').node.findChild('Resource');
      const fn = stack.auditFunction.function.node.findChild('Resource');
      expect(rules.iam.IAMNoWildcardPermissions(policy as CfnResource)).toEqual([
        'Resource::*',
        `Resource::<${reportBucketId(stack)}.Arn>/iam-key-audit/*`,
      ]);
      expect(rules.lambda.LambdaLatestVersion(fn as CfnResource)).toBe(NagRuleCompliance.NON_COMPLIANT);
    });
  });

  describe('stages', () => {
    it('deploys integration, staging and production, in that order', () => {
      expect(STAGES.map((props) => props.stage)).toEqual(['integration', 'staging', 'production']);
    });

    it('synthesizes every stage with the AWS Solutions pack registered, as bin does', () => {
      const app = newApp();
      for (const props of DOCUMENTED_STAGES) new IamKeyAuditorStack(app, stackIdFor(props.stage), props);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
      expect(() => app.synth()).not.toThrow();
    });

    // The stages as `cdk deploy -c deployConfig=deploy.example.json` deploys them (the README's deploy step).
    it.each(DOCUMENTED_STAGES.map((props) => [props.stage, props] as const))(
      'matches the %s snapshot',
      (stage, props) => {
        const stack = new IamKeyAuditorStack(newApp(), stackIdFor(stage), props);
        expect(snapshotOf(Template.fromStack(stack))).toMatchSnapshot();
      },
    );
  });
});
