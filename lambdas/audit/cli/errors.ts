/**
 * One line for each way the CLI commonly fails before or during an audit, with the fix: no credentials (and which
 * profile or variables were tried), an expired SSO session or token, credentials AWS rejects, access denied, an
 * endpoint that cannot be reached. Anything else is `ErrorName: message`.
 */

/** What the CLI knows about where it looked for credentials and which endpoint a failed request went to. */
export interface ErrorContext {
  env: NodeJS.ProcessEnv;
  /** The profile named by AWS_PROFILE, when it exists in neither ~/.aws/config nor ~/.aws/credentials. */
  profileMissing?: boolean;
  /** The endpoint of the request that failed (`https://sts.us-east-1.amazonaws.com`), when known. */
  endpoint?: string;
}

type AwsError = Error & { code?: string; $metadata?: { attempts?: number } };

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
};

const REJECTED_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'AuthFailure',
]);

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);

function profileOf(env: NodeJS.ProcessEnv): string {
  return env.AWS_PROFILE || 'default';
}

/** `--profile x` for the commands the fix names, unless the profile is the default one. */
function profileFlag(env: NodeJS.ProcessEnv): string {
  return env.AWS_PROFILE ? ` --profile ${env.AWS_PROFILE}` : '';
}

/** The credential sources the SDK tried, as the message names them. */
function sourcesTried(context: ErrorContext): string {
  const { env } = context;
  if (env.AWS_PROFILE) {
    return context.profileMissing
      ? `AWS_PROFILE=${env.AWS_PROFILE}, but ~/.aws/config and ~/.aws/credentials have no such profile`
      : `AWS_PROFILE=${env.AWS_PROFILE} (profile found, but it gave no credentials)`;
  }
  const vars = env.AWS_ACCESS_KEY_ID
    ? 'AWS_ACCESS_KEY_ID (without AWS_SECRET_ACCESS_KEY)'
    : 'no AWS_ACCESS_KEY_ID';
  return `${vars}, no AWS_PROFILE, no [default] profile with credentials in ~/.aws, no instance or container role`;
}

/** The error as one line, starting `error: `, with the fix where there is a common one. */
export function describeError(error: unknown, context: ErrorContext): string {
  const err = (error instanceof Error ? error : new Error(String(error))) as AwsError;
  const message = err.message.split('\n')[0]!.trim();
  const login = `aws sso login${profileFlag(context.env)}`;
  // The SSO token's providers throw CredentialsProviderError or TokenProviderError, saying "aws sso login".
  if (/sso/i.test(message) && /expired|invalid|refresh|sso login/i.test(message)) {
    return `error: the SSO session of profile ${profileOf(context.env)} has expired: run \`${login}\` and try again`;
  }
  if (err.name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    if (context.profileMissing) {
      return `error: no AWS credentials: ${sourcesTried(context)}; fix AWS_PROFILE or run \`aws configure sso --profile ${context.env.AWS_PROFILE}\``;
    }
    return (
      `error: no AWS credentials found (tried: ${sourcesTried(context)}); ` +
      `set AWS_PROFILE and run \`aws sso login --profile <name>\`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`
    );
  }
  if (EXPIRED.has(err.name) || /token.*expired|expired.*token/i.test(message)) {
    return `error: the AWS credentials have expired (${err.name}): run \`${login}\` (or refresh the exported keys) and try again`;
  }
  if (REJECTED_CREDENTIALS.has(err.name)) {
    return `error: AWS rejected the credentials (${err.name}: ${message}); check AWS_PROFILE (${profileOf(context.env)}) or the exported AWS_ACCESS_KEY_ID`;
  }
  if (err.name === 'AccessDenied' || err.name === 'AccessDeniedException') {
    return `error: access denied (${message}); the CLI needs the read-only IAM permissions listed in the README ("Run locally")`;
  }
  const where = context.endpoint ?? 'the AWS endpoint';
  const attempts = err.$metadata?.attempts ? ` after ${err.$metadata.attempts} attempt(s)` : '';
  if (err.name === 'TimeoutError' || (err.code && NETWORK_CODES[err.code])) {
    const what = err.name === 'TimeoutError' ? 'timed out' : NETWORK_CODES[err.code!]!;
    return (
      `error: could not reach ${where} (${what}${attempts}); check the network, ` +
      `HTTPS_PROXY, AWS_REGION and any AWS_ENDPOINT_URL variable`
    );
  }
  return `error: ${err.name}: ${message}`;
}
