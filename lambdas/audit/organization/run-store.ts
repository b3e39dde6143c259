/**
 * The accounts' results of one organization run, in the audit state table: Step Functions caps a state's payload at
 * 256 KiB, so each Map item stores its account's result here and the aggregate step reads them all back.
 *
 * Items share the state table (its key schema is in adapters/state-store.ts):
 * - partition key `pk`: `run#<runId>`, which no account id (12 digits) can be, so runs and finding state never mix;
 * - sort key `sk`: the account id;
 * - `result` (S): the `AccountResult` as JSON, kept under {@link MAX_RESULT_BYTES} by dropping its least severe
 *   findings (counted in `findingsOmitted`): DynamoDB refuses items over 400 KB;
 * - `expiresAt` (N, epoch seconds): the TTL, the result's `auditedAt` + 7 days (the run's time, not a clock read
 *   here), so DynamoDB deletes old runs.
 *
 * Every failure is a `RunStoreError` naming the table, the operation and the run, never item values.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describeDynamoDbError, queryPartition, type Partition } from '../adapters/state-store';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../adapters/state-table-keys';
import { DAY_MS } from '../domain/time';
import type { AccountResult } from '../domain/organization';

/** A run's results expire this many days after the account's audit. */
export const RUN_RESULT_TTL_DAYS = 7;
/** The most UTF-8 bytes of a stored result's JSON: DynamoDB's item limit is 400 KB, keys and names included. */
export const MAX_RESULT_BYTES = 350 * 1024;
/** The attribute holding the result's JSON. */
export const RESULT_ATTRIBUTE = 'result';

export type RunStoreOperation = 'put' | 'list';

export class RunStoreError extends Error {
  override name = 'RunStoreError';

  constructor(
    readonly tableName: string,
    readonly operation: RunStoreOperation,
    readonly runId: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `could not ${operation} the account results of run ${runId} in DynamoDB table ${tableName}: ${detail}`,
      options,
    );
  }
}

/** Items a `list` skipped because they are not valid results, with the reasons (never values). */
export interface SkippedResults {
  tableName: string;
  runId: string;
  count: number;
  /** Each distinct reason once, e.g. `result is not valid JSON`. */
  reasons: string[];
}

export interface RunStoreOptions {
  /** Told once per `list` when items were skipped as invalid (the aggregate step logs it); their accounts then
   * show as having no result. */
  onSkippedResults?: (skipped: SkippedResults) => void;
}

/** The partition of run `runId`'s results. */
export function runPartitionKey(runId: string): string {
  return `run#${runId}`;
}

export class RunStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly onSkippedResults: ((skipped: SkippedResults) => void) | undefined;

  /** A `DynamoDBClient` is wrapped in a document client; a document client is used as it is. */
  constructor(
    client: DynamoDBDocumentClient | DynamoDBClient,
    readonly tableName: string,
    options: RunStoreOptions = {},
  ) {
    this.client = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client);
    this.onSkippedResults = options.onSkippedResults;
  }

  /**
   * Stores `result` as the result of its account in run `runId`, replacing any earlier one (a retried Map item).
   * A result whose JSON exceeds {@link MAX_RESULT_BYTES} is stored without its least severe findings.
   */
  async put(runId: string, result: AccountResult): Promise<void> {
    const fail = (detail: string, cause?: unknown): never => {
      throw new RunStoreError(
        this.tableName,
        'put',
        runId,
        detail,
        cause === undefined ? undefined : { cause },
      );
    };
    if (typeof runId !== 'string' || runId === '') fail('the run id is empty');
    if (typeof result.accountId !== 'string' || result.accountId === '') fail('the account id is empty');
    const auditedAt = Date.parse(result.auditedAt);
    if (Number.isNaN(auditedAt)) fail('the result has an invalid auditedAt');
    const json =
      fitResult(result) ?? fail(`the result exceeds ${MAX_RESULT_BYTES} bytes even without findings`);

    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PARTITION_KEY]: runPartitionKey(runId),
            [SORT_KEY]: result.accountId,
            [RESULT_ATTRIBUTE]: json,
            [TTL_ATTRIBUTE]: Math.floor((auditedAt + RUN_RESULT_TTL_DAYS * DAY_MS) / 1000),
          },
        }),
      );
    } catch (error) {
      fail(describeDynamoDbError(error), error);
    }
  }

  /** Every result stored for run `runId`, by account id: one strongly consistent, paginated Query. */
  async list(runId: string): Promise<AccountResult[]> {
    if (typeof runId !== 'string' || runId === '') {
      throw new RunStoreError(this.tableName, 'list', runId, 'the run id is empty');
    }
    let partition: Partition<AccountResult>;
    try {
      partition = await queryPartition(this.client, this.tableName, runPartitionKey(runId), parseItem);
    } catch (error) {
      throw new RunStoreError(this.tableName, 'list', runId, describeDynamoDbError(error), { cause: error });
    }
    const { items: results, skipped, reasons } = partition;
    if (skipped > 0) {
      this.onSkippedResults?.({ tableName: this.tableName, runId, count: skipped, reasons });
    }
    return results;
  }
}

function byteLength(json: string): number {
  return Buffer.byteLength(json, 'utf8');
}

/**
 * The JSON of `result`, or of `result` keeping only as many of its first (most severe) findings as fit in
 * {@link MAX_RESULT_BYTES}, the others added to `findingsOmitted`; undefined when even no findings do not fit.
 */
function fitResult(result: AccountResult): string | undefined {
  const json = JSON.stringify(result);
  if (byteLength(json) <= MAX_RESULT_BYTES) return json;

  const total = result.findings.length;
  const keeping = (count: number): string =>
    JSON.stringify({
      ...result,
      findings: result.findings.slice(0, count),
      findingsOmitted: result.findingsOmitted + total - count,
    });
  let best = keeping(0);
  if (byteLength(best) > MAX_RESULT_BYTES) return undefined;
  // The largest count that fits, by bisection: `low` always fits, `high` never does.
  let low = 0;
  let high = total;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const candidate = keeping(middle);
    if (byteLength(candidate) <= MAX_RESULT_BYTES) {
      low = middle;
      best = candidate;
    } else {
      high = middle;
    }
  }
  return best;
}

/** The result in a stored item, or the reason it is not a valid result. */
function parseItem(item: Record<string, unknown>): AccountResult | string {
  const raw = item[RESULT_ATTRIBUTE];
  if (typeof raw !== 'string') return `missing ${RESULT_ATTRIBUTE}`;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return `${RESULT_ATTRIBUTE} is not valid JSON`;
  }
  if (typeof value !== 'object' || value === null) return `${RESULT_ATTRIBUTE} is not an object`;
  const result = value as Partial<AccountResult>;
  if (typeof result.accountId !== 'string' || result.accountId !== item[SORT_KEY]) {
    return `${RESULT_ATTRIBUTE} is not of the account in ${SORT_KEY}`;
  }
  if (result.status !== 'audited' && result.status !== 'failed') return 'missing or unknown status';
  if (typeof result.accountName !== 'string') return 'missing accountName';
  if (typeof result.auditedAt !== 'string') return 'missing auditedAt';
  if (!Array.isArray(result.findings)) return 'missing findings';
  if (typeof result.findingsOmitted !== 'number') return 'missing findingsOmitted';
  if (typeof result.exempted !== 'number') return 'missing exempted';
  return { ...result, accountAlias: result.accountAlias ?? null } as AccountResult;
}
