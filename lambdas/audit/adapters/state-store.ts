/**
 * The state of open findings between audits, in a DynamoDB table: one item per open finding, keyed by account
 * and finding id, saying when it was first seen, last seen and alerted on each channel. The same table holds the
 * run lease of each account and the delivery outbox (see `adapters/delivery-store.ts`).
 *
 * Table design (the stack's table uses the key names of `state-table-keys.ts`):
 * - partition key `pk` (S): the account id, so one table can hold several accounts;
 * - sort key `sk` (S): the finding id (`rule|user|key`, `findingId` in domain/types.ts);
 * - `rule`, `userName`, `accessKeyId` (absent for findings without a key), `firstSeenAt`, `lastSeenAt`,
 *   `lastAlertedAt`, `slackAlertedAt`, `snsAlertedAt` (absent until alerted): ISO 8601 strings;
 * - `observedAt` (N, epoch ms): the audit time of the run that wrote the item. Every write is conditional on it
 *   being no newer than the writer's, so an older run never overwrites what a newer one wrote;
 * - `resolvedAt` (S): set instead of deleting a resolved finding (a tombstone, kept 30 days), so a slower,
 *   older run cannot bring it back;
 * - `expiresAt` (N, epoch seconds): the TTL attribute, `lastSeenAt` + 90 days, so DynamoDB deletes the items of
 *   findings no audit sees again.
 *
 * Reads are one paginated Query of the account's partition (never a Scan); writes are one conditional PutItem or
 * UpdateItem per item, a few at once. Every failure is a `StateStoreError` whose message names the table and the
 * operation and never contains item values, so the caller can say why in the report.
 */
import type { OpenFindingState } from '../domain/changes';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../concurrency';
import type { Channel } from '../domain/notification';
import { DAY_MS } from '../domain/time';
import { findingId, RULE_IDS, type RuleId } from '../domain/types';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from './state-table-keys';

export type { OpenFindingState };

/** An item expires this many days after the finding was last seen. */
export const STATE_TTL_DAYS = 90;

/** The attribute every write is conditional on (N, epoch ms of the writer's audit). */
export const OBSERVED_AT = 'observedAt';
/** The attribute of a resolved finding's tombstone. */
export const RESOLVED_AT = 'resolvedAt';
/** A tombstone expires this many days after the finding was resolved. */
export const TOMBSTONE_TTL_DAYS = 30;
/** Conditional writes in flight at once. */
export const WRITE_CONCURRENCY = 8;
/** The attribute holding when a channel accepted a message carrying the finding. */
export const ALERTED_AT: Record<Channel, string> = { slack: 'slackAlertedAt', sns: 'snsAlertedAt' };

export type StateStoreOperation = 'load' | 'save' | 'mark alerted';

/** What a save wrote, and how many items it left alone because a newer run had written them. */
export interface SaveResult {
  written: number;
  /** Items a newer run wrote since this run read them: left as that run wrote them. */
  stale: number;
}

export class StateStoreError extends Error {
  override name = 'StateStoreError';

  constructor(
    readonly tableName: string,
    readonly operation: StateStoreOperation,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`could not ${operation} the audit state in DynamoDB table ${tableName}: ${detail}`, options);
  }
}

/** Items a load skipped because they are not valid state, with the reasons (attribute names, never values). */
export interface SkippedItems {
  tableName: string;
  count: number;
  /** Each distinct reason once, e.g. `missing firstSeenAt`. */
  reasons: string[];
}

export interface StateStoreOptions {
  /** Told once per load when items were skipped as invalid (the handler logs it). */
  onSkippedItems?: (skipped: SkippedItems) => void;
}

