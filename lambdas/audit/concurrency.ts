/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the items' order.
 *
 * Fails fast: the first rejection stops new work (no further item is started), and the returned promise rejects
 * with that first error only once every call already in flight has settled, so nothing this function started is
 * still running after it returns (a warm Lambda's next invocation would otherwise inherit stray IAM calls).
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: items.length === 0 ? 0 : workers }, worker));
  if (failure) throw failure.error;
  return results;
}
