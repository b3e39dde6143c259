/** The bench's delivery case at a small scale: the real renderer and adapter against its rate-limited webhook. */
import { DELIVERY_BUDGET, runDeliveryCase } from '../../bench/delivery';

// The time budget is the benchmark's to judge (npm run bench), not a test's: only the message budget is asserted here.
test('a 600-user day-two digest is delivered within the message budget, to a webhook that rate-limits', async () => {
  const result = await runDeliveryCase(
    { users: 600, flaggedShare: 1 / 3, seed: 7, now: '2026-06-01T00:00:00Z', latencyMs: 5 },
    () => undefined,
  );
  expect(result.findings).toBeGreaterThan(150);
  expect(result.messages).toBeLessThanOrEqual(DELIVERY_BUDGET.messages);
  expect(result.largestMessageCharacters).toBeLessThan(10_000);
  expect(result.budgets[0]).toMatchObject({ status: 'PASS', measured: String(result.messages) });
});
