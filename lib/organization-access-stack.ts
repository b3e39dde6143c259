import { Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { IAM_READ_ACTIONS } from '../lambdas/audit/adapters/iam-actions';
import { SERVICE_NAME } from '../lambdas/audit/metric-names';
import { validateStage } from './props';
import {
  auditorTrust,
  MEMBER_ROLE_NAME,
  ORGANIZATION_READER_ROLE_NAME,
  validateAccountId,
  validateExternalId,
  validateOrganizationalUnitId,
  validateOrganizationId,
  type AuditorTrust,
} from './organization';

/** The name of the StackSet that puts {@link MEMBER_ROLE_NAME} in every member account. */
export const MEMBER_ROLE_STACK_SET_NAME = 'iam-key-auditor-member-role';

/** The StackSet's operation preferences: a few accounts at a time, and one account's failure stops no other. */
export const STACK_SET_OPERATION_PREFERENCES = {
  concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
  maxConcurrentPercentage: 25,
  failureTolerancePercentage: 10,
  regionConcurrencyType: 'SEQUENTIAL',
} as const;

export interface OrganizationAccessStackProps extends StackProps {
  /**
   * The stage of the {@link IamKeyAuditorStack} that audits the organization (usually `production`): its audit
   * function's role, `iam-key-auditor-<stage>`, is the one principal the roles trust. Required.
   */
  readonly auditorStage: string;

  /** The tooling account the auditor stack is deployed to, 12 digits. It must be in the organization. Required. */
  readonly toolingAccountId: string;

  /** The organization's id (`o-` and 10 to 32 lowercase letters or digits), required as `aws:PrincipalOrgID`. */
  readonly organizationId: string;

  /**
   * The external id the auditor passes to `sts:AssumeRole`, the same as the auditor stack's
   * `organization.externalId`: 2 to 1224 of letters, digits and `+=,.@:/-_`. It guards against a confused
   * deputy, it is not a secret. Required.
   */
  readonly externalId: string;

  /**
   * Where the member role goes: organizational unit ids (`ou-xxxx-xxxxxxxx`) or the root id (`r-xxxx`) for the
   * whole organization. Accounts in these OUs, and accounts created in or moved into them later, get the role;
   * an account that leaves them loses it. The management account never gets it (a service-managed StackSet does
   * not deploy there). At least one, no duplicates. Required.
   */
  readonly organizationalUnitIds: readonly string[];

  /**
   * The one region the StackSet deploys its stack instance to in each account. IAM is global, so one region
   * suffices; it must be enabled in every member account, which an opt-in region may not be.
   *
   * @default 'us-east-1'
   */
  readonly memberRoleRegion?: string;

  /**
   * Whose StackSet this is: `SELF` when this stack is deployed in the management account, `DELEGATED_ADMIN`
   * when it is deployed in an account registered as a delegated administrator for CloudFormation StackSets.
   *
   * @default 'SELF'
   */
  readonly callAs?: 'SELF' | 'DELEGATED_ADMIN';
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The validated props, defaults filled in. */
export type OrganizationAccess = AuditorTrust & {
  readonly organizationalUnitIds: readonly string[];
  readonly memberRoleRegion: string;
  readonly callAs: 'SELF' | 'DELEGATED_ADMIN';
};

/** Throws unless every prop is allowed; each message names the prop and the value. */
export function validateOrganizationAccess(props: OrganizationAccessStackProps): OrganizationAccess {
  const organizationalUnitIds = props.organizationalUnitIds.map(validateOrganizationalUnitId);
  if (organizationalUnitIds.length === 0) {
    throw new Error('organizationalUnitIds must name at least one OU or the root; got []');
  }
  const duplicate = organizationalUnitIds.find((id, i) => organizationalUnitIds.indexOf(id) !== i);
  if (duplicate) throw new Error(`organizationalUnitIds names ${JSON.stringify(duplicate)} twice`);
  const memberRoleRegion = props.memberRoleRegion ?? 'us-east-1';
  if (!REGION.test(memberRoleRegion)) {
    throw new Error(
      `memberRoleRegion must be a region such as eu-west-2; got ${JSON.stringify(memberRoleRegion)}`,
    );
  }
  const callAs = props.callAs ?? 'SELF';
  if (callAs !== 'SELF' && callAs !== 'DELEGATED_ADMIN') {
    throw new Error(`callAs must be SELF or DELEGATED_ADMIN; got ${JSON.stringify(callAs)}`);
  }
  return {
    stage: validateStage(props.auditorStage),
    toolingAccountId: validateAccountId('toolingAccountId', props.toolingAccountId),
    organizationId: validateOrganizationId(props.organizationId),
    externalId: validateExternalId(props.externalId),
    organizationalUnitIds,
    memberRoleRegion,
    callAs,
  };
}

/**
 * The template the StackSet deploys to every member account: one role, {@link MEMBER_ROLE_NAME}, that only the
 * auditor role may assume ({@link auditorTrust}), allowed exactly `IAM_READ_ACTIONS` on `*` (the credential
 * report and the account-level reads have no resource-level permissions). Returned as an object; the StackSet
 * takes it as JSON.
 */
export function memberRoleTemplate(trust: AuditorTrust): Record<string, unknown> {
  const { principal, conditions } = auditorTrust(trust, (arn) => ({ 'Fn::Sub': arn }));
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `The IAM key auditor's read-only role (stage ${trust.stage} in account ${trust.toolingAccountId}): reads IAM users, keys and the credential report`,
    Resources: {
      ReadOnlyRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: MEMBER_ROLE_NAME,
          Description: `Assumed by the IAM key auditor in ${trust.toolingAccountId} to read IAM users, access keys and the credential report.`,
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'TrustTheIamKeyAuditorOnly',
                Effect: 'Allow',
                Principal: { AWS: principal },
                Action: 'sts:AssumeRole',
                Condition: conditions,
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'ReadIamUsersAndKeys',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Sid: 'ReadIamUsersAndKeys',
                    Effect: 'Allow',
                    Action: [...IAM_READ_ACTIONS],
                    Resource: '*',
                  },
                ],
              },
            },
          ],
        },
      },
    },
    Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['ReadOnlyRole', 'Arn'] } } },
  };
}

