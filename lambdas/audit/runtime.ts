/**
 * What an invocation needs besides its event, built once per container from the environment: the validated
 * configuration, the AWS clients, the notification channels and the state store (each absent when not configured).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { createAwsClients, type AwsClients } from './adapters/aws-clients';
import { createWebhookUrlReader } from './adapters/secrets';
import { postSlackMessages } from './adapters/slack';
import { publishSnsMessage } from './adapters/sns';
import { StateStore } from './adapters/state-store';
import { loadAuditConfig, loadChannelConfig, type AuditConfig } from './config';
import type { Channels } from './notify';
import type { StatePort } from './track-changes';

export interface Runtime {
  config: AuditConfig;
  clients: AwsClients;
  channels: Channels;
  state?: StatePort;
}

/** Builds the runtime; a bad variable throws a ConfigError naming it, before any AWS call. */
export function buildRuntime(env: NodeJS.ProcessEnv, logger: Logger): Runtime {
  const config = loadAuditConfig(env);
  const { slackWebhookSecretArn, snsTopicArn, stateTableName } = loadChannelConfig(env);
  const channels: Channels = {};
  if (slackWebhookSecretArn) {
    const webhookUrl = createWebhookUrlReader();
    channels.slack = {
      webhookUrl: (secretArn) => webhookUrl(secretArn ?? slackWebhookSecretArn),
      post: (url, messages) => postSlackMessages(url, messages),
    };
  }
  if (snsTopicArn) {
    const sns = new SNSClient({ retryMode: 'adaptive', maxAttempts: 5 });
    channels.sns = { publish: (message) => publishSnsMessage(sns, snsTopicArn, message) };
  }
  return {
    config,
    clients: createAwsClients({ maxAttempts: config.maxAttempts, region: env.AWS_REGION }),
    channels,
    ...(stateTableName && {
      state: new StateStore(new DynamoDBClient({ maxAttempts: 5 }), stateTableName, {
        onSkippedItems: (skipped) => logger.warn('state items skipped', { ...skipped }),
      }),
    }),
  };
}
