/**
 * Organization mode's runtime configuration, from the environment the tooling stack writes (none of it a secret).
 * Absent `ORG_ACCOUNT_ROLE_NAME`: the function runs in single-account mode.
 */
import { ConfigError } from '../settings';
import { EXTERNAL_ID, IAM_ROLE_NAME } from '../domain/patterns';
import { validateAccountIds } from './account-ids';

/** The environment variable names, shared with the stack. */
export const ORGANIZATION_ENV = {
  /** The role to assume in each member account. */
  accountRoleName: 'ORG_ACCOUNT_ROLE_NAME',
  /** The ARN of the role that may call `organizations:ListAccounts`. */
  readerRoleArn: 'ORG_READER_ROLE_ARN',
  /** The external id every `sts:AssumeRole` passes: a confused-deputy guard, not a secret. */
  externalId: 'ORG_EXTERNAL_ID',
  /** JSON list of account ids: when not empty, only these accounts are audited. */
  include: 'ORG_INCLUDE',
  /** JSON list of account ids never audited. */
  exclude: 'ORG_EXCLUDE',
} as const;

export interface OrganizationConfig {
  accountRoleName: string;
  readerRoleArn: string;
  externalId: string;
  include?: string[];
  exclude?: string[];
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,64}$/;

function required(env: NodeJS.ProcessEnv, name: string, pattern: RegExp, what: string): string {
  const value = env[name];
  if (value === undefined || !pattern.test(value)) {
    throw new ConfigError(`environment variable ${name} must be ${what}; got ${JSON.stringify(value)}`);
  }
  return value;
}

function accountList(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(
      `environment variable ${name} must be a JSON list of account ids; got ${JSON.stringify(raw)}`,
    );
  }
  try {
    return validateAccountIds(parsed as string[], name);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** The organization configuration, or undefined in single-account mode. */
export function loadOrganizationConfig(env: NodeJS.ProcessEnv): OrganizationConfig | undefined {
  if (!env[ORGANIZATION_ENV.accountRoleName]) return undefined;
  return {
    accountRoleName: required(env, ORGANIZATION_ENV.accountRoleName, IAM_ROLE_NAME, 'an IAM role name'),
    readerRoleArn: required(env, ORGANIZATION_ENV.readerRoleArn, ROLE_ARN, 'an IAM role ARN'),
    externalId: required(
      env,
      ORGANIZATION_ENV.externalId,
      EXTERNAL_ID,
      'an external id (2 to 1224 of letters, digits, +=,.@:/-)',
    ),
    include: accountList(env, ORGANIZATION_ENV.include),
    exclude: accountList(env, ORGANIZATION_ENV.exclude),
  };
}
