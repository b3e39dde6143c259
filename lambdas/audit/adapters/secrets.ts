/**
 * Reads the Slack webhook URL from Secrets Manager at run time, cached by Powertools Parameters so a warm
 * container does not read it on every invocation. The value is a secret: no error here ever contains it. A secret
 * that still holds the not-configured marker the stack creates it with is reported as such
 * ({@link WebhookNotConfiguredError}), a malformed value as a {@link SecretError}.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { WEBHOOK_NOT_CONFIGURED } from '../domain/patterns';

/** How long a read secret is reused before it is read again (a rotated webhook is picked up within this). */
export const SECRET_MAX_AGE_SECONDS = 300;

export class SecretError extends Error {
  override name = 'SecretError';
}

/** What the report, the log and the SNS message say of a webhook secret that still holds the marker. */
export function notConfiguredReason(secretId: string): string {
  return (
    'not configured yet: put the URL with ' +
    `\`aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string https://hooks.slack.com/…\``
  );
}

/**
 * The webhook secret still holds {@link WEBHOOK_NOT_CONFIGURED}, the value the stack creates it with: Slack is not
 * configured yet. Not a failure: the caller reports it and sends nothing there.
 */
export class WebhookNotConfiguredError extends SecretError {
  override name = 'WebhookNotConfiguredError';
  constructor(readonly secretId: string) {
    super(notConfiguredReason(secretId));
  }
}

/**
 * Reads Slack webhook URLs from Secrets Manager: the default channel's secret and any team's. One provider serves
 * them all and caches each for {@link SECRET_MAX_AGE_SECONDS}.
 */
export function createWebhookUrlReader(client?: SecretsManagerClient): (secretId: string) => Promise<string> {
  const provider = new SecretsProvider(client ? { awsSdkV3Client: client } : {});
  return async (secretId) => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      // Powertools wraps the SDK's error (AccessDeniedException, ResourceNotFoundException, ...) in its own.
      const cause = (error as Error & { cause?: unknown }).cause;
      const name = cause instanceof Error ? cause.name : (error as Error).name;
      throw new SecretError(`could not read the Slack webhook secret ${secretId}: ${name}`);
    }
    const url = typeof value === 'string' ? value.trim() : '';
    if (url === WEBHOOK_NOT_CONFIGURED) throw new WebhookNotConfiguredError(secretId);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
      throw new SecretError(
        `the Slack webhook secret ${secretId} does not hold a webhook URL (expected https://hooks.slack.com/...)`,
      );
    }
    return url;
  };
}
