/**
 * The grant check: each recorded call, as `service:Action` on its resource ARN with the request's context keys,
 * evaluated by `@cloud-copilot/iam-simulate` against the policies of the role that signed it (the audit
 * function's role from the synthesized auditor stack; a member or reader role from the organization access
 * stack, with its trust policy for the AssumeRole that reached it). And the converse: every action and resource
 * the function's role grants is used by some recorded call.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { RecordedCall } from './fake-aws';
import { PARTITION, REGION, type PolicyDocument, type PolicyStatement } from './synthesized';

export interface Principal {
  /** The role's ARN. */
  arn: string;
  account: string;
  policies: { name: string; policy: PolicyDocument }[];
}

/** A call as IAM authorizes it: the action, the resource ARN(s), the account owning them, the context keys. */
export interface Authorization {
  action: string;
  resources: string[];
  resourceAccount: string;
  context: Record<string, string | string[]>;
  /** The resource's own policy (a role's trust policy), for a request to another account. */
  resourcePolicy?: unknown;
}

export interface Describer {
  /** The organization each account belongs to (`aws:ResourceOrgID`). */
  orgOf: (account: string) => string | undefined;
  /** The trust policy of a role, by ARN. */
  trustOf: (roleArn: string) => unknown;
  /** The owner of an access key in an account (GetAccessKeyLastUsed acts on the user). */
  ownerOfKey: (account: string, accessKeyId: string) => string | undefined;
}

/** What IAM authorizes for `call`: its resource ARNs as the Service Authorization Reference defines them. */
export function authorizationOf(call: RecordedCall, describe: Describer): Authorization {
  const { service, action, input, account } = call;
  const base = { action: `${service}:${action}`, resourceAccount: account, context: {} };
  const arn = (rest: string) => `arn:${PARTITION}:${rest}`;
  switch (service) {
    case 'iam': {
      if (action === 'GetUser' || action === 'ListAccessKeys') {
        return { ...base, resources: [arn(`iam::${account}:user/${String(input.UserName)}`)] };
      }
      if (action === 'GetAccessKeyLastUsed') {
        const owner = describe.ownerOfKey(account, String(input.AccessKeyId)) ?? 'unknown';
        return { ...base, resources: [arn(`iam::${account}:user/${owner}`)] };
      }
      return { ...base, resources: ['*'] };
    }
    case 'sts': {
      if (action !== 'AssumeRole') return { ...base, resources: ['*'] };
      const roleArn = String(input.RoleArn);
      const roleAccount = roleArn.split(':')[4]!;
      const org = describe.orgOf(roleAccount);
      const principalOrg = describe.orgOf(account);
      return {
        ...base,
        resources: [roleArn],
        resourceAccount: roleAccount,
        resourcePolicy: describe.trustOf(roleArn),
        context: {
          'aws:PrincipalArn': call.principal,
          ...(principalOrg && { 'aws:PrincipalOrgID': principalOrg }),
          ...(org && { 'aws:ResourceOrgID': org }),
          ...(typeof input.ExternalId === 'string' && { 'sts:ExternalId': input.ExternalId }),
        },
      };
    }
    case 'organizations':
      return { ...base, resources: ['*'] };
    case 'dynamodb': {
      const tables =
        action === 'BatchWriteItem'
          ? Object.keys(input.RequestItems as Record<string, unknown>)
          : [String(input.TableName)];
      return { ...base, resources: tables.map((t) => arn(`dynamodb:${REGION}:${account}:table/${t}`)) };
    }
    case 'sns':
      return { ...base, resources: [String(input.TopicArn)] };
    case 'secretsmanager':
      return { ...base, resources: [String(input.SecretId)] };
    case 's3':
      // An object's ARN names no account: the bucket's owner is the one ExpectedBucketOwner names.
      return {
        ...base,
        resources: [arn(`s3:::${String(input.Bucket)}/${String(input.Key)}`)],
        ...(typeof input.ExpectedBucketOwner === 'string' && { resourceAccount: input.ExpectedBucketOwner }),
      };
    default:
      throw new Error(`no authorization known for ${service}:${action}`);
  }
}

/** `Allowed`, or iam-simulate's result (`ImplicitlyDenied`, ...) and its errors, for one resource. */
export async function evaluate(
  principal: Principal,
  authorization: Authorization,
  resource: string,
): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: principal.arn,
      action: authorization.action,
      resource: { resource, accountId: authorization.resourceAccount },
      contextVariables: authorization.context,
    },
    identityPolicies: principal.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(authorization.resourcePolicy !== undefined && { resourcePolicy: authorization.resourcePolicy }),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

/** Every call `principal` signed that its policies do not allow, as `service:Action resource: result`. */
export async function deniedCalls(
  calls: RecordedCall[],
  principal: Principal,
  describe: Describer,
): Promise<string[]> {
  const denied = new Set<string>();
  const seen = new Set<string>();
  for (const call of calls.filter((c) => c.principal === principal.arn)) {
    const authorization = authorizationOf(call, describe);
    for (const resource of authorization.resources) {
      const key = JSON.stringify([authorization.action, resource, authorization.context]);
      if (seen.has(key)) continue;
      seen.add(key);
      const result = await evaluate(principal, authorization, resource);
      if (result !== 'Allowed') denied.add(`${authorization.action} ${resource}: ${result}`);
    }
  }
  return [...denied].sort();
}

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/**
 * Every action and resource `principal`'s Allow statements grant that no recorded call of it uses, as
 * `Sid service:Action resource`; `exempt` are actions used by AWS on the function's behalf rather than by its code
 * (the Lambda service writes the function's logs with its role).
 */
export async function unusedGrants(
  calls: RecordedCall[],
  principal: Principal,
  describe: Describer,
  exempt: readonly string[] = [],
): Promise<string[]> {
  const mine = calls
    .filter((c) => c.principal === principal.arn)
    .map((c) => authorizationOf(c, describe))
    .flatMap((a) => a.resources.map((resource) => ({ authorization: a, resource })));
  const unused: string[] = [];
  for (const { policy } of principal.policies) {
    for (const statement of policy.Statement) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of asList(statement.Action)) {
        if (exempt.includes(action)) continue;
        for (const resource of asList(statement.Resource)) {
          const only: PolicyStatement = { ...statement, Action: action, Resource: resource };
          const narrowed: Principal = {
            ...principal,
            policies: [{ name: 'one-grant', policy: { Version: '2012-10-17', Statement: [only] } }],
          };
          let used = false;
          for (const { authorization, resource: target } of mine) {
            if (authorization.action.toLowerCase() !== action.toLowerCase()) continue;
            if ((await evaluate(narrowed, authorization, target)) === 'Allowed') {
              used = true;
              break;
            }
          }
          if (!used) unused.push(`${statement.Sid ?? '(no sid)'} ${action} ${resource}`);
        }
      }
    }
  }
  return unused;
}
