import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, NagRuleCompliance, rules } from 'cdk-nag';
import {
  ReportBucket,
  validateReportBucketProps,
  type ReportBucketProps,
} from '../../lib/constructs/report-bucket';
import { acknowledgements, actionsOf, allStatements, newApp, onlyResource } from '../support/cdk';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-2';

/**
 * A stack holding one report bucket and a function it grants to, as the auditor's stack will. The function is the
 * smallest that cdk-nag passes: a role without managed policies, and its one pinned-runtime finding acknowledged.
 */
function place(props?: ReportBucketProps, env: { account?: string; region?: string } = {}) {
  const stack = new Stack(newApp(), 'ReportBucketTest', { env });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const fn = new lambda.Function(stack, 'Function', {
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
    role,
  });
  Validations.of(fn.node.findChild('Resource')).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'The test function pins nodejs22.x, as the auditor does.',
  });
  const reports = new ReportBucket(stack, 'Reports', props);
  reports.grantWrite(fn);
  return { stack, fn, reports, template: Template.fromStack(stack) };
}

/** A resource written with `Fn::Join` as text: `<LogicalId.Arn>` for a `Fn::GetAtt`, `<Name>` for a `Ref`. */
function renderArn(value: unknown): string {
  const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const { Ref: ref, 'Fn::GetAtt': getAtt } = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      return `<${getAtt ? getAtt.join('.') : String(ref)}>`;
    })
    .join(separator);
}

function reportStatements(template: Template) {
  return allStatements(template).filter((statement) => actionsOf(statement).some((a) => a.startsWith('s3:')));
}

function nagReport(stack: Stack) {
  return new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
}

