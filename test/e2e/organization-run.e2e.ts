/**
 * The organization state machine executed: the definition exactly as synthesized (tokens resolved), validated with
 * asl-validator and run by aws-local-stepfunctions, each Lambda task answered by the real handler in-process
 * (with the synthesized function's environment), against fakes of Organizations (ListAccounts, 20 a page), STS
 * (AssumeRole with the external id) and one IAM account per member role. The execution's history is asserted:
 * the states entered, the Map's concurrency never above its bound, each account's result, the digest.
 */
import './support/promise-with-resolvers';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { daysAgo } from '../support/builders';
import { accountOf, iamMock, stsMock, type MockUser } from '../support/iam-mock';
import type { MemberAccount } from './support/fake-aws';
import {
  EXTERNAL_ID,
  MANAGEMENT_ACCOUNT,
  ORGANIZATION_ID,
  synthesizeAccess,
  synthesizeAuditor,
  type SynthesizedAccess,
  type SynthesizedAuditor,
} from './support/synthesized';
import { startWorld, type World } from './support/world';

// The shared client mocks stub every IAM and STS client's send; these tests answer through middleware instead.
iamMock.restore();
stsMock.restore();

type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- asl-validator is CommonJS without type declarations
const aslValidator = require('asl-validator') as AslValidator;

const EXCLUDED = '555555555555';

/** alice holds a key too old and never used (one finding: an unused key is removed, not rotated); bob is healthy. */
const USERS: MockUser[] = [
  {
    userName: 'alice',
    keys: [{ accessKeyId: 'AKIAALICE00000000001', status: 'Active', createdAt: daysAgo(100) }],
  },
  {
    userName: 'bob',
    keys: [{ accessKeyId: 'AKIABOB0000000000001', status: 'Active', createdAt: daysAgo(5) }],
  },
];

function member(i: number, partial: Partial<MemberAccount> = {}): MemberAccount {
  const accountId = String(200000000000 + i);
  return {
    accountId,
    name: `member-${String(i).padStart(2, '0')}`,
    iam: accountOf(USERS.map((u) => ({ ...u, keys: u.keys.map((k) => ({ ...k })) }))),
    ...partial,
  };
}

interface Execution {
  world: World;
  output: { runId: string; summary: Record<string, unknown> };
  /** `StateEntered` events' state names, in order. */
  entered: string[];
  /** The audit-account step's answer for each account. */
  accountResults: Map<string, { status: string; error?: string }>;
  /** The most audit-account tasks in progress at once. */
  maxConcurrent: number;
  /** ListAccounts calls (pages) of each listing of the accounts. */
  listPages: number;
}

let auditor: SynthesizedAuditor;
let access: SynthesizedAccess;
let definition: StateMachineDefinition;

beforeAll(() => {
  auditor = synthesizeAuditor({
    organization: {
      organizationId: ORGANIZATION_ID,
      externalId: EXTERNAL_ID,
      managementAccountId: MANAGEMENT_ACCOUNT,
      exclude: [EXCLUDED],
    },
  });
  access = synthesizeAccess();
  definition = auditor.stateMachineDefinition as unknown as StateMachineDefinition;
}, 60_000);

