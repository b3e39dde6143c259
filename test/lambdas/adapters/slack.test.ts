import type { SectionBlock } from '@slack/types';
import type { FetchFunction } from '@slack/webhook';
import {
  DEFAULT_MAX_RETRIES,
  parseRetryAfter,
  postSlackMessages,
  scrubWebhookUrl,
  SlackDeliveryError,
  type PostSlackOptions,
} from '../../../lambdas/audit/adapters/slack';
import { buildSlackDigest } from '../../../lambdas/audit/present/slack';
import type { SlackMessage } from '../../../lambdas/audit/present/slack-blocks';
import { daysAgo, key, reportOfUsers, used, user } from '../../support/builders';
import { SLACK, startSlackServer, WEBHOOK_PATH, type SlackServer } from '../../support/slack-server';

const message = (n: number): SlackMessage => ({
  text: `message ${n}`,
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `body ${n}` } }],
});
const MESSAGES = [message(1), message(2), message(3)];

/** A sleep that records each wait and returns at once. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

/** Posts and returns the SlackDeliveryError it throws (fails the test if it does not throw one). */
async function failure(promise: Promise<unknown>): Promise<SlackDeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlackDeliveryError);
  return error as SlackDeliveryError;
}

let slack: SlackServer;
let waits: number[];
let options: PostSlackOptions;

beforeEach(async () => {
  slack = await startSlackServer();
  const recorder = recordingSleep();
  waits = recorder.waits;
  options = { sleep: recorder.sleep, minIntervalMs: 0 };
});

afterEach(async () => {
  await slack.close();
});

