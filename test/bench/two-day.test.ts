import { renderTwoDay, runTwoDayCase } from '../../bench/two-day';

jest.setTimeout(60_000);

describe('the two-day key index case, at a smaller scale', () => {
  it('day two stays within changed + newly flagged + ceil(users/1000) + 10 calls, with the findings of a fully live audit', async () => {
    const result = await runTwoDayCase(
      {
        users: 400,
        flaggedShare: 0.2,
        changedShare: 0.05,
        crossingShare: 0.02,
        latencyMs: 0,
        ratePerSecond: null,
        seed: 3,
        now: '2026-06-01T00:00:00Z',
        concurrency: 8,
        naive: false,
      },
      () => undefined,
    );
    expect(result.changedUsers).toBe(20);
    expect(result.newlyFlaggedUsers).toBeGreaterThanOrEqual(8);
    expect(result.budgets.map((b) => `${b.status} ${b.budget}`)).toEqual(
      result.budgets.map((b) => `PASS ${b.budget}`),
    );
    const [dayOne, dayTwo, live] = result.runs;
    expect(dayTwo?.totalCalls).toBeLessThanOrEqual(result.changedUsers + result.newlyFlaggedUsers + 1 + 10);
    expect(dayTwo?.verification?.keyIndex).toBe('used');
    expect(dayTwo?.verification?.fromIndex).toBeGreaterThan(50);
    // The fully live audit of the same state lists every flagged user's keys again.
    expect(live?.calls.ListAccessKeys).toBeGreaterThan(3 * (dayTwo?.calls.ListAccessKeys ?? 0));
    expect(dayOne?.calls.ListAccessKeys).toBe(result.flaggedDayOne);
    expect(result.comparisons.dayTwoVsLive.identical).toBe(true);
    expect(renderTwoDay(result)).toContain('day two (key index)');
  });
});