const worlds: World[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

/** Runs the synthesized state machine once over `members`, the tasks answered by the real handler. */
async function execute(
  members: MemberAccount[],
  runId = 'run-e2e',
  on: { auditor: SynthesizedAuditor; definition: StateMachineDefinition } = { auditor, definition },
): Promise<Execution> {
  const world = await startWorld({ auditor: on.auditor, access, tooling: accountOf([]), members });
  worlds.push(world);
  let running = 0;
  let maxConcurrent = 0;
  const accountResults = new Map<string, { status: string; error?: string }>();
  // The lambda:invoke integration sends Parameters.Payload and gives the state { Payload, StatusCode }.
  const invoke = async (input: unknown) => {
    const payload = (input as { Payload: unknown }).Payload;
    return { Payload: (await world.invoke(payload)) as never, StatusCode: 200 };
  };
  const auditOne = async (input: unknown) => {
    running += 1;
    maxConcurrent = Math.max(maxConcurrent, running);
    try {
      const answer = await invoke(input);
      const result = answer.Payload as { accountId: string; status: string; error?: string };
      accountResults.set(result.accountId, {
        status: result.status,
        ...(result.error && { error: result.error }),
      });
      return answer;
    } finally {
      running -= 1;
    }
  };
  const execution = new StateMachine(on.definition).run(
    {},
    {
      overrides: {
        taskResourceLocalHandlers: {
          ListAccounts: invoke,
          AuditAccount: auditOne,
          AuditAccountDistributed: auditOne,
          Notify: invoke,
        },
      },
      context: {
        Execution: {
          Id: `arn:aws:states:eu-west-2:111111111111:execution:organization:${runId}`,
          Name: runId,
          Input: {},
          StartTime: '2026-11-28T07:00:00.000Z',
        },
      },
    },
  );
  const entered: string[] = [];
  for await (const event of execution.eventLogs) {
    if (event.type === 'StateEntered') entered.push(event.state.name);
  }
  const output = (await execution.result) as unknown as Execution['output'];
  const listCalls = world.aws.calls.filter((c) => c.action === 'ListAccounts');
  // A listing starts without a NextToken: the list step's, the audits' perimeter check's, the notify step's.
  const listings = listCalls.filter((c) => c.input.NextToken === undefined).length;
  return { world, output, entered, accountResults, maxConcurrent, listPages: listCalls.length / listings };
}

const count = (list: string[], name: string) => list.filter((n) => n === name).length;

describe('the synthesized organization state machine', () => {
  it('is a valid Amazon States Language definition', () => {
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('audits 3 healthy accounts and notifies once with their findings', async () => {
    const members = [member(1), member(2), member(3)];
    const run = await execute(members);

    expect(run.entered).toEqual([
      'ListAccounts',
      'ManyAccounts',
      'AuditAccounts',
      'AuditAccount',
      'AuditAccount',
      'AuditAccount',
      'Notify',
    ]);
    expect([...run.accountResults.values()].map((r) => r.status)).toEqual(['audited', 'audited', 'audited']);
    expect(run.output).toMatchObject({
      runId: 'run-e2e',
      // One finding per account: alice's key, too old and never used (one verdict per key: remove it).
      summary: { accounts: 3, accountsAudited: 3, accountsFailed: 0, usersScanned: 6, findings: 3 },
    });
    // One SNS message and one Slack digest for the organization, naming every account.
    expect(run.world.aws.published).toHaveLength(1);
    const digest = JSON.stringify(run.world.slack.requests);
    for (const m of members) {
      expect(run.world.aws.published[0]!.Message).toContain(m.accountId);
      expect(digest).toContain(m.name);
    }
    // Every call the run made is allowed by the synthesized policies of the role that made it.
    expect(await run.world.deniedCalls()).toEqual([]);
    // The audits ran through each member role, with the external id.
    const assumed = run.world.aws.calls.filter((c) => c.action === 'AssumeRole').map((c) => c.input);
    expect(assumed).toEqual(
      expect.arrayContaining(
        members.map((m) => ({
          RoleArn: `arn:aws:iam::${m.accountId}:role/IamKeyAuditorReadOnly`,
          RoleSessionName: 'iam-key-auditor',
          DurationSeconds: 3600,
          ExternalId: EXTERNAL_ID,
        })),
      ),
    );
  });

  it('reports an account whose role is missing as failed, and audits the others', async () => {
    const members = [member(1), member(2, { role: 'missing' }), member(3)];
    const run = await execute(members);

    expect(run.accountResults.get(members[1]!.accountId)).toEqual({
      status: 'failed',
      error: expect.stringMatching(
        /IamKeyAuditorReadOnly .*AccessDenied \(is the member role deployed there\?\)/,
      ),
    });
    expect(run.output.summary).toMatchObject({ accounts: 3, accountsAudited: 2, accountsFailed: 1 });
    expect(run.entered).not.toContain('AccountFailed');
    expect(JSON.stringify(run.world.slack.requests)).toContain(members[1]!.name);
  });

  it('reports an account throttled without end as failed, and audits the others', async () => {
    const members = [member(1), member(2, { throttled: true }), member(3)];
    const run = await execute(members);

    expect(run.accountResults.get(members[1]!.accountId)).toEqual({
      status: 'failed',
      error: expect.stringContaining('Throttling'),
    });
    expect(run.output.summary).toMatchObject({ accounts: 3, accountsAudited: 2, accountsFailed: 1 });
  });

  it('never audits an excluded account, nor assumes its role', async () => {
    const members = [member(1), { ...member(2), accountId: EXCLUDED, name: 'excluded' }, member(3)];
    const run = await execute(members);

    expect([...run.accountResults.keys()]).not.toContain(EXCLUDED);
    expect(count(run.entered, 'AuditAccount')).toBe(2);
    expect(run.world.aws.calls.filter((c) => JSON.stringify(c.input).includes(EXCLUDED))).toEqual([]);
    expect(run.output.summary).toMatchObject({ accounts: 2, accountsAudited: 2 });
    expect(JSON.stringify(run.world.slack.requests)).not.toContain('excluded');
    // Named by hand, it is refused before any AssumeRole into it.
    await expect(run.world.invoke({ accountId: EXCLUDED, users: ['alice'] })).rejects.toThrow(
      `account ${EXCLUDED} is not one the organization lists for audit`,
    );
    expect(run.world.aws.calls.filter((c) => JSON.stringify(c.input).includes(EXCLUDED))).toEqual([]);
  });

  it('uses the distributed Map above distributedMapAbove accounts, with the same bound', async () => {
    const distributed = synthesizeAuditor({
      organization: {
        organizationId: ORGANIZATION_ID,
        externalId: EXTERNAL_ID,
        managementAccountId: MANAGEMENT_ACCOUNT,
        distributedMapAbove: 2,
        maxConcurrency: 2,
      },
    });
    const machine = distributed.stateMachineDefinition as unknown as StateMachineDefinition;
    expect(aslValidator(structuredClone(machine)).errorsText('\n')).toBe('');
    const members = [member(1), member(2, { role: 'missing' }), member(3), member(4)];
    const run = await execute(members, 'run-distributed', { auditor: distributed, definition: machine });

    expect(run.entered.filter((name) => name !== 'AuditAccountDistributed')).toEqual([
      'ListAccounts',
      'ManyAccounts',
      'AuditAccountsDistributed',
      'Notify',
    ]);
    expect(count(run.entered, 'AuditAccountDistributed')).toBe(4);
    expect(run.maxConcurrent).toBe(2);
    expect(run.output.summary).toMatchObject({ accounts: 4, accountsAudited: 3, accountsFailed: 1 });
  }, 60_000);

  it('audits 60 accounts listed over 3 pages, never more at once than the Map allows', async () => {
    const members = Array.from({ length: 60 }, (_, i) => member(i + 1));
    const run = await execute(members);
    const bound = (definition.States.AuditAccounts as { MaxConcurrency: number }).MaxConcurrency;

    expect(bound).toBe(10);
    expect(run.listPages).toBe(3);
    expect(count(run.entered, 'AuditAccount')).toBe(60);
    expect(run.maxConcurrent).toBeLessThanOrEqual(bound);
    expect(run.maxConcurrent).toBe(bound);
    expect(run.accountResults.size).toBe(60);
    expect([...run.accountResults.values()].every((r) => r.status === 'audited')).toBe(true);
    expect(run.output.summary).toMatchObject({ accounts: 60, accountsAudited: 60, findings: 60 });
  }, 120_000);
});
