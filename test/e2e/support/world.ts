/**
 * One end-to-end world: a synthesized auditor stack's function (its environment as the template sets it), run by
 * the real handler in-process against {@link FakeAws}, dynalite (the stack's table) and a local Slack webhook
 * for every webhook secret; `describer()` tells the grant check who owns what.
 */
import { observeClients } from '../../../lambdas/audit/adapters/aws-clients';
import { handler, resetRuntime } from '../../../lambdas/audit/handler';
import { MEMBER_ROLE_NAME } from '../../../lib/organization';
import { startDynalite, type Dynalite } from '../../support/dynalite';
import type { MockAccount } from '../../support/iam-mock';
import { lambdaContext } from '../../support/lambda-context';
import { startSlackServer, type SlackServer } from '../../support/slack-server';
import { FakeAws, FUNCTION_ACCESS_KEY, type MemberAccount } from './fake-aws';
import { deniedCalls, type Describer, type Principal } from './grants';
import {
  EXTERNAL_ID,
  MANAGEMENT_ACCOUNT,
  ORGANIZATION_ID,
  REGION,
  TOOLING_ACCOUNT,
  type SynthesizedAccess,
  type SynthesizedAuditor,
} from './synthesized';

export interface World {
  aws: FakeAws;
  slack: SlackServer;
  db: Dynalite;
  /** Invokes the real handler as Lambda would, with the synthesized function's environment. */
  invoke: (event: unknown) => Promise<unknown>;
  describer: Describer;
  /** The audit function's role with its synthesized policies. */
  functionRole: Principal;
  /** Every recorded call that the synthesized policies of the role signing it do not allow. */
  deniedCalls: (functionPolicies?: Principal['policies']) => Promise<string[]>;
  close: () => Promise<void>;
}

export interface WorldOptions {
  auditor: SynthesizedAuditor;
  access?: SynthesizedAccess;
  tooling: MockAccount;
  members?: MemberAccount[];
  /** The ARNs of the teams' webhook secrets, besides the stack's own. */
  teamSecrets?: string[];
}

const BASE_ENV = { ...process.env };

/** Worlds open now; outside one, every SDK call the function makes fails at once: no test reaches AWS. */
let openWorlds = 0;
observeClients((client) =>
  (client as { middlewareStack: { add: (...args: unknown[]) => void } }).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      if (openWorlds === 0)
        throw new Error('an AWS call outside an end-to-end world (the network is not for tests)');
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'e2eNoAwsOutsideAWorld' },
  ),
);

export async function startWorld(options: WorldOptions): Promise<World> {
  const { auditor, access } = options;
  openWorlds += 1;
  const [db, slack] = await Promise.all([startDynalite(), startSlackServer()]);
  if (auditor.tableName) await db.createTable(auditor.tableName);
  const env = auditor.environment;
  const secrets: Record<string, string> = {};
  if (env.SLACK_WEBHOOK_SECRET_ARN) secrets[env.SLACK_WEBHOOK_SECRET_ARN] = slack.url;
  // One local webhook stands for every team's.
  for (const arn of options.teamSecrets ?? []) secrets[arn] = slack.url;
  const aws = new FakeAws({
    functionRoleArn: auditor.roleArn,
    // The same object: a test changes the account (its report, its users) between invocations.
    tooling: Object.assign(options.tooling, { accountId: TOOLING_ACCOUNT }),
    secrets,
    ...(access && {
      organization: {
        id: ORGANIZATION_ID,
        externalId: EXTERNAL_ID,
        readerRoleArn: access.readerRoleArn,
        memberRoleName: MEMBER_ROLE_NAME,
        accounts: options.members ?? [],
      },
    }),
  }).install();

  process.env = {
    ...BASE_ENV,
    ...env,
    AWS_REGION: REGION,
    AWS_LAMBDA_FUNCTION_NAME: auditor.functionName,
    AWS_ACCESS_KEY_ID: FUNCTION_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    AWS_SESSION_TOKEN: 'fake-token',
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
  };
  resetRuntime();

  const memberArn = (account: string) => `arn:aws:iam::${account}:role/${MEMBER_ROLE_NAME}`;
  const inOrganization = (account: string) =>
    account === TOOLING_ACCOUNT ||
    account === MANAGEMENT_ACCOUNT ||
    (options.members ?? []).some((m) => m.accountId === account);
  const describer: Describer = {
    orgOf: (account) => (access && inOrganization(account) ? ORGANIZATION_ID : undefined),
    trustOf: (roleArn) =>
      access && roleArn === access.readerRoleArn
        ? access.readerRoleTrust
        : access && roleArn === memberArn(roleArn.split(':')[4]!)
          ? access.memberRoleTrust
          : undefined,
    ownerOfKey: (account, key) => aws.ownerOfKey(account, key),
  };

  const functionRole: Principal = {
    arn: auditor.roleArn,
    account: TOOLING_ACCOUNT,
    policies: auditor.policies,
  };
  /** The role that signed a call, with its synthesized policies. */
  const principalOf = (arn: string): Principal => {
    const account = arn.split(':')[4]!;
    if (arn === functionRole.arn) return functionRole;
    if (access && arn === access.readerRoleArn) return { arn, account, policies: access.readerRolePolicies };
    if (access && arn === memberArn(account)) return { arn, account, policies: access.memberRolePolicies };
    throw new Error(`no synthesized role ${arn}`);
  };

  return {
    aws,
    slack,
    db,
    describer,
    functionRole,
    deniedCalls: async (functionPolicies) => {
      // GetCallerIdentity needs no permission.
      const calls = aws.calls.filter((c) => !(c.service === 'sts' && c.action === 'GetCallerIdentity'));
      const principals = [...new Set(calls.map((c) => c.principal))].map(principalOf);
      const denied = await Promise.all(
        principals.map((p) =>
          deniedCalls(
            calls,
            p === functionRole && functionPolicies ? { ...p, policies: functionPolicies } : p,
            describer,
          ),
        ),
      );
      return denied.flat();
    },
    invoke: async (event) => {
      // Outside a test (in beforeAll) the setup's console mocks are not there: keep the handler's logs quiet.
      const quiet = (['log', 'info', 'warn', 'debug', 'error'] as const)
        .filter((level) => !jest.isMockFunction(console[level]))
        .map((level) => jest.spyOn(console, level).mockImplementation(() => undefined));
      try {
        return await handler(event, lambdaContext({ functionName: auditor.functionName }));
      } finally {
        for (const spy of quiet) spy.mockRestore();
      }
    },
    close: async () => {
      aws.uninstall();
      openWorlds -= 1;
      resetRuntime();
      process.env = BASE_ENV;
      await Promise.all([db.close(), slack.close()]);
    },
  };
}
