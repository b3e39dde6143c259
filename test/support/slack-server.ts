/**
 * A local HTTP server that answers like a Slack incoming webhook, for tests that post with the real
 * `@slack/webhook` client (no internet). It records every request body (parsed JSON) and checks each against
 * Slack's limits (`checkSlackLimits`), recording the violations.
 *
 * ```ts
 * const slack = await startSlackServer();
 * slack.setResponses([SLACK.rateLimited(1), SLACK.ok]);   // then 200 ok for every later request
 * await postSlackMessages(slack.url, messages, { sleep });
 * expect(slack.requests).toHaveLength(2);
 * expect(slack.violations).toEqual([]);
 * await slack.close();
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSlackLimits, type SlackMessage } from '../../lambdas/audit/present/slack-blocks';

/** One answer: a status, Slack's plain-text body, extra headers; `delayMs` holds the answer back (timeouts). */
export interface SlackResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** The answers Slack's webhooks give (the body is Slack's error string, as plain text). */
export const SLACK = {
  ok: { status: 200, body: 'ok' },
  rateLimited: (retryAfterSeconds = 1): SlackResponse => ({
    status: 429,
    body: 'rate_limited',
    headers: { 'Retry-After': String(retryAfterSeconds) },
  }),
  serverError: { status: 500, body: 'internal_error' },
  invalidBlocks: { status: 400, body: 'invalid_blocks' },
  invalidPayload: { status: 400, body: 'invalid_payload' },
  actionProhibited: { status: 403, body: 'action_prohibited' },
  noService: { status: 404, body: 'no_service' },
  channelIsArchived: { status: 410, body: 'channel_is_archived' },
  /** Answers ok only after `delayMs`, for a client timeout. */
  slow: (delayMs: number): SlackResponse => ({ status: 200, body: 'ok', delayMs }),
} satisfies Record<string, SlackResponse | ((...args: never[]) => SlackResponse)>;

/** The webhook path the server accepts; any other path gets 404 `no_service`, as Slack answers a revoked hook. */
export const WEBHOOK_PATH = '/services/T000/B000/XXXX';

/** Decides the answer to a request no queued response is left for. */
export type SlackResponder = (body: unknown, index: number) => SlackResponse;

export interface SlackServer {
  /** The webhook URL: `http://127.0.0.1:<port>/services/T000/B000/XXXX`. */
  url: string;
  /** Every request's parsed JSON body (or the raw text when it is not JSON), in arrival order. */
  requests: unknown[];
  /** The status answered to each request, in order. */
  statuses: number[];
  /** Limit violations of the received messages, with the index of the request. */
  violations: { request: number; problems: string[] }[];
  /** Queues answers for the next requests; once used up, the responder (default 200 `ok`) answers. */
  setResponses(responses: SlackResponse[]): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSlackServer(responder: SlackResponder = () => SLACK.ok): Promise<SlackServer> {
  const queue: SlackResponse[] = [];
  const requests: unknown[] = [];
  const statuses: number[] = [];
  const violations: SlackServer['violations'] = [];
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    if (req.method !== 'POST' || req.url !== WEBHOOK_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('no_service');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    const index = requests.length;
    requests.push(body);
    if (typeof body !== 'object' || body === null) {
      violations.push({ request: index, problems: ['body is not a JSON object'] });
    } else {
      const problems = checkSlackLimits(body as SlackMessage);
      if (problems.length) violations.push({ request: index, problems });
    }
    const answer = queue.shift() ?? responder(body, index);
    statuses.push(answer.status);
    if (answer.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, answer.delayMs);
        timers.add(timer);
      });
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'Content-Type': 'text/html', ...answer.headers }).end(answer.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
    requests,
    statuses,
    violations,
    setResponses(responses) {
      queue.splice(0, queue.length, ...responses);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
