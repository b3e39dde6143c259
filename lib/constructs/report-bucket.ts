import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  ACCOUNT_ID_PATTERN,
  REGION_PATTERN,
  bucketNameProblem,
  DEFAULT_REPORT_KEY_PREFIX,
  KEY_PREFIX_ALLOWED,
  keyPrefixProblem,
  MAX_REPORT_KEY_PREFIX_LENGTH,
  REPORT_ENV,
} from '../../lambdas/audit/adapters/report-location';

/** How long the created bucket keeps a report unless the props say otherwise: 400 days, a year and a margin. */
export const DEFAULT_REPORT_RETENTION_DAYS = 400;
/** The longest retention accepted: 100 years. */
export const MAX_REPORT_RETENTION_DAYS = 36_500;
/**
 * How long a version that is no longer current is kept: a report overwritten or deleted by mistake can be restored
 * for this long, and a report past its retention is gone this long after.
 */
export const NONCURRENT_VERSION_DAYS = 30;

/** The settings of both kinds of report bucket. */
export interface ReportBucketCommonProps {
  /**
   * The key prefix of every report object, and of the function's grant (`<prefix>*`): empty, or folders of
   * letters, digits, dots, hyphens and underscores, each followed by `/`.
   *
   * @default 'iam-key-audit/'
   */
  readonly keyPrefix?: string;
}

/** The stack creates the bucket. */
export interface NewReportBucketProps extends ReportBucketCommonProps {
  /**
   * Days a report is kept before S3 deletes it (its last version goes {@link NONCURRENT_VERSION_DAYS} days later).
   * A whole number from 1 to 36,500.
   *
   * @default 400
   */
  readonly retentionDays?: number;
}

/**
 * The stack writes to a bucket that exists: its owner keeps its encryption, lifecycle and logging. A bucket
 * encrypted with a customer managed KMS key must let the function's role use the key (kms:GenerateDataKey).
 */
export interface ExistingReportBucketProps extends ReportBucketCommonProps {
  /** The bucket's name (S3 general purpose bucket naming rules). */
  readonly bucketName: string;
  /**
   * The bucket's region.
   *
   * @default - the stack's region
   */
  readonly region?: string;
  /**
   * The account that owns the bucket: every write names it (ExpectedBucketOwner), so a bucket of the same name in
   * another account never receives a report. A bucket of another account must also allow the function's role in
   * its bucket policy.
   *
   * @default - the stack's account
   */
  readonly account?: string;
}

/** Where the full reports go: a bucket the stack creates (`{}`), or one that exists (`{ bucketName }`). */
export type ReportBucketProps = NewReportBucketProps | ExistingReportBucketProps;

