import { DeliveryStore, type OutboxEntry } from '../../../lambdas/audit/adapters/delivery-store';
import { startDynalite, type Dynalite } from '../../support/dynalite';

const NOW = new Date('2026-11-28T09:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

let db: Dynalite;
let store: DeliveryStore;
let tables = 0;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  tables += 1;
  await db.createTable(`delivery-${tables}`);
  store = new DeliveryStore(db.client, `delivery-${tables}`);
});

function entry(index: number, partial: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: `${NOW.toISOString()}#run-1#slack#${String(index).padStart(4, '0')}`,
    runId: 'run-1',
    createdAt: NOW.toISOString(),
    destination: 'slack',
    channel: 'slack',
    index,
    total: 3,
    message: { text: `message ${index}`, blocks: [] },
    ...partial,
  };
}

describe('the run lease', () => {
  it('is held by one run at a time until it is released or expires', async () => {
    const until = later(960_000);
    await expect(store.acquireLease('123456789012', 'run-a', NOW, until)).resolves.toEqual({
      acquired: true,
    });
    await expect(store.acquireLease('123456789012', 'run-b', later(1_000), until)).resolves.toMatchObject({
      acquired: false,
    });
    // Another account's lease is another lease.
    await expect(store.acquireLease('210987654321', 'run-b', later(1_000), until)).resolves.toEqual({
      acquired: true,
    });
    // Released by its owner only.
    await store.releaseLease('123456789012', 'run-b');
    await expect(store.acquireLease('123456789012', 'run-c', later(2_000), until)).resolves.toMatchObject({
      acquired: false,
    });
    await store.releaseLease('123456789012', 'run-a');
    await expect(store.acquireLease('123456789012', 'run-c', later(3_000), until)).resolves.toEqual({
      acquired: true,
    });
    // An expired lease is taken over; its old owner's release then changes nothing.
    await expect(
      store.acquireLease('123456789012', 'run-d', later(961_000), later(2_000_000)),
    ).resolves.toEqual({ acquired: true });
    await store.releaseLease('123456789012', 'run-c');
    await expect(
      store.acquireLease('123456789012', 'run-e', later(962_000), later(2_000_000)),
    ).resolves.toMatchObject({
      acquired: false,
    });
  });
});

describe('the outbox', () => {
  it('keeps each message pending until it is marked delivered, in order, and never adds one twice', async () => {
    const entries = [
      entry(0),
      entry(1),
      entry(2, { findings: [{ accountId: '123456789012', ids: ['a|b|c'] }] }),
    ];
    await store.addPending('123456789012', entries);
    await store.addPending('123456789012', [entry(1, { message: { text: 'changed' } })]);
    await store.markDelivered('123456789012', entries[0]!.id, later(1_000));

    const recorded = await store.entries('123456789012', later(2_000));
    expect(recorded).toEqual([
      { ...entries[0], deliveredAt: later(1_000).toISOString() },
      entries[1],
      entries[2],
    ]);
    expect(await store.entries('210987654321', later(2_000))).toEqual([]);
  });

  it('drops undelivered messages after 14 days', async () => {
    await store.addPending('123456789012', [entry(0)]);
    expect(await store.entries('123456789012', later(13 * 86_400_000))).toHaveLength(1);
    expect(await store.entries('123456789012', later(15 * 86_400_000))).toEqual([]);
  });
});
