import 'aws-sdk-client-mock-jest';
import { NoSuchBucket, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CSV_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  readReportStoreConfig,
  REPORT_ENV,
  ReportStore,
  ReportStoreError,
  type FullReport,
  type ReportStoreConfig,
} from '../../../lambdas/audit/adapters/report-store';

const s3Mock = mockClient(S3Client);

const ACCOUNT = '123456789012';
const BUCKET = 'acme-iam-key-audit-reports';
const CONFIG: ReportStoreConfig = {
  bucketName: BUCKET,
  region: 'eu-west-2',
  keyPrefix: 'iam-key-audit/',
  expectedBucketOwner: ACCOUNT,
};
const JSON_KEY = `iam-key-audit/${ACCOUNT}/2026/11/29/20261129T101938.123Z-account.json`;
const CSV_KEY = `iam-key-audit/${ACCOUNT}/2026/11/29/20261129T101938.123Z-account.csv`;
/** A marker in both bodies: no error may repeat what the report holds. */
const MARKER = 'AKIAREPORTCONTENT0001';

function report(overrides: Partial<FullReport> = {}): FullReport {
  return {
    accountId: ACCOUNT,
    auditedAt: '2026-11-29T10:19:38.123Z',
    scope: 'account',
    json: JSON.stringify({ findings: [{ accessKeyId: MARKER }] }),
    csv: `user,key\nalice,${MARKER}\n`,
    ...overrides,
  };
}

function s3Error(name: string, message: string, httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message });
}

async function saveError(store: ReportStore, full = report()): Promise<ReportStoreError> {
  const error: unknown = await store.save(full).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReportStoreError);
  return error as ReportStoreError;
}

function newStore(config: ReportStoreConfig = CONFIG): ReportStore {
  return new ReportStore(new S3Client({ region: config.region }), config);
}

beforeEach(() => {
  s3Mock.reset();
});

