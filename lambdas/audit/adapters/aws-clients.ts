/** Builds the AWS SDK clients the engine uses: adaptive retries, and a counter of calls and throttles. */
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import {
  AdaptiveRetryStrategy,
  DefaultRateLimiter,
  StandardRetryStrategy,
  type StandardRetryStrategyOptions,
} from '@smithy/core/retry';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { CallCounter } from './call-counter';
import { extractCredentialReportContent } from './credential-report-content';

export interface AwsClientOptions {
  /** SDK attempts per call, retries included. */
  maxAttempts: number;
  region?: string;
  /** An endpoint to use instead of AWS's (the demo and benchmark serve a fake account on 127.0.0.1). */
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
  /**
   * Test-only: multiplies the SDK's retry backoff (its base is 1 s for a throttle, 50 ms otherwise) and divides
   * the adaptive rate limiter's floor (0.5 requests a second once throttled) by it, so that the fault tests retry
   * for real in milliseconds. Absent, the SDK's own strategies run unchanged.
   */
  retryBackoffScale?: number;
  /** HTTP timeouts (the CLI's, so that an unreachable network fails instead of hanging). Default: the SDK's. */
  requestHandler?: IAMClientConfig['requestHandler'];
}

export interface AwsClients {
  iam: IAMClient;
  /**
   * The credential report's own IAM client. IAM answers a report generated too often with LimitExceeded, which
   * the SDK counts as throttling: on the shared adaptive client it would slow every call of the audit that follows.
   * This client tries twice, with standard retries, and the engine falls back to live calls.
   */
  reportIam: IAMClient;
  sts: STSClient;
  /** Counts every IAM call, attempt and throttle made through `iam` and `reportIam`. */
  iamCalls: CallCounter;
}

/** Told of each SDK client the function builds; see {@link observeClients}. */
export type ClientObserver = (client: object) => void;

const observers = new Set<ClientObserver>();

/**
 * Calls `observer` with every AWS SDK client the function builds from now on (IAM, STS, Organizations, DynamoDB,
 * SNS, Secrets Manager), before its first call, so it can add a middleware to the client's `middlewareStack`.
 * The end-to-end tests record every operation this way and check it against the synthesized role's policies.
 * Nothing observes in production. Returns the function that stops observing.
 */
export function observeClients(observer: ClientObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** `client`, shown to the observers: every client the function builds is passed through this. */
export function observed<T extends object>(client: T): T {
  for (const observer of observers) observer(client);
  return client;
}

/** Attempts per credential report call: one retry, then the engine's own polling and fallback take over. */
const REPORT_MAX_ATTEMPTS = 2;

/** The adaptive rate limiter's floor, in requests a second, once a throttle has turned it on. */
const SDK_MIN_FILL_RATE = 0.5;

type RetryBackoff = NonNullable<StandardRetryStrategyOptions['backoff']>;

/** The SDK's backoff (full jitter, doubling, capped at 20 s) with its base delay multiplied by `scale`. */
function scaledBackoff(scale: number): RetryBackoff {
  let base = 0;
  return {
    setDelayBase: (delay) => {
      base = delay * scale;
    },
    computeNextBackoffDelay: (retries) => Math.floor(Math.random() * Math.min(base * 2 ** retries, 20_000)),
  };
}

/**
 * The retry settings of one client: the SDK's strategy for `retryMode`, or with `retryBackoffScale` (tests) the
 * same kind of strategy with a scaled backoff.
 */
function retries(mode: 'adaptive' | 'standard', maxAttempts: number, scale: number | undefined) {
  if (scale === undefined) return { retryMode: mode, maxAttempts };
  const strategy = { maxAttempts, backoff: scaledBackoff(scale) };
  return {
    maxAttempts,
    retryStrategy:
      mode === 'adaptive'
        ? new AdaptiveRetryStrategy(maxAttempts, {
            ...strategy,
            rateLimiter: new DefaultRateLimiter({ minFillRate: SDK_MIN_FILL_RATE / scale }),
          })
        : new StandardRetryStrategy(strategy),
  };
}

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const scale = options.retryBackoffScale;
  const config = {
    // IAM is a global service; its endpoint lives in us-east-1 in the aws partition.
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
  };
  const iam = observed(new IAMClient({ ...config, ...retries('adaptive', options.maxAttempts, scale) }));
  const reportIam = observed(
    new IAMClient({
      ...config,
      ...retries('standard', Math.min(options.maxAttempts, REPORT_MAX_ATTEMPTS), scale),
    }),
  );
  const iamCalls = new CallCounter();
  iamCalls.attach(iam);
  iamCalls.attach(reportIam);
  extractCredentialReportContent(reportIam);
  const sts = observed(new STSClient({ ...config, ...retries('adaptive', options.maxAttempts, scale) }));
  return { iam, reportIam, sts, iamCalls };
}