/** True for DynamoDB's answer to a write whose condition did not hold. */
export function isConditionFailed(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

export interface LoadOptions {
  /** Only the state of these users (a manual re-audit of named users). Absent: the whole account. */
  userNames?: string[];
  /**
   * The audit's time. When given, items whose TTL has passed are left out: DynamoDB deletes expired items
   * within a few days, not at once, so a read can still return them.
   */
  now?: Date;
}

/** The stored shape of one item. */
interface StateItem {
  [PARTITION_KEY]: string;
  [SORT_KEY]: string;
  rule: RuleId;
  userName: string;
  accessKeyId?: string;
  firstSeenAt: string;
  lastSeenAt: string;
  lastAlertedAt?: string;
  slackAlertedAt?: string;
  snsAlertedAt?: string;
  [OBSERVED_AT]: number;
  [TTL_ATTRIBUTE]: number;
}

const RULES: ReadonlySet<string> = new Set(RULE_IDS);

/** `lastSeenAt` + 90 days, in epoch seconds: the item's TTL. */
export function expiresAtFor(lastSeenAt: string): number {
  return Math.floor((Date.parse(lastSeenAt) + STATE_TTL_DAYS * DAY_MS) / 1000);
}

export class StateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly onSkippedItems: ((skipped: SkippedItems) => void) | undefined;

  /** A `DynamoDBClient` is wrapped in a document client; a document client is used as it is. */
  constructor(
    client: DynamoDBDocumentClient | DynamoDBClient,
    readonly tableName: string,
    options: StateStoreOptions = {},
  ) {
    this.client = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client);
    this.onSkippedItems = options.onSkippedItems;
  }

  /**
   * The open findings of `accountId` from earlier audits: one strongly consistent, paginated Query of the account's
   * partition. With `userNames`, only those users' findings, matched without regard to case (IAM user names are
   * case-insensitive). Tombstones of resolved findings are not open findings; items that are not valid state are
   * skipped and counted (`onSkippedItems`), not returned.
   */
  async load(accountId: string, options: LoadOptions = {}): Promise<OpenFindingState[]> {
    requireAccountId(accountId, this.tableName, 'load');
    const users = options.userNames ? new Set(options.userNames.map((u) => u.toLowerCase())) : undefined;
    if (users?.size === 0) return [];
    const nowSeconds = options.now ? Math.floor(options.now.getTime() / 1000) : undefined;

    let partition: Partition<Exclude<ReturnType<typeof parseItem>, string>>;
    try {
      partition = await queryPartition(this.client, this.tableName, accountId, parseItem);
    } catch (error) {
      throw new StateStoreError(this.tableName, 'load', describeDynamoDbError(error), { cause: error });
    }
    const { skipped, reasons } = partition;
    const states = partition.items
      .filter((parsed) => !parsed.resolved)
      .filter((parsed) => nowSeconds === undefined || parsed.expiresAt > nowSeconds)
      .filter((parsed) => !users || users.has(parsed.state.userName.toLowerCase()))
      .map((parsed) => parsed.state);
    if (skipped > 0) {
      this.onSkippedItems?.({ tableName: this.tableName, count: skipped, reasons });
    }
    return states;
  }

  /**
   * Writes `upserts` (whole items, replacing any earlier state of the same id) and turns the items of the ids in
   * `deletes` into tombstones, for `accountId`, as seen by the audit at `observedAt`. Each write is conditional:
   * an item a newer audit wrote is left as it is (counted in `stale`), so an older run never overwrites a newer
   * one, nor brings back a finding a newer run resolved. An id both upserted and deleted is upserted. Every upsert
   * is checked before anything is written.
   */
  async save(
    accountId: string,
    upserts: OpenFindingState[],
    deletes: string[],
    options: { observedAt?: Date } = {},
  ): Promise<SaveResult> {
    requireAccountId(accountId, this.tableName, 'save');
    const observedAt = (options.observedAt ?? new Date()).getTime();
    const puts = new Map<string, StateItem>();
    for (const state of upserts) puts.set(state.id, toItem(accountId, state, observedAt, this.tableName));
    const tombstones = new Set<string>();
    for (const id of deletes) {
      if (typeof id !== 'string' || id === '') {
        throw new StateStoreError(this.tableName, 'save', 'a finding id to delete is empty');
      }
      if (!puts.has(id)) tombstones.add(id);
    }
    const names = { '#obs': OBSERVED_AT };
    const newerThanMine = 'attribute_not_exists(#obs) OR #obs <= :obs';
    const writes: (() => Promise<void>)[] = [
      ...[...puts.values()].map(
        (Item) => () =>
          this.send(
            new PutCommand({
              TableName: this.tableName,
              Item,
              ConditionExpression: newerThanMine,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ':obs': observedAt },
            }),
          ),
      ),
      ...[...tombstones].map(
        (id) => () =>
          this.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { [PARTITION_KEY]: accountId, [SORT_KEY]: id },
              UpdateExpression: 'SET #obs = :obs, #res = :res, #ttl = :ttl',
              ConditionExpression: `attribute_exists(#pk) AND (${newerThanMine})`,
              ExpressionAttributeNames: {
                ...names,
                '#pk': PARTITION_KEY,
                '#res': RESOLVED_AT,
                '#ttl': TTL_ATTRIBUTE,
              },
              ExpressionAttributeValues: {
                ':obs': observedAt,
                ':res': new Date(observedAt).toISOString(),
                ':ttl': Math.floor((observedAt + TOMBSTONE_TTL_DAYS * DAY_MS) / 1000),
              },
            }),
          ),
      ),
    ];
    let stale = 0;
    await mapWithConcurrency(writes, WRITE_CONCURRENCY, async (write) => {
      try {
        await write();
      } catch (error) {
        if (isConditionFailed(error)) {
          stale += 1;
          return;
        }
        throw new StateStoreError(this.tableName, 'save', describeDynamoDbError(error), { cause: error });
      }
    });
    return { written: writes.length - stale, stale };
  }

  /**
   * Records that `channel` accepted, at `at`, a message carrying the findings `ids` of `accountId`. An item that
   * is gone or resolved meanwhile is left alone.
   */
  async markAlerted(accountId: string, ids: readonly string[], channel: Channel, at: Date): Promise<void> {
    requireAccountId(accountId, this.tableName, 'mark alerted');
    await mapWithConcurrency([...new Set(ids)], WRITE_CONCURRENCY, async (id) => {
      try {
        await this.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [PARTITION_KEY]: accountId, [SORT_KEY]: id },
            UpdateExpression: 'SET #ch = :at, #last = :at',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#res)',
            ExpressionAttributeNames: {
              '#ch': ALERTED_AT[channel],
              '#last': 'lastAlertedAt',
              '#pk': PARTITION_KEY,
              '#res': RESOLVED_AT,
            },
            ExpressionAttributeValues: { ':at': at.toISOString() },
          }),
        );
      } catch (error) {
        if (isConditionFailed(error)) return;
        throw new StateStoreError(this.tableName, 'mark alerted', describeDynamoDbError(error), {
          cause: error,
        });
      }
    });
  }

  private async send(command: PutCommand | UpdateCommand): Promise<void> {
    await this.client.send(command as PutCommand);
  }
}

