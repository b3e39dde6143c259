/**
 * What the two stacks of organization mode agree on: the names of the roles, how the auditor is trusted, and the
 * validation of the ids both stacks take. (The function's environment names are the function's own:
 * `ORGANIZATION_ENV` in `lambdas/audit/organization/config.ts`.)
 *
 * - {@link OrganizationAccessStack} (management or delegated administrator account) puts {@link MEMBER_ROLE_NAME}
 *   in every member account through a StackSet, and {@link ORGANIZATION_READER_ROLE_NAME} in its own account.
 * - {@link IamKeyAuditorStack} with `organization` set (the tooling account) names the audit function's role
 *   {@link auditorRoleName}`(stage)` and lets it assume those two roles, and nothing else.
 *
 * @module
 */
import { ACCOUNT_ID, EXTERNAL_ID, ORGANIZATION_ID } from '../lambdas/audit/domain/patterns';

/** The read-only role the StackSet creates in every member account: exactly the IAM reads the audit makes. */
export const MEMBER_ROLE_NAME = 'IamKeyAuditorReadOnly';

/** The role in the management (or delegated administrator) account that may only list the accounts. */
export const ORGANIZATION_READER_ROLE_NAME = 'IamKeyAuditorOrganizationReader';

/**
 * The name of the audit function's role in organization mode: fixed, so the member roles can trust it by ARN
 * before the tooling stack exists. IAM role names are global to an account, so one stage deploys org mode in
 * one region of the tooling account.
 */
export function auditorRoleName(stage: string): string {
  return `iam-key-auditor-${stage}`;
}

/** The conditions under which the member and reader roles trust the auditor role; both must hold. */
export interface AuditorTrust {
  /** The tooling account the audit function runs in, 12 digits. */
  readonly toolingAccountId: string;
  /** The auditor's stage: names its role, {@link auditorRoleName}. */
  readonly stage: string;
  /** The organization the auditor's account must belong to (`aws:PrincipalOrgID`). */
  readonly organizationId: string;
  /** The external id the auditor must pass (`sts:ExternalId`). */
  readonly externalId: string;
}

/**
 * Who may assume the member and reader roles, and on what conditions, with ARNs written through `arn`: the
 * partition is `${AWS::Partition}` in the text `arn` receives, for `Fn::Sub` or for a substitution.
 *
 * The principal is the tooling account narrowed by `aws:PrincipalArn` to the auditor role, rather than the role's
 * ARN itself: IAM refuses a trust policy naming a role that does not exist yet (the member roles are deployed
 * before the tooling stack), and binds a role principal to the role's unique id, so a recreated auditor role
 * would silently lose access. The effect is the same: only a principal whose ARN is the auditor role's, in an
 * account of the organization (`aws:PrincipalOrgID`), passing the external id (`sts:ExternalId`), may assume it.
 */
export function auditorTrust<T>(
  trust: AuditorTrust,
  arn: (arn: string) => T,
): { principal: T; conditions: Record<string, Record<string, unknown>> } {
  return {
    principal: arn(`arn:\${AWS::Partition}:iam::${trust.toolingAccountId}:root`),
    conditions: {
      ArnEquals: {
        'aws:PrincipalArn': arn(
          `arn:\${AWS::Partition}:iam::${trust.toolingAccountId}:role/${auditorRoleName(trust.stage)}`,
        ),
      },
      StringEquals: { 'aws:PrincipalOrgID': trust.organizationId, 'sts:ExternalId': trust.externalId },
    },
  };
}

const ORGANIZATIONAL_UNIT_ID = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** Throws unless `value` is a 12-digit account id; the message names the prop and the value. */
export function validateAccountId(what: string, value: string): string {
  check(ACCOUNT_ID.test(value), `${what} must be a 12-digit AWS account id; got ${JSON.stringify(value)}`);
  return value;
}

/** Throws unless `value` is an organization id (`o-` and 10 to 32 lowercase letters or digits). */
export function validateOrganizationId(value: string): string {
  check(
    ORGANIZATION_ID.test(value),
    `organizationId must be an organization id such as o-a1b2c3d4e5 (o- and 10 to 32 lowercase letters or digits); got ${JSON.stringify(value)}`,
  );
  return value;
}

/** Throws unless `value` is an external id as STS takes it: 2 to 1224 of letters, digits and `+=,.@:/-_`. */
export function validateExternalId(value: string): string {
  check(
    EXTERNAL_ID.test(value),
    `externalId must be 2 to 1224 letters, digits or +=,.@:/-_; got ${JSON.stringify(value)}`,
  );
  return value;
}

/** Throws unless `value` is an organizational unit id (`ou-xxxx-xxxxxxxx`) or the root's (`r-xxxx`). */
export function validateOrganizationalUnitId(value: string): string {
  check(
    ORGANIZATIONAL_UNIT_ID.test(value),
    `organizationalUnitIds must hold OU ids such as ou-ab12-cd34ef56 or the root id such as r-ab12; got ${JSON.stringify(value)}`,
  );
  return value;
}
