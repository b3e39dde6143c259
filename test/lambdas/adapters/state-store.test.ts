import { GetItemCommand, PutItemCommand, QueryCommand as RawQueryCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import {
  expiresAtFor,
  PARTITION_KEY,
  SORT_KEY,
  StateStore,
  StateStoreError,
  TTL_ATTRIBUTE,
  type OpenFindingState,
  type SkippedItems,
  type StateStoreOptions,
} from '../../../lambdas/audit/adapters/state-store';
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

/** A sleep that records each wait and returns at once. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

function store(options: StateStoreOptions = {}, tableName = table): StateStore {
  return new StateStore(doc, tableName, { sleep: recordingSleep().sleep, ...options });
}

/** Spies on the document client's `send`; `calls(Command)` counts the commands of one type sent. */
function spySend(): { calls: (type: new (...args: never[]) => unknown) => number } {
  const spy = jest.spyOn(doc, 'send');
  return { calls: (type) => spy.mock.calls.filter(([command]) => command instanceof type).length };
}

type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

/**
 * Makes BatchWriteItem process only part of each request, as DynamoDB does under load: `unprocessed(requests, call)`
 * picks the requests answered back as UnprocessedItems (not written); the rest are written to dynalite.
 */
function leaveUnprocessed(unprocessed: (requests: WriteRequests, call: number) => WriteRequests): void {
  const send = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
  let call = 0;
  jest.spyOn(doc, 'send').mockImplementation((async (command: unknown) => {
    if (!(command instanceof BatchWriteCommand)) return send(command);
    call += 1;
    const requests = command.input.RequestItems?.[table] ?? [];
    const left = unprocessed(requests, call);
    const written = requests.filter((r) => !left.includes(r));
    if (written.length > 0) await send(new BatchWriteCommand({ RequestItems: { [table]: written } }));
    const output: BatchWriteCommandOutput = {
      $metadata: { httpStatusCode: 200 },
      ...(left.length > 0 ? { UnprocessedItems: { [table]: left } } : {}),
    };
    return output;
  }) as never);
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

  it('writes 60 upserts in 3 batches of at most 25, then deletes and replaces in one save', async () => {
    const sixty = states(60);
    const { calls } = spySend();
    await store().save(ACCOUNT_ID, sixty, []);
    expect(calls(BatchWriteCommand)).toBe(3);
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
    expect(calls(BatchWriteCommand)).toBe(3 + 2);
  });

  it('deletes of ids that were never stored succeed, and nothing to write sends nothing', async () => {
    const { calls } = spySend();
    await store().save(ACCOUNT_ID, [], ['key-too-old|ghost|AKIAGHOST']);
    await store().save(ACCOUNT_ID, [], []);
    expect(calls(BatchWriteCommand)).toBe(1);
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
    await store().save(ACCOUNT_ID, many, []);

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
    expect(calls(BatchWriteCommand)).toBe(0);
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

  describe('unprocessed items', () => {
    it('retries the unprocessed items of a batch with backoff until all are written', async () => {
      // The first answer leaves half the batch unprocessed, the second a quarter, then all are processed.
      leaveUnprocessed((requests, call) =>
        call <= 2 ? requests.slice(0, Math.ceil(requests.length / 2)) : [],
      );
      const { sleep, waits } = recordingSleep();
      const saved = states(20);

      await store({ sleep }).save(ACCOUNT_ID, saved, []);

      expect(waits).toEqual([50, 100]);
      expect(await store().load(ACCOUNT_ID)).toEqual(saved);
    });

    it('throws after 5 tries when items stay unprocessed, naming the table and the count', async () => {
      leaveUnprocessed((requests) => requests.slice(0, 3));
      const { sleep, waits } = recordingSleep();

      const error = await rejection(store({ sleep }).save(ACCOUNT_ID, states(10), []));

      expect(waits).toEqual([50, 100, 200, 400]);
      expect(error.message).toBe(
        `could not save the audit state in DynamoDB table ${table}: ` +
          '3 of 10 items of a batch were still unprocessed after 5 tries',
      );
      expect(error.operation).toBe('save');
      // The 7 processed on the first try were written; the 3 never were.
      expect(await store().load(ACCOUNT_ID)).toHaveLength(7);
    });

    it('takes its bound and backoff from the options', async () => {
      leaveUnprocessed((requests) => requests);
      const { sleep, waits } = recordingSleep();

      await rejection(store({ sleep, maxAttempts: 2, baseDelayMs: 1000 }).save(ACCOUNT_ID, states(1), []));

      expect(waits).toEqual([1000]);
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