describe('ReportBucket', () => {
  describe('the bucket the stack creates', () => {
    it('is private, TLS only, encrypted with S3 managed keys, versioned, and ACLs are off', () => {
      const { template } = place();
      template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
    });

    it('denies every request without TLS, or with TLS older than 1.2', () => {
      const { template } = place();
      const [bucketId] = onlyResource(template, 'AWS::S3::Bucket');
      const [, policy] = onlyResource(template, 'AWS::S3::BucketPolicy');
      expect(policy.Properties.Bucket).toEqual({ Ref: bucketId });
      const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
        .Statement;
      expect(statements).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        }),
      ]);
    });

    it('keeps reports 400 days, old versions 30 days more, and clears expired delete markers', () => {
      const { template } = place();
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'expire-reports',
              Status: 'Enabled',
              ExpirationInDays: 400,
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
            { Id: 'remove-expired-delete-markers', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
          ],
        },
      });
    });

    it('keeps reports as long as retentionDays says', () => {
      const { template } = place({ retentionDays: 2555 });
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 2555 })]) },
      });
    });

    it('is retained when the stack is deleted, as is its policy', () => {
      const { template } = place();
      template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('adds no custom resource (no auto-delete, no notifications)', () => {
      const { template } = place();
      expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toHaveLength(1);
      template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    });
  });

  describe('grantWrite', () => {
    it('grants exactly s3:PutObject on the objects under the prefix, and nothing on the bucket', () => {
      const { template } = place();
      const [bucketId] = onlyResource(template, 'AWS::S3::Bucket');
      const statements = reportStatements(template);
      expect(statements).toHaveLength(1);
      const [statement] = statements;
      expect(statement).toMatchObject({ Effect: 'Allow', Sid: 'WriteAuditReports', Action: 's3:PutObject' });
      expect(actionsOf(statement!)).toEqual(['s3:PutObject']);
      expect(renderArn(statement!.Resource)).toBe(`<${bucketId}.Arn>/iam-key-audit/*`);
      expect(statement).not.toHaveProperty('Condition');
    });

    it('grants none of what bucket.grantPut would add (ACL, tagging, retention, legal hold, Abort*)', () => {
      const { template } = place();
      const actions = allStatements(template).flatMap(actionsOf);
      for (const action of [
        's3:PutObject*',
        's3:PutObjectAcl',
        's3:PutObjectVersionAcl',
        's3:PutObjectTagging',
        's3:PutObjectVersionTagging',
        's3:PutObjectRetention',
        's3:PutObjectLegalHold',
        's3:Abort*',
        's3:GetObject*',
        's3:DeleteObject*',
      ]) {
        expect(actions).not.toContain(action);
      }
    });

    it('narrows the grant to the configured prefix', () => {
      const { template } = place({ keyPrefix: 'security/iam-keys/' });
      const [bucketId] = onlyResource(template, 'AWS::S3::Bucket');
      expect(renderArn(reportStatements(template)[0]!.Resource)).toBe(
        `<${bucketId}.Arn>/security/iam-keys/*`,
      );
    });

    it('names the bucket, prefix, region and owner to the function', () => {
      const { template } = place();
      const [bucketId] = onlyResource(template, 'AWS::S3::Bucket');
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            REPORT_BUCKET_NAME: { Ref: bucketId },
            REPORT_KEY_PREFIX: 'iam-key-audit/',
            REPORT_BUCKET_REGION: { Ref: 'AWS::Region' },
            REPORT_BUCKET_OWNER: { Ref: 'AWS::AccountId' },
          },
        },
      });
    });

    it("names the stack's own region and account when the stack's environment is set", () => {
      const { template } = place({}, { account: ACCOUNT, region: REGION });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ REPORT_BUCKET_REGION: REGION, REPORT_BUCKET_OWNER: ACCOUNT }),
        },
      });
    });
  });

  describe('an existing bucket, named in the props', () => {
    const EXISTING = 'acme-security-evidence';

    it('creates no bucket and no bucket policy', () => {
      const { template } = place({ bucketName: EXISTING });
      template.resourceCountIs('AWS::S3::Bucket', 0);
      template.resourceCountIs('AWS::S3::BucketPolicy', 0);
    });

    it('grants exactly s3:PutObject on its objects under the prefix', () => {
      const { template } = place({ bucketName: EXISTING, keyPrefix: 'iam/' });
      const statements = reportStatements(template);
      expect(statements).toHaveLength(1);
      expect(actionsOf(statements[0]!)).toEqual(['s3:PutObject']);
      expect(renderArn(statements[0]!.Resource)).toBe(`arn:<AWS::Partition>:s3:::${EXISTING}/iam/*`);
    });

    it('names it, its region and its owner to the function', () => {
      const { template } = place({ bucketName: EXISTING, region: 'us-east-1', account: '210987654321' });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            REPORT_BUCKET_NAME: EXISTING,
            REPORT_KEY_PREFIX: 'iam-key-audit/',
            REPORT_BUCKET_REGION: 'us-east-1',
            REPORT_BUCKET_OWNER: '210987654321',
          },
        },
      });
    });

    it("defaults its region and owner to the stack's", () => {
      const { template } = place({ bucketName: EXISTING }, { account: ACCOUNT, region: REGION });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ REPORT_BUCKET_REGION: REGION, REPORT_BUCKET_OWNER: ACCOUNT }),
        },
      });
    });
  });

  describe('validation', () => {
    it.each<[string, ReportBucketProps, string | RegExp]>([
      [
        'an upper-case bucket name',
        { bucketName: 'Acme-Reports' },
        'bucketName must be an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit): it may hold only lowercase letters, digits, dots (.) and hyphens (-); got "Acme-Reports"',
      ],
      ['a bucket name too short', { bucketName: 'ab' }, /: it has 2 characters, not 3 to 63; got "ab"$/],
      [
        'a bucket name too long',
        { bucketName: 'a'.repeat(64) },
        /: it has 64 characters, not 3 to 63; got "a{64}"$/,
      ],
      [
        'a bucket name ending in a hyphen',
        { bucketName: 'reports-' },
        /: it must begin and end with a lowercase letter or a digit; got "reports-"$/,
      ],
      [
        'a bucket name with two adjacent dots',
        { bucketName: 'acme..reports' },
        /: it must not hold two adjacent dots;/,
      ],
      [
        'a bucket name like an IP address',
        { bucketName: '192.168.5.4' },
        /: it must not be formatted as an IP address;/,
      ],
      [
        'a reserved bucket prefix',
        { bucketName: 'xn--reports' },
        /: it must not start with the reserved prefix xn--;/,
      ],
      [
        'a reserved bucket suffix',
        { bucketName: 'reports-s3alias' },
        /: it must not end with the reserved suffix -s3alias;/,
      ],
      ['an ARN for a bucket name', { bucketName: 'arn:aws:s3:::reports' }, /got "arn:aws:s3:::reports"$/],
      [
        'a prefix without a trailing slash',
        { keyPrefix: 'reports' },
        /^keyPrefix must be empty, or folders of letters, digits, dots, hyphens and underscores .*; got "reports"$/,
      ],
      [
        'a prefix with a wildcard',
        { keyPrefix: 'reports/*/' },
        /^keyPrefix must be .*; got "reports\/\*\/"$/,
      ],
      [
        'a prefix with a leading slash',
        { keyPrefix: '/reports/' },
        /^keyPrefix must be .*; got "\/reports\/"$/,
      ],
      ['a prefix with a dot folder', { keyPrefix: 'a/../b/' }, /^keyPrefix must be .*; got "a\/..\/b\/"$/],
      [
        'a prefix too long',
        { keyPrefix: `${'a'.repeat(200)}/` },
        /^keyPrefix must be .*, at most 200 characters; got "a{200}\/"$/,
      ],
      [
        'a region that is not one',
        { bucketName: 'acme-reports', region: 'Ireland' },
        'region must be an AWS region such as eu-west-1; got "Ireland"',
      ],
      [
        'an account that is not 12 digits',
        { bucketName: 'acme-reports', account: '1234' },
        'account must be an AWS account id of 12 digits; got "1234"',
      ],
      [
        'a retention for an existing bucket',
        { bucketName: 'acme-reports', retentionDays: 30 } as ReportBucketProps,
        "retentionDays applies only to a bucket the stack creates; the lifecycle of bucket acme-reports is its owner's (got retentionDays 30)",
      ],
      [
        'a retention of no days',
        { retentionDays: 0 },
        'retentionDays must be a whole number of days from 1 to 36500; got 0',
      ],
      [
        'a fractional retention',
        { retentionDays: 1.5 },
        /^retentionDays must be a whole number .*; got 1.5$/,
      ],
      ['a retention over 100 years', { retentionDays: 36_501 }, /; got 36501$/],
      [
        'a bucket name that is not a string',
        { bucketName: undefined } as unknown as ReportBucketProps,
        /^bucketName must be an S3 bucket name .*: it is not a string; got undefined$/,
      ],
    ])('rejects %s, naming the value and what is allowed', (_name, props, message) => {
      expect(() => validateReportBucketProps(props)).toThrow(message);
      expect(() => place(props)).toThrow(message);
    });

    it.each<[string, ReportBucketProps]>([
      ['no props', {}],
      ['an empty prefix', { keyPrefix: '' }],
      ['a nested prefix', { keyPrefix: 'security/iam_keys.v2/' }],
      ['a name with dots', { bucketName: 'reports.acme.example' }],
      ['a name of 63 characters', { bucketName: 'a'.repeat(63) }],
      ['the longest retention', { retentionDays: 36_500 }],
    ])('accepts %s', (_name, props) => {
      expect(validateReportBucketProps(props)).toBe(props);
    });
  });

  describe('cdk-nag (AWS Solutions)', () => {
    it.each<[string, ReportBucketProps]>([
      ['a created bucket', {}],
      ['a created bucket under another prefix', { keyPrefix: 'evidence/' }],
      ['an existing bucket', { bucketName: 'acme-security-evidence' }],
    ])('leaves no unacknowledged error or warning: %s', (_name, props) => {
      for (const env of [{}, { account: ACCOUNT, region: REGION }]) {
        const { stack } = place(props, env);
        const report = nagReport(stack);
        expect(report.violations).toEqual([]);
        expect(report.success).toBe(true);
        const annotations = Annotations.fromStack(stack);
        expect(annotations.findError('*', Match.anyValue())).toEqual([]);
        expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
      }
    });

    it('acknowledges only server access logging on the bucket and the prefix wildcard on the grant', () => {
      const { stack, template } = place();
      const [bucketId] = onlyResource(template, 'AWS::S3::Bucket');
      expect(acknowledgements(stack)).toEqual([
        {
          path: 'ReportBucketTest/Role/DefaultPolicy',
          ids: [`AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/iam-key-audit/*]`],
        },
        { path: 'ReportBucketTest/Function/Resource', ids: ['AwsSolutions-L1'] },
        { path: 'ReportBucketTest/Reports/Bucket', ids: ['AwsSolutions-S1'] },
      ]);
    });

    it('acknowledges findings the rules do raise, so none is stale', () => {
      const { fn, reports, template } = place();
      const [bucketId] = onlyResource(template, 'AWS::S3::Bucket');
      const bucket = reports.bucket.node.defaultChild as CfnResource;
      const policy = fn.role!.node.findChild('DefaultPolicy').node.findChild('Resource') as CfnResource;
      expect(rules.s3.S3BucketLoggingEnabled(bucket)).toBe(NagRuleCompliance.NON_COMPLIANT);
      expect(rules.iam.IAMNoWildcardPermissions(policy)).toEqual([
        `Resource::<${bucketId}.Arn>/iam-key-audit/*`,
      ]);
    });

    it('needs no acknowledgement of the public access, TLS or encryption rules', () => {
      const { reports } = place();
      const bucket = reports.bucket.node.defaultChild as CfnResource;
      expect(rules.s3.S3BucketLevelPublicAccessProhibited(bucket)).toBe(NagRuleCompliance.COMPLIANT);
      expect(rules.s3.S3BucketSSLRequestsOnly(bucket)).toBe(NagRuleCompliance.COMPLIANT);
      expect(rules.s3.S3BucketVersioningEnabled(bucket)).toBe(NagRuleCompliance.COMPLIANT);
    });
  });
});
