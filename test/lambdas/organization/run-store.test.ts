import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StateStore } from '../../../lambdas/audit/adapters/state-store';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../../lambdas/audit/adapters/state-table-keys';
import { mapWithConcurrency } from '../../../lambdas/audit/concurrency';
import { DAY_MS } from '../../../lambdas/audit/domain/time';
import { findingId } from '../../../lambdas/audit/domain/types';
import { failedAccountResult, toAccountResult } from '../../../lambdas/audit/organization/account-result';
import {
  MAX_RESULT_BYTES,
  RESULT_ATTRIBUTE,
  RunStore,
  RunStoreError,
  runPartitionKey,
  type SkippedResults,
} from '../../../lambdas/audit/organization/run-store';
import type { AccountResult, OrgAccount } from '../../../lambdas/audit/domain/organization';
import { daysAgo, key, NOW, reportOfUsers, user } from '../../support/builders';
import { startDynalite, type Dynalite } from '../../support/dynalite';

let db: Dynalite;
let doc: DynamoDBDocumentClient;
let table: string;
let tableCount = 0;

beforeAll(async () => {
  db = await startDynalite();
  doc = DynamoDBDocumentClient.from(db.client);
});

afterAll(async () => {
  await db.close();
});

// A fresh table per test: creating one in dynalite takes milliseconds.
beforeEach(async () => {
  tableCount += 1;
  table = `audit-state-${tableCount}`;
  await db.createTable(table);
});

function account(n: number): OrgAccount {
  return { accountId: String(100000000000 + n), name: `account-${String(n).padStart(3, '0')}` };
}

/** The audited result of account `n`: `findings` users whose one key is too old (high). */
function auditedResult(n: number, findings = 3): AccountResult {
  const acct = account(n);
  const users = Array.from({ length: findings }, (_, i) =>
    user({
      userName: `user-${String(i).padStart(3, '0')}`,
      keys: [key({ accessKeyId: `AKIA${String(i).padStart(16, '0')}`, createdAt: daysAgo(100 + i) })],
    }),
  );
  return toAccountResult(reportOfUsers(users, { accountId: acct.accountId }), acct);
}

function byAccount(a: AccountResult, b: AccountResult): number {
  return a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0;
}

async function rawItem(runId: string, accountId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await doc.send(
    new GetCommand({
      TableName: table,
      Key: { [PARTITION_KEY]: runPartitionKey(runId), [SORT_KEY]: accountId },
    }),
  );
  return Item;
}

async function errorOf(promise: Promise<unknown>): Promise<RunStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunStoreError);
  return error as RunStoreError;
}

