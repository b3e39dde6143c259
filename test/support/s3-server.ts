/**
 * A local HTTP server that answers PutObject like S3 (path-style: `PUT /<bucket>/<key>`), for tests that write with
 * the real `@aws-sdk/client-s3` client (no internet): it records each request's method, path, headers and body, and
 * answers 200 with an ETag and a version id, or the XML error queued with `setResponses`.
 *
 * ```ts
 * const s3 = await startS3Server();
 * const client = new S3Client(s3.clientConfig);
 * s3.setResponses(['ok', S3_ERRORS.accessDenied]); // then 'ok' for every later request
 * await s3.close();
 * ```
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

export interface RecordedRequest {
  method: string;
  /** The path, decoded: `/<bucket>/<key>`. */
  path: string;
  headers: IncomingMessage['headers'];
  /** The body's bytes. */
  body: Buffer;
}

/** An error S3 answers, as its status and XML `Code` and `Message`. */
export interface S3ErrorResponse {
  status: number;
  code: string;
  message: string;
}

export const S3_ERRORS = {
  accessDenied: { status: 403, code: 'AccessDenied', message: 'Access Denied' },
  noSuchBucket: { status: 404, code: 'NoSuchBucket', message: 'The specified bucket does not exist' },
} satisfies Record<string, S3ErrorResponse>;

export interface S3Server {
  /** What an S3Client needs to talk to this server: endpoint, path-style, a region and dummy credentials. */
  clientConfig: S3ClientConfig;
  requests: RecordedRequest[];
  /** Queues the answers to the next requests, in order; once used up, every request gets 'ok'. */
  setResponses(responses: ('ok' | S3ErrorResponse)[]): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startS3Server(region = 'eu-west-2'): Promise<S3Server> {
  const requests: RecordedRequest[] = [];
  const queue: ('ok' | S3ErrorResponse)[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({
        method: req.method ?? '',
        path: decodeURIComponent(url.pathname),
        headers: req.headers,
        body,
      });
      const failure = queue.shift() ?? 'ok';
      if (failure !== 'ok') {
        res.writeHead(failure.status, { 'Content-Type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.code}</Code><Message>${failure.message}</Message>` +
            `<RequestId>0000000000000000</RequestId><HostId>local</HostId></Error>`,
        );
        return;
      }
      res.writeHead(200, {
        ETag: `"${createHash('md5').update(body).digest('hex')}"`,
        'x-amz-version-id': `version-${requests.length}`,
      });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    clientConfig: {
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    },
    requests,
    setResponses: (responses) => {
      queue.push(...responses);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
