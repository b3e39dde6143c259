/**
 * Lists of account ids, checked without loading the Organizations client. The function checks `ORG_INCLUDE` and
 * `ORG_EXCLUDE` with this at cold start (the stack checks the props' lists with `validateAccountId` in
 * lib/organization.ts; both with `ACCOUNT_ID` from domain/patterns.ts).
 */
import { ACCOUNT_ID } from '../domain/patterns';

/**
 * Throws unless every entry of `list` is a 12-digit account id; the message names the variable, the entry and
 * its value. Absent stays absent.
 */
export function validateAccountIds(list: readonly string[] | undefined, name: string): string[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) {
    throw new Error(`${name} must be a list of 12-digit AWS account ids; got ${JSON.stringify(list)}`);
  }
  list.forEach((value: unknown, index) => {
    if (typeof value !== 'string' || !ACCOUNT_ID.test(value)) {
      throw new Error(
        `${name}[${index}] must be a 12-digit AWS account id (digits only, no dashes); got ${JSON.stringify(value)}`,
      );
    }
  });
  return [...list];
}
