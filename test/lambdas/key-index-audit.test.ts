/**
 * The key index end to end (issue 15): the real engine, SDK clients and IAM gateway against the wire-protocol fake
 * IAM, the index kept in dynalite by the real store, wired as the handler wires it (load before the audit, save
 * after). Day one verifies every flagged user live and saves the index; day two, with a fresh credential report,
 * lists the keys only of users whose report row changed or who are newly flagged.
 */
import { createAwsClients } from '../../lambdas/audit/adapters/aws-clients';
import { IamGateway } from '../../lambdas/audit/adapters/iam';
import { KeyIndexStore, saveKeyIndex } from '../../lambdas/audit/adapters/key-index-store';
import { StateStore } from '../../lambdas/audit/adapters/state-store';
import { validateAuditConfig, type AuditConfigInput } from '../../lambdas/audit/config';
import type { AuditReport } from '../../lambdas/audit/domain/report';
import { audit } from '../../lambdas/audit/engine';
import type { FakeIamAccount } from '../../tools/fake-iam/account';
import { buildSampleAccount } from '../../tools/fake-iam/sample-account';
import { startFakeIamServer } from '../../tools/fake-iam/server';
import { startDynalite, type Dynalite } from '../support/dynalite';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = new Date('2026-11-28T09:00:00Z');
const DAY_TWO = new Date(NOW.getTime() + DAY);
const ACCOUNT_ID = '123456789012';
const TABLE = 'audit-state';

jest.setTimeout(30_000);

let db: Dynalite;
let table = 0;
let store: KeyIndexStore;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.close());
beforeEach(async () => {
  table += 1;
  await db.createTable(`${TABLE}-${table}`);
  store = new KeyIndexStore(db.client, `${TABLE}-${table}`);
});

interface Run {
  report: AuditReport;
  /** The users whose keys were listed (ListAccessKeys), sorted. */
  listed: string[];
  calls: Record<string, number>;
}

/** One audit wired as the handler wires it: the index loaded before, the returned one saved after. */
async function auditAt(
  account: FakeIamAccount,
  now: Date,
  options: {
    dryRun?: boolean;
    users?: string[];
    config?: AuditConfigInput;
    noIndex?: boolean;
    reportMode?: 'access-denied';
  } = {},
): Promise<Run> {
  const listed: string[] = [];
  const server = await startFakeIamServer(account, {
    now: () => now,
    ...(options.reportMode && { credentialReport: { mode: options.reportMode } }),
    faults: (action, params) => {
      if (action === 'ListAccessKeys' && params.UserName) listed.push(params.UserName);
      return undefined;
    },
  });
  try {
    const clients = createAwsClients({
      maxAttempts: 3,
      endpoint: server.url,
      credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' },
    });
    const iam = IamGateway.fromClients(clients);
    const keyIndex = options.noIndex ? undefined : await store.load(await iam.accountId());
    const { report, keyIndex: next } = await audit(
      { iam, config: validateAuditConfig({ reportWaitSeconds: 5, ...options.config }), pollIntervalMs: 10 },
      { now, dryRun: options.dryRun, users: options.users, keyIndex },
    );
    if (!options.noIndex) expect(await saveKeyIndex(store, report.accountId, next, now)).toBeUndefined();
    return { report, listed: [...new Set(listed)].sort(), calls: { ...server.stats.callsByAction } };
  } finally {
    await server.close();
  }
}

/** The sample account, plus a user whose key turns 83 days old (key-expiring) overnight. */
function sampleAccount(): FakeIamAccount {
  const account = buildSampleAccount(NOW);
  account.addUser({ userName: 'nearly-due', createDate: new Date(NOW.getTime() - 200 * DAY) });
  account.addKey('nearly-due', {
    createDate: new Date(NOW.getTime() - 82.5 * DAY),
    lastUsed: { date: new Date(NOW.getTime() - HOUR), service: 's3', region: 'eu-west-1' },
  });
  return account;
}

