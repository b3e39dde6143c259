/**
 * The stacks as `cdk synth` writes them (bundling off), for a fixed tooling account and region, with every
 * intrinsic function resolved to the concrete value CloudFormation would give it: the audit function's
 * environment, its role's policy documents, the state machine's definition, and the organization access stack's
 * member and reader roles. The end-to-end tests run the real handler with that environment and check its calls
 * against those policies.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { IamKeyAuditorStack } from '../../../lib/iam-key-auditor-stack';
import type { IamKeyAuditorStackProps } from '../../../lib/props';
import { OrganizationAccessStack } from '../../../lib/organization-access-stack';
import { MEMBER_ROLE_NAME, ORGANIZATION_READER_ROLE_NAME } from '../../../lib/organization';
import { newApp } from '../../support/cdk';

export const PARTITION = 'aws';
export const REGION = 'eu-west-2';
export const TOOLING_ACCOUNT = '111111111111';
export const MANAGEMENT_ACCOUNT = '999999999999';
export const ORGANIZATION_ID = 'o-a1b2c3d4e5';
export const EXTERNAL_ID = 'iam-key-auditor-e2e';
export const STAGE = 'e2e';

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** A template whose intrinsics resolve to concrete values for {@link TOOLING_ACCOUNT} in {@link REGION}. */
export class ResolvedTemplate {
  readonly resources: Record<string, Resource>;

  constructor(
    readonly json: { Resources: Record<string, Resource> },
    readonly account: string = TOOLING_ACCOUNT,
  ) {
    this.resources = json.Resources;
  }

  /** The physical name CloudFormation would give a resource: its `*Name` property, else its logical id. */
  private physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const props = resource.Properties ?? {};
    const named = Object.entries(props).find(
      ([key, value]) =>
        /^(TableName|FunctionName|RoleName|LogGroupName|TopicName|Name|StateMachineName|BucketName)$/.test(
          key,
        ) && typeof value === 'string',
    );
    return named ? (named[1] as string) : logicalId.toLowerCase();
  }

  private resource(logicalId: string): Resource {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId} in the template`);
    return resource;
  }

  private arn(logicalId: string): string {
    const { Type } = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    const [p, r, a] = [PARTITION, REGION, this.account];
    switch (Type) {
      case 'AWS::DynamoDB::Table':
        return `arn:${p}:dynamodb:${r}:${a}:table/${name}`;
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${r}:${a}:function:${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${p}:logs:${r}:${a}:log-group:${name}:*`;
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${a}:role/${name}`;
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${r}:${a}:${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:${p}:secretsmanager:${r}:${a}:secret:${name}-AbCdEf`;
      case 'AWS::KMS::Key':
        return `arn:${p}:kms:${r}:${a}:key/00000000-0000-4000-8000-${logicalId.slice(-12).padStart(12, '0').toLowerCase()}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${p}:states:${r}:${a}:stateMachine:${name}`;
      case 'AWS::S3::Bucket':
        return `arn:${p}:s3:::${name}`;
      default:
        throw new Error(`no ARN known for ${Type} (${logicalId})`);
    }
  }

  private ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      default:
        break;
    }
    const { Type } = this.resource(logicalId);
    // Ref is the ARN for these types, the name for the others.
    if (
      ['AWS::SNS::Topic', 'AWS::SecretsManager::Secret', 'AWS::StepFunctions::StateMachine'].includes(Type)
    ) {
      return this.arn(logicalId);
    }
    if (Type === 'AWS::KMS::Key') return this.arn(logicalId).split('/')[1]!;
    return this.physicalName(logicalId);
  }

  /** `value` with every Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split resolved. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      switch (fn) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = arg as [string, string];
          if (attribute === 'Arn' || attribute === 'TopicArn') return this.arn(id);
          if (attribute === 'Name') return this.physicalName(id);
          throw new Error(`no value known for Fn::GetAtt ${id}.${attribute}`);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as string[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, unknown];
          return (this.resolve(list) as unknown[])[index];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return (this.resolve(text) as string).split(separator);
        }
        case 'Fn::Sub': {
          const text = typeof arg === 'string' ? arg : (arg as [string])[0];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            const [id, attribute] = name.split('.');
            return String(attribute ? this.resolve({ 'Fn::GetAtt': [id, attribute] }) : this.ref(id!));
          });
        }
        default:
          break;
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  /** The one resource of `type`, by logical id. */
  only(type: string): [string, Resource] {
    const found = Object.entries(this.resources).filter(([, r]) => r.Type === type);
    if (found.length !== 1) throw new Error(`${found.length} resources of type ${type}, expected 1`);
    return found[0]!;
  }

  /** Every policy document attached to the role: its inline policies and the AWS::IAM::Policy resources. */
  rolePolicies(roleLogicalId: string): { name: string; policy: PolicyDocument }[] {
    const role = this.resource(roleLogicalId);
    if (role.Properties?.ManagedPolicyArns) throw new Error(`${roleLogicalId} has managed policies`);
    const inline = (
      (role.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]
    ).map((p) => ({ name: p.PolicyName, policy: this.resolve(p.PolicyDocument) as PolicyDocument }));
    const attached = Object.entries(this.resources)
      .filter(
        ([, r]) =>
          r.Type === 'AWS::IAM::Policy' &&
          ((r.Properties?.Roles ?? []) as unknown[]).some(
            (ref) => (ref as { Ref?: string }).Ref === roleLogicalId,
          ),
      )
      .map(([id, r]) => ({ name: id, policy: this.resolve(r.Properties!.PolicyDocument) as PolicyDocument }));
    return [...inline, ...attached];
  }
}

