import { GetItemCommand, PutItemCommand, QueryCommand as RawQueryCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  expiresAtFor,
  StateStore,
  StateStoreError,
  type OpenFindingState,
  type SkippedItems,
  type StateStoreOptions,
} from '../../../lambdas/audit/adapters/state-store';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../../lambdas/audit/adapters/state-table-keys';
import { DAY_MS } from '../../../lambdas/audit/domain/time';
import { findingId, type RuleId } from '../../../lambdas/audit/domain/types';
import { ACCOUNT_ID, daysAgo, NOW } from '../../support/builders';
import { startDynalite, type Dynalite } from '../../support/dynalite';

const OTHER_ACCOUNT_ID = '210987654321';

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

/** An open finding's state: `key-too-old` of alice's key, first seen 10 days ago, seen and alerted at NOW. */
function state(partial: Partial<OpenFindingState> = {}): OpenFindingState {
  const base: Omit<OpenFindingState, 'id'> = {
    rule: 'key-too-old',
    userName: 'alice',
    accessKeyId: 'AKIAEXAMPLE000000001',
    firstSeenAt: daysAgo(10),
    lastSeenAt: NOW.toISOString(),
    lastAlertedAt: NOW.toISOString(),
    ...partial,
  };
  return { id: findingId(base), ...base };
}

/** `count` states of distinct users, `user-000`, `user-001`, ... */
function states(count: number, partial: Partial<OpenFindingState> = {}): OpenFindingState[] {
  return Array.from({ length: count }, (_, i) =>
    state({ userName: `user-${String(i).padStart(3, '0')}`, ...partial }),
  );
}

function byId(a: OpenFindingState, b: OpenFindingState): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function store(options: StateStoreOptions = {}, tableName = table): StateStore {
  return new StateStore(doc, tableName, options);
}

/** Spies on the document client's `send`; `calls(Command)` counts the commands of one type sent. */
function spySend(): { calls: (type: new (...args: never[]) => unknown) => number } {
  const spy = jest.spyOn(doc, 'send');
  return { calls: (type) => spy.mock.calls.filter(([command]) => command instanceof type).length };
}

async function rejection(promise: Promise<unknown>): Promise<StateStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateStoreError);
  return error as StateStoreError;
}

async function rawItem(accountId: string, id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await db.client.send(
    new GetItemCommand({
      TableName: table,
      Key: { [PARTITION_KEY]: { S: accountId }, [SORT_KEY]: { S: id } },
    }),
  );
  return Item;
}

