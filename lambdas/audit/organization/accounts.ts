/**
 * The member accounts an organization audit covers: Organizations ListAccounts (paginated), ACTIVE accounts only,
 * narrowed by the include and exclude lists of the stack props.
 */
import { ACCOUNT_ID } from '../domain/patterns';
import { paginateListAccounts, type Account, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { OrgAccount } from '../domain/organization';

/** Which accounts to audit, from the stack props. */
export interface AccountFilter {
  /** When given, only these account ids (those of them that are ACTIVE members). */
  include?: string[];
  /** These account ids are never audited, even when included. */
  exclude?: string[];
}

/** An AWS account id: 12 digits. */

/** ListAccounts returns at most 20 accounts a page. */
const LIST_ACCOUNTS_PAGE_SIZE = 20;

/**
 * The ACTIVE accounts of the organization that `filter` lets through, sorted by name, then id. An account is
 * ACTIVE when its `State` is ACTIVE or, for an answer without `State`, its `Status` (retired by AWS on
 * 9 September 2026) is. Suspended, closed, closing and not yet activated accounts are left out: their roles
 * cannot be assumed. Errors of Organizations are rethrown as they are: without the list there is no run.
 */
export async function listAuditableAccounts(
  org: OrganizationsClient,
  filter: AccountFilter = {},
): Promise<OrgAccount[]> {
  const include = filter.include ? new Set(filter.include) : undefined;
  const exclude = new Set(filter.exclude ?? []);
  const accounts = new Map<string, OrgAccount>();

  const pages = paginateListAccounts({ client: org, pageSize: LIST_ACCOUNTS_PAGE_SIZE }, {});
  for await (const page of pages) {
    for (const account of page.Accounts ?? []) {
      const accountId = account.Id;
      if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) {
        throw new Error(
          `Organizations ListAccounts returned an account whose Id is not 12 digits: ${JSON.stringify(accountId ?? null)}`,
        );
      }
      if (!isActive(account)) continue;
      if (include && !include.has(accountId)) continue;
      if (exclude.has(accountId)) continue;
      accounts.set(accountId, { accountId, name: account.Name || accountId });
    }
  }
  return [...accounts.values()].sort(compareAccounts);
}

function isActive(account: Account): boolean {
  return account.State !== undefined ? account.State === 'ACTIVE' : account.Status === 'ACTIVE';
}

/** By name (ignoring case, then exactly), then id. */
function compareAccounts(a: OrgAccount, b: OrgAccount): number {
  return (
    compareText(a.name.toLowerCase(), b.name.toLowerCase()) ||
    compareText(a.name, b.name) ||
    compareText(a.accountId, b.accountId)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * An account id the organization does not list for audit: not a member, not ACTIVE, excluded, or not included.
 * The data perimeter: the function never assumes a role in such an account, whoever names it.
 */
export class AccountNotListedError extends Error {
  override name = 'AccountNotListedError';

  constructor(readonly accountId: string) {
    super(
      `account ${accountId} is not one the organization lists for audit (an ACTIVE member, included and not excluded); no role was assumed in it`,
    );
  }
}

/** The account of `listed` with id `accountId`; throws {@link AccountNotListedError} when there is none. */
export function requireListed(listed: readonly OrgAccount[], accountId: string): OrgAccount {
  const account = listed.find((a) => a.accountId === accountId);
  if (!account) throw new AccountNotListedError(accountId);
  return account;
}

/**
 * `load`, called at most once per `maxAgeMs` (a failed load is not kept): the containers auditing the accounts
 * of one run share one listing each, rather than listing the organization once per account.
 */
export function reuseFor<T>(maxAgeMs: number, load: () => Promise<T>, clock: () => number = Date.now) {
  let cached: { at: number; value: Promise<T> } | undefined;
  return (): Promise<T> => {
    const now = clock();
    if (!cached || now - cached.at > maxAgeMs) {
      const value = load();
      cached = { at: now, value };
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return cached.value;
  };
}

export { validateAccountIds } from './account-ids';
