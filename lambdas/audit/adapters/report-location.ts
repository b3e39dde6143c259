/**
 * Where an audit's full report lives in S3, shared by the stack (`lib/constructs/report-bucket.ts`) and the store
 * (`report-store.ts`): the environment variables that name the bucket, the checks of a bucket name and a key prefix,
 * the object keys of one report and the S3 console URL of an object. Pure: no SDK, no clock, no environment.
 */

/** The environment variables the stack sets on the function and the store reads. */
export const REPORT_ENV = {
  /** The bucket's name. Absent: the full report is not written. */
  bucketName: 'REPORT_BUCKET_NAME',
  /** The key prefix of every report object: empty, or ending in `/`. */
  keyPrefix: 'REPORT_KEY_PREFIX',
  /** The bucket's region (requests go there, and the console URL names it). */
  bucketRegion: 'REPORT_BUCKET_REGION',
  /** The account that owns the bucket: every PutObject sends it as ExpectedBucketOwner. */
  bucketOwner: 'REPORT_BUCKET_OWNER',
} as const;

/** The key prefix of the report objects unless the props name another. */
export const DEFAULT_REPORT_KEY_PREFIX = 'iam-key-audit/';

/** The longest key prefix accepted, so that a key stays far below S3's 1,024 bytes. */
export const MAX_REPORT_KEY_PREFIX_LENGTH = 200;

const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * Why `name` cannot be a general purpose bucket's name, or undefined when it can. The rules are S3's
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `it has ${name.length} characters, not 3 to 63`;
  if (!/^[a-z0-9.-]+$/.test(name))
    return 'it may hold only lowercase letters, digits, dots (.) and hyphens (-)';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'it must begin and end with a lowercase letter or a digit';
  if (name.includes('..')) return 'it must not hold two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'it must not be formatted as an IP address';
  const prefix = RESERVED_BUCKET_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix) return `it must not start with the reserved prefix ${prefix}`;
  const suffix = RESERVED_BUCKET_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix) return `it must not end with the reserved suffix ${suffix}`;
  return undefined;
}

/** What a key prefix may be, as the error messages say it. */
export const KEY_PREFIX_ALLOWED =
  'empty, or folders of letters, digits, dots, hyphens and underscores (not starting with a dot) each followed by "/" (e.g. "iam-key-audit/")';

/**
 * Why `prefix` cannot be the report objects' key prefix, or undefined when it can. The grant covers `<prefix>*`,
 * so the prefix holds no wildcard, and a prefix that is not a folder would also match keys of other folders.
 */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_REPORT_KEY_PREFIX_LENGTH) {
    return `it has ${prefix.length} characters, more than ${MAX_REPORT_KEY_PREFIX_LENGTH}`;
  }
  // A segment starts with no dot, so none is "." or "..".
  if (!/^([A-Za-z0-9_-][A-Za-z0-9._-]*\/)*$/.test(prefix)) return `it must be ${KEY_PREFIX_ALLOWED}`;
  return undefined;
}

/** An AWS account id. (The same as `ACCOUNT_ID_PATTERN` of organization/account-ids.ts.) */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** An AWS region name: `eu-west-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** A Step Functions execution name, as the organization run uses for its run id. */
const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The folder, in place of an account id, of an organization run's reports. */
export const ORGANIZATION_REPORT_FOLDER = 'organization';

/** What one report's objects are named after. */
export interface ReportObjectName {
  /**
   * The audited account (12 digits), or {@link ORGANIZATION_REPORT_FOLDER} for an organization run's report (every
   * account's results, written by the run's notify step).
   */
  accountId: string;
  /** When the audit ran, ISO 8601 (`report.auditedAt`). */
  auditedAt: string;
  /** The organization run the audit belongs to; absent for an audit of one account. */
  runId?: string;
  /** What the audit covered: the whole account, or named users (a manual re-audit). */
  scope: 'account' | 'users';
}

/** The keys of one report's JSON and CSV objects. */
export interface ReportKeys {
  json: string;
  csv: string;
}

/**
 * `<prefix><account or "organization">/<YYYY>/<MM>/<DD>/<time>-<run id or scope>.json|.csv`, the time the audit's in ISO 8601 basic
 * format in UTC (`20261129T101938.123Z`): keys sort by account, then time, a day is one folder in the console, one
 * run writes its own keys, and no key holds a character S3 advises against (no colon). Throws an `Error` naming
 * the bad value when a part is not what it should be.
 */
export function reportKeys(prefix: string, name: ReportObjectName): ReportKeys {
  const prefixProblem = keyPrefixProblem(prefix);
  if (prefixProblem) throw new Error(`invalid key prefix ${JSON.stringify(prefix)}: ${prefixProblem}`);
  if (!ACCOUNT_ID_PATTERN.test(name.accountId) && name.accountId !== ORGANIZATION_REPORT_FOLDER) {
    throw new Error(
      `invalid account id ${JSON.stringify(name.accountId)}: it must be 12 digits (or "${ORGANIZATION_REPORT_FOLDER}")`,
    );
  }
  const time = new Date(name.auditedAt);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(name.auditedAt) || Number.isNaN(time.getTime())) {
    throw new Error(
      `invalid auditedAt ${JSON.stringify(name.auditedAt)}: it must be an ISO 8601 date and time`,
    );
  }
  if (name.runId !== undefined && !RUN_ID.test(name.runId)) {
    throw new Error(
      `invalid run id ${JSON.stringify(name.runId)}: it must be 1 to 80 letters, digits, - and _`,
    );
  }
  const iso = time.toISOString(); // 2026-11-29T10:19:38.123Z
  const [year, month, day] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const basic = `${year}${month}${day}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 23)}Z`;
  const base = `${prefix}${name.accountId}/${year}/${month}/${day}/${basic}-${name.runId ?? name.scope}`;
  return { json: `${base}.json`, csv: `${base}.csv` };
}

/**
 * The S3 console page of one object, for a person signed in to the console (never a presigned URL: anyone holding
 * one could read the findings). Undefined for a partition whose console has no public address (the ISO regions).
 */
export function s3ConsoleUrl(bucket: string, region: string, key: string): string | undefined {
  if (!REGION_PATTERN.test(region)) throw new Error(`invalid region ${JSON.stringify(region)}`);
  const host = region.startsWith('cn-')
    ? `${region}.console.amazonaws.cn`
    : region.startsWith('us-gov-')
      ? 'console.amazonaws-us-gov.com'
      : /-iso[a-z]*-/.test(region)
        ? undefined
        : `${region}.console.aws.amazon.com`;
  if (!host) return undefined;
  const prefix = key.split('/').map(encodeURIComponent).join('/');
  return `https://${host}/s3/object/${encodeURIComponent(bucket)}?region=${region}&bucketType=general&prefix=${prefix}`;
}

/** The `s3://bucket/key` form people paste into the AWS CLI. */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
