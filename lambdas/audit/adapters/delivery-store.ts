/**
 * What makes delivery and state one transaction, in the audit state table beside the open findings:
 *
 * - **The run lease** of an account (or of the organization run): partition `lease#<scope>`, sort key `lease`,
 *   `owner` (the invocation's request id), `leaseUntil` (N, epoch ms). Taken with a conditional PutItem that
 *   succeeds only when no lease exists or the one there has expired; released with a DeleteItem conditional on
 *   the owner. DynamoDB's TTL deletes a lease only days later, so the condition reads `leaseUntil`, never TTL.
 * - **The delivery outbox** of an account or of the organization: partition `outbox#<scope>`, one item per
 *   message (each Slack message of a multi-part digest, each SNS publish), sort key
 *   `<createdAt>#<runId>#<destination>#<index>` so they sort in the order they must go out. An item is written
 *   before its message is sent and marked `deliveredAt` as soon as its channel accepted it: a run that stops
 *   (a channel down, the deadline, the Lambda killed) leaves the rest pending, and the next run resumes there.
 *   Pending items expire after {@link OUTBOX_TTL_DAYS} days, delivered ones {@link DELIVERED_TTL_DAYS} after.
 *
 * Every failure is a `DeliveryStoreError` naming the table and the operation, never item values.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../domain/notification';
import { DAY_MS } from '../domain/time';
import { describeDynamoDbError, isConditionFailed, queryPartition } from './state-store';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from './state-table-keys';

/** The sort key of a lease item. */
export const LEASE_SORT_KEY = 'lease';
/** Undelivered messages are dropped after this many days: older news is stale. */
export const OUTBOX_TTL_DAYS = 14;
/** Delivered messages are kept this long, as the record of what went out. */
export const DELIVERED_TTL_DAYS = 3;

export type DeliveryStoreOperation = 'take the lease' | 'release the lease' | 'record' | 'read the outbox';

export class DeliveryStoreError extends Error {
  override name = 'DeliveryStoreError';
  constructor(
    readonly tableName: string,
    readonly operation: DeliveryStoreOperation,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`could not ${operation} in DynamoDB table ${tableName}: ${detail}`, options);
  }
}

export const leasePartitionKey = (scope: string) => `lease#${scope}`;
export const outboxPartitionKey = (scope: string) => `outbox#${scope}`;

/** Another run holds the lease: who, and until when (absent when DynamoDB did not say). */
export interface LeaseHeld {
  acquired: false;
  owner?: string;
  until?: string;
}

/** One message of the outbox. `message` is the channel's message as JSON-able data. */
export interface OutboxEntry {
  /** The sort key: `<createdAt>#<runId>#<destination>#<index>`. */
  id: string;
  runId: string;
  /** ISO instant of the run that built it. */
  createdAt: string;
  /** `slack` (the default channel), `slack:team:<team>`, or `sns`. */
  destination: string;
  channel: Channel;
  /** The team whose webhook a `slack:team:` destination posts to. */
  team?: string;
  /** 0-based position in its destination's digest, and the digest's length. */
  index: number;
  total: number;
  message: unknown;
  /** On a digest's last message: the findings it carries, by account, to mark alerted once it is accepted. */
  findings?: { accountId: string; ids: string[] }[];
  deliveredAt?: string;
}

/** The most bytes of an entry's message and findings: DynamoDB's item limit is 400 KB. */
export const MAX_ENTRY_BYTES = 350 * 1024;