const DAY_ONE_FLAGGED = [
  'analytics',
  'build-agent',
  'data-sync',
  'deploy-bot',
  'former-contractor',
  'legacy-app',
  'monitoring.agent_01',
  'old-cron',
  'reporting-etl',
  'search-indexer',
  'ses-smtp-user.20260301',
  'vendor-sftp',
];
const UNCHANGED = DAY_ONE_FLAGGED.filter(
  (name) => !['build-agent', 'data-sync', 'deploy-bot', 'legacy-app', 'reporting-etl'].includes(name),
);

const keyOf = (account: FakeIamAccount, userName: string, index: number) => {
  const key = account.getUser(userName)?.keys[index];
  if (!key) throw new Error(`${userName} has no key ${index}`);
  return key;
};

/** Overnight, one row changes in each possible way. */
function changeOvernight(account: FakeIamAccount) {
  // A new key in slot 2.
  const added = account.addKey('deploy-bot', { createDate: new Date(DAY_TWO.getTime() - HOUR) });
  // A key deleted (the older of two): the user is healthy now.
  account.deleteKey(keyOf(account, 'data-sync', 0).accessKeyId);
  // A key deactivated.
  account.setKeyStatus(keyOf(account, 'reporting-etl', 0).accessKeyId, 'Inactive');
  // A key re-created in the same slot: slot 2's key deleted and a new one created (a new id the index cannot know).
  account.deleteKey(keyOf(account, 'build-agent', 1).accessKeyId);
  const recreated = account.addKey('build-agent', {
    createDate: new Date(DAY_TWO.getTime() - 2 * HOUR),
    lastUsed: { date: new Date(DAY_TWO.getTime() - HOUR), service: 'ecr', region: 'us-east-1' },
  });
  // An inactive key re-activated.
  account.setKeyStatus(keyOf(account, 'legacy-app', 0).accessKeyId, 'Active');
  return { added: added.accessKeyId, recreated: recreated.accessKeyId };
}

const byUser = (report: AuditReport, userName: string) =>
  report.findings
    .filter((f) => f.userName === userName)
    .map(
      (f) =>
        `${f.rule} ${f.accessKeyId ?? f.keys?.map((k) => `${k.accessKeyId}:${k.status}`).join('+') ?? '-'}`,
    );

