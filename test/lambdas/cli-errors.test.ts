import { describeError } from '../../lambdas/audit/cli/errors';

const named = (name: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name }, extra);

describe('describeError: one line with the fix', () => {
  it.each([
    [
      'an expired SSO session',
      named(
        'CredentialsProviderError',
        'The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login with the corresponding profile.',
      ),
      { AWS_PROFILE: 'prod-audit' },
      'error: the SSO session of profile prod-audit has expired: run `aws sso login --profile prod-audit` and try again',
    ],
    [
      'expired temporary credentials',
      named('ExpiredToken', 'The security token included in the request is expired'),
      { AWS_PROFILE: 'prod-audit' },
      'error: the AWS credentials have expired (ExpiredToken): run `aws sso login --profile prod-audit` (or refresh the exported keys) and try again',
    ],
    [
      'credentials AWS does not know',
      named('InvalidClientTokenId', 'The security token included in the request is invalid.'),
      {},
      'error: AWS rejected the credentials (InvalidClientTokenId: The security token included in the request is invalid.); check AWS_PROFILE (default) or the exported AWS_ACCESS_KEY_ID',
    ],
    [
      'a missing permission',
      named(
        'AccessDenied',
        'User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:GetUser',
      ),
      {},
      'error: access denied (User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:GetUser); the CLI needs the read-only IAM permissions listed in the README ("Run locally")',
    ],
    [
      'no network',
      named('Error', 'getaddrinfo ENOTFOUND sts.us-east-1.amazonaws.com', {
        code: 'ENOTFOUND',
        $metadata: { attempts: 2 },
      }),
      {},
      'error: could not reach https://sts.us-east-1.amazonaws.com (host not found (DNS) after 2 attempt(s)); check the network, HTTPS_PROXY, AWS_REGION and any AWS_ENDPOINT_URL variable',
    ],
    ['anything else', named('ServiceFailure', 'boom\nat line 2'), {}, 'error: ServiceFailure: boom'],
  ])('%s', (_case, error, env, expected) => {
    expect(describeError(error, { env, endpoint: 'https://sts.us-east-1.amazonaws.com' })).toBe(expected);
  });

  it('names the variables it looked for when nothing gave credentials', () => {
    const error = named('CredentialsProviderError', 'Could not load credentials from any providers');
    const line = describeError(error, { env: { AWS_ACCESS_KEY_ID: 'AKIAX' } });
    expect(line).toContain('AWS_ACCESS_KEY_ID (without AWS_SECRET_ACCESS_KEY)');
    expect(line).not.toContain('\n');
  });
});
