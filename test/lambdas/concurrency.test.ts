import { mapWithConcurrency } from '../../lambdas/audit/concurrency';

/** A call that settles when the test says so. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mapWithConcurrency', () => {
  it('keeps the order of the items and never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      for (let i = 0; i < n; i += 1) await tick();
      inFlight -= 1;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('starts no new call after the first failure, and rejects only once the calls in flight settled', async () => {
    const calls = Array.from({ length: 10 }, () => deferred<number>());
    const started: number[] = [];
    let settled = false;
    const run = mapWithConcurrency([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, (i) => {
      started.push(i);
      return calls[i]!.promise;
    }).finally(() => {
      settled = true;
    });
    run.catch(() => undefined);
    await tick();
    expect(started).toEqual([0, 1, 2]);
    calls[0]!.reject(new Error('AccessDenied'));
    await tick();
    expect(started).toEqual([0, 1, 2]); // nothing new after the failure
    expect(settled).toBe(false); // 1 and 2 are still in flight
    calls[1]!.resolve(1);
    await tick();
    expect(settled).toBe(false);
    calls[2]!.reject(new Error('a later failure'));
    await expect(run).rejects.toThrow('AccessDenied');
    expect(started).toEqual([0, 1, 2]);
  });

  it('resolves to an empty list for no items', async () => {
    await expect(mapWithConcurrency([], 4, async () => 1)).resolves.toEqual([]);
  });
});