export class DeliveryStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBDocumentClient | DynamoDBClient,
    readonly tableName: string,
  ) {
    this.client = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client);
  }

  /**
   * Takes the lease of `scope` for `owner` until `until`, unless another run holds one that has not expired at
   * `now`. Taking it again as the same owner renews it.
   */
  async acquireLease(
    scope: string,
    owner: string,
    now: Date,
    until: Date,
  ): Promise<{ acquired: true } | LeaseHeld> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PARTITION_KEY]: leasePartitionKey(scope),
            [SORT_KEY]: LEASE_SORT_KEY,
            owner,
            leaseUntil: until.getTime(),
            acquiredAt: now.toISOString(),
            [TTL_ATTRIBUTE]: Math.floor(until.getTime() / 1000) + 86_400,
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #until < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#until': 'leaseUntil', '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now.getTime(), ':owner': owner },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true };
    } catch (error) {
      if (!isConditionFailed(error)) {
        throw new DeliveryStoreError(this.tableName, 'take the lease', describeDynamoDbError(error), {
          cause: error,
        });
      }
      const held = (error as { Item?: Record<string, unknown> }).Item;
      const heldUntil = held?.leaseUntil;
      return {
        acquired: false,
        ...(typeof held?.owner === 'string' ? { owner: held.owner } : {}),
        ...(typeof heldUntil === 'number' ? { until: new Date(heldUntil).toISOString() } : {}),
      };
    }
  }

  /** Gives the lease back, if `owner` still holds it (after it expired, another run may have taken it). */
  async releaseLease(scope: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: leasePartitionKey(scope), [SORT_KEY]: LEASE_SORT_KEY },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) return;
      throw new DeliveryStoreError(this.tableName, 'release the lease', describeDynamoDbError(error), {
        cause: error,
      });
    }
  }

  /**
   * The messages of `scope` recorded and not expired at `now`, delivered (`deliveredAt`) or still pending, in the
   * order they must go out.
   */
  async entries(scope: string, now: Date): Promise<OutboxEntry[]> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      const { items } = await queryPartition(
        this.client,
        this.tableName,
        outboxPartitionKey(scope),
        parseEntry,
      );
      return items
        .filter((entry) => entry.expiresAt > nowSeconds)
        .map(({ expiresAt: _expiresAt, ...entry }) => entry)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    } catch (error) {
      throw new DeliveryStoreError(this.tableName, 'read the outbox', describeDynamoDbError(error), {
        cause: error,
      });
    }
  }

  /** Writes `entries` as pending, before any of them is sent. Writing one again changes nothing. */
  async addPending(scope: string, entries: readonly OutboxEntry[]): Promise<void> {
    for (const entry of entries) {
      const message = JSON.stringify(entry.message);
      let findings = entry.findings ? JSON.stringify(entry.findings) : undefined;
      if (Buffer.byteLength(message) > MAX_ENTRY_BYTES) {
        throw new DeliveryStoreError(this.tableName, 'record', 'a message is larger than an item can hold');
      }
      // Findings that do not fit are not marked alerted when a later run completes the digest; nothing else.
      if (findings && Buffer.byteLength(message) + Buffer.byteLength(findings) > MAX_ENTRY_BYTES) {
        findings = undefined;
      }
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              [PARTITION_KEY]: outboxPartitionKey(scope),
              [SORT_KEY]: entry.id,
              runId: entry.runId,
              createdAt: entry.createdAt,
              destination: entry.destination,
              channel: entry.channel,
              ...(entry.team !== undefined ? { team: entry.team } : {}),
              index: entry.index,
              total: entry.total,
              message,
              ...(findings ? { findings } : {}),
              [TTL_ATTRIBUTE]: Math.floor((Date.parse(entry.createdAt) + OUTBOX_TTL_DAYS * DAY_MS) / 1000),
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY },
          }),
        );
      } catch (error) {
        if (isConditionFailed(error)) continue;
        throw new DeliveryStoreError(this.tableName, 'record', describeDynamoDbError(error), {
          cause: error,
        });
      }
    }
  }

  /** Records that the message `id` of `scope` was accepted at `at`: it is never sent again. */
  async markDelivered(scope: string, id: string, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: outboxPartitionKey(scope), [SORT_KEY]: id },
          UpdateExpression: 'SET #at = :at, #ttl = :ttl',
          ExpressionAttributeNames: { '#at': 'deliveredAt', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':at': at.toISOString(),
            ':ttl': Math.floor((at.getTime() + DELIVERED_TTL_DAYS * DAY_MS) / 1000),
          },
        }),
      );
    } catch (error) {
      throw new DeliveryStoreError(this.tableName, 'record', describeDynamoDbError(error), { cause: error });
    }
  }
}

function parseEntry(item: Record<string, unknown>): (OutboxEntry & { expiresAt: number }) | string {
  const { runId, createdAt, destination, channel, team, index, total, message, deliveredAt, findings } = item;
  const id = item[SORT_KEY];
  if (typeof id !== 'string') return `missing ${SORT_KEY}`;
  if (typeof runId !== 'string' || typeof createdAt !== 'string') return 'missing runId or createdAt';
  if (typeof destination !== 'string') return 'missing destination';
  if (channel !== 'slack' && channel !== 'sns') return 'unknown channel';
  if (typeof index !== 'number' || typeof total !== 'number') return 'missing index or total';
  if (typeof message !== 'string') return 'missing message';
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return 'message is not valid JSON';
  }
  let carried: OutboxEntry['findings'];
  if (typeof findings === 'string') {
    try {
      const value = JSON.parse(findings) as unknown;
      if (
        Array.isArray(value) &&
        value.every(
          (f) =>
            typeof f?.accountId === 'string' &&
            Array.isArray(f?.ids) &&
            (f.ids as unknown[]).every((id) => typeof id === 'string'),
        )
      ) {
        carried = value as OutboxEntry['findings'];
      }
    } catch {
      carried = undefined;
    }
  }
  const expiresAt = item[TTL_ATTRIBUTE];
  return {
    id,
    runId,
    createdAt,
    destination,
    channel,
    ...(typeof team === 'string' ? { team } : {}),
    index,
    total,
    message: parsed,
    ...(carried ? { findings: carried } : {}),
    ...(typeof deliveredAt === 'string' ? { deliveredAt } : {}),
    expiresAt: typeof expiresAt === 'number' ? expiresAt : Number.POSITIVE_INFINITY,
  };
}