function requireAccountId(accountId: string, tableName: string, operation: StateStoreOperation): void {
  if (typeof accountId !== 'string' || accountId === '') {
    throw new StateStoreError(tableName, operation, 'the account id is empty');
  }
}

/** The items of one partition that parsed, and how many did not and why. */
export interface Partition<T> {
  items: T[];
  skipped: number;
  /** Why items were skipped, sorted; they name attributes, never values. */
  reasons: string[];
}

/**
 * Every item of one partition of the table: one strongly consistent, paginated Query. `parse` turns an item into
 * a value, or into the reason it is not one; such items are counted, never returned. Errors are the caller's to name.
 */
export async function queryPartition<T>(
  client: DynamoDBDocumentClient,
  tableName: string,
  partitionKey: string,
  parse: (item: Record<string, unknown>) => T | string,
): Promise<Partition<T>> {
  const items: T[] = [];
  const reasons = new Set<string>();
  let skipped = 0;
  const pages = paginateQuery(
    { client },
    {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      ExpressionAttributeValues: { ':pk': partitionKey },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const parsed = parse(item);
      if (typeof parsed === 'string') {
        skipped += 1;
        reasons.add(parsed);
      } else {
        items.push(parsed);
      }
    }
  }
  return { items, skipped, reasons: [...reasons].sort() };
}

/**
 * A DynamoDB error's name, and what it usually means; never its message, which may quote item values.
 * Shared by the adapters that use the state table.
 */
export function describeDynamoDbError(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  switch (name) {
    case 'ResourceNotFoundException':
      return `${name} (the table does not exist, or not in this region)`;
    case 'AccessDeniedException':
      return `${name} (the function's role may not use the table)`;
    case 'ProvisionedThroughputExceededException':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return `${name} (throttled after the SDK's retries)`;
    case 'ValidationException':
      return `${name} (DynamoDB refused the item)`;
    default:
      return name;
  }
}