describe('ReportStore.save', () => {
  it('writes the JSON object, then the CSV object, each with its content type and the bucket owner', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"', VersionId: 'v1' });
    const full = report();

    await newStore().save(full);

    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 2);
    expect(s3Mock).toHaveReceivedNthCommandWith(1, PutObjectCommand, {
      Bucket: BUCKET,
      Key: JSON_KEY,
      Body: full.json,
      ContentType: 'application/json; charset=utf-8',
      ExpectedBucketOwner: ACCOUNT,
    });
    expect(s3Mock).toHaveReceivedNthCommandWith(2, PutObjectCommand, {
      Bucket: BUCKET,
      Key: CSV_KEY,
      Body: full.csv,
      ContentType: 'text/csv; charset=utf-8',
      ExpectedBucketOwner: ACCOUNT,
    });
    expect([JSON_CONTENT_TYPE, CSV_CONTENT_TYPE]).toEqual([
      'application/json; charset=utf-8',
      'text/csv; charset=utf-8',
    ]);
  });

  it('sends exactly those fields: no ACL, no SSE header (the bucket encrypts by default), no tagging', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });

    await newStore().save(report());

    for (const call of s3Mock.commandCalls(PutObjectCommand)) {
      expect(Object.keys(call.args[0].input).sort()).toEqual([
        'Body',
        'Bucket',
        'ContentType',
        'ExpectedBucketOwner',
        'Key',
      ]);
    }
  });

  it('leaves ExpectedBucketOwner out when no owner is configured', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
    const withoutOwner: ReportStoreConfig = { ...CONFIG };
    delete withoutOwner.expectedBucketOwner;

    await newStore(withoutOwner).save(report());

    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input).not.toHaveProperty('ExpectedBucketOwner');
  });

  it('returns each object: bucket, key, s3:// URI, S3 console URL and version', async () => {
    s3Mock
      .on(PutObjectCommand, { Key: JSON_KEY })
      .resolves({ ETag: '"a"', VersionId: 'json-version' })
      .on(PutObjectCommand, { Key: CSV_KEY })
      .resolves({ ETag: '"b"', VersionId: 'csv-version' });

    await expect(newStore().save(report())).resolves.toEqual({
      json: {
        bucket: BUCKET,
        key: JSON_KEY,
        s3Uri: `s3://${BUCKET}/${JSON_KEY}`,
        consoleUrl: `https://eu-west-2.console.aws.amazon.com/s3/object/${BUCKET}?region=eu-west-2&bucketType=general&prefix=${JSON_KEY}`,
        versionId: 'json-version',
      },
      csv: {
        bucket: BUCKET,
        key: CSV_KEY,
        s3Uri: `s3://${BUCKET}/${CSV_KEY}`,
        consoleUrl: `https://eu-west-2.console.aws.amazon.com/s3/object/${BUCKET}?region=eu-west-2&bucketType=general&prefix=${CSV_KEY}`,
        versionId: 'csv-version',
      },
    });
  });

  it('has no version id from an unversioned bucket', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });

    const stored = await newStore().save(report());

    expect(stored.json).not.toHaveProperty('versionId');
    expect(stored.csv).not.toHaveProperty('versionId');
  });

  it.each([
    ['a full audit of the account', {}, `${ACCOUNT}/2026/11/29/20261129T101938.123Z-account`],
    [
      'a manual re-audit of named users',
      { scope: 'users' as const },
      `${ACCOUNT}/2026/11/29/20261129T101938.123Z-users`,
    ],
    [
      'an account of an organization run',
      { runId: 'org-2026-11-29_0600', accountId: '210987654321' },
      '210987654321/2026/11/29/20261129T101938.123Z-org-2026-11-29_0600',
    ],
    [
      'an audit time with an offset, in UTC',
      { auditedAt: '2026-11-30T00:30:00.000+02:00' },
      `${ACCOUNT}/2026/11/29/20261129T223000.000Z-account`,
    ],
  ])('names the objects of %s', async (_name, overrides, base) => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });

    const stored = await newStore().save(report(overrides));

    expect([stored.json.key, stored.csv.key]).toEqual([
      `iam-key-audit/${base}.json`,
      `iam-key-audit/${base}.csv`,
    ]);
  });

  it('writes under an empty prefix at the bucket root', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });

    const stored = await newStore({ ...CONFIG, keyPrefix: '' }).save(report());

    expect(stored.json.key).toBe(`${ACCOUNT}/2026/11/29/20261129T101938.123Z-account.json`);
  });

  describe('when S3 refuses', () => {
    it('names the bucket, the key, the error and what to check, and does not write the CSV', async () => {
      s3Mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 'Access Denied', 403));

      const error = await saveError(newStore());

      expect(error.message).toBe(
        `could not write the audit report to s3://${BUCKET}/${JSON_KEY}: AccessDenied (HTTP 403): Access Denied; ` +
          "check the function's s3:PutObject grant on the key prefix, the bucket policy, and the key policy of a bucket encrypted with a customer managed KMS key",
      );
      expect(error).toMatchObject({ name: 'ReportStoreError', bucket: BUCKET, key: JSON_KEY });
      expect(error.cause).toBeInstanceOf(S3ServiceException);
      expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    });

    it('says the bucket does not exist', async () => {
      s3Mock.on(PutObjectCommand).rejects(
        new NoSuchBucket({
          message: 'The specified bucket does not exist',
          $metadata: { httpStatusCode: 404 },
        }),
      );

      const error = await saveError(newStore());

      expect(error.message).toMatch(
        /^could not write the audit report to s3:\/\/acme-iam-key-audit-reports\/iam-key-audit\/.*\.json: NoSuchBucket \(HTTP 404\): The specified bucket does not exist; the bucket does not exist$/,
      );
    });

    it('points at the region variable when the bucket is in another region', async () => {
      s3Mock
        .on(PutObjectCommand)
        .rejects(
          s3Error(
            'PermanentRedirect',
            'The bucket you are attempting to access must be addressed using the specified endpoint.',
            301,
          ),
        );

      const error = await saveError(newStore());

      expect(error.detail).toMatch(
        /^PermanentRedirect \(HTTP 301\): .*; the bucket is not in the region REPORT_BUCKET_REGION names$/,
      );
    });

    it('names the CSV object when only it fails, and says where the JSON report is', async () => {
      s3Mock
        .on(PutObjectCommand, { Key: JSON_KEY })
        .resolves({ ETag: '"a"' })
        .on(PutObjectCommand, { Key: CSV_KEY })
        .rejects(s3Error('InternalError', 'We encountered an internal error. Please try again.', 500));

      const error = await saveError(newStore());

      expect(error.key).toBe(CSV_KEY);
      expect(error.message).toBe(
        `could not write the audit report to s3://${BUCKET}/${CSV_KEY}: InternalError (HTTP 500): We encountered an internal error. Please try again. ` +
          `(the JSON report was written to s3://${BUCKET}/${JSON_KEY})`,
      );
      expect(error.cause).toBeInstanceOf(S3ServiceException);
    });

    it('refuses a response without an ETag', async () => {
      s3Mock.on(PutObjectCommand).resolves({});

      const error = await saveError(newStore());

      expect(error.message).toBe(
        `could not write the audit report to s3://${BUCKET}/${JSON_KEY}: the PutObject response has no ETag`,
      );
    });

    it('never repeats the content in an error', async () => {
      s3Mock
        .on(PutObjectCommand)
        .rejects(s3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400));

      const error = await saveError(newStore());

      expect(`${error.message} ${error.detail} ${error.stack ?? ''}`).not.toContain(MARKER);
    });
  });

  describe('with an invalid name part', () => {
    it.each([
      [
        'an account id that is not 12 digits',
        { accountId: '12345' },
        'invalid account id "12345": it must be 12 digits (or "organization")',
      ],
      [
        'an audit time that is not ISO 8601',
        { auditedAt: 'yesterday' },
        'invalid auditedAt "yesterday": it must be an ISO 8601 date and time',
      ],
      [
        'a run id with a slash',
        { runId: '../other-account' },
        'invalid run id "../other-account": it must be 1 to 80 letters, digits, - and _',
      ],
    ])('refuses %s before any call, naming the bucket and the value', async (_name, overrides, detail) => {
      const error = await saveError(newStore(), report(overrides));

      expect(error.key).toBeUndefined();
      expect(error.message).toBe(`could not write the audit report to S3 bucket ${BUCKET}: ${detail}`);
      expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 0);
    });
  });
});

