/**
 * Posts the Slack digest's messages, in order, through an incoming webhook with the real `IncomingWebhook`
 * client from `@slack/webhook`. The webhook URL is a secret: no error thrown from here ever contains it.
 *
 * Retries are our own loop around `send`, with the library's `retryConfig` left at `{ retries: 0 }`, because
 * the library's retry (p-retry 4) cannot do what Slack asks of a webhook client:
 * - it aborts on every 4xx including 429 (`AbortError`), and its `IncomingWebhookHTTPError` carries the status
 *   and body but not the headers, so the `Retry-After` of a 429 is lost; we read it through the client's
 *   `fetch` option, which we wrap to record each response's `Retry-After`;
 * - its waits are p-retry's own timers, which a test cannot replace; ours go through an injectable `sleep`.
 * So: 429 waits `Retry-After` (seconds, or an HTTP date) then retries; 5xx, network errors and timeouts are
 * retried after 1 s, 2 s, 4 s, 8 s…; any other 4xx (`invalid_blocks`, `invalid_payload`, `action_prohibited`,
 * `no_service`, `channel_is_archived`, …) fails at once, since sending it again fails again. A timed-out request
 * may still have been delivered, so a retry can post a message twice: Slack webhooks have no idempotency key.
 */
import {
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
  type FetchFunction,
} from '@slack/webhook';
import type { SlackMessage } from '../present/slack-blocks';

/** Retries of one message after its first attempt. */
export const DEFAULT_MAX_RETRIES = 4;
/** Each request is aborted after this long (the client's `timeout`). */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** The first retry's wait; each further retry doubles it, up to `MAX_BACKOFF_MS`. */
export const BASE_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 30_000;
/** A 429 asking for a longer wait than this fails at once rather than hold the Lambda. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** Slack allows about one message per second per webhook (short bursts tolerated): the pause between messages. */
export const DEFAULT_MIN_INTERVAL_MS = 1_000;

export interface PostSlackOptions {
  /** Retries of one message after its first attempt; default 4. */
  maxRetries?: number;
  /** How to wait (backoff, `Retry-After`, pacing); default a timer. Tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
  /** Per-request timeout in milliseconds; default 10,000. */
  timeoutMs?: number;
  /** The fetch the client uses; default the global `fetch`. */
  fetch?: FetchFunction;
  /** Pause between two messages; default 1,000 ms (Slack's one message per second). 0 to post back to back. */
  minIntervalMs?: number;
  /** The longest `Retry-After` honoured; longer fails with `rate_limited`. Default 60,000 ms. */
  maxRetryAfterMs?: number;
  /**
   * Epoch ms by which delivery must have stopped: no message is started after it, and no retry or `Retry-After`
   * wait that would end after it is begun (the error's code is then `deadline`). Default none.
   */
  deadlineMs?: number;
  /** The clock the deadline is read against; default `Date.now`. */
  now?: () => number;
  /** Told, and awaited, as soon as Slack accepted message `index` (0-based), before the next one is sent. */
  onSent?: (index: number) => Promise<void> | void;
}

