/**
 * Reads the Slack webhook URL from Secrets Manager at run time, cached by Powertools Parameters so a warm
 * container does not read it on every invocation. The value is a secret: no error here ever contains it.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** How long a read secret is reused before it is read again (a rotated webhook is picked up within this). */
export const SECRET_MAX_AGE_SECONDS = 300;

export class SecretError extends Error {
  override name = 'SecretError';
}

export function createWebhookUrlReader(
  secretId: string,
  client?: SecretsManagerClient,
): () => Promise<string> {
  const provider = new SecretsProvider(client ? { awsSdkV3Client: client } : {});
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw new SecretError(`could not read the Slack webhook secret ${secretId}: ${(error as Error).name}`);
    }
    const url = typeof value === 'string' ? value.trim() : '';
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
