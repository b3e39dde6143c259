/**
 * The key index (domain/key-index.ts) of each audited account, in the state table beside the findings' state.
 *
 * Item design, in the partition `keyindex#<accountId>` (no account id, 12 digits, can be it, so the state store's
 * Query of an account's partition never sees these items, nor the run store's `run#` partitions):
 * - `sk` = `header`: the index's `verifiedAt`, the generation it points to and how many shards it has;
 * - `sk` = `shard#<generation>#<nnnn>`: a `data` string, a JSON array of `[userName, [[keyId, createdAt, "A"|"I"]…]]`
 *   entries, at most {@link MAX_SHARD_BYTES} bytes, so that an item stays well under DynamoDB's 400 KB.
 *
 * Why shards and not one item per user: a 5,000-user account with one index entry per user (after an audit without
 * the credential report) is about 700 KB, 2 items instead of 5,000, and a day's 1,000 flagged users one item of
 * ~140 KB (~140 write units) instead of 1,000 items (1,000 write units, 40 BatchWriteItem calls). And the header,
 * written after its shards, makes a save atomic: a reader sees the previous index or the new one, never a mix; a
 * save that fails half-way leaves the previous header pointing at its own, intact shards.
 *
 * A save writes the new generation's shards, then the header, then deletes the shards of the generation the header
 * pointed to before. Every item has the TTL attribute (`expiresAt`, the save + 35 days), so shards a concurrent
 * or failed save left behind disappear; an index is never used after 30 days anyway.
 *
 * Calls: Query (strongly consistent, paginated), PutItem and DeleteItem (one per shard: a save writes a few items of
 * up to 350 KB, not many small ones), actions the table grants the function for the state store already.
 * Errors name the table and the operation and never contain item values (user names, key ids).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { IndexedKey, KeyIndex, KeyIndexLoad } from '../domain/key-index';
import { DAY_MS } from '../domain/time';
import { describeDynamoDbError, queryPartition } from './state-store';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from './state-table-keys';

/** The partition of an account's key index. */
export function keyIndexPartitionKey(accountId: string): string {
  return `keyindex#${accountId}`;
}

export const HEADER_SORT_KEY = 'header';
/** The most bytes of JSON one shard holds: DynamoDB's item limit is 400 KB, names and other attributes included. */
export const MAX_SHARD_BYTES = 350_000;
/** Items expire this many days after the save that wrote them. */
export const KEY_INDEX_TTL_DAYS = 35;
const FORMAT = 1;

export class KeyIndexStoreError extends Error {
  override name = 'KeyIndexStoreError';

  constructor(
    readonly tableName: string,
    readonly operation: 'load' | 'save',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`could not ${operation} the key index in DynamoDB table ${tableName}: ${detail}`, options);
  }
}

type Entry = [string, [string, string, 'A' | 'I'][]];

/** The index's entries as JSON arrays of at most `maxBytes` bytes each (at least one, possibly empty). */
export function encodeShards(index: KeyIndex, maxBytes = MAX_SHARD_BYTES): string[] {
  const shards: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const [userName, keys] of [...index.users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const entry: Entry = [
      userName,
      keys.map((key) => [key.accessKeyId, key.createdAt, key.status === 'Active' ? 'A' : 'I']),
    ];
    const text = JSON.stringify(entry);
    const size = Buffer.byteLength(text) + 1;
    if (current.length > 0 && bytes + size > maxBytes) {
      shards.push(`[${current.join(',')}]`);
      current = [];
      bytes = 2;
    }
    current.push(text);
    bytes += size;
  }
  shards.push(`[${current.join(',')}]`);
  return shards;
}

const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/** The entries of one shard, or why it is not a valid one (never quoting its content). */
export function decodeShard(data: string, into: Map<string, IndexedKey[]>): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return 'a shard is not JSON';
  }
  if (!Array.isArray(parsed)) return 'a shard is not a list';
  for (const entry of parsed as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2) return 'an entry is not [user, keys]';
    const [userName, keys] = entry as [unknown, unknown];
    if (typeof userName !== 'string' || userName === '') return 'an entry has no user name';
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > 2) return 'an entry has 0 or over 2 keys';
    const decoded: IndexedKey[] = [];
    for (const key of keys as unknown[]) {
      if (!Array.isArray(key) || key.length !== 3) return 'a key is not [id, createdAt, status]';
      const [accessKeyId, createdAt, status] = key as [unknown, unknown, unknown];
      if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID.test(accessKeyId)) return 'a key id is invalid';
      if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt)))
        return 'a createdAt is invalid';
      if (status !== 'A' && status !== 'I') return 'a key status is invalid';
      decoded.push({ accessKeyId, createdAt, status: status === 'A' ? 'Active' : 'Inactive' });
    }
    into.set(userName, decoded);
  }
  return null;
}

interface Header {
  generation: string;
  shards: number;
  verifiedAt: string;
}

function parseHeader(item: Record<string, unknown>): Header | string {
  const { format, generation, shards, verifiedAt } = item;
  if (format !== FORMAT) return 'the header has an unknown format';
  if (typeof generation !== 'string' || generation === '') return 'the header has no generation';
  if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1)
    return 'the header has no shard count';
  if (typeof verifiedAt !== 'string' || Number.isNaN(Date.parse(verifiedAt)))
    return 'the header has no verifiedAt';
  return { generation, shards, verifiedAt };
}