describe('postSlackMessages: delivery', () => {
  test('posts each message, in order, with the real client; unfurling off', async () => {
    await expect(postSlackMessages(slack.url, MESSAGES, options)).resolves.toEqual({ sent: 3 });
    expect(slack.requests).toEqual(
      MESSAGES.map((m) => ({ text: m.text, blocks: m.blocks, unfurl_links: false, unfurl_media: false })),
    );
    expect(slack.violations).toEqual([]);
    expect(waits).toEqual([]);
  });

  test('nothing to post: no request', async () => {
    await expect(postSlackMessages(slack.url, [], options)).resolves.toEqual({ sent: 0 });
    expect(slack.requests).toEqual([]);
  });

  test('paces messages by minIntervalMs (default one second), not before the first', async () => {
    await postSlackMessages(slack.url, MESSAGES, { sleep: options.sleep });
    expect(waits).toEqual([1000, 1000]);
  });

  test('a 2,000-finding digest arrives whole: every user once, in order, every message within the limits', async () => {
    const users = Array.from({ length: 2000 }, (_, i) => {
      const accessKeyId = `AKIA${String(i + 1).padStart(16, '0')}`;
      return user({
        userName: `user-${String(i + 1).padStart(4, '0')}`,
        keys: [key({ accessKeyId, createdAt: daysAgo(91), lastUsed: used(1) })],
        tags: { [accessKeyId]: `service ${i + 1}` },
      });
    });
    const report = reportOfUsers(users);
    // Uncapped, so that the digest takes many messages.
    const messages = buildSlackDigest(report, { clean: 'silent', maxFindingLines: 2000 });
    expect(messages.length).toBeGreaterThan(3);

    await expect(postSlackMessages(slack.url, messages, options)).resolves.toEqual({ sent: messages.length });

    expect(slack.violations).toEqual([]);
    const received = slack.requests as SlackMessage[];
    expect(received).toHaveLength(messages.length);
    const names = received.flatMap((m) =>
      m.blocks
        .filter((b): b is SectionBlock => b.type === 'section')
        .flatMap((b) => [...(b.text?.text ?? '').matchAll(/^• `([^`]+)`/gm)].map((x) => x[1])),
    );
    expect(names).toEqual(users.map((u) => u.userName));
    received.forEach((m, i) => expect(m.text.endsWith(`(${i + 1}/${messages.length})`)).toBe(true));
  });
});

describe('postSlackMessages: retries', () => {
  test('429: waits the Retry-After (seconds), then posts', async () => {
    slack.setResponses([SLACK.rateLimited(1), SLACK.ok]);
    await expect(postSlackMessages(slack.url, [message(1)], options)).resolves.toEqual({ sent: 1 });
    expect(slack.statuses).toEqual([429, 200]);
    expect(waits).toEqual([1000]);
  });

  test('429 with a longer Retry-After: waits that long, not the backoff', async () => {
    slack.setResponses([SLACK.rateLimited(7), SLACK.ok]);
    await postSlackMessages(slack.url, [message(1)], options);
    expect(waits).toEqual([7000]);
  });

  test('429 asking for more than maxRetryAfterMs: fails at once with rate_limited', async () => {
    slack.setResponses([SLACK.rateLimited(3600)]);
    const error = await failure(postSlackMessages(slack.url, MESSAGES, options));
    expect(error).toMatchObject({ code: 'rate_limited', sent: 0, status: 429 });
    expect(slack.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  test('500 then ok: retried after one second', async () => {
    slack.setResponses([SLACK.serverError, SLACK.ok]);
    await expect(postSlackMessages(slack.url, [message(1)], options)).resolves.toEqual({ sent: 1 });
    expect(slack.statuses).toEqual([500, 200]);
    expect(waits).toEqual([1000]);
  });

  test('500 forever: fails after bounded retries with http_500 and how many were sent', async () => {
    const server = await startSlackServer((_body, index) => (index < 1 ? SLACK.ok : SLACK.serverError));
    try {
      const error = await failure(postSlackMessages(server.url, MESSAGES, options));
      expect(error).toMatchObject({ code: 'http_500', sent: 1, status: 500 });
      expect(error.message).toBe(
        'Slack delivery of message 2 of 3 failed after 5 attempts (HTTP 500); 1 delivered before it',
      );
      expect(server.requests).toHaveLength(1 + DEFAULT_MAX_RETRIES + 1);
      expect(waits).toEqual([1000, 2000, 4000, 8000]);
      expect(server.requests.slice(1)).toEqual(Array(5).fill(server.requests[1]));
    } finally {
      await server.close();
    }
  });

  test('maxRetries bounds the attempts', async () => {
    slack.setResponses(Array(10).fill(SLACK.serverError));
    await failure(postSlackMessages(slack.url, [message(1)], { ...options, maxRetries: 1 }));
    expect(slack.requests).toHaveLength(2);
    expect(waits).toEqual([1000]);
  });

  test('a timeout is retried', async () => {
    slack.setResponses([SLACK.slow(2000), SLACK.ok]);
    await expect(postSlackMessages(slack.url, [message(1)], { ...options, timeoutMs: 100 })).resolves.toEqual(
      {
        sent: 1,
      },
    );
    expect(slack.requests).toHaveLength(2);
    expect(waits).toEqual([1000]);
  });

  test('a timeout every time fails with code timeout', async () => {
    slack.setResponses(Array(3).fill(SLACK.slow(2000)));
    const error = await failure(
      postSlackMessages(slack.url, [message(1)], { ...options, timeoutMs: 100, maxRetries: 2 }),
    );
    expect(error).toMatchObject({ code: 'timeout', sent: 0 });
    expect(error.status).toBeUndefined();
  });

  test('a network error is retried, then fails with code network', async () => {
    const gone = await startSlackServer();
    const url = gone.url;
    await gone.close();
    const error = await failure(postSlackMessages(url, MESSAGES, options));
    expect(error).toMatchObject({ code: 'network', sent: 0 });
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    expect(error.message).not.toContain(url);
    expect(error.message).not.toContain(WEBHOOK_PATH);
  });
});

describe('postSlackMessages: errors that would fail again are not retried', () => {
  test.each([
    ['invalid_blocks', SLACK.invalidBlocks, 400],
    ['invalid_payload', SLACK.invalidPayload, 400],
    ['action_prohibited', SLACK.actionProhibited, 403],
    ['no_service', SLACK.noService, 404],
    ['channel_is_archived', SLACK.channelIsArchived, 410],
  ])('%s: exactly one request, the code from the body', async (code, response, status) => {
    slack.setResponses([SLACK.ok, response]);
    const error = await failure(postSlackMessages(slack.url, MESSAGES, options));
    expect(error).toMatchObject({ code, status, sent: 1 });
    expect(error.message).toBe(
      `Slack rejected message 2 of 3 (HTTP ${status}, not retried); 1 delivered before it`,
    );
    expect(slack.requests).toHaveLength(2);
    expect(waits).toEqual([]);
  });

  test('a 4xx without a Slack error string: http_<status>', async () => {
    slack.setResponses([{ status: 400, body: '<html>Bad Request</html>' }]);
    const error = await failure(postSlackMessages(slack.url, [message(1)], options));
    expect(error).toMatchObject({ code: 'http_400', status: 400 });
  });

  test('a webhook URL of the wrong path: no_service (as Slack answers a revoked webhook)', async () => {
    const error = await failure(postSlackMessages(slack.url.replace('XXXX', 'YYYY'), [message(1)], options));
    expect(error).toMatchObject({ code: 'no_service', status: 404 });
  });

  test('not a URL: invalid_url, no request, the value not echoed', async () => {
    const error = await failure(
      postSlackMessages('hooks.slack.com/services/T1/B2/secret', [message(1)], options),
    );
    expect(error).toMatchObject({ code: 'invalid_url', sent: 0 });
    expect(error.message).not.toContain('secret');
  });
});

describe('the webhook URL never appears in an error', () => {
  const SECRET_URL = 'https://hooks.slack.com/services/T0SECRET/B0SECRET/abcdefSECRETtoken';

  test('not from a failing fetch whose error quotes the URL', async () => {
    const fetch: FetchFunction = async (url) => {
      const error = new Error(`connect ECONNRESET while posting to ${String(url)}`);
      (error as Error & { cause?: unknown }).cause = new Error(`socket hang up ${String(url)}`);
      throw error;
    };
    const error = await failure(
      postSlackMessages(SECRET_URL, [message(1)], { ...options, fetch, maxRetries: 0 }),
    );
    expect(error.code).toBe('network');
    expect(error.message).toContain('ECONNRESET');
    expect(error.message).not.toContain('SECRET');
    expect(error.message).not.toContain('/services/');
    expect(JSON.stringify(error)).not.toContain('SECRET');
    expect(String(error.stack)).not.toContain('SECRET');
  });

  test.each([SLACK.invalidBlocks, SLACK.serverError, SLACK.rateLimited(3600)])(
    'not on HTTP %j',
    async (response) => {
      slack.setResponses(Array(5).fill(response));
      const error = await failure(postSlackMessages(slack.url, [message(1)], options));
      expect(error.message).not.toContain(slack.url);
      expect(error.message).not.toContain(WEBHOOK_PATH);
    },
  );

  test('scrubWebhookUrl removes the URL, its path and anything shaped like a webhook', () => {
    expect(scrubWebhookUrl(`a ${SECRET_URL} b`, SECRET_URL)).toBe('a [webhook URL] b');
    expect(scrubWebhookUrl('GET /services/T0SECRET/B0SECRET/abcdefSECRETtoken', SECRET_URL)).toBe(
      'GET [webhook URL]',
    );
    expect(scrubWebhookUrl('see https://hooks.slack.com/services/T9/B9/other', SECRET_URL)).toBe(
      'see [webhook URL]',
    );
    expect(scrubWebhookUrl(encodeURIComponent(SECRET_URL), SECRET_URL)).toBe('[webhook URL]');
  });
});

test('parseRetryAfter: seconds or an HTTP date', () => {
  const now = Date.parse('2026-11-28T09:00:00Z');
  expect(parseRetryAfter('1', now)).toBe(1000);
  expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
  expect(parseRetryAfter('Sat, 28 Nov 2026 09:00:05 GMT', now)).toBe(5000);
  expect(parseRetryAfter('Sat, 28 Nov 2026 08:00:00 GMT', now)).toBe(0);
  expect(parseRetryAfter(null, now)).toBeUndefined();
  expect(parseRetryAfter('soon', now)).toBeUndefined();
});
