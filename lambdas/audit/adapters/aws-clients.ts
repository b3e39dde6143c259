/** Builds the AWS SDK clients the engine uses: adaptive retries, and a counter of calls and throttles. */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
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

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const config = {
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts,
    // IAM is a global service; its endpoint lives in us-east-1 in the aws partition.
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const iam = observed(new IAMClient(config));
  const reportIam = observed(
    new IAMClient({
      ...config,
      retryMode: 'standard',
      maxAttempts: Math.min(options.maxAttempts, REPORT_MAX_ATTEMPTS),
    }),
  );
  const iamCalls = new CallCounter();
  iamCalls.attach(iam);
  iamCalls.attach(reportIam);
  extractCredentialReportContent(reportIam);
  return { iam, reportIam, sts: observed(new STSClient(config)), iamCalls };
}