describe('RunStore', () => {
  it('stores and lists the results of an organization of 300 accounts, written 10 at a time', async () => {
    const store = new RunStore(db.client, table);
    // About 15 KB an audited result, 4 MB in all: the Query takes several pages of 1 MB.
    const results = Array.from({ length: 300 }, (_, i) =>
      i % 10 === 3 ? failedAccountResult(account(i), 'AccessDenied', NOW) : auditedResult(i, 20),
    );

    await mapWithConcurrency(results, 10, (result) => store.put('run-300', result));
    const listed = await store.list('run-300');

    expect(listed).toHaveLength(300);
    expect(listed.sort(byAccount)).toEqual([...results].sort(byAccount));
  });

  it('keeps runs apart, and apart from the finding state in the same table', async () => {
    const store = new RunStore(doc, table);
    const acct = account(1);
    await store.put('run-a', auditedResult(1));
    await store.put('run-b', failedAccountResult(acct, 'ThrottlingException', NOW));
    const state = new StateStore(doc, table);
    const lastSeenAt = NOW.toISOString();
    const base = { rule: 'key-too-old' as const, userName: 'alice', accessKeyId: 'AKIAEXAMPLE000000001' };
    await state.save(
      acct.accountId,
      [{ id: findingId(base), ...base, firstSeenAt: lastSeenAt, lastSeenAt }],
      [],
    );

    expect((await store.list('run-a')).map((r) => r.status)).toEqual(['audited']);
    expect((await store.list('run-b')).map((r) => r.status)).toEqual(['failed']);
    expect(await store.list('run-c')).toEqual([]);
    expect(await state.load(acct.accountId)).toHaveLength(1);
  });

  it('replaces the result of an account written again (a retried Map item)', async () => {
    const store = new RunStore(doc, table);
    await store.put('run-1', failedAccountResult(account(1), 'ThrottlingException', NOW));
    await store.put('run-1', auditedResult(1));

    expect(await store.list('run-1')).toEqual([auditedResult(1)]);
  });

  it("stores one item keyed by run and account, expiring 7 days after the account's audit", async () => {
    const store = new RunStore(doc, table);
    const result = auditedResult(1);
    await store.put('run-1', result);

    const item = await rawItem('run-1', result.accountId);

    expect(item).toEqual({
      [PARTITION_KEY]: 'run#run-1',
      [SORT_KEY]: result.accountId,
      [RESULT_ATTRIBUTE]: JSON.stringify(result),
      [TTL_ATTRIBUTE]: Math.floor((NOW.getTime() + 7 * DAY_MS) / 1000),
    });
  });

  it('trims a result over 400 KB to its most severe findings, counting the others as omitted', async () => {
    const store = new RunStore(doc, table);
    const full = auditedResult(1, 500);
    // A key description of 1,500 characters on each finding: about 1 MB of JSON.
    const big: AccountResult = {
      ...full,
      findingsOmitted: 7,
      findings: full.findings.map((f) => ({ ...f, description: 'd'.repeat(1500) })),
    };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(400 * 1024);

    await store.put('run-1', big);
    const [stored] = await store.list('run-1');
    const item = await rawItem('run-1', big.accountId);

    const kept = stored?.findings.length ?? 0;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(500);
    expect(stored?.findings).toEqual(big.findings.slice(0, kept));
    expect(stored?.findingsOmitted).toBe(7 + 500 - kept);
    expect(stored?.summary).toEqual(big.summary);
    const bytes = Buffer.byteLength(String(item?.[RESULT_ATTRIBUTE]));
    expect(bytes).toBeLessThanOrEqual(MAX_RESULT_BYTES);
    // As many findings as fit: one more would not.
    const oneMore = JSON.stringify({
      ...big,
      findings: big.findings.slice(0, kept + 1),
      findingsOmitted: 7 + 500 - kept - 1,
    });
    expect(Buffer.byteLength(oneMore)).toBeGreaterThan(MAX_RESULT_BYTES);
  });

  it('refuses a result too large even without findings', async () => {
    const store = new RunStore(doc, table);
    const result = failedAccountResult(account(1), 'e'.repeat(MAX_RESULT_BYTES), NOW);

    const error = await errorOf(store.put('run-1', result));

    expect(error.message).toBe(
      `could not put the account results of run run-1 in DynamoDB table ${table}: the result exceeds ${MAX_RESULT_BYTES} bytes even without findings`,
    );
  });

  it.each([
    ['put', (store: RunStore) => store.put('run-1', auditedResult(1))],
    ['list', (store: RunStore) => store.list('run-1')],
  ])('%s: a missing table is a RunStoreError naming the table and the operation', async (operation, call) => {
    const store = new RunStore(doc, 'no-such-table');

    const error = await errorOf(call(store));

    expect(error.message).toBe(
      `could not ${operation} the account results of run run-1 in DynamoDB table no-such-table: ResourceNotFoundException (the table does not exist, or not in this region)`,
    );
    expect(error).toMatchObject({ tableName: 'no-such-table', operation, runId: 'run-1' });
  });

  it.each<[string, (store: RunStore) => Promise<unknown>, string]>([
    ['an empty run id (put)', (store) => store.put('', auditedResult(1)), 'the run id is empty'],
    ['an empty run id (list)', (store) => store.list(''), 'the run id is empty'],
    [
      'an empty account id',
      (store) => store.put('run-1', { ...auditedResult(1), accountId: '' }),
      'the account id is empty',
    ],
    [
      'an invalid auditedAt',
      (store) => store.put('run-1', { ...auditedResult(1), auditedAt: 'yesterday' }),
      'the result has an invalid auditedAt',
    ],
  ])('refuses %s', async (_, call, detail) => {
    const error = await errorOf(call(new RunStore(doc, table)));

    expect(error.message).toMatch(new RegExp(`: ${detail}$`));
  });

  it('skips items that are not valid results, and says so once per list', async () => {
    const skipped: SkippedResults[] = [];
    const store = new RunStore(doc, table, { onSkippedResults: (s) => skipped.push(s) });
    await store.put('run-1', auditedResult(1));
    const raw = (accountId: string, result: unknown) =>
      doc.send(
        new PutCommand({
          TableName: table,
          Item: {
            [PARTITION_KEY]: runPartitionKey('run-1'),
            [SORT_KEY]: accountId,
            [RESULT_ATTRIBUTE]: result,
          },
        }),
      );
    await raw(account(2).accountId, '{not json');
    await raw(account(3).accountId, JSON.stringify(auditedResult(4)));
    await raw(account(5).accountId, JSON.stringify({ ...auditedResult(5), status: 'done' }));
    await raw(account(6).accountId, 42);

    const listed = await store.list('run-1');

    expect(listed.map((r) => r.accountId)).toEqual([account(1).accountId]);
    expect(skipped).toEqual([
      {
        tableName: table,
        runId: 'run-1',
        count: 4,
        reasons: [
          'missing or unknown status',
          'missing result',
          'result is not of the account in sk',
          'result is not valid JSON',
        ],
      },
    ]);
  });
});
