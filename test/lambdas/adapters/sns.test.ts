import 'aws-sdk-client-mock-jest';
import {
  AuthorizationErrorException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  type SNSServiceException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { publishSnsMessage, SnsPublishError } from '../../../lambdas/audit/adapters/sns';
import { buildReport } from '../../../lambdas/audit/domain/report';
import { evaluateUser } from '../../../lambdas/audit/domain/rules';
import {
  buildSnsMessage,
  publishSizeBytes,
  SNS_MAX_PUBLISH_BYTES,
  type SnsMessage,
} from '../../../lambdas/audit/present/sns';
import type { Finding } from '../../../lambdas/audit/domain/types';
import { DEFAULT_THRESHOLDS } from '../../../lambdas/audit/settings';
import { ACCOUNT_ID, daysAgo, key, NOW, settings, used, user } from '../../support/builders';

const snsMock = mockClient(SNSClient);
const TOPIC_ARN = `arn:aws:sns:eu-west-2:${ACCOUNT_ID}:iam-key-audit`;

function messageWith(findingCount: number): SnsMessage {
  const findings: Finding[] = [];
  for (let i = 0; findings.length < findingCount; i += 1) {
    const accessKeyId = `AKIA${String(i).padStart(16, '0')}`;
    findings.push(
      ...evaluateUser(
        user({
          userName: `user-${i}`,
          keys: [key({ accessKeyId, createdAt: daysAgo(91 + (i % 200)), lastUsed: used(2) })],
        }),
        NOW,
        settings(),
      ),
    );
  }
  return buildSnsMessage(
    buildReport({
      now: NOW,
      accountId: ACCOUNT_ID,
      accountAlias: 'acme-staging',
      scope: { type: 'account' },
      dryRun: false,
      source: { type: 'credential-report', generatedAt: NOW.toISOString() },
      thresholds: DEFAULT_THRESHOLDS,
      usersScanned: findingCount,
      keysScanned: findingCount,
      findings: findings.slice(0, findingCount),
    }),
  );
}

function serviceError(
  Type: typeof AuthorizationErrorException | typeof NotFoundException,
  message: string,
): SNSServiceException {
  return new Type({ message, $metadata: { httpStatusCode: 403 } });
}

beforeEach(() => {
  snsMock.reset();
});

describe('publishSnsMessage', () => {
  it.each([0, 1, 2_000])(
    'publishes the message of %i findings as one JSON-structured Publish',
    async (findingCount) => {
      snsMock.on(PublishCommand).resolves({ MessageId: 'message-1' });
      const message = messageWith(findingCount);

      await expect(publishSnsMessage(new SNSClient({}), TOPIC_ARN, message)).resolves.toEqual({
        messageId: 'message-1',
      });

      expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
        TopicArn: TOPIC_ARN,
        Subject: message.subject,
        Message: message.message,
        MessageStructure: 'json',
        MessageAttributes: message.attributes,
      });
    },
  );

  it('sends what SNS accepts: under 256 KiB with attributes and subject, a valid envelope', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'message-1' });
    await publishSnsMessage(new SNSClient({}), TOPIC_ARN, messageWith(2_000));

    const input = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    const sent = {
      subject: input.Subject ?? '',
      message: input.Message ?? '',
      attributes: input.MessageAttributes as SnsMessage['attributes'],
    };
    expect(publishSizeBytes(sent)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    expect(Object.keys(JSON.parse(sent.message) as object).sort()).toEqual([
      'default',
      'https',
      'lambda',
      'sqs',
    ]);
    expect(Object.keys(sent.attributes).length).toBeLessThanOrEqual(10);
  });

  it('names the topic, the error and its message when SNS refuses', async () => {
    snsMock
      .on(PublishCommand)
      .rejects(serviceError(AuthorizationErrorException, 'User is not authorized to perform: SNS:Publish'));

    const publishing = publishSnsMessage(new SNSClient({}), TOPIC_ARN, messageWith(1));

    await expect(publishing).rejects.toThrow(SnsPublishError);
    await expect(publishing).rejects.toThrow(
      `SNS publish to ${TOPIC_ARN} failed: AuthorizationErrorException: User is not authorized to perform: SNS:Publish`,
    );
  });

  it('keeps the SDK error as the cause', async () => {
    const error = serviceError(NotFoundException, 'Topic does not exist');
    snsMock.on(PublishCommand).rejects(error);

    const failure: unknown = await publishSnsMessage(new SNSClient({}), TOPIC_ARN, messageWith(1)).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(SnsPublishError);
    if (!(failure instanceof SnsPublishError)) return;
    expect(failure.message).toBe(
      `SNS publish to ${TOPIC_ARN} failed: NotFoundException: Topic does not exist`,
    );
    expect(failure.cause).toBe(error);
  });

  it('throws when the response has no MessageId', async () => {
    snsMock.on(PublishCommand).resolves({});

    await expect(publishSnsMessage(new SNSClient({}), TOPIC_ARN, messageWith(1))).rejects.toThrow(
      `SNS publish to ${TOPIC_ARN} failed: the response has no MessageId`,
    );
  });
});
