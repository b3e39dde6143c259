import { QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  decodeShard,
  encodeShards,
  keyIndexPartitionKey,
  KeyIndexStore,
  KeyIndexStoreError,
  MAX_SHARD_BYTES,
} from '../../../lambdas/audit/adapters/key-index-store';
import type { IndexedKey, KeyIndex } from '../../../lambdas/audit/domain/key-index';
import { startDynalite, type Dynalite } from '../../support/dynalite';

const NOW = new Date('2026-11-28T09:00:00Z');
const ACCOUNT = '123456789012';

let db: Dynalite;
let n = 0;
let table: string;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.close());
beforeEach(async () => {
  n += 1;
  table = `key-index-${n}`;
  await db.createTable(table);
});

const key = (i: number, status: IndexedKey['status'] = 'Active'): IndexedKey => ({
  accessKeyId: `AKIA${String(i).padStart(16, '0')}`,
  status,
  createdAt: new Date(NOW.getTime() - i * 1000).toISOString(),
});

function indexOf(users: number, verifiedAt = NOW): KeyIndex {
  const map = new Map<string, IndexedKey[]>();
  for (let i = 0; i < users; i++) {
    map.set(
      `user-${String(i).padStart(5, '0')}-with-a-long-service-name`,
      i % 3 ? [key(i)] : [key(i), key(i + 1, 'Inactive')],
    );
  }
  return { verifiedAt: verifiedAt.toISOString(), users: map };
}

async function itemsOf(accountId: string) {
  const { Items } = await db.client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: keyIndexPartitionKey(accountId) } },
    }),
  );
  return Items ?? [];
}

describe('KeyIndexStore on dynalite', () => {
  it('has no index for an account it never saved', async () => {
    expect(await new KeyIndexStore(db.client, table).load(ACCOUNT)).toEqual({ status: 'missing' });
  });

  it('round-trips a 5,000-user index in shards under the item limit, and replaces the previous generation', async () => {
    const store = new KeyIndexStore(db.client, table);
    const big = indexOf(5000);
    await store.save(ACCOUNT, big, NOW);
    const items = await itemsOf(ACCOUNT);
    const shards = items.filter((item) => item.sk?.S?.startsWith('shard#'));
    expect(shards.length).toBeGreaterThan(1);
    for (const shard of shards)
      expect(Buffer.byteLength(shard.data?.S ?? '')).toBeLessThanOrEqual(MAX_SHARD_BYTES);
    expect(await store.load(ACCOUNT)).toEqual({ status: 'loaded', index: big });

    const small = indexOf(10, new Date(NOW.getTime() - 86_400_000));
    await store.save(ACCOUNT, small, NOW);
    expect(await store.load(ACCOUNT)).toEqual({ status: 'loaded', index: small });
    // The header and the one shard of the new generation: the old shards are deleted.
    expect(await itemsOf(ACCOUNT)).toHaveLength(2);
  });

  it('keeps accounts apart', async () => {
    const store = new KeyIndexStore(db.client, table);
    await store.save(ACCOUNT, indexOf(3), NOW);
    expect(await store.load('210987654321')).toEqual({ status: 'missing' });
  });

  it('an index with a shard missing is unreadable, not half-used', async () => {
    const store = new KeyIndexStore(db.client, table);
    await store.save(ACCOUNT, indexOf(5000), NOW);
    const { DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    const shard = (await itemsOf(ACCOUNT)).find((item) => item.sk?.S?.startsWith('shard#'));
    await db.client.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: shard!.pk!, sk: shard!.sk! } }),
    );
    expect(await store.load(ACCOUNT)).toEqual({
      status: 'unreadable',
      reason: expect.stringMatching(/^\d+ of \d+ shards found$/),
    });
  });

  it('a table it cannot reach is unreadable on load and a KeyIndexStoreError on save, naming no value', async () => {
    const store = new KeyIndexStore(db.client, 'no-such-table');
    expect(await store.load(ACCOUNT)).toEqual({
      status: 'unreadable',
      reason: expect.stringContaining('ResourceNotFoundException'),
    });
    const error = await store.save(ACCOUNT, indexOf(2), NOW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyIndexStoreError);
    expect((error as Error).message).toMatch(/no-such-table: ResourceNotFoundException/);
    expect((error as Error).message).not.toContain('user-');
  });
});

describe('shards', () => {
  it('split by bytes, each a valid list of entries; an empty index is one empty shard', () => {
    const shards = encodeShards(indexOf(100), 2_000);
    expect(shards.length).toBeGreaterThan(3);
    const users = new Map<string, IndexedKey[]>();
    for (const shard of shards) {
      expect(Buffer.byteLength(shard)).toBeLessThanOrEqual(2_000);
      expect(decodeShard(shard, users)).toBeNull();
    }
    expect(users).toEqual(indexOf(100).users);
    expect(encodeShards({ verifiedAt: NOW.toISOString(), users: new Map() })).toEqual(['[]']);
  });

  it.each([
    ['{', 'a shard is not JSON'],
    ['{}', 'a shard is not a list'],
    ['[["u"]]', 'an entry is not [user, keys]'],
    ['[["u", []]]', 'an entry has 0 or over 2 keys'],
    ['[["u", [["AKIA0000000000000001", "yesterday", "A"]]]]', 'a createdAt is invalid'],
    ['[["u", [["AKIA0000000000000001", "2026-11-28T09:00:00.000Z", "X"]]]]', 'a key status is invalid'],
  ])('%s is not a shard: %s', (data, reason) => {
    expect(decodeShard(data, new Map())).toBe(reason);
  });
});
