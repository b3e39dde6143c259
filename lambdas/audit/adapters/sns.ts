/**
 * Publishes an audit's SNS message (built by `domain/sns-message.ts`) to the topic. Errors propagate, so the caller
 * records the channel as failed; their message names the topic and what went wrong.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SnsMessage } from '../present/sns';

export class SnsPublishError extends Error {
  override name = 'SnsPublishError';
}

/**
 * Sends `message` as one Publish with `MessageStructure: 'json'`; resolves to the MessageId SNS gives it.
 * With `deadlineMs` (epoch ms), the call and the SDK's retries are aborted at that time.
 */
export async function publishSnsMessage(
  client: SNSClient,
  topicArn: string,
  message: SnsMessage,
  options: { deadlineMs?: number } = {},
): Promise<{ messageId: string }> {
  let messageId: string | undefined;
  const left = options.deadlineMs === undefined ? undefined : options.deadlineMs - Date.now();
  if (left !== undefined && left <= 0) {
    throw new SnsPublishError(`SNS publish to ${topicArn} not attempted: the delivery deadline has passed`);
  }
  try {
    const res = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: message.subject,
        Message: message.message,
        MessageStructure: 'json',
        MessageAttributes: message.attributes,
      }),
      left === undefined ? {} : { abortSignal: AbortSignal.timeout(left) },
    );
    messageId = res.MessageId;
  } catch (error) {
    const e = error as Error;
    throw new SnsPublishError(`SNS publish to ${topicArn} failed: ${e.name}: ${e.message}`, { cause: error });
  }
  if (messageId === undefined) {
    throw new SnsPublishError(`SNS publish to ${topicArn} failed: the response has no MessageId`);
  }
  return { messageId };
}
