import 'aws-sdk-client-mock-jest';
import {
  ListAccountsCommand,
  OrganizationsClient,
  type ListAccountsCommandInput,
  OrganizationsServiceException,
  type Account,
  type AccountState,
  type AccountStatus,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AccountNotListedError,
  listAuditableAccounts,
  requireListed,
  reuseFor,
  validateAccountIds,
} from '../../../lambdas/audit/organization/accounts';

const orgMock = mockClient(OrganizationsClient);
const org = new OrganizationsClient({ region: 'us-east-1' });

/** The 12-digit id of account number `n`. */
function accountId(n: number): string {
  return String(100000000000 + n);
}

/** A member account as ListAccounts returns it: ACTIVE in both `State` and `Status` unless told. */
function account(n: number, partial: Partial<Account> = {}): Account {
  return {
    Id: accountId(n),
    Name: `account-${String(n).padStart(3, '0')}`,
    Arn: `arn:aws:organizations::999999999999:account/o-example/${accountId(n)}`,
    Email: `aws+${n}@example.com`,
    State: 'ACTIVE',
    Status: 'ACTIVE',
    ...partial,
  };
}

/** The input of each ListAccounts call, copied when made (the paginator reuses one input object). */
let requests: ListAccountsCommandInput[] = [];

/** Serves `accounts` through ListAccounts in pages of `pageSize`, chained by NextToken `page-<n>`. */
function serveAccounts(accounts: Account[], pageSize = 20): void {
  orgMock.reset();
  requests = [];
  orgMock.on(ListAccountsCommand).callsFake((input: ListAccountsCommandInput) => {
    requests.push({ ...input });
    const page = input.NextToken === undefined ? 0 : Number(input.NextToken.replace('page-', ''));
    const start = page * pageSize;
    const next = start + pageSize < accounts.length ? `page-${page + 1}` : undefined;
    return { Accounts: accounts.slice(start, start + pageSize), ...(next ? { NextToken: next } : {}) };
  });
}

function ids(list: { accountId: string }[]): string[] {
  return list.map((a) => a.accountId);
}

describe('listAuditableAccounts', () => {
  it('reads an organization of 300 accounts in 15 pages of 20, following NextToken', async () => {
    serveAccounts(Array.from({ length: 300 }, (_, i) => account(i)));

    const accounts = await listAuditableAccounts(org, {});

    expect(accounts).toHaveLength(300);
    expect(new Set(ids(accounts)).size).toBe(300);
    expect(orgMock).toHaveReceivedCommandTimes(ListAccountsCommand, 15);
    expect(requests).toEqual(
      Array.from({ length: 15 }, (_, page) => ({
        MaxResults: 20,
        ...(page === 0 ? {} : { NextToken: `page-${page}` }),
      })),
    );
  });

  it('keeps only ACTIVE accounts across pages', async () => {
    const inactive: Record<number, AccountState> = {
      3: 'SUSPENDED',
      25: 'PENDING_CLOSURE',
      140: 'CLOSED',
      299: 'PENDING_ACTIVATION',
    };
    serveAccounts(
      Array.from({ length: 300 }, (_, i) => {
        const state = inactive[i];
        return state ? account(i, { State: state, Status: 'ACTIVE' }) : account(i);
      }),
    );

    const accounts = await listAuditableAccounts(org, {});

    expect(accounts).toHaveLength(296);
    for (const n of [3, 25, 140, 299]) expect(ids(accounts)).not.toContain(accountId(n));
  });

  it.each<[string, Partial<Account>, boolean]>([
    ['State ACTIVE', { State: 'ACTIVE', Status: undefined }, true],
    ['State SUSPENDED, Status still ACTIVE', { State: 'SUSPENDED', Status: 'ACTIVE' }, false],
    ['State ACTIVE, Status PENDING_CLOSURE', { State: 'ACTIVE', Status: 'PENDING_CLOSURE' }, true],
    ['no State, Status ACTIVE (before State existed)', { State: undefined, Status: 'ACTIVE' }, true],
    ['no State, Status SUSPENDED', { State: undefined, Status: 'SUSPENDED' as AccountStatus }, false],
    ['neither State nor Status', { State: undefined, Status: undefined }, false],
  ])('%s: audited is %s', async (_, partial, audited) => {
    serveAccounts([account(1, partial)]);

    expect(await listAuditableAccounts(org, {})).toHaveLength(audited ? 1 : 0);
  });

  it('keeps only the included accounts, and drops the excluded ones even when included', async () => {
    serveAccounts(Array.from({ length: 300 }, (_, i) => account(i, i === 7 ? { State: 'SUSPENDED' } : {})));

    expect(
      ids(await listAuditableAccounts(org, { include: [accountId(250), accountId(7), accountId(2)] })),
    ).toEqual([accountId(2), accountId(250)]);
    expect(
      ids(
        await listAuditableAccounts(org, { include: [accountId(1), accountId(2)], exclude: [accountId(2)] }),
      ),
    ).toEqual([accountId(1)]);
    const excluded = await listAuditableAccounts(org, { exclude: [accountId(0), accountId(299)] });
    // 300, less the suspended account 7 and the 2 excluded.
    expect(excluded).toHaveLength(297);
    expect(ids(excluded)).not.toContain(accountId(0));
    expect(ids(excluded)).not.toContain(accountId(299));
  });

  it('audits nothing when the include list is empty', async () => {
    serveAccounts([account(1), account(2)]);

    expect(await listAuditableAccounts(org, { include: [] })).toEqual([]);
  });

  it('sorts by name ignoring case, then by id; an account without a name is named by its id', async () => {
    serveAccounts([
      account(1, { Name: 'prod' }),
      account(2, { Name: 'Billing' }),
      account(3, { Name: 'audit' }),
      account(4, { Name: 'prod' }),
      account(5, { Name: undefined }),
    ]);

    expect(await listAuditableAccounts(org, {})).toEqual([
      { accountId: accountId(5), name: accountId(5) },
      { accountId: accountId(3), name: 'audit' },
      { accountId: accountId(2), name: 'Billing' },
      { accountId: accountId(1), name: 'prod' },
      { accountId: accountId(4), name: 'prod' },
    ]);
  });

  it('refuses an answer whose account id is not 12 digits', async () => {
    serveAccounts([account(1), account(2, { Id: 'not-an-id' })]);

    await expect(listAuditableAccounts(org, {})).rejects.toThrow(
      'Organizations ListAccounts returned an account whose Id is not 12 digits: "not-an-id"',
    );
  });

  it("rethrows Organizations' errors: without the list there is no run", async () => {
    orgMock.reset();
    orgMock.on(ListAccountsCommand).rejects(
      new OrganizationsServiceException({
        name: 'AWSOrganizationsNotInUseException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Your account is not a member of an organization.',
      }),
    );

    await expect(listAuditableAccounts(org, {})).rejects.toMatchObject({
      name: 'AWSOrganizationsNotInUseException',
    });
  });
});