describe('readReportStoreConfig', () => {
  const ENV = {
    [REPORT_ENV.bucketName]: BUCKET,
    [REPORT_ENV.keyPrefix]: 'reports/daily/',
    [REPORT_ENV.bucketRegion]: 'eu-central-1',
    [REPORT_ENV.bucketOwner]: ACCOUNT,
    AWS_REGION: 'eu-west-2',
  };

  it('names the variables the stack sets', () => {
    expect(REPORT_ENV).toEqual({
      bucketName: 'REPORT_BUCKET_NAME',
      keyPrefix: 'REPORT_KEY_PREFIX',
      bucketRegion: 'REPORT_BUCKET_REGION',
      bucketOwner: 'REPORT_BUCKET_OWNER',
    });
  });

  it('reads every variable', () => {
    expect(readReportStoreConfig(ENV)).toEqual({
      bucketName: BUCKET,
      keyPrefix: 'reports/daily/',
      region: 'eu-central-1',
      expectedBucketOwner: ACCOUNT,
    });
  });

  it('is off without a bucket name', () => {
    expect(readReportStoreConfig({ AWS_REGION: 'eu-west-2' })).toBeUndefined();
    expect(readReportStoreConfig({ [REPORT_ENV.bucketName]: '', AWS_REGION: 'eu-west-2' })).toBeUndefined();
  });

  it("defaults the prefix, the region to the function's, and leaves the owner unchecked", () => {
    expect(readReportStoreConfig({ [REPORT_ENV.bucketName]: BUCKET, AWS_REGION: 'eu-west-2' })).toEqual({
      bucketName: BUCKET,
      keyPrefix: 'iam-key-audit/',
      region: 'eu-west-2',
    });
  });

  it.each([
    [
      REPORT_ENV.bucketName,
      'Acme_Reports',
      'invalid REPORT_BUCKET_NAME: not an S3 bucket name (it may hold only lowercase letters, digits, dots (.) and hyphens (-)); got "Acme_Reports"',
    ],
    [
      REPORT_ENV.keyPrefix,
      'reports',
      /^invalid REPORT_KEY_PREFIX: it must be empty, or folders .*; got "reports"$/,
    ],
    [
      REPORT_ENV.bucketRegion,
      'Europe',
      'invalid REPORT_BUCKET_REGION: it must be an AWS region such as eu-west-1 (or AWS_REGION set); got "Europe"',
    ],
    [
      REPORT_ENV.bucketOwner,
      '1234',
      'invalid REPORT_BUCKET_OWNER: it must be an AWS account id of 12 digits; got "1234"',
    ],
  ])('refuses an invalid %s, naming it, its value and what is allowed', (name, value, message) => {
    expect(() => readReportStoreConfig({ ...ENV, [name]: value })).toThrow(message);
  });
});