describe('the key index across two daily audits', () => {
  it('day one verifies every flagged user live and saves their keys; day two lists only the changed and newly flagged', async () => {
    const account = sampleAccount();
    const dayOne = await auditAt(account, NOW);
    expect(dayOne.listed).toEqual(DAY_ONE_FLAGGED);
    expect(dayOne.report.source.verification).toEqual({
      live: DAY_ONE_FLAGGED.length,
      fromIndex: 0,
      keyIndex: 'not used: no key index yet',
    });
    const saved = await store.load(ACCOUNT_ID);
    expect(saved.status === 'loaded' && [...saved.index.users.keys()].sort()).toEqual(DAY_ONE_FLAGGED);
    expect(saved.status === 'loaded' && saved.index.verifiedAt).toBe(NOW.toISOString());

    const { added, recreated } = changeOvernight(account);
    const dayTwo = await auditAt(account, DAY_TWO);
    // Changed rows that are still flagged, and the newly flagged user; data-sync changed but is healthy now.
    expect(dayTwo.listed).toEqual(['build-agent', 'deploy-bot', 'legacy-app', 'nearly-due', 'reporting-etl']);
    expect(dayTwo.report.source.verification).toEqual({
      live: 5,
      fromIndex: UNCHANGED.length,
      keyIndex: 'used',
    });
    expect(dayTwo.calls.GetAccessKeyLastUsed ?? 0).toBe(0);

    // Each change reported right.
    // One finding for the pair: the old key's age is among the rules that fired on it.
    const pair = dayTwo.report.findings.find((f) => f.userName === 'deploy-bot' && f.rule === 'two-keys');
    expect(
      pair?.keys?.find((k) => k.accessKeyId === keyOf(account, 'deploy-bot', 0).accessKeyId)?.rules,
    ).toContain('key-too-old');
    expect(byUser(dayTwo.report, 'deploy-bot').join('\n')).toContain(`two-keys `);
    expect(byUser(dayTwo.report, 'deploy-bot').join('\n')).toContain(added);
    expect(byUser(dayTwo.report, 'data-sync')).toEqual([]);
    expect(byUser(dayTwo.report, 'reporting-etl').sort()).toEqual([
      `inactive-key ${keyOf(account, 'reporting-etl', 0).accessKeyId}`,
      'invalid-exemption -',
    ]);
    expect(byUser(dayTwo.report, 'build-agent').join('\n')).toContain(recreated);
    expect(byUser(dayTwo.report, 'legacy-app').join('\n')).not.toContain('Inactive');
    expect(byUser(dayTwo.report, 'nearly-due')).toEqual([
      `key-expiring ${keyOf(account, 'nearly-due', 0).accessKeyId}`,
    ]);

    // The same findings, to the last field, as a fully live audit of the same state.
    const live = await auditAt(account, DAY_TWO, { noIndex: true });
    expect(live.report.source.verification?.fromIndex).toBe(0);
    expect(live.listed.length).toBeGreaterThan(dayTwo.listed.length);
    expect(dayTwo.report.findings).toEqual(live.report.findings);
    expect(dayTwo.report.exempted).toEqual(live.report.exempted);
    expect(dayTwo.report.summary).toEqual(live.report.summary);

    // The index now holds the new keys, and still ages from day one's full verification.
    const after = await store.load(ACCOUNT_ID);
    if (after.status !== 'loaded') throw new Error(after.status);
    expect(after.index.verifiedAt).toBe(NOW.toISOString());
    expect(after.index.users.get('build-agent')?.map((k) => k.accessKeyId)).toContain(recreated);
    expect(after.index.users.get('deploy-bot')?.map((k) => k.accessKeyId)).toContain(added);
    expect(after.index.users.has('data-sync')).toBe(false);
    expect(after.index.users.has('nearly-due')).toBe(true);
  });

  it('an index older than the bound forces a full verification, which starts the index again', async () => {
    const account = sampleAccount();
    await auditAt(account, NOW);
    const later = new Date(NOW.getTime() + 3 * DAY);
    const run = await auditAt(account, later, { config: { keyIndexMaxAgeDays: 2 } });
    expect(run.report.source.verification).toEqual({
      live: run.listed.length,
      fromIndex: 0,
      keyIndex: 'not used: key index older than 2 days',
    });
    expect(run.listed).toEqual(expect.arrayContaining(DAY_ONE_FLAGGED.filter((n) => n !== 'data-sync')));
    const saved = await store.load(ACCOUNT_ID);
    expect(saved.status === 'loaded' && saved.index.verifiedAt).toBe(later.toISOString());
  });

  it('within the bound (default 7 days) the index is used; keyIndexMaxAgeDays 0 turns it off', async () => {
    const account = sampleAccount();
    await auditAt(account, NOW);
    const used = await auditAt(account, new Date(NOW.getTime() + 6 * HOUR));
    expect(used.report.source.verification).toMatchObject({ live: 0, keyIndex: 'used' });
    expect(used.listed).toEqual([]);
    const off = await auditAt(account, new Date(NOW.getTime() + 12 * HOUR), {
      config: { keyIndexMaxAgeDays: 0 },
    });
    expect(off.listed).toEqual(DAY_ONE_FLAGGED);
  });

  it('a stale (cached) credential report never uses the index', async () => {
    const account = sampleAccount();
    await auditAt(account, NOW);
    changeOvernight(account);
    // IAM hands out the report it generated two hours ago (it is younger than four hours).
    account.generateCredentialReport(new Date(DAY_TWO.getTime() - 2 * HOUR));
    const run = await auditAt(account, DAY_TWO);
    expect(run.report.source).toMatchObject({
      type: 'credential-report',
      generatedAt: new Date(DAY_TWO.getTime() - 2 * HOUR).toISOString(),
      verification: { fromIndex: 0, keyIndex: 'not used: the credential report is not fresh' },
    });
    expect(run.listed).toEqual(expect.arrayContaining(UNCHANGED));
  });

  it('an unreadable index is reported and everyone flagged is verified live', async () => {
    const account = sampleAccount();
    await auditAt(account, NOW);
    await store.save(
      ACCOUNT_ID,
      {
        verifiedAt: NOW.toISOString(),
        users: new Map([['x', [{ accessKeyId: 'bad id', status: 'Active', createdAt: NOW.toISOString() }]]]),
      },
      NOW,
    );
    const run = await auditAt(account, new Date(NOW.getTime() + HOUR));
    expect(run.report.source.verification).toEqual({
      live: DAY_ONE_FLAGGED.length,
      fromIndex: 0,
      keyIndex: 'not used: key index unreadable: a key id is invalid',
    });
  });

  it('without a credential report everyone is listed live, and the index then holds every user with keys', async () => {
    const account = sampleAccount();
    await auditAt(account, NOW);
    const run = await auditAt(account, new Date(NOW.getTime() + HOUR), { reportMode: 'access-denied' });
    expect(run.report.source).toMatchObject({
      type: 'live',
      verification: { live: account.userCount, fromIndex: 0, keyIndex: 'not used: no credential report' },
    });
    const saved = await store.load(ACCOUNT_ID);
    // Every user but alice.admin, who has no key.
    expect(saved.status === 'loaded' && saved.index.users.size).toBe(account.userCount - 1);
    // Five hours on, IAM generates a new report (day one's expired after four): fresh, so the index is used.
    const next = await auditAt(account, new Date(NOW.getTime() + 5 * HOUR));
    expect(next.listed).toEqual([]);
    expect(next.report.source.verification).toMatchObject({
      fromIndex: DAY_ONE_FLAGGED.length,
      keyIndex: 'used',
    });
  });

  it('a dry run reads the index and writes nothing', async () => {
    const account = sampleAccount();
    await auditAt(account, NOW);
    changeOvernight(account);
    const dry = await auditAt(account, DAY_TWO, { dryRun: true });
    expect(dry.report.source.verification).toMatchObject({ fromIndex: UNCHANGED.length, keyIndex: 'used' });
    const saved = await store.load(ACCOUNT_ID);
    // Still day one's: build-agent's re-created key is not in it.
    expect(saved.status === 'loaded' && saved.index.users.has('data-sync')).toBe(true);
  });

  it('a manual re-audit of named users is fully live and refreshes only their entries', async () => {
    const account = sampleAccount();
    await auditAt(account, NOW);
    const { recreated } = changeOvernight(account);
    const run = await auditAt(account, DAY_TWO, { users: ['build-agent', 'data-sync', 'nobody'] });
    expect(run.listed).toEqual(['build-agent', 'data-sync']);
    expect(run.calls.GetAccessKeyLastUsed).toBeGreaterThan(0);
    expect(run.report.source.verification).toEqual({
      live: 2,
      fromIndex: 0,
      keyIndex: 'not used: manual re-audit',
    });
    const saved = await store.load(ACCOUNT_ID);
    if (saved.status !== 'loaded') throw new Error(saved.status);
    expect(saved.index.verifiedAt).toBe(NOW.toISOString());
    expect(saved.index.users.get('build-agent')?.map((k) => k.accessKeyId)).toContain(recreated);
    expect(saved.index.users.get('data-sync')).toHaveLength(1);
    // Another changed user keeps its day-one entry (its row no longer matches, so it is verified live anyway).
    expect(saved.index.users.get('deploy-bot')).toHaveLength(1);
  });

  it('keeps the index apart from the findings state: the state store sees none of its items', async () => {
    const account = sampleAccount();
    await auditAt(account, NOW);
    const skipped: unknown[] = [];
    const state = new StateStore(db.client, `${TABLE}-${table}`, { onSkippedItems: (s) => skipped.push(s) });
    expect(await state.load(ACCOUNT_ID)).toEqual([]);
    expect(skipped).toEqual([]);
  });
});
