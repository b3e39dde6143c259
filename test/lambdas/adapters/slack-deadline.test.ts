import { postSlackMessages, SlackDeliveryError } from '../../../lambdas/audit/adapters/slack';
import type { SlackMessage } from '../../../lambdas/audit/present/slack-blocks';
import { SLACK, startSlackServer, type SlackServer } from '../../support/slack-server';

const message = (n: number): SlackMessage => ({
  text: `message ${n}`,
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `body ${n}` } }],
});
const MESSAGES = [message(1), message(2), message(3)];

let slack: SlackServer;
let clock: number;
const waits: number[] = [];
/** A clock the recorded waits advance: no real time passes. */
const sleep = async (ms: number) => {
  waits.push(ms);
  clock += ms;
};

beforeEach(async () => {
  slack = await startSlackServer();
  clock = 1_000_000;
  waits.length = 0;
});

afterEach(async () => {
  await slack.close();
});

async function failure(promise: Promise<unknown>): Promise<SlackDeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlackDeliveryError);
  return error as SlackDeliveryError;
}

describe('postSlackMessages: the delivery deadline', () => {
  it('begins no Retry-After wait that would end after the deadline', async () => {
    slack.setResponses([SLACK.ok, SLACK.rateLimited(60)]);
    const error = await failure(
      postSlackMessages(slack.url, MESSAGES, {
        sleep,
        now: () => clock,
        minIntervalMs: 0,
        deadlineMs: clock + 30_000,
      }),
    );
    expect(error.code).toBe('deadline (rate_limited)');
    expect(error.sent).toBe(1);
    expect(error.message).toMatch(/stopped at message 2 of 3 .*a 60 s wait would pass the delivery deadline/);
    expect(waits).toEqual([]);
    expect(slack.requests).toHaveLength(2);
  });

  it('retries while the waits fit, and starts no message after the deadline', async () => {
    slack.setResponses([SLACK.rateLimited(5), SLACK.ok, SLACK.ok]);
    const error = await failure(
      postSlackMessages(slack.url, MESSAGES, {
        sleep,
        now: () => clock,
        minIntervalMs: 1_000,
        deadlineMs: clock + 6_500,
      }),
    );
    // 5 s Retry-After, message 1; 1 s pacing, message 2; the next pacing would end past the deadline.
    expect(waits).toEqual([5_000, 1_000]);
    expect(error).toMatchObject({ code: 'deadline', sent: 2 });
  });

  it('tells onSent of each accepted message before sending the next', async () => {
    const seen: string[] = [];
    await postSlackMessages(slack.url, MESSAGES, {
      sleep,
      minIntervalMs: 0,
      onSent: (index) => void seen.push(`sent ${index} after ${slack.requests.length} requests`),
    });
    expect(seen).toEqual(['sent 0 after 1 requests', 'sent 1 after 2 requests', 'sent 2 after 3 requests']);
  });
});
