/**
 * The key schema and TTL attribute of the state table, shared by the stores that read and write it (`state-store.ts`,
 * `key-index-store.ts`, `delivery-store.ts`, `organization/run-store.ts`) and the stack that creates it
 * (`lib/constructs/audit-state-table.ts`). Kept apart from the stores so that the CDK app imports names, not the
 * DynamoDB client.
 */
/** The table's partition key (S): the account id. */
export const PARTITION_KEY = 'pk';
/** The table's sort key (S): the finding id. */
export const SORT_KEY = 'sk';
/** The table's TTL attribute (N, epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';