/**
 * Organization mode's access, deployed once in the organization's management account, or in a delegated
 * administrator account for CloudFormation StackSets (`callAs: 'DELEGATED_ADMIN'`), before the tooling account's
 * {@link IamKeyAuditorStack}:
 *
 * - a service-managed StackSet, auto-deploying to every account in `organizationalUnitIds` (and to accounts that
 *   join them later; removing an account from them deletes its stack), that creates {@link MEMBER_ROLE_NAME}:
 *   see {@link memberRoleTemplate};
 * - in this stack's own account, {@link ORGANIZATION_READER_ROLE_NAME}, trusted the same way, allowed only
 *   `organizations:ListAccounts`. In the management account that always works. In a delegated administrator
 *   account it works only if that account is also a delegated administrator for AWS Organizations (an
 *   organization resource policy allowing it `organizations:ListAccounts`); being a delegated administrator for
 *   StackSets alone is not enough. Point the auditor stack's `organization.readerAccountId` at this account.
 *
 * Trusted access between CloudFormation StackSets and Organizations must be on before the first deploy (see the
 * README). The stack reads no context and no environment.
 */
export class OrganizationAccessStack extends Stack {
  /** The validated props. */
  readonly access: OrganizationAccess;
  /** The StackSet of the member roles. */
  readonly stackSet: cloudformation.CfnStackSet;
  /** The role that lists the organization's accounts. */
  readonly readerRole: iam.Role;

  constructor(scope: Construct, id: string, props: OrganizationAccessStackProps) {
    const {
      auditorStage,
      toolingAccountId,
      organizationId,
      externalId,
      organizationalUnitIds,
      memberRoleRegion,
      callAs,
      ...stackProps
    } = props;
    super(scope, id, {
      description: `IAM key auditor, organization access: a read-only role in every member account for the ${auditorStage} auditor`,
      ...stackProps,
    });
    try {
      this.access = validateOrganizationAccess({
        auditorStage,
        toolingAccountId,
        organizationId,
        externalId,
        organizationalUnitIds,
        memberRoleRegion,
        callAs,
      });
    } catch (error) {
      throw new Error(`${id}: invalid props: ${(error as Error).message}`, { cause: error });
    }
    const access = this.access;
    Tags.of(this).add('Service', SERVICE_NAME);
    Tags.of(this).add('Stage', access.stage);

    this.stackSet = new cloudformation.CfnStackSet(this, 'MemberRoles', {
      stackSetName: MEMBER_ROLE_STACK_SET_NAME,
      description: `The IAM key auditor's read-only role (${MEMBER_ROLE_NAME}) in every member account`,
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      callAs: access.callAs,
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: { ...STACK_SET_OPERATION_PREFERENCES },
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...access.organizationalUnitIds] },
          regions: [access.memberRoleRegion],
        },
      ],
      templateBody: JSON.stringify(memberRoleTemplate(access)),
    });

    const partition = Stack.of(this).partition;
    const { principal, conditions } = auditorTrust(access, (arn) =>
      arn.replace('${AWS::Partition}', partition),
    );
    this.readerRole = new iam.Role(this, 'OrganizationReader', {
      roleName: ORGANIZATION_READER_ROLE_NAME,
      description: `Assumed by the IAM key auditor in ${access.toolingAccountId} to list the organization's accounts.`,
      assumedBy: new iam.PrincipalWithConditions(new iam.ArnPrincipal(principal), conditions),
      inlinePolicies: {
        ListAccounts: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ListTheOrganizationsAccounts',
              actions: ['organizations:ListAccounts'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    Validations.of(this.readerRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'organizations:ListAccounts has no resource-level permissions, so it needs Resource *.',
    });
  }
}