const shardPrefix = (generation: string) => `shard#${generation}#`;
const shardKey = (generation: string, n: number) => `${shardPrefix(generation)}${String(n).padStart(4, '0')}`;

/** The key index store as the handler and the organization step use it. */
export type KeyIndexPort = Pick<KeyIndexStore, 'load' | 'save'>;

/**
 * Saves the index an audit returned (null: nothing to save, e.g. a dry run). Resolves to why it could not, or
 * undefined: a failed save costs only a full verification at the next audit, so it never fails the audit.
 */
export async function saveKeyIndex(
  store: KeyIndexPort | undefined,
  accountId: string,
  index: KeyIndex | null,
  now: Date,
): Promise<string | undefined> {
  if (!store || !index) return undefined;
  try {
    await store.save(accountId, index, now);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export class KeyIndexStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBDocumentClient | DynamoDBClient,
    readonly tableName: string,
  ) {
    this.client = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client);
  }

  /**
   * The account's index: one strongly consistent Query of its partition. Never throws: a DynamoDB error or an
   * index that does not parse is `unreadable` (and the audit verifies every flagged user live).
   */
  async load(accountId: string): Promise<KeyIndexLoad> {
    let items: Record<string, unknown>[];
    try {
      items = (
        await queryPartition(this.client, this.tableName, keyIndexPartitionKey(accountId), (item) => item)
      ).items;
    } catch (error) {
      return { status: 'unreadable', reason: describeDynamoDbError(error) };
    }
    const headerItem = items.find((item) => item[SORT_KEY] === HEADER_SORT_KEY);
    if (!headerItem) return { status: 'missing' };
    const header = parseHeader(headerItem);
    if (typeof header === 'string') return { status: 'unreadable', reason: header };
    const prefix = shardPrefix(header.generation);
    const shards = items
      .filter((item) => typeof item[SORT_KEY] === 'string' && (item[SORT_KEY] as string).startsWith(prefix))
      .sort((a, b) => ((a[SORT_KEY] as string) < (b[SORT_KEY] as string) ? -1 : 1));
    if (shards.length !== header.shards) {
      return { status: 'unreadable', reason: `${shards.length} of ${header.shards} shards found` };
    }
    const users = new Map<string, IndexedKey[]>();
    for (const shard of shards) {
      if (typeof shard.data !== 'string') return { status: 'unreadable', reason: 'a shard has no data' };
      const problem = decodeShard(shard.data, users);
      if (problem) return { status: 'unreadable', reason: problem };
    }
    return { status: 'loaded', index: { verifiedAt: header.verifiedAt, users } };
  }

  /**
   * Replaces the account's index: the new generation's shards, then the header pointing to them, then the
   * previous generation's shards are deleted. Throws a `KeyIndexStoreError` when a write fails.
   */
  async save(accountId: string, index: KeyIndex, now: Date): Promise<void> {
    const pk = keyIndexPartitionKey(accountId);
    const expiresAt = Math.floor((now.getTime() + KEY_INDEX_TTL_DAYS * DAY_MS) / 1000);
    const generation = `${now.toISOString()}#${randomUUID().slice(0, 8)}`;
    const shards = encodeShards(index);
    const fail = (error: unknown): never => {
      throw error instanceof KeyIndexStoreError
        ? error
        : new KeyIndexStoreError(this.tableName, 'save', describeDynamoDbError(error), { cause: error });
    };
    let previous: Header | null = null;
    try {
      const { Items } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk = :sk',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
          ExpressionAttributeValues: { ':pk': pk, ':sk': HEADER_SORT_KEY },
          ConsistentRead: true,
        }),
      );
      const parsed = Items?.[0] ? parseHeader(Items[0]) : null;
      previous = typeof parsed === 'string' ? null : parsed;
      await this.write(
        shards.map((data, n) => ({
          PutRequest: {
            Item: {
              [PARTITION_KEY]: pk,
              [SORT_KEY]: shardKey(generation, n),
              data,
              [TTL_ATTRIBUTE]: expiresAt,
            },
          },
        })),
      );
      await this.write([
        {
          PutRequest: {
            Item: {
              [PARTITION_KEY]: pk,
              [SORT_KEY]: HEADER_SORT_KEY,
              format: FORMAT,
              generation,
              shards: shards.length,
              verifiedAt: index.verifiedAt,
              savedAt: now.toISOString(),
              users: index.users.size,
              [TTL_ATTRIBUTE]: expiresAt,
            },
          },
        },
      ]);
    } catch (error) {
      fail(error);
    }
    if (previous && previous.generation !== generation) {
      const old = previous;
      try {
        await this.write(
          Array.from({ length: old.shards }, (_, n) => ({
            DeleteRequest: { Key: { [PARTITION_KEY]: pk, [SORT_KEY]: shardKey(old.generation, n) } },
          })),
        );
      } catch {
        // The new index is saved; the old shards expire by TTL.
      }
    }
  }

  /** One PutItem or DeleteItem a request, in order (the SDK retries throttling). */
  private async write(
    requests: (
      { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } }
    )[],
  ): Promise<void> {
    for (const request of requests) {
      if ('PutRequest' in request)
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: request.PutRequest.Item }));
      else
        await this.client.send(
          new DeleteCommand({ TableName: this.tableName, Key: request.DeleteRequest.Key }),
        );
    }
  }
}
