import 'aws-sdk-client-mock-jest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  createWebhookUrlReader,
  SecretError,
  WebhookNotConfiguredError,
} from '../../../lambdas/audit/adapters/secrets';
import { WEBHOOK_NOT_CONFIGURED } from '../../../lambdas/audit/domain/patterns';

const secrets = mockClient(SecretsManagerClient);
const DEFAULT = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:iam-key-auditor/slack-AbC123';
const TEAM = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:data/slack-XyZ789';
const URL_DEFAULT = 'https://hooks.slack.com/services/T0/B0/default-token';
const URL_TEAM = 'https://hooks.slack.com/services/T0/B1/team-token';

beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand, { SecretId: DEFAULT }).resolves({ SecretString: `${URL_DEFAULT}\n` });
  secrets.on(GetSecretValueCommand, { SecretId: TEAM }).resolves({ SecretString: URL_TEAM });
});

describe('the webhook URL reader', () => {
  it('reads each secret once and serves it from its cache after', async () => {
    const read = createWebhookUrlReader(new SecretsManagerClient({ region: 'eu-west-2' }));
    expect(await read(DEFAULT)).toBe(URL_DEFAULT);
    expect(await read(DEFAULT)).toBe(URL_DEFAULT);
    expect(await read(TEAM)).toBe(URL_TEAM);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('refuses a value that is not a URL, without repeating it', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: DEFAULT })
      .resolves({ SecretString: 'xoxb-not-a-webhook-secret-token' });
    const read = createWebhookUrlReader(new SecretsManagerClient({ region: 'eu-west-2' }));
    const error = (await read(DEFAULT).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      `the Slack webhook secret ${DEFAULT} does not hold a webhook URL (expected https://hooks.slack.com/...)`,
    );
    expect(error.message).not.toContain('xoxb');
  });

  it('reads the marker the stack creates the secret with as "not configured yet", naming the command', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: DEFAULT })
      .resolves({ SecretString: WEBHOOK_NOT_CONFIGURED });
    const read = createWebhookUrlReader(new SecretsManagerClient({ region: 'eu-west-2' }));
    const error = (await read(DEFAULT).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(WebhookNotConfiguredError);
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toBe(
      'not configured yet: put the URL with ' +
        `\`aws secretsmanager put-secret-value --secret-id ${DEFAULT} --secret-string https://hooks.slack.com/…\``,
    );
  });

  it.each(['', '   ', 'not-configured-yet', 'hooks.slack.com/services/T0/B0/x'])(
    'fails clearly on a present but malformed value %j, not as "not configured"',
    async (value) => {
      secrets.on(GetSecretValueCommand, { SecretId: DEFAULT }).resolves({ SecretString: value });
      const read = createWebhookUrlReader(new SecretsManagerClient({ region: 'eu-west-2' }));
      const error = (await read(DEFAULT).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(SecretError);
      expect(error).not.toBeInstanceOf(WebhookNotConfiguredError);
      expect(error.message).toMatch(/does not hold a webhook URL/);
    },
  );

  it('says which secret could not be read, and why, by error name only', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: DEFAULT }).rejects(
      Object.assign(new Error('User is not authorized to access arn:...'), {
        name: 'AccessDeniedException',
      }),
    );
    const read = createWebhookUrlReader(new SecretsManagerClient({ region: 'eu-west-2' }));
    await expect(read(DEFAULT)).rejects.toThrow(
      `could not read the Slack webhook secret ${DEFAULT}: AccessDeniedException`,
    );
  });
});