/** The audit function of a synthesized auditor stack: its name, environment, role and policies. */
export interface SynthesizedAuditor {
  template: ResolvedTemplate;
  functionName: string;
  environment: Record<string, string>;
  roleArn: string;
  policies: { name: string; policy: PolicyDocument }[];
  tableName?: string;
  /** The organization run's definition, tokens resolved; organization mode only. */
  stateMachineDefinition?: Record<string, unknown>;
}

/** Synthesizes an auditor stack in {@link TOOLING_ACCOUNT} / {@link REGION}; `mutate` may edit its template. */
export function synthesizeAuditor(
  props: Omit<IamKeyAuditorStackProps, 'stage' | 'env'>,
  mutate: (json: { Resources: Record<string, Resource> }) => void = () => undefined,
): SynthesizedAuditor {
  const stack = new IamKeyAuditorStack(newApp(), `IamKeyAuditor-${STAGE}`, {
    stage: STAGE,
    env: { account: TOOLING_ACCOUNT, region: REGION },
    ...props,
  });
  const json = Template.fromStack(stack).toJSON() as { Resources: Record<string, Resource> };
  mutate(json);
  const template = new ResolvedTemplate(json);
  const [functionId, fn] = template.only('AWS::Lambda::Function');
  const roleId = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const environment = template.resolve(
    (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables,
  ) as Record<string, string>;
  const machines = Object.entries(template.resources).filter(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  const definition = machines[0]?.[1].Properties?.DefinitionString;
  const tables = Object.entries(template.resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  return {
    template,
    functionName: template.resolve({ Ref: functionId }) as string,
    environment,
    roleArn: template.resolve({ 'Fn::GetAtt': [roleId, 'Arn'] }) as string,
    policies: template.rolePolicies(roleId),
    ...(tables[0] && { tableName: template.resolve({ Ref: tables[0][0] }) as string }),
    ...(definition !== undefined && {
      stateMachineDefinition: JSON.parse(template.resolve(definition) as string) as Record<string, unknown>,
    }),
  };
}

/** The organization access stack's roles in their accounts: the member role's and the reader role's policies. */
export interface SynthesizedAccess {
  memberRolePolicies: { name: string; policy: PolicyDocument }[];
  /** The member role's trust policy, the partition resolved. */
  memberRoleTrust: unknown;
  readerRoleArn: string;
  readerRolePolicies: { name: string; policy: PolicyDocument }[];
  readerRoleTrust: unknown;
}

export function synthesizeAccess(): SynthesizedAccess {
  const stack = new OrganizationAccessStack(newApp(), 'IamKeyAuditorOrganizationAccess', {
    env: { account: MANAGEMENT_ACCOUNT, region: 'us-east-1' },
    auditorStage: STAGE,
    toolingAccountId: TOOLING_ACCOUNT,
    organizationId: ORGANIZATION_ID,
    externalId: EXTERNAL_ID,
    organizationalUnitIds: ['r-ab12'],
  });
  const json = Template.fromStack(stack).toJSON() as { Resources: Record<string, Resource> };
  const access = new ResolvedTemplate(json, MANAGEMENT_ACCOUNT);
  const [, stackSet] = access.only('AWS::CloudFormation::StackSet');
  const member = new ResolvedTemplate(
    JSON.parse(stackSet.Properties!.TemplateBody as string) as { Resources: Record<string, Resource> },
  );
  const [memberRoleId, memberRole] = member.only('AWS::IAM::Role');
  if (memberRole.Properties!.RoleName !== MEMBER_ROLE_NAME) throw new Error('unexpected member role name');
  const [readerId, reader] = access.only('AWS::IAM::Role');
  if (reader.Properties!.RoleName !== ORGANIZATION_READER_ROLE_NAME)
    throw new Error('unexpected reader role');
  return {
    memberRolePolicies: member.rolePolicies(memberRoleId),
    memberRoleTrust: member.resolve(memberRole.Properties!.AssumeRolePolicyDocument),
    readerRoleTrust: access.resolve(reader.Properties!.AssumeRolePolicyDocument),
    readerRoleArn: access.resolve({ 'Fn::GetAtt': [readerId, 'Arn'] }) as string,
    readerRolePolicies: access.rolePolicies(readerId),
  };
}
