/**
 * The CLI's network edge: HTTP timeouts for its SDK clients, a first call that checks the credentials and the
 * network in a few seconds before the audit starts, and the endpoint a failed request went to.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { getProfileName, loadSharedConfigFiles } from '@smithy/core/config';

/**
 * The audit's clients: a connection not made in 3 s, or an answer not complete in 30 s, is an error (retried as
 * the SDK retries). Without them a blackholed endpoint hangs for ever.
 */
export const AUDIT_HTTP = { connectionTimeout: 3_000, requestTimeout: 30_000, throwOnRequestTimeout: true };

/**
 * The first call (STS GetCallerIdentity, which needs no permission): two attempts of at most 3 s to connect and 3 s
 * to answer, so an unreachable network is reported in well under 10 s.
 */
export const CHECK_HTTP = { connectionTimeout: 3_000, requestTimeout: 3_000, throwOnRequestTimeout: true };
export const CHECK_MAX_ATTEMPTS = 2;

interface MiddlewareClient {
  middlewareStack: { add: STSClient['middlewareStack']['add'] };
}

/** Remembers, for each failed request, the endpoint it went to (`https://iam.amazonaws.com`). */
export class EndpointRecorder {
  private readonly failed = new WeakMap<object, string>();

  attach(client: MiddlewareClient): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          const request = args.request as { protocol?: string; hostname?: string; port?: number };
          if (error && typeof error === 'object' && request?.hostname) {
            const port = request.port ? `:${request.port}` : '';
            this.failed.set(error, `${request.protocol ?? 'https:'}//${request.hostname}${port}`);
          }
          throw error;
        }
      },
      // Inside the retry middleware: it sees each attempt's request; the error the last attempt ends in is thrown.
      { step: 'finalizeRequest', priority: 'low', name: 'iamKeyAuditorCliEndpoint' },
    );
  }

  endpointOf(error: unknown): string | undefined {
    return error && typeof error === 'object' ? this.failed.get(error) : undefined;
  }
}

/** True when AWS_PROFILE names a profile that neither ~/.aws/config nor ~/.aws/credentials holds. */
export async function profileMissing(env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!env.AWS_PROFILE) return false;
  const name = getProfileName({});
  const files = await loadSharedConfigFiles({ ignoreCache: true });
  return !files.configFile[name] && !files.credentialsFile[name];
}

export interface CheckOptions {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
  recorder: EndpointRecorder;
}

/**
 * Resolves the credentials (once: the audit's clients reuse them, so an SSO or assume-role chain runs once) and
 * proves them and the network with one STS call.
 */
export async function checkConnection(options: CheckOptions): Promise<AwsCredentialIdentity> {
  const sts = new STSClient({
    region: options.region,
    maxAttempts: CHECK_MAX_ATTEMPTS,
    requestHandler: CHECK_HTTP,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  options.recorder.attach(sts);
  try {
    await sts.send(new GetCallerIdentityCommand({}));
    return options.credentials ?? (await sts.config.credentials());
  } finally {
    sts.destroy();
  }
}
