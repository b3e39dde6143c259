/**
 * The handler's environment in the delivery tests (`handler-delivery`, `handler-organization-delivery`): SNS, the
 * default Slack webhook's secret, the state table on dynalite with fake credentials, no wait for the credential
 * report, and a full-digest weekday that is not today.
 */
import { resetRuntime } from '../../lambdas/audit/handler';

/** A weekday that is not today: `changes` mode must not post its full digest because of the date. */
export const NOT_TODAY = String((new Date().getUTCDay() + 3) % 7);

export interface DeliveryEnvironment {
  topicArn: string;
  secretArn: string;
  table: string;
  dynamoDbEndpoint: string;
}

/** Replaces `process.env` with `base`, the delivery settings and then `extra`, and drops the cached runtime. */
export function useDeliveryEnvironment(
  base: NodeJS.ProcessEnv,
  settings: DeliveryEnvironment,
  extra: Record<string, string> = {},
): void {
  process.env = {
    ...base,
    CREDENTIAL_REPORT_WAIT_SECONDS: '0',
    SNS_TOPIC_ARN: settings.topicArn,
    SLACK_WEBHOOK_SECRET_ARN: settings.secretArn,
    STATE_TABLE_NAME: settings.table,
    AWS_ENDPOINT_URL_DYNAMODB: settings.dynamoDbEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-dynalite',
    FULL_DIGEST_WEEKDAY: NOT_TODAY,
    ...extra,
  };
  resetRuntime();
}
