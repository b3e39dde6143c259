/**
 * The report store with the real S3 client against a local S3-compatible endpoint (test/support/s3-server.ts): what
 * goes over the wire (path, headers, bytes) and how S3's XML errors come back.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { ReportStore, ReportStoreError, type FullReport } from '../../../lambdas/audit/adapters/report-store';
import { S3_ERRORS, startS3Server, type S3Server } from '../../support/s3-server';

const ACCOUNT = '123456789012';
const BUCKET = 'acme-iam-key-audit-reports';
const KEY_BASE = `iam-key-audit/${ACCOUNT}/2026/11/29/20261129T101938.123Z-account`;

const REPORT: FullReport = {
  accountId: ACCOUNT,
  auditedAt: '2026-11-29T10:19:38.123Z',
  scope: 'account',
  // Non-ASCII on purpose: the bytes on the wire must be UTF-8, as the content type says.
  json: JSON.stringify({ findings: [{ userName: 'zoë', owner: 'équipe-paiements' }] }),
  csv: 'user,owner\nzoë,équipe-paiements\n',
};

let s3: S3Server;

beforeEach(async () => {
  s3 = await startS3Server();
});

afterEach(async () => {
  await s3.close();
});

function newStore(): ReportStore {
  return new ReportStore(new S3Client(s3.clientConfig), {
    bucketName: BUCKET,
    region: 'eu-west-2',
    keyPrefix: 'iam-key-audit/',
    expectedBucketOwner: ACCOUNT,
  });
}

describe('ReportStore against a local S3 endpoint', () => {
  it('puts the JSON, then the CSV object, as UTF-8 with their content types and the expected owner', async () => {
    await newStore().save(REPORT);

    expect(s3.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT /${BUCKET}/${KEY_BASE}.json`,
      `PUT /${BUCKET}/${KEY_BASE}.csv`,
    ]);
    const [json, csv] = s3.requests;
    expect(json?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(csv?.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(json?.body.equals(Buffer.from(REPORT.json, 'utf8'))).toBe(true);
    expect(csv?.body.equals(Buffer.from(REPORT.csv, 'utf8'))).toBe(true);
    for (const request of s3.requests) {
      expect(request.headers['x-amz-expected-bucket-owner']).toBe(ACCOUNT);
      expect(
        Object.keys(request.headers).filter((h) => /server-side-encryption|acl|tagging|grant/.test(h)),
      ).toEqual([]);
    }
  });

  it('returns the version ids S3 answers with, and console URLs', async () => {
    const stored = await newStore().save(REPORT);

    expect(stored.json).toMatchObject({ key: `${KEY_BASE}.json`, versionId: 'version-1' });
    expect(stored.csv).toMatchObject({ key: `${KEY_BASE}.csv`, versionId: 'version-2' });
    expect(stored.csv.consoleUrl).toBe(
      `https://eu-west-2.console.aws.amazon.com/s3/object/${BUCKET}?region=eu-west-2&bucketType=general&prefix=${KEY_BASE}.csv`,
    );
  });

  it("turns S3's XML error into a ReportStoreError naming the bucket, key and code", async () => {
    s3.setResponses([S3_ERRORS.accessDenied]);

    const error: unknown = await newStore()
      .save(REPORT)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReportStoreError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^could not write the audit report to s3://${BUCKET}/${KEY_BASE}\\.json: AccessDenied \\(HTTP 403\\): Access Denied; check`,
      ),
    );
    expect(s3.requests).toHaveLength(1);
  });

  it('says where the JSON report is when the CSV object fails', async () => {
    s3.setResponses(['ok', S3_ERRORS.noSuchBucket]);

    const error: unknown = await newStore()
      .save(REPORT)
      .catch((e: unknown) => e);

    expect((error as ReportStoreError).key).toBe(`${KEY_BASE}.csv`);
    expect((error as Error).message).toContain(
      `(the JSON report was written to s3://${BUCKET}/${KEY_BASE}.json)`,
    );
  });
});