function isExisting(props: ReportBucketProps): props is ExistingReportBucketProps {
  return 'bucketName' in props;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/**
 * Checks `props` at synth; a bad value throws an `Error` that names the field, what is allowed and the value.
 * Values that are tokens (known only at deploy time) are not checked.
 */
export function validateReportBucketProps(props: ReportBucketProps): ReportBucketProps {
  const known = (value: string) => !Token.isUnresolved(value);
  if (props.keyPrefix !== undefined) {
    check(
      typeof props.keyPrefix === 'string' && keyPrefixProblem(props.keyPrefix) === undefined,
      `keyPrefix must be ${KEY_PREFIX_ALLOWED}, at most ${MAX_REPORT_KEY_PREFIX_LENGTH} characters; got ${JSON.stringify(props.keyPrefix)}`,
    );
  }
  if (isExisting(props)) {
    const { bucketName, region, account } = props;
    const problem =
      typeof bucketName !== 'string'
        ? 'it is not a string'
        : known(bucketName)
          ? bucketNameProblem(bucketName)
          : undefined;
    check(
      problem === undefined,
      `bucketName must be an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit): ${problem ?? ''}; got ${JSON.stringify(bucketName)}`,
    );
    check(
      region === undefined || !known(region) || REGION_PATTERN.test(region),
      `region must be an AWS region such as eu-west-1; got ${JSON.stringify(region)}`,
    );
    check(
      account === undefined || !known(account) || ACCOUNT_ID_PATTERN.test(account),
      `account must be an AWS account id of 12 digits; got ${JSON.stringify(account)}`,
    );
    const retentionDays = (props as NewReportBucketProps).retentionDays;
    check(
      retentionDays === undefined,
      `retentionDays applies only to a bucket the stack creates; the lifecycle of bucket ${bucketName} is its owner's (got retentionDays ${String(retentionDays)})`,
    );
  } else if (props.retentionDays !== undefined) {
    check(
      Number.isInteger(props.retentionDays) &&
        props.retentionDays >= 1 &&
        props.retentionDays <= MAX_REPORT_RETENTION_DAYS,
      `retentionDays must be a whole number of days from 1 to ${MAX_REPORT_RETENTION_DAYS}; got ${props.retentionDays}`,
    );
  }
  return props;
}

/**
 * The S3 bucket that holds each audit's full report (JSON and CSV), which the digest and the SNS message link to.
 *
 * Created (`{}`): private (all public access blocked, ACLs off), TLS 1.2 or later only, encrypted with S3 managed
 * keys, versioned, reports deleted after `retentionDays` (400) and old versions {@link NONCURRENT_VERSION_DAYS}
 * days later, and retained when the stack is deleted (it is the audit's evidence). Server access logging is off and
 * acknowledged (AwsSolutions-S1): the only writer is the audit function, and reads are recorded where an account
 * records them, by CloudTrail data events, not by a second bucket this stack would have to secure and keep.
 *
 * Existing (`{ bucketName }`): imported by name; nothing about it is changed.
 *
 * `grantWrite(fn)` names the bucket to the function and lets it put objects under the key prefix, nothing else.
 */
export class ReportBucket extends Construct {
  readonly bucket: s3.IBucket;
  /** The key prefix of every report object. */
  readonly keyPrefix: string;
  /** The bucket's region. */
  readonly region: string;
  /** The account that owns the bucket. */
  readonly account: string;

  constructor(scope: Construct, id: string, props: ReportBucketProps = {}) {
    super(scope, id);
    validateReportBucketProps(props);
    const stack = Stack.of(this);
    this.keyPrefix = props.keyPrefix ?? DEFAULT_REPORT_KEY_PREFIX;

    if (isExisting(props)) {
      this.region = props.region ?? stack.region;
      this.account = props.account ?? stack.account;
      this.bucket = s3.Bucket.fromBucketAttributes(this, 'Bucket', {
        bucketName: props.bucketName,
        region: this.region,
        account: this.account,
      });
      return;
    }

    this.region = stack.region;
    this.account = stack.account;
    const bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-reports',
          expiration: Duration.days(props.retentionDays ?? DEFAULT_REPORT_RETENTION_DAYS),
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        // S3 refuses this flag in a rule with an expiration, so it has its own.
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The audit function is the only writer, and reads are recorded by CloudTrail data events where an account records them, not by a second log bucket this stack would have to secure and keep.',
    });
    this.bucket = bucket;
  }

  /**
   * The stack's `report` prop wired to `fn`: `false`, nothing (the function writes no full report); otherwise the
   * bucket (created for `{}` or `undefined`, imported for `{ bucketName }`), `fn`'s grant to write to it
   * ({@link grantWrite}), and an output naming the bucket and the key prefix.
   */
  static forFunction(
    scope: Construct,
    id: string,
    props: ReportBucketProps | false | undefined,
    fn: lambda.Function,
  ): ReportBucket | undefined {
    if (props === false) return undefined;
    const report = new ReportBucket(scope, id, props ?? {});
    report.grantWrite(fn);
    new CfnOutput(report, 'Location', {
      description:
        'Where each audit writes its full report (JSON and CSV): <bucket>/<prefix><account>/<date>/',
      value: `s3://${report.bucket.bucketName}/${report.keyPrefix}`,
    });
    return report;
  }

  /** The ARN pattern of the report objects: `<bucket ARN>/<prefix>*`. */
  get objectsArn(): string {
    return this.bucket.arnForObjects(`${this.keyPrefix}*`);
  }

  /**
   * Names the bucket to `fn` (the `REPORT_*` variables of `REPORT_ENV`) and grants it exactly `s3:PutObject` on the
   * report objects: no ACL, tagging, retention or multipart actions (which `bucket.grantPut` would add), nothing on
   * the bucket itself, no read.
   */
  grantWrite(fn: lambda.Function): void {
    fn.addEnvironment(REPORT_ENV.bucketName, this.bucket.bucketName);
    fn.addEnvironment(REPORT_ENV.keyPrefix, this.keyPrefix);
    fn.addEnvironment(REPORT_ENV.bucketRegion, this.region);
    fn.addEnvironment(REPORT_ENV.bucketOwner, this.account);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WriteAuditReports',
        actions: ['s3:PutObject'],
        resources: [this.objectsArn],
      }),
    );
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${this.nagObjectsArn()}]`,
        reason:
          'Each audit writes new report objects whose keys (account, date, time) are known only at run time, so the grant covers the key prefix, with s3:PutObject alone.',
      });
    }
  }

  /** The objects ARN as cdk-nag writes it in a finding id: references as `<LogicalId.Arn>`, `<AWS::Partition>`. */
  private nagObjectsArn(): string {
    const stack = Stack.of(this);
    const rendered = stack.resolve(this.objectsArn) as unknown;
    if (typeof rendered === 'string') return rendered;
    const [, parts] = (rendered as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
        if (ref['Fn::GetAtt']) return `<${ref['Fn::GetAtt'][0]}.${ref['Fn::GetAtt'][1]}>`;
        return `<${ref.Ref ?? JSON.stringify(part)}>`;
      })
      .join('');
  }
}
