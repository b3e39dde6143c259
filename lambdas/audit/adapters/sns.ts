/**
 * Publishes an audit's SNS message (built by `domain/sns-message.ts`) to the topic. Errors propagate, so the caller
 * records the channel as failed; their message names the topic and what went wrong.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SnsMessage } from '../present/sns';

export class SnsPublishError extends Error {
  override name = 'SnsPublishError';
}

/** Sends `message` as one Publish with `MessageStructure: 'json'`; resolves to the MessageId SNS gives it. */
export async function publishSnsMessage(
  client: SNSClient,
  topicArn: string,
  message: SnsMessage,
): Promise<{ messageId: string }> {
  let messageId: string | undefined;
  try {
    const res = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: message.subject,
        Message: message.message,
        MessageStructure: 'json',
        MessageAttributes: message.attributes,
      }),
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