/** A message was not delivered. `sent` messages were delivered before it; the message never holds the URL. */
export class SlackDeliveryError extends Error {
  override name = 'SlackDeliveryError';
  constructor(
    message: string,
    /** Slack's error string (`invalid_blocks`, `no_service`…), or `http_500`, `network`, `timeout`, `rate_limited`… */
    readonly code: string,
    /** Messages delivered before the failure. */
    readonly sent: number,
    /** The HTTP status, when Slack answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

const REDACTED = '[webhook URL]';

/** Removes the webhook URL (and anything shaped like a Slack webhook path) from text bound for an error. */
export function scrubWebhookUrl(text: string, webhookUrl: string): string {
  let out = text;
  const secrets = [webhookUrl, encodeURIComponent(webhookUrl)];
  try {
    const { pathname, search } = new URL(webhookUrl);
    if (pathname.length > 1) secrets.push(pathname + search, pathname);
  } catch {
    // not a URL: the literal is still removed
  }
  for (const secret of secrets.filter(Boolean).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(/https?:\/\/hooks\.slack(?:-gov)?\.com\/\S*/gi, REDACTED)
    .replace(/\/services\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]+/g, REDACTED);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `Retry-After` as milliseconds: delay-seconds, or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Slack's error string from a response body (`invalid_blocks`), or `http_<status>`. */
function errorCode(status: number, body: string): string {
  const word = body.trim();
  return status < 500 && /^[a-z][a-z0-9_]{0,63}$/.test(word) ? word : `http_${status}`;
}

interface Failure {
  code: string;
  status?: number;
  retryable: boolean;
  /** For a 429: how long Slack asked us to wait. */
  retryAfterMs?: number;
  detail: string;
}

function classify(error: unknown, retryAfter: string | null, webhookUrl: string): Failure {
  if (error instanceof IncomingWebhookHTTPError) {
    const { statusCode: status, body } = error;
    const code = errorCode(status, body ?? '');
    if (status === 429) {
      return {
        code: code === 'http_429' ? 'rate_limited' : code,
        status,
        retryable: true,
        retryAfterMs: parseRetryAfter(retryAfter),
        detail: 'HTTP 429',
      };
    }
    return { code, status, retryable: status >= 500, detail: `HTTP ${status}` };
  }
  const original = error instanceof IncomingWebhookRequestError ? error.original : (error as Error);
  const cause = (original as { cause?: unknown })?.cause;
  const causeMessage = cause instanceof Error ? cause.message : '';
  const text = `${original?.message ?? String(error)}${causeMessage ? ` (${causeMessage})` : ''}`;
  const detail = scrubWebhookUrl(text, webhookUrl);
  // By name; or by text when the client re-wrapped an error from another realm (`new Error(String(error))`).
  if (
    ['TimeoutError', 'AbortError'].includes(original?.name) ||
    /TimeoutError|aborted due to timeout/.test(text)
  ) {
    return { code: 'timeout', retryable: true, detail };
  }
  if (/redirect/i.test(text)) return { code: 'redirect', retryable: false, detail };
  return { code: 'network', retryable: true, detail };
}

/**
 * Posts `messages` in order to the webhook, one at a time, paced by `minIntervalMs`; resolves with how many were
 * sent. On a failure after its retries, throws a `SlackDeliveryError` with Slack's error code and the number
 * delivered before it; the remaining messages are not posted.
 */
export async function postSlackMessages(
  webhookUrl: string,
  messages: SlackMessage[],
  options: PostSlackOptions = {},
): Promise<{ sent: number }> {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const sleep = options.sleep ?? defaultSleep;
  const minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const clock = options.now ?? Date.now;
  const deadline = options.deadlineMs ?? Number.POSITIVE_INFINITY;
  const total = messages.length;
  try {
    const { protocol } = new URL(webhookUrl);
    if (protocol !== 'https:' && protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new SlackDeliveryError('the Slack webhook URL is not an http(s) URL', 'invalid_url', 0);
  }

  // The library's fetch option, wrapped to keep the Retry-After of the last response (its errors drop headers).
  const baseFetch = options.fetch ?? (globalThis.fetch as unknown as FetchFunction);
  let retryAfter: string | null = null;
  const fetch: FetchFunction = async (url, init) => {
    retryAfter = null;
    const response = await baseFetch(url, init);
    retryAfter = response.headers.get('retry-after');
    return response;
  };
  const webhook = new IncomingWebhook(webhookUrl, {
    fetch,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retryConfig: { retries: 0 },
  });

  const pastDeadline = (waitMs: number, why: string, code = 'deadline', status?: number): void => {
    if (clock() + waitMs < deadline) return;
    throw new SlackDeliveryError(
      `Slack delivery stopped at message ${sent + 1} of ${total} to keep time for recording it (${why}); ` +
        `${sent} delivered before it, the rest stay pending for the next run`,
      code === 'deadline' ? code : `deadline (${code})`,
      sent,
      status,
    );
  };
  let sent = 0;
  for (const message of messages) {
    if (sent > 0 && minIntervalMs > 0) {
      pastDeadline(minIntervalMs, 'the delivery deadline');
      await sleep(minIntervalMs);
    }
    pastDeadline(0, 'the delivery deadline');
    for (let attempt = 0; ; attempt += 1) {
      try {
        await webhook.send({
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
          unfurl_media: false,
        });
        break;
      } catch (error) {
        const failure = classify(error, retryAfter, webhookUrl);
        const which = `message ${sent + 1} of ${total}`;
        const delivered = `${sent} delivered before it`;
        if (!failure.retryable) {
          throw new SlackDeliveryError(
            `Slack rejected ${which} (${failure.detail}, not retried); ${delivered}`,
            failure.code,
            sent,
            failure.status,
          );
        }
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > maxRetryAfterMs) {
          throw new SlackDeliveryError(
            `Slack rate-limited ${which} and asked to wait ${Math.ceil(failure.retryAfterMs / 1000)} s, ` +
              `longer than ${maxRetryAfterMs / 1000} s; ${delivered}`,
            failure.code,
            sent,
            failure.status,
          );
        }
        if (attempt >= maxRetries) {
          throw new SlackDeliveryError(
            `Slack delivery of ${which} failed after ${attempt + 1} attempts (${failure.detail}); ${delivered}`,
            failure.code,
            sent,
            failure.status,
          );
        }
        const backoff = Math.min(BASE_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
        const wait = failure.retryAfterMs ?? backoff;
        pastDeadline(
          wait,
          `a ${Math.ceil(wait / 1000)} s wait would pass the delivery deadline`,
          failure.code,
          failure.status,
        );
        await sleep(wait);
      }
    }
    sent += 1;
    await options.onSent?.(sent - 1);
  }
  return { sent };
}