describe('validateAccountIds', () => {
  it('returns a list of 12-digit ids, and leaves an absent list absent', () => {
    expect(validateAccountIds(['111111111111', '222222222222'], 'include')).toEqual([
      '111111111111',
      '222222222222',
    ]);
    expect(validateAccountIds([], 'exclude')).toEqual([]);
    expect(validateAccountIds(undefined, 'include')).toBeUndefined();
  });

  it.each([
    [
      '1111-2222-3333',
      'exclude[1] must be a 12-digit AWS account id (digits only, no dashes); got "1111-2222-3333"',
    ],
    [
      '11111111111',
      'exclude[1] must be a 12-digit AWS account id (digits only, no dashes); got "11111111111"',
    ],
    [
      '1111111111111',
      'exclude[1] must be a 12-digit AWS account id (digits only, no dashes); got "1111111111111"',
    ],
    [
      ' 111111111111',
      'exclude[1] must be a 12-digit AWS account id (digits only, no dashes); got " 111111111111"',
    ],
    [111111111111, 'exclude[1] must be a 12-digit AWS account id (digits only, no dashes); got 111111111111'],
  ])('refuses %p, naming the prop, the entry and the value', (value, message) => {
    expect(() => validateAccountIds(['222222222222', value as string], 'exclude')).toThrow(message);
  });

  it('refuses a value that is not a list', () => {
    expect(() => validateAccountIds('111111111111' as unknown as string[], 'include')).toThrow(
      'include must be a list of 12-digit AWS account ids; got "111111111111"',
    );
  });
});

describe('the data perimeter', () => {
  const listed = [
    { accountId: '111111111111', name: 'one' },
    { accountId: '222222222222', name: 'two' },
  ];

  it('finds a listed account, and refuses any other before a role is assumed', () => {
    expect(requireListed(listed, '222222222222')).toEqual({ accountId: '222222222222', name: 'two' });
    expect(() => requireListed(listed, '333333333333')).toThrow(AccountNotListedError);
    expect(() => requireListed(listed, '333333333333')).toThrow(
      /account 333333333333 is not one the organization lists/,
    );
  });

  it('reuses a listing for its maximum age, then lists again; a failed listing is not kept', async () => {
    let time = 0;
    let loads = 0;
    let fail = true;
    const listing = reuseFor(
      1000,
      async () => {
        loads += 1;
        if (fail) throw new Error('throttled');
        return loads;
      },
      () => time,
    );
    await expect(listing()).rejects.toThrow('throttled');
    fail = false;
    expect(await listing()).toBe(2);
    time = 1000;
    expect(await listing()).toBe(2);
    time = 1001;
    expect(await listing()).toBe(3);
  });
});
