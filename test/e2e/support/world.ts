/**
 * One end-to-end world: a synthesized auditor stack's function (its environment as the template sets it), run by
 * the real handler in-process against {@link FakeAws}, dynalite (the stack's table) and a local Slack webhook
 * for every webhook secret; `describer()` tells the grant check who owns what.
 */
import { handler, resetRuntime } from '../../../lambdas/audit/handler';
import { MEMBER_ROLE_NAME } from '../../../lib/organization';
import { startDynalite, type Dynalite } from '../../support/dynalite';
import type { MockAccount } from '../../support/iam-mock';
import { lambdaContext } from '../../support/lambda-context';
import { startSlackServer, type SlackServer } from '../../support/slack-server';
import { FakeAws, FUNCTION_ACCESS_KEY, type MemberAccount } from './fake-aws';
import type { Describer, Principal } from './grants';
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

export async function startWorld(options: WorldOptions): Promise<World> {
  const { auditor, access } = options;
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

  return {
    aws,
    slack,
    db,
    describer,
    functionRole: { arn: auditor.roleArn, account: TOOLING_ACCOUNT, policies: auditor.policies },
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
      resetRuntime();
      process.env = BASE_ENV;
      await Promise.all([db.close(), slack.close()]);
    },
  };
}