describe('StateStore against dynalite', () => {
  it('loads what it saved, optional attributes left out rather than empty', async () => {
    const saved = [
      state(),
      state({ rule: 'two-keys', userName: 'bob', accessKeyId: undefined, lastAlertedAt: undefined }),
      state({ rule: 'root-access-key', userName: '<root_account>', accessKeyId: undefined }),
    ];
    await store().save(ACCOUNT_ID, saved, []);

    const loaded = await store().load(ACCOUNT_ID);

    expect(loaded).toEqual([...saved].sort(byId));
    const twoKeys = loaded.find((s) => s.rule === 'two-keys');
    expect(twoKeys).not.toHaveProperty('accessKeyId');
    expect(twoKeys).not.toHaveProperty('lastAlertedAt');
    expect(await rawItem(ACCOUNT_ID, 'two-keys|bob|')).not.toHaveProperty('accessKeyId');
  });

  it('accepts a plain DynamoDBClient as well as a document client', async () => {
    const plain = new StateStore(db.client, table);
    await plain.save(ACCOUNT_ID, [state()], []);
    expect(await plain.load(ACCOUNT_ID)).toEqual([state()]);
  });

  it('writes 60 upserts one conditional PutItem each, then resolves and replaces in one save', async () => {
    const sixty = states(60);
    const { calls } = spySend();
    await store().save(ACCOUNT_ID, sixty, []);
    expect(calls(PutCommand)).toBe(60);
    expect(await store().load(ACCOUNT_ID)).toHaveLength(60);

    const deleted = sixty.slice(0, 30).map((s) => s.id);
    const updated = sixty
      .slice(30, 40)
      .map((s) => ({ ...s, lastSeenAt: daysAgo(-1), lastAlertedAt: undefined }));
    await store().save(ACCOUNT_ID, updated, deleted);

    const loaded = await store().load(ACCOUNT_ID);
    expect(loaded).toHaveLength(30);
    expect(loaded.filter((s) => deleted.includes(s.id))).toEqual([]);
    expect(loaded.filter((s) => s.lastSeenAt === daysAgo(-1))).toEqual(updated);
    expect(calls(PutCommand)).toBe(60 + 10);
    expect(calls(UpdateCommand)).toBe(30);
    // A resolved finding stays as a tombstone, so an older run cannot bring it back.
    expect(await rawItem(ACCOUNT_ID, deleted[0]!)).toHaveProperty('resolvedAt');
  });

  it('deletes of ids that were never stored succeed, and nothing to write sends nothing', async () => {
    const { calls } = spySend();
    await expect(store().save(ACCOUNT_ID, [], ['key-too-old|ghost|AKIAGHOST'])).resolves.toEqual({
      written: 0,
      stale: 1,
    });
    await store().save(ACCOUNT_ID, [], []);
    expect(calls(UpdateCommand)).toBe(1);
    expect(await rawItem(ACCOUNT_ID, 'key-too-old|ghost|AKIAGHOST')).toBeUndefined();
  });

  it('writes an id both upserted and deleted (or upserted twice) once, keeping the last upsert', async () => {
    const first = state({ lastAlertedAt: undefined });
    const last = state({ lastSeenAt: daysAgo(-1) });
    await store().save(ACCOUNT_ID, [first, last], [first.id]);
    expect(await store().load(ACCOUNT_ID)).toEqual([last]);
  });

  it("loads one account's findings without the other's", async () => {
    await store().save(ACCOUNT_ID, [state({ userName: 'alice' })], []);
    await store().save(OTHER_ACCOUNT_ID, [state({ userName: 'zed' }), state({ userName: 'yan' })], []);

    expect((await store().load(ACCOUNT_ID)).map((s) => s.userName)).toEqual(['alice']);
    expect((await store().load(OTHER_ACCOUNT_ID)).map((s) => s.userName)).toEqual(['yan', 'zed']);

    await store().save(OTHER_ACCOUNT_ID, [], [state({ userName: 'alice' }).id]);
    expect(await store().load(ACCOUNT_ID)).toHaveLength(1);
  });

  it('reads every page of a partition larger than one 1 MB Query page', async () => {
    // 600 items of about 2 KB: DynamoDB (and dynalite) answer a Query with at most 1 MB.
    const long = 'u'.repeat(950);
    const many = Array.from({ length: 600 }, (_, i) => state({ userName: `user-${i}-${long}` }));
    // Seeded in batches: 600 conditional writes one by one are slow on dynalite, and not what is tested here.
    for (let start = 0; start < many.length; start += 25) {
      await doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [table]: many.slice(start, start + 25).map(({ id, ...rest }) => ({
              PutRequest: {
                Item: {
                  [PARTITION_KEY]: ACCOUNT_ID,
                  [SORT_KEY]: id,
                  ...rest,
                  [TTL_ATTRIBUTE]: expiresAtFor(rest.lastSeenAt),
                },
              },
            })),
          },
        }),
      );
    }

    const { calls } = spySend();
    const loaded = await store().load(ACCOUNT_ID);

    expect(calls(QueryCommand)).toBe(2);
    expect(loaded).toHaveLength(600);
    expect(new Set(loaded.map((s) => s.id)).size).toBe(600);
  });

  it('loads only the named users for a re-audit of named users', async () => {
    await store().save(
      ACCOUNT_ID,
      [
        state({ userName: 'alice' }),
        state({ userName: 'alice', rule: 'key-unused' }),
        state({ userName: 'bob' }),
        state({ userName: 'carol', rule: 'two-keys', accessKeyId: undefined }),
      ],
      [],
    );

    const loaded = await store().load(ACCOUNT_ID, { userNames: ['alice', 'carol', 'nobody'] });

    expect(loaded.map((s) => s.id).sort()).toEqual([
      'key-too-old|alice|AKIAEXAMPLE000000001',
      'key-unused|alice|AKIAEXAMPLE000000001',
      'two-keys|carol|',
    ]);
  });

  it('answers an empty list of named users without reading', async () => {
    const { calls } = spySend();
    expect(await store().load(ACCOUNT_ID, { userNames: [] })).toEqual([]);
    expect(calls(QueryCommand)).toBe(0);
  });

  it(`sets the TTL attribute ${TTL_ATTRIBUTE} to lastSeenAt + 90 days in epoch seconds`, async () => {
    const lastSeenAt = '2026-11-28T09:00:00.750Z';
    const saved = state({ lastSeenAt });
    await store().save(ACCOUNT_ID, [saved], []);

    const item = await rawItem(ACCOUNT_ID, saved.id);

    const expected = Math.floor((Date.parse(lastSeenAt) + 90 * DAY_MS) / 1000);
    expect(expected).toBe(Date.parse('2027-02-26T09:00:00Z') / 1000);
    expect(item?.[TTL_ATTRIBUTE]).toEqual({ N: String(expected) });
    expect(expiresAtFor(lastSeenAt)).toBe(expected);
  });

  it('leaves out items whose TTL has passed but that DynamoDB has not deleted yet, when given now', async () => {
    const current = state({ userName: 'current', lastSeenAt: daysAgo(89) });
    const expired = state({ userName: 'expired', firstSeenAt: daysAgo(120), lastSeenAt: daysAgo(91) });
    await store().save(ACCOUNT_ID, [current, expired], []);

    expect(await store().load(ACCOUNT_ID, { now: NOW })).toEqual([current]);
    expect(await store().load(ACCOUNT_ID)).toHaveLength(2);
  });

  it('skips and counts stored items that are not valid state, with reasons that quote no values', async () => {
    const put = (item: Record<string, { S: string } | { N: string }>) =>
      db.client.send(
        new PutItemCommand({ TableName: table, Item: { [PARTITION_KEY]: { S: ACCOUNT_ID }, ...item } }),
      );
    const valid = state();
    await store().save(ACCOUNT_ID, [valid], []);
    await put({
      [SORT_KEY]: { S: 'key-too-old|dave|AKIA1' },
      rule: { S: 'key-too-old' },
      userName: { S: 'dave' },
    });
    await put({
      [SORT_KEY]: { S: 'made-up|erin|' },
      rule: { S: 'made-up' },
      userName: { S: 'erin' },
      firstSeenAt: { S: daysAgo(1) },
      lastSeenAt: { S: daysAgo(0) },
    });
    await put({
      [SORT_KEY]: { S: 'two-keys|frank|' },
      rule: { S: 'two-keys' },
      userName: { N: '7' },
      firstSeenAt: { S: daysAgo(1) },
      lastSeenAt: { S: daysAgo(0) },
    });
    await put({
      [SORT_KEY]: { S: 'key-unused|someone-else|' },
      rule: { S: 'key-unused' },
      userName: { S: 'gina' },
      firstSeenAt: { S: daysAgo(1) },
      lastSeenAt: { S: 'yesterday' },
    });
    const reports: SkippedItems[] = [];

    const loaded = await store({ onSkippedItems: (s) => reports.push(s) }).load(ACCOUNT_ID);

    expect(loaded).toEqual([valid]);
    expect(reports).toEqual([
      {
        tableName: table,
        count: 4,
        reasons: [
          'missing or invalid firstSeenAt',
          'missing or invalid lastSeenAt',
          'missing or unknown rule',
          'missing userName',
        ],
      },
    ]);
    expect(JSON.stringify(reports)).not.toMatch(/dave|erin|frank|gina|made-up|yesterday/);
  });

  it('skips an item whose sort key does not match its attributes', async () => {
    await db.client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          [PARTITION_KEY]: { S: ACCOUNT_ID },
          [SORT_KEY]: { S: 'key-too-old|mallory|AKIA2' },
          rule: { S: 'key-too-old' },
          userName: { S: 'alice' },
          accessKeyId: { S: 'AKIA2' },
          firstSeenAt: { S: daysAgo(1) },
          lastSeenAt: { S: daysAgo(0) },
        },
      }),
    );
    const reports: SkippedItems[] = [];
    expect(await store({ onSkippedItems: (s) => reports.push(s) }).load(ACCOUNT_ID)).toEqual([]);
    expect(reports[0]?.reasons).toEqual(['sk does not match rule, userName and accessKeyId']);
  });

  it('refuses an invalid upsert before writing anything', async () => {
    const { calls } = spySend();
    const bad = [...states(30), { ...state({ userName: 'zoe' }), lastSeenAt: 'not a date' }];

    const error = await rejection(store().save(ACCOUNT_ID, bad, []));

    expect(error.message).toBe(
      `could not save the audit state in DynamoDB table ${table}: a finding's state has an invalid lastSeenAt`,
    );
    expect(calls(PutCommand)).toBe(0);
    const mismatched = { ...state(), rule: 'key-unused' as RuleId };
    expect((await rejection(store().save(ACCOUNT_ID, [mismatched], []))).message).toMatch(
      /id that does not match/,
    );
    expect((await rejection(store().save('', [state()], []))).message).toMatch(/account id is empty/);
  });

  describe('a table that does not exist', () => {
    it.each([
      ['load', (s: StateStore) => s.load(ACCOUNT_ID)],
      ['save', (s: StateStore) => s.save(ACCOUNT_ID, [state()], [])],
    ] as const)(
      'makes %s throw a StateStoreError naming the table, the operation and the cause',
      async (op, run) => {
        const error = await rejection(run(store({}, 'no-such-table')));

        expect(error.message).toBe(
          `could not ${op} the audit state in DynamoDB table no-such-table: ` +
            'ResourceNotFoundException (the table does not exist, or not in this region)',
        );
        expect(error.tableName).toBe('no-such-table');
        expect(error.operation).toBe(op);
        expect((error.cause as Error).name).toBe('ResourceNotFoundException');
        expect(error.message).not.toMatch(/alice|AKIA/);
      },
    );
  });

  describe('conditional writes (issue 11, case 3)', () => {
    const EARLIER = new Date(NOW.getTime() - 60_000);
    const LATER = new Date(NOW.getTime() + 60_000);

    it('an older run never overwrites what a newer run wrote', async () => {
      await store().save(ACCOUNT_ID, [state({ lastSeenAt: LATER.toISOString() })], [], { observedAt: LATER });
      const result = await store().save(ACCOUNT_ID, [state({ lastSeenAt: EARLIER.toISOString() })], [], {
        observedAt: EARLIER,
      });
      expect(result).toEqual({ written: 0, stale: 1 });
      expect((await store().load(ACCOUNT_ID))[0]?.lastSeenAt).toBe(LATER.toISOString());
    });

    it('an older run cannot bring back a finding a newer run resolved', async () => {
      await store().save(ACCOUNT_ID, [state()], [], { observedAt: EARLIER });
      await store().save(ACCOUNT_ID, [], [state().id], { observedAt: LATER });
      expect(await store().load(ACCOUNT_ID)).toEqual([]);
      await store().save(ACCOUNT_ID, [state()], [], { observedAt: NOW });
      expect(await store().load(ACCOUNT_ID)).toEqual([]);
      // A newer run that sees it again opens it again.
      await store().save(ACCOUNT_ID, [state()], [], { observedAt: new Date(LATER.getTime() + 1) });
      expect(await store().load(ACCOUNT_ID)).toHaveLength(1);
    });

    it('marks findings alerted per channel, and leaves resolved or unknown ones alone', async () => {
      const alice = state({ lastAlertedAt: undefined });
      const bob = state({ userName: 'bob', lastAlertedAt: undefined });
      await store().save(ACCOUNT_ID, [alice, bob], [], { observedAt: EARLIER });
      await store().save(ACCOUNT_ID, [], [bob.id], { observedAt: NOW });
      await store().markAlerted(ACCOUNT_ID, [alice.id, bob.id, 'key-too-old|ghost|'], 'sns', LATER);
      const [loaded] = await store().load(ACCOUNT_ID);
      expect(loaded).toEqual({
        ...alice,
        lastAlertedAt: LATER.toISOString(),
        alertedAt: { sns: LATER.toISOString() },
      });
      expect(await rawItem(ACCOUNT_ID, bob.id)).not.toHaveProperty('snsAlertedAt');
      expect(await rawItem(ACCOUNT_ID, 'key-too-old|ghost|')).toBeUndefined();
      // The marks survive the next audit's write of the same finding.
      await store().save(ACCOUNT_ID, [loaded!], [], { observedAt: LATER });
      expect((await store().load(ACCOUNT_ID))[0]?.alertedAt).toEqual({ sns: LATER.toISOString() });
    });

    it('matches named users without regard to case, as IAM does (issue 11, case 6)', async () => {
      await store().save(ACCOUNT_ID, [state()], []);
      expect(await store().load(ACCOUNT_ID, { userNames: ['ALICE'] })).toHaveLength(1);
    });
  });

  it('stores items DynamoDB can query by the exported key names', async () => {
    await store().save(ACCOUNT_ID, [state()], []);
    const { Items } = await db.client.send(
      new RawQueryCommand({
        TableName: table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :rule)',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
        ExpressionAttributeValues: { ':pk': { S: ACCOUNT_ID }, ':rule': { S: 'key-too-old|' } },
      }),
    );
    expect(Items).toHaveLength(1);
  });
});