function toItem(
  accountId: string,
  state: OpenFindingState,
  observedAt: number,
  tableName: string,
): StateItem {
  const invalid = (what: string): never => {
    throw new StateStoreError(tableName, 'save', `a finding's state has ${what}`);
  };
  if (typeof state.id !== 'string' || state.id === '') invalid('an empty id');
  if (!RULES.has(state.rule)) invalid('an unknown rule');
  if (typeof state.userName !== 'string' || state.userName === '') invalid('an empty userName');
  if (!isInstant(state.firstSeenAt)) invalid('an invalid firstSeenAt');
  if (!isInstant(state.lastSeenAt)) invalid('an invalid lastSeenAt');
  if (state.lastAlertedAt !== undefined && !isInstant(state.lastAlertedAt))
    invalid('an invalid lastAlertedAt');
  if (state.id !== findingId(state)) invalid('an id that does not match its rule, user and key');

  const item: StateItem = {
    [PARTITION_KEY]: accountId,
    [SORT_KEY]: state.id,
    rule: state.rule,
    userName: state.userName,
    firstSeenAt: state.firstSeenAt,
    lastSeenAt: state.lastSeenAt,
    [OBSERVED_AT]: observedAt,
    [TTL_ATTRIBUTE]: expiresAtFor(state.lastSeenAt),
  };
  // Optional attributes are left out, not written as null: the document client refuses undefined values.
  if (state.accessKeyId !== undefined && state.accessKeyId !== '') item.accessKeyId = state.accessKeyId;
  if (state.lastAlertedAt !== undefined) item.lastAlertedAt = state.lastAlertedAt;
  for (const channel of ['slack', 'sns'] as const) {
    const at = state.alertedAt?.[channel];
    if (at !== undefined) {
      if (!isInstant(at)) invalid(`an invalid ${ALERTED_AT[channel]}`);
      item[ALERTED_AT[channel] as 'slackAlertedAt' | 'snsAlertedAt'] = at;
    }
  }
  return item;
}

/** The state in a stored item, its TTL and whether it is a tombstone, or the reason it is not valid state. */
function parseItem(
  item: Record<string, unknown>,
): { state: OpenFindingState; expiresAt: number; resolved: boolean } | string {
  const id = item[SORT_KEY];
  const { rule, userName, accessKeyId, firstSeenAt, lastSeenAt, lastAlertedAt } = item;
  const expiresAt = item[TTL_ATTRIBUTE];
  if (typeof id !== 'string' || id === '') return `missing ${SORT_KEY}`;
  if (typeof rule !== 'string' || !RULES.has(rule)) return 'missing or unknown rule';
  if (typeof userName !== 'string' || userName === '') return 'missing userName';
  if (accessKeyId !== undefined && typeof accessKeyId !== 'string') return 'accessKeyId is not a string';
  if (!isInstant(firstSeenAt)) return 'missing or invalid firstSeenAt';
  if (!isInstant(lastSeenAt)) return 'missing or invalid lastSeenAt';
  if (lastAlertedAt !== undefined && !isInstant(lastAlertedAt)) return 'invalid lastAlertedAt';

  const state: OpenFindingState = { id, rule: rule as RuleId, userName, firstSeenAt, lastSeenAt };
  if (accessKeyId !== undefined && accessKeyId !== '') state.accessKeyId = accessKeyId;
  if (lastAlertedAt !== undefined) state.lastAlertedAt = lastAlertedAt;
  for (const channel of ['slack', 'sns'] as const) {
    const at = item[ALERTED_AT[channel]];
    if (at === undefined) continue;
    if (!isInstant(at)) return `invalid ${ALERTED_AT[channel]}`;
    state.alertedAt = { ...state.alertedAt, [channel]: at };
  }
  if (id !== findingId(state)) return `${SORT_KEY} does not match rule, userName and accessKeyId`;
  return {
    resolved: item[RESOLVED_AT] !== undefined,
    state,
    expiresAt:
      typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt : expiresAtFor(lastSeenAt),
  };
}

function isInstant(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}
