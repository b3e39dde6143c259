/**
 * Takes the credential report's content out of the GetCredentialReport response before the SDK parses it.
 *
 * The content is one base64 text node (5.8 MB for 20,000 users), and the SDK's XML parser builds a text node one
 * character at a time: about 190 MB of heap for that one string. These two middlewares, on the report's own
 * client, keep the parser away from it: the inner one (deserialize step, inside the deserializer) cuts the
 * `<Content>` text out of the raw body; the outer one (initialize step) puts it back on the output as bytes.
 * They share the request's context, so concurrent requests cannot mix.
 */
import type { IAMClient } from '@aws-sdk/client-iam';

const COMMAND = 'GetCredentialReportCommand';
const OPEN = Buffer.from('<Content>');
const CLOSE = Buffer.from('</Content>');
const EXTRACTED = Symbol('credential report content');

type Context = Record<PropertyKey, unknown> & { commandName?: string };

async function readBody(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export function extractCredentialReportContent(client: Pick<IAMClient, 'middlewareStack'>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const base64 = (context as Context)[EXTRACTED];
      if (typeof base64 === 'string') {
        (result.output as { Content?: Uint8Array }).Content = Buffer.from(base64, 'base64');
      }
      return result;
    },
    { step: 'initialize', name: 'iamKeyAuditorCredentialReportContentOut' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const response = result.response as { statusCode?: number; body?: unknown };
      if ((context as Context).commandName !== COMMAND || response.statusCode !== 200 || !response.body)
        return result;
      const body = await readBody(response.body);
      const start = body.indexOf(OPEN);
      const end = start < 0 ? -1 : body.indexOf(CLOSE, start);
      if (start < 0 || end < 0) {
        response.body = body;
        return result;
      }
      (context as Context)[EXTRACTED] = body.subarray(start + OPEN.length, end).toString('latin1');
      response.body = Buffer.concat([body.subarray(0, start), body.subarray(end + CLOSE.length)]);
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'iamKeyAuditorCredentialReportContentIn' },
  );
}
