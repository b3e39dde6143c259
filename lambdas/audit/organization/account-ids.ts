/** Account ids, checked without loading the Organizations client (the CDK app validates its props with this). */

/** An AWS account id: 12 digits. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/**
 * Throws unless every entry of `list` is a 12-digit account id; the message names the prop, the entry and its
 * value. Absent stays absent. For the stack's synth-time validation of `include` and `exclude`.
 */
export function validateAccountIds(list: readonly string[] | undefined, name: string): string[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) {
    throw new Error(`${name} must be a list of 12-digit AWS account ids; got ${JSON.stringify(list)}`);
  }
  list.forEach((value: unknown, index) => {
    if (typeof value !== 'string' || !ACCOUNT_ID_PATTERN.test(value)) {
      throw new Error(
        `${name}[${index}] must be a 12-digit AWS account id (digits only, no dashes); got ${JSON.stringify(value)}`,
      );
    }
  });
  return [...list];
}
