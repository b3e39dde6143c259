/** Builds the AWS SDK clients the engine uses: adaptive retries, and a counter of calls and throttles. */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { CallCounter } from './call-counter';

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
  sts: STSClient;
  /** Counts every IAM call, attempt and throttle made through `iam`. */
  iamCalls: CallCounter;
}

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const config = {
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts,
    // IAM is a global service; its endpoint lives in us-east-1 in the aws partition.
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const iam = new IAMClient(config);
  const iamCalls = new CallCounter();
  iamCalls.attach(iam);
  return { iam, sts: new STSClient(config), iamCalls };
}
