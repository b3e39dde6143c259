/**
 * What an invocation needs besides its event, built once per container from the environment: the validated
 * configuration, the AWS clients, the notification channels, the state store and the full report's store (each
 * absent when not configured).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { createAwsClients, observed, type AwsClients } from './adapters/aws-clients';
import { DeliveryStore } from './adapters/delivery-store';
import { createWebhookUrlReader } from './adapters/secrets';
import { postSlackMessages } from './adapters/slack';
import { readReportStoreConfig, ReportStore } from './adapters/report-store';
import { publishSnsMessage } from './adapters/sns';
import { StateStore } from './adapters/state-store';
import { KeyIndexStore, type KeyIndexPort } from './adapters/key-index-store';
import { loadAuditConfig, loadChannelConfig, type AuditConfig } from './config';
import type { Channels } from './notify';
import { loadOrganizationConfig } from './organization/config';
import { RunStore } from './organization/run-store';
import type { OrganizationDeps } from './organization/steps';
import type { DeliveryPort, ReportPort } from './pipeline';
import { ConfigError } from './settings';
import type { StatePort } from './track-changes';

export interface Runtime {
  config: AuditConfig;
  clients: AwsClients;
  channels: Channels;
  state?: StatePort;
  /** The run lease and the delivery outbox, in the state table; absent with it. */
  delivery?: DeliveryPort;
  /** The key index (issue 15), in the state table. */
  keyIndex?: KeyIndexPort;
  /** Where each audit's full report goes (S3); absent when the stack's `report` is `false`. */
  reports?: ReportPort;
  /** Organization mode: how to reach the member accounts and where a run keeps their results. */
  organization?: OrganizationDeps;
}

/** Builds the runtime; a bad variable throws a ConfigError naming it, before any AWS call. */
export function buildRuntime(env: NodeJS.ProcessEnv, logger: Logger): Runtime {
  const config = loadAuditConfig(env);
  const { slackWebhookSecretArn, snsTopicArn, stateTableName } = loadChannelConfig(env);
  const channels: Channels = {};
  if (slackWebhookSecretArn) {
    const webhookUrl = createWebhookUrlReader(observed(new SecretsManagerClient({ maxAttempts: 5 })));
    channels.slack = {
      webhookUrl: (secretArn) => webhookUrl(secretArn ?? slackWebhookSecretArn),
      post: (url, messages, options) => postSlackMessages(url, messages, options),
    };
  }
  if (snsTopicArn) {
    const sns = observed(new SNSClient({ retryMode: 'adaptive', maxAttempts: 5 }));
    channels.sns = {
      publish: (message, options) => publishSnsMessage(sns, snsTopicArn, message, options),
    };
  }
  const clients = createAwsClients({ maxAttempts: config.maxAttempts, region: env.AWS_REGION });
  const reports = buildReportStore(env);
  const dynamodb = observed(new DynamoDBClient({ maxAttempts: 5 }));
  const state = stateTableName
    ? new StateStore(dynamodb, stateTableName, {
        onSkippedItems: (skipped) => logger.warn('state items skipped', { ...skipped }),
      })
    : undefined;
  const delivery = stateTableName ? new DeliveryStore(dynamodb, stateTableName) : undefined;
  const keyIndex = stateTableName ? new KeyIndexStore(dynamodb, stateTableName) : undefined;
  const org = loadOrganizationConfig(env);
  if (org && !stateTableName) {
    throw new ConfigError(
      `organization mode needs the state table (${'STATE_TABLE_NAME'}): a run keeps the accounts' results there`,
    );
  }
  return {
    config,
    clients,
    channels,
    ...(state && { state }),
    ...(delivery && { delivery }),
    ...(keyIndex && { keyIndex }),
    ...(reports && { reports }),
    ...(org &&
      stateTableName && {
        organization: {
          config,
          org,
          sts: clients.sts,
          clientsFor: (credentials) =>
            createAwsClients({ maxAttempts: config.maxAttempts, region: env.AWS_REGION, credentials }),
          // Organizations is a global service, served from us-east-1 in the aws partition.
          organizationsFor: (credentials) =>
            observed(
              new OrganizationsClient({ region: 'us-east-1', credentials, maxAttempts: config.maxAttempts }),
            ),
          runs: new RunStore(dynamodb, stateTableName),
          ...(state && { state }),
          ...(delivery && { delivery }),
          ...(keyIndex && { keyIndex }),
          ...(reports && { reports }),
          channels,
          ...(env.AWS_LAMBDA_FUNCTION_NAME && { functionName: env.AWS_LAMBDA_FUNCTION_NAME }),
        },
      }),
  };
}

/**
 * The full report's store, or undefined when no bucket is named. Its S3 client signs with the function's own
 * credentials, in organization mode too (a member account's role only reads IAM), in the bucket's region.
 */
function buildReportStore(env: NodeJS.ProcessEnv): ReportPort | undefined {
  let config;
  try {
    config = readReportStoreConfig(env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (!config) return undefined;
  // Bounded, so a stalled S3 delays the digest by a minute or two at most: it never holds delivery to the timeout.
  const s3 = new S3Client({
    region: config.region,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });
  return new ReportStore(observed(s3), config);
}
