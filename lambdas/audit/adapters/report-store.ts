/**
 * Writes one audit's full report to S3 as two objects, JSON and CSV, whose bodies the caller renders, and returns
 * where they are: bucket, key, `s3://` URI and the S3 console URL a person signed in to the account opens (never a
 * presigned URL, which would show the findings to anyone holding it).
 *
 * Each object is one PutObject with its content type (`application/json` or `text/csv`, UTF-8) and the bucket's
 * owner as ExpectedBucketOwner, so a bucket of the same name in another account never receives a report. The bucket
 * encrypts with its default encryption; no SSE header is sent. JSON is written first, then CSV. Every failure is a
 * `ReportStoreError` whose message names the bucket and the key and never holds the content.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ACCOUNT_ID_PATTERN,
  REGION_PATTERN,
  bucketNameProblem,
  DEFAULT_REPORT_KEY_PREFIX,
  keyPrefixProblem,
  REPORT_ENV,
  reportKeys,
  s3ConsoleUrl,
  s3Uri,
  type ReportKeys,
  type ReportObjectName,
} from './report-location';

export { REPORT_ENV };

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

export class ReportStoreError extends Error {
  override name = 'ReportStoreError';

  constructor(
    readonly bucket: string,
    /** The object that could not be written; absent when no key could be made. */
    readonly key: string | undefined,
    /** What went wrong, without the bucket and key. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `could not write the audit report to ${key === undefined ? `S3 bucket ${bucket}` : s3Uri(bucket, key)}: ${detail}`,
      options,
    );
  }
}

/** Where reports go: from the function's environment (`readReportStoreConfig`) or given by a test or the CLI. */
export interface ReportStoreConfig {
  bucketName: string;
  /** The bucket's region: the S3 client must be configured with it, and the console URL names it. */
  region: string;
  /** Empty, or ending in `/`. */
  keyPrefix: string;
  /** The account that owns the bucket (12 digits), sent as ExpectedBucketOwner; absent: not checked. */
  expectedBucketOwner?: string;
}

/** One audit's full report: what names its objects, and their bodies. */
export interface FullReport extends ReportObjectName {
  /** The report as JSON. */
  json: string;
  /** One row per finding, as CSV (rendered by `present/csv.ts`). */
  csv: string;
}

/** One stored object. */
export interface StoredObject {
  bucket: string;
  key: string;
  /** `s3://bucket/key`, for the AWS CLI. */
  s3Uri: string;
  /** The object's page in the S3 console; absent in a partition without a public console (ISO). */
  consoleUrl?: string;
  /** The object's version (the created bucket is versioned); absent from an unversioned bucket. */
  versionId?: string;
}

export interface StoredReport {
  json: StoredObject;
  csv: StoredObject;
}

/**
 * The store's configuration from the environment the stack sets (`REPORT_ENV`), or undefined when no bucket is
 * named (the report is off). Throws an `Error` naming the variable, its value and what is allowed.
 */
export function readReportStoreConfig(
  env: Record<string, string | undefined>,
): ReportStoreConfig | undefined {
  const bucketName = env[REPORT_ENV.bucketName];
  if (bucketName === undefined || bucketName === '') return undefined;
  const invalid = (name: string, value: string, allowed: string) =>
    new Error(`invalid ${name}: ${allowed}; got ${JSON.stringify(value)}`);
  const bucketProblem = bucketNameProblem(bucketName);
  if (bucketProblem)
    throw invalid(REPORT_ENV.bucketName, bucketName, `not an S3 bucket name (${bucketProblem})`);
  const keyPrefix = env[REPORT_ENV.keyPrefix] ?? DEFAULT_REPORT_KEY_PREFIX;
  const prefixProblem = keyPrefixProblem(keyPrefix);
  if (prefixProblem) throw invalid(REPORT_ENV.keyPrefix, keyPrefix, prefixProblem);
  const region = env[REPORT_ENV.bucketRegion] ?? env.AWS_REGION ?? '';
  if (!REGION_PATTERN.test(region)) {
    throw invalid(
      REPORT_ENV.bucketRegion,
      region,
      'it must be an AWS region such as eu-west-1 (or AWS_REGION set)',
    );
  }
  const owner = env[REPORT_ENV.bucketOwner];
  if (owner !== undefined && !ACCOUNT_ID_PATTERN.test(owner)) {
    throw invalid(REPORT_ENV.bucketOwner, owner, 'it must be an AWS account id of 12 digits');
  }
  return { bucketName, region, keyPrefix, ...(owner !== undefined ? { expectedBucketOwner: owner } : {}) };
}

/** What to check when S3 refuses, by the error's name. */
const HINTS: Record<string, string> = {
  AccessDenied:
    "check the function's s3:PutObject grant on the key prefix, the bucket policy, and the key policy of a bucket encrypted with a customer managed KMS key",
  NoSuchBucket: 'the bucket does not exist',
  PermanentRedirect: `the bucket is not in the region ${REPORT_ENV.bucketRegion} names`,
  AuthorizationHeaderMalformed: `the bucket is not in the region ${REPORT_ENV.bucketRegion} names`,
};

export class ReportStore {
  constructor(
    /** Configured with `config.region`. */
    private readonly client: S3Client,
    private readonly config: ReportStoreConfig,
  ) {}

  /** The keys `save` writes `report` to. Throws a `ReportStoreError` when a part of the name is invalid. */
  keysFor(report: ReportObjectName): ReportKeys {
    try {
      return reportKeys(this.config.keyPrefix, report);
    } catch (error) {
      throw new ReportStoreError(this.config.bucketName, undefined, (error as Error).message, {
        cause: error,
      });
    }
  }

  /** Writes the JSON object, then the CSV object; resolves to where both are. */
  async save(report: FullReport): Promise<StoredReport> {
    const keys = this.keysFor(report);
    const json = await this.put(keys.json, report.json, JSON_CONTENT_TYPE);
    let csv: StoredObject;
    try {
      csv = await this.put(keys.csv, report.csv, CSV_CONTENT_TYPE);
    } catch (error) {
      const { detail, cause } = error as ReportStoreError;
      throw new ReportStoreError(
        this.config.bucketName,
        keys.csv,
        `${detail} (the JSON report was written to ${json.s3Uri})`,
        { cause },
      );
    }
    return { json, csv };
  }

  private async put(key: string, body: string, contentType: string): Promise<StoredObject> {
    const { bucketName: bucket, region, expectedBucketOwner } = this.config;
    let response;
    try {
      response = await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ...(expectedBucketOwner ? { ExpectedBucketOwner: expectedBucketOwner } : {}),
        }),
      );
    } catch (error) {
      throw new ReportStoreError(bucket, key, describeS3Error(error), { cause: error });
    }
    if (!response.ETag) throw new ReportStoreError(bucket, key, 'the PutObject response has no ETag');
    const consoleUrl = s3ConsoleUrl(bucket, region, key);
    return {
      bucket,
      key,
      s3Uri: s3Uri(bucket, key),
      ...(consoleUrl ? { consoleUrl } : {}),
      ...(response.VersionId ? { versionId: response.VersionId } : {}),
    };
  }
}

/** `Name (HTTP 403): message; hint`, from what the SDK threw: S3's error names and messages hold no object data. */
function describeS3Error(error: unknown): string {
  const e = error as Error & { $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const hint = HINTS[e.name];
  return `${e.name}${status ? ` (HTTP ${status})` : ''}: ${e.message}${hint ? `; ${hint}` : ''}`;
}
