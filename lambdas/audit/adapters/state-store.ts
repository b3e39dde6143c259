/**
 * The state of open findings between audits, in a DynamoDB table: one item per open finding, keyed by account
 * and finding id, saying when it was first seen, last seen and last alerted.
 *
 * Table design (the stack's table uses the constants exported here):
 * - partition key `pk` (S): the account id, so one table can hold several accounts;
 * - sort key `sk` (S): the finding id (`rule|user|key`, `findingId` in domain/types.ts);
 * - `rule`, `userName`, `accessKeyId` (absent for findings without a key), `firstSeenAt`, `lastSeenAt`,
 *   `lastAlertedAt` (absent until alerted): ISO 8601 strings;
 * - `expiresAt` (N, epoch seconds): the TTL attribute, `lastSeenAt` + 90 days, so DynamoDB deletes the items of
 *   findings no audit sees again.
 *
 * Reads are one paginated Query of the account's partition (never a Scan); writes are BatchWriteItem in chunks of
 * 25 with bounded retries of unprocessed items. Every failure is a `StateStoreError` whose message names the table
 * and the operation and never contains item values, so the caller can say why in the report.
 */
import type { OpenFindingState } from '../domain/changes';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  paginateQuery,
  type BatchWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { DAY_MS } from '../domain/time';
import { findingId, RULE_IDS, type RuleId } from '../domain/types';

export type { OpenFindingState };

/** The table's partition key (S): the account id. */
export const PARTITION_KEY = 'pk';
/** The table's sort key (S): the finding id. */
export const SORT_KEY = 'sk';
/** The table's TTL attribute (N, epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';
/** An item expires this many days after the finding was last seen. */
export const STATE_TTL_DAYS = 90;

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_MAX_ITEMS = 25;
/** Default tries of one batch, the first included, before unprocessed items are an error. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Default pause before the first retry of unprocessed items; doubled each retry up to `MAX_BACKOFF_MS`. */
export const DEFAULT_BASE_DELAY_MS = 50;
const MAX_BACKOFF_MS = 2000;

export type StateStoreOperation = 'load' | 'save';

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
  /** Tries of one batch, the first included, before its unprocessed items are an error. Default 5. */
  maxAttempts?: number;
  /** Pause before the first retry; doubled for each later one, at most 2 s. Default 50 ms. */
  baseDelayMs?: number;
  /** Injected so tests do not wait. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Told once per load when items were skipped as invalid (the handler logs it). */
  onSkippedItems?: (skipped: SkippedItems) => void;
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
  [TTL_ATTRIBUTE]: number;
}

type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

const RULES: ReadonlySet<string> = new Set(RULE_IDS);

/** `lastSeenAt` + 90 days, in epoch seconds: the item's TTL. */
export function expiresAtFor(lastSeenAt: string): number {
  return Math.floor((Date.parse(lastSeenAt) + STATE_TTL_DAYS * DAY_MS) / 1000);
}

export class StateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onSkippedItems: ((skipped: SkippedItems) => void) | undefined;

  /** A `DynamoDBClient` is wrapped in a document client; a document client is used as it is. */
  constructor(
    client: DynamoDBDocumentClient | DynamoDBClient,
    readonly tableName: string,
    options: StateStoreOptions = {},
  ) {
    this.client = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client);
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    this.baseDelayMs = Math.max(0, options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.onSkippedItems = options.onSkippedItems;
  }

  /**
   * The open findings of `accountId` from earlier audits: one strongly consistent, paginated Query of the account's
   * partition. With `userNames`, only those users' findings (filtered here: ids start with the rule, not the user).
   * Items that are not valid state are skipped and counted (`onSkippedItems`), not returned.
   */
  async load(accountId: string, options: LoadOptions = {}): Promise<OpenFindingState[]> {
    requireAccountId(accountId, this.tableName, 'load');
    const users = options.userNames ? new Set(options.userNames) : undefined;
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
      .filter((parsed) => nowSeconds === undefined || parsed.expiresAt > nowSeconds)
      .filter((parsed) => !users || users.has(parsed.state.userName))
      .map((parsed) => parsed.state);
    if (skipped > 0) {
      this.onSkippedItems?.({ tableName: this.tableName, count: skipped, reasons });
    }
    return states;
  }

  /**
   * Writes `upserts` (whole items, replacing any earlier state of the same id) and deletes the items of the ids
   * in `deletes`, for `accountId`. An id both upserted and deleted is upserted: keeping state loses nothing, and a
   * finding's state that is no longer needed expires by TTL. Every upsert is checked before anything is written.
   * Batches are written in order; if one fails, the batches before it stay written.
   */
  async save(accountId: string, upserts: OpenFindingState[], deletes: string[]): Promise<void> {
    requireAccountId(accountId, this.tableName, 'save');
    const requests = new Map<string, WriteRequest>();
    for (const id of deletes) {
      if (typeof id !== 'string' || id === '') {
        throw new StateStoreError(this.tableName, 'save', 'a finding id to delete is empty');
      }
      requests.set(id, { DeleteRequest: { Key: { [PARTITION_KEY]: accountId, [SORT_KEY]: id } } });
    }
    for (const state of upserts) {
      requests.set(state.id, { PutRequest: { Item: toItem(accountId, state, this.tableName) } });
    }

    const all = [...requests.values()];
    for (let start = 0; start < all.length; start += BATCH_WRITE_MAX_ITEMS) {
      await this.writeBatch(all.slice(start, start + BATCH_WRITE_MAX_ITEMS));
    }
  }

  /** One BatchWriteItem, then its unprocessed items again with exponential backoff, `maxAttempts` tries in all. */
  private async writeBatch(batch: WriteRequest[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; ; attempt += 1) {
      let unprocessed: WriteRequest[];
      try {
        const res = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        unprocessed = unprocessedOf(res.UnprocessedItems, this.tableName);
      } catch (error) {
        throw new StateStoreError(this.tableName, 'save', describeDynamoDbError(error), { cause: error });
      }
      if (unprocessed.length === 0) return;
      if (attempt >= this.maxAttempts) {
        throw new StateStoreError(
          this.tableName,
          'save',
          `${unprocessed.length} of ${batch.length} items of a batch were still unprocessed after ${attempt} tries`,
        );
      }
      pending = unprocessed;
      await this.sleep(Math.min(this.baseDelayMs * 2 ** (attempt - 1), MAX_BACKOFF_MS));
    }
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

function unprocessedOf(
  unprocessed: Record<string, WriteRequest[]> | undefined,
  tableName: string,
): WriteRequest[] {
  if (!unprocessed) return [];
  const requests = unprocessed[tableName];
  return Array.isArray(requests) ? requests : [];
}

function toItem(accountId: string, state: OpenFindingState, tableName: string): StateItem {
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
    [TTL_ATTRIBUTE]: expiresAtFor(state.lastSeenAt),
  };
  // Optional attributes are left out, not written as null: the document client refuses undefined values.
  if (state.accessKeyId !== undefined && state.accessKeyId !== '') item.accessKeyId = state.accessKeyId;
  if (state.lastAlertedAt !== undefined) item.lastAlertedAt = state.lastAlertedAt;
  return item;
}

/** The state in a stored item and its TTL, or the reason it is not valid state. */
function parseItem(item: Record<string, unknown>): { state: OpenFindingState; expiresAt: number } | string {
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
  if (id !== findingId(state)) return `${SORT_KEY} does not match rule, userName and accessKeyId`;
  return {
    state,
    expiresAt:
      typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt : expiresAtFor(lastSeenAt),
  };
}

function isInstant(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}
