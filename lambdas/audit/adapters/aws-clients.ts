/** Builds the AWS SDK clients the engine uses: adaptive retries, and a counter of calls and throttles. */
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
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
    ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
  };
  const iam = new IAMClient(config);
  const reportIam = new IAMClient({
    ...config,
    retryMode: 'standard',
    maxAttempts: Math.min(options.maxAttempts, REPORT_MAX_ATTEMPTS),
  });
  const iamCalls = new CallCounter();
  iamCalls.attach(iam);
  iamCalls.attach(reportIam);
  extractCredentialReportContent(reportIam);
  return { iam, reportIam, sts: new STSClient(config), iamCalls };
}
