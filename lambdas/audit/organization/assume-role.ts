/**
 * The credentials of a member account's read-only audit role, from STS AssumeRole. Every failure is an
 * `AccountAccessError` that names the account, the role and the SDK error, so the organization report can say
 * why that account was not audited; no message ever holds credentials or the external id.
 */
import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { ACCOUNT_ID, EXTERNAL_ID } from '../domain/patterns';

/** The role to assume in one member account. */
export interface AuditRoleTarget {
  accountId: string;
  /** The role's name, with its path if it has one (`audit/IamKeyAuditorReadOnly`). */
  roleName: string;
  /** The external id the role's trust policy requires, if any. */
  externalId?: string;
  /** The partition of the account's ARNs. Default `aws`. */
  partition?: string;
}

/** The session name CloudTrail shows in the member account. */
export const ROLE_SESSION_NAME = 'iam-key-auditor';
/** One hour: the default maximum session of a role, and more than an audit takes (the Lambda stops at 15 min). */
export const ROLE_SESSION_SECONDS = 3600;

const ROLE_NAME = /^(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const PARTITION = /^aws(?:-[a-z]+)*$/;

export class AccountAccessError extends Error {
  override name = 'AccountAccessError';

  constructor(
    readonly accountId: string,
    readonly roleArn: string,
    /** The SDK error's name (`AccessDenied`), or what was wrong before or after the call. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot assume ${roleArn} in account ${accountId}: ${reason}`, options);
  }
}

/** `arn:<partition>:iam::<account>:role/<role name>`. */
export function auditRoleArn(target: Pick<AuditRoleTarget, 'accountId' | 'roleName' | 'partition'>): string {
  return `arn:${target.partition ?? 'aws'}:iam::${target.accountId}:role/${target.roleName}`;
}

/**
 * Assumes the audit role of `target.accountId` for an hour (session `iam-key-auditor`) and returns its
 * credentials. Throws `AccountAccessError` when the target is not valid, when STS refuses (the role is missing,
 * does not trust this account, wants another external id, throttling after the SDK's retries) and when its answer
 * holds no complete credentials.
 */
export async function assumeAuditRole(
  sts: STSClient,
  target: AuditRoleTarget,
): Promise<AwsCredentialIdentity> {
  const roleArn = auditRoleArn(target);
  const fail = (reason: string, cause?: unknown): never => {
    throw new AccountAccessError(
      target.accountId,
      roleArn,
      reason,
      cause === undefined ? undefined : { cause },
    );
  };
  if (!ACCOUNT_ID.test(target.accountId)) fail('the account id is not 12 digits');
  if (!ROLE_NAME.test(target.roleName)) fail('the role name is not a valid IAM role name');
  if (target.partition !== undefined && !PARTITION.test(target.partition)) fail('the partition is not valid');
  if (target.externalId !== undefined && !EXTERNAL_ID.test(target.externalId)) {
    fail('the external id is not 2 to 1224 letters, digits or +=,.@:/-');
  }

  let res: AssumeRoleCommandOutput;
  try {
    res = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: ROLE_SESSION_NAME,
        DurationSeconds: ROLE_SESSION_SECONDS,
        ...(target.externalId !== undefined ? { ExternalId: target.externalId } : {}),
      }),
    );
  } catch (error) {
    return fail(describeError(error), error);
  }

  const credentials = res.Credentials;
  if (!credentials) return fail('STS answered without credentials');
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = credentials;
  if (!AccessKeyId || !SecretAccessKey || !SessionToken) {
    return fail('STS answered with incomplete credentials');
  }
  return {
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretAccessKey,
    sessionToken: SessionToken,
    ...(Expiration instanceof Date && !Number.isNaN(Expiration.getTime()) ? { expiration: Expiration } : {}),
  };
}

/** The error's name, and what it usually means here; never its message, which quotes the caller's ARN. */
function describeError(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  switch (name) {
    case 'AccessDenied':
    case 'AccessDeniedException':
      return `${name} (is the member role deployed there?)`;
    case 'RegionDisabledException':
      return `${name} (STS is not activated in this region for the account)`;
    case 'ExpiredTokenException':
      return `${name} (the auditor's own credentials expired)`;
    case 'Throttling':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return `${name} (throttled after the SDK's retries)`;
    case 'ValidationError':
      return `${name} (STS refused the request: role name, external id or session length)`;
    default:
      return name;
  }
}
