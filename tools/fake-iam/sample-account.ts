/**
 * Accounts to audit: the demo account, which holds a case of every rule, and large synthetic accounts for the
 * benchmark. Every date is relative to the `now` passed in, and ids come from a seeded generator, so the same
 * `now` (and seed) gives the same account.
 */
import { FakeIamAccount, seededRandom, type FakeLastUsed, type FakeTag } from './account';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/** `days` (and `hours`) before `now`, to the whole second as IAM reports times. */
function ago(now: Date, days: number, hours = 0): Date {
  const ms = now.getTime() - days * DAY_MS - hours * HOUR_MS;
  return new Date(Math.floor(ms / 1000) * 1000);
}

const used = (date: Date, service: string, region: string): FakeLastUsed => ({ date, service, region });

/** The UTC day `days` after `now` (before, when negative), as an exemption tag writes it: `YYYY-MM-DD`. */
const day = (now: Date, days: number): string =>
  new Date(now.getTime() + days * DAY_MS).toISOString().slice(0, 10);

/**
 * The demo account "123456789012" ("acme-staging"). With the default thresholds (90 days, warn 7, unused 45):
 * - root: an active access key (`root-access-key`);
 * - `deploy-bot`: 120 days old, used yesterday, with a description tag (`key-too-old`);
 * - `reporting-etl`: 86 days old (`key-expiring`), with an exemption tag whose date does not parse
 *   (`invalid-exemption`);
 * - two keys, one user per rotation step: `data-sync` (old key idle since the new one was created),
 *   `build-agent` (both in use), `legacy-app` (one inactive), `analytics` (a new key created 3 days ago, not yet
 *   used: a rotation in progress, deploy it), `search-indexer` (a new key never used in 60 days: remove it);
 * - `vendor-sftp`: 100 days old but exempted by a tag until 60 days from now (listed under `exempted`);
 * - `old-cron` (whose exemption ran out 3 days ago: `exemption-expired`): last used 60 days ago, `monitoring.agent_01`: never used in 50 days (`key-unused`);
 * - `former-contractor`: an inactive key (`inactive-key`);
 * - `ses-smtp-user.20260301`: an SES SMTP user with an old key;
 * - healthy: `ci+deploy@acme.example` (10 days old, used today), `backup=nightly,eu`, and `alice.admin`
 *   (console only, no keys).
 */
export function buildSampleAccount(now: Date): FakeIamAccount {
  const account = new FakeIamAccount({
    accountId: '123456789012',
    alias: 'acme-staging',
    createDate: ago(now, 1200),
    seed: 20260301,
  });
  account.root.mfaActive = true;
  account.root.passwordLastUsed = ago(now, 5, 3);
  account.addRootKey({
    active: true,
    createDate: ago(now, 400),
    lastUsed: used(ago(now, 3, 2), 'iam', 'us-east-1'),
  });

  const team = (name: string): FakeTag[] => [{ Key: 'team', Value: name }];

  account.addUser({ userName: 'deploy-bot', createDate: ago(now, 400), tags: team('platform') });
  account.addKey('deploy-bot', {
    createDate: ago(now, 120),
    lastUsed: used(ago(now, 1, 2), 'cloudformation', 'us-east-1'),
    description: 'deploy pipeline in github actions',
  });

  account.addUser({
    userName: 'reporting-etl',
    createDate: ago(now, 300),
    tags: [...team('data'), { Key: 'iam-key-auditor:exempt', Value: 'someday when the ETL is rewritten' }],
  });
  account.addKey('reporting-etl', {
    createDate: ago(now, 86),
    lastUsed: used(ago(now, 0, 2), 'athena', 'eu-west-1'),
  });

  account.addUser({ userName: 'data-sync', createDate: ago(now, 200), tags: team('data') });
  account.addKey('data-sync', { createDate: ago(now, 70), lastUsed: used(ago(now, 20), 's3', 'eu-west-1') });
  account.addKey('data-sync', {
    createDate: ago(now, 15),
    lastUsed: used(ago(now, 0, 1), 's3', 'eu-west-1'),
    description: 'nightly sync job on the data cluster',
  });

  account.addUser({ userName: 'build-agent', createDate: ago(now, 250), tags: team('platform') });
  account.addKey('build-agent', {
    createDate: ago(now, 60),
    lastUsed: used(ago(now, 0, 4), 'ecr', 'us-east-1'),
  });
  account.addKey('build-agent', {
    createDate: ago(now, 5),
    lastUsed: used(ago(now, 0, 1), 'ecr', 'us-east-1'),
  });

  account.addUser({ userName: 'legacy-app', createDate: ago(now, 700) });
  account.addKey('legacy-app', {
    createDate: ago(now, 100),
    status: 'Inactive',
    lastUsed: used(ago(now, 40), 'dynamodb', 'us-west-2'),
  });
  account.addKey('legacy-app', {
    createDate: ago(now, 35),
    lastUsed: used(ago(now, 0, 5), 'dynamodb', 'us-west-2'),
  });

  account.addUser({ userName: 'analytics', createDate: ago(now, 180), tags: team('data') });
  account.addKey('analytics', {
    createDate: ago(now, 40),
    lastUsed: used(ago(now, 0, 6), 'redshift', 'eu-west-1'),
  });
  account.addKey('analytics', { createDate: ago(now, 3) });

  account.addUser({ userName: 'search-indexer', createDate: ago(now, 400), tags: team('sre') });
  account.addKey('search-indexer', {
    createDate: ago(now, 80),
    lastUsed: used(ago(now, 0, 3), 'es', 'eu-west-1'),
  });
  account.addKey('search-indexer', { createDate: ago(now, 60) });

  account.addUser({
    userName: 'old-cron',
    createDate: ago(now, 500),
    tags: [{ Key: 'iam-key-auditor:exempt', Value: `${day(now, -3)} waiting for the cron migration` }],
  });
  account.addKey('old-cron', { createDate: ago(now, 80), lastUsed: used(ago(now, 60), 'ec2', 'us-west-2') });

  account.addUser({
    userName: 'vendor-sftp',
    createDate: ago(now, 300),
    tags: [
      ...team('data'),
      {
        Key: 'iam-key-auditor:exempt',
        Value: `${day(now, 60)} the vendor rotates its SFTP key quarterly only`,
      },
    ],
  });
  account.addKey('vendor-sftp', {
    createDate: ago(now, 100),
    lastUsed: used(ago(now, 2), 's3', 'eu-west-2'),
  });

  account.addUser({ userName: 'monitoring.agent_01', createDate: ago(now, 55), tags: team('sre') });
  account.addKey('monitoring.agent_01', { createDate: ago(now, 50) });

  account.addUser({
    userName: 'former-contractor',
    createDate: ago(now, 365),
    password: { lastChanged: ago(now, 300), lastUsed: ago(now, 70) },
  });
  account.addKey('former-contractor', {
    createDate: ago(now, 70),
    status: 'Inactive',
    lastUsed: used(ago(now, 65), 'sts', 'us-east-1'),
  });

  account.addUser({ userName: 'ses-smtp-user.20260301', createDate: ago(now, 150) });
  account.addKey('ses-smtp-user.20260301', {
    createDate: ago(now, 150),
    lastUsed: used(ago(now, 2), 'ses', 'eu-west-1'),
  });

  account.addUser({ userName: 'ci+deploy@acme.example', createDate: ago(now, 90), tags: team('platform') });
  account.addKey('ci+deploy@acme.example', {
    createDate: ago(now, 10),
    lastUsed: used(ago(now, 0, 1), 'codeartifact', 'us-east-1'),
  });

  account.addUser({ userName: 'backup=nightly,eu', createDate: ago(now, 60) });
  account.addKey('backup=nightly,eu', {
    createDate: ago(now, 30),
    lastUsed: used(ago(now, 1), 's3', 'eu-central-1'),
  });

  account.addUser({
    userName: 'alice.admin',
    createDate: ago(now, 900),
    tags: team('platform'),
    password: { lastChanged: ago(now, 40), lastUsed: ago(now, 0, 8) },
    mfaActive: true,
  });

  return account;
}

export interface SyntheticAccountProps {
  /** How many IAM users. */
  users: number;
  /** The share of users (0 to 1) that have a finding; the rest are healthy. */
  flaggedShare: number;
  now: Date;
  /** The same seed (and other props) gives the same account. */
  seed: number;
  /** Default "210987654321". */
  accountId?: string;
}

/** What a synthetic user holds; a user tag `case` carries it, so that a benchmark can check its findings. */
export type SyntheticCase = 'healthy' | 'too-old' | 'unused' | 'never-used' | 'two-keys' | 'inactive';

const FLAGGED_CASES: readonly SyntheticCase[] = ['too-old', 'unused', 'never-used', 'two-keys', 'inactive'];
const NAME_PREFIXES = ['svc', 'app', 'ci', 'etl', 'bot', 'batch'];
const TEAMS = ['platform', 'data', 'payments', 'sre', 'web'];
const SERVICES = ['s3', 'sts', 'dynamodb', 'sqs', 'ec2', 'lambda', 'ecr', 'kms'];
const REGIONS = ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'us-west-2'];

/**
 * A large account: `users` IAM users, about `flaggedShare` of them (rounded) with a finding, chosen at random
 * among too old (91-400 days), unused (last used 46+ days ago), never used (created 46+ days ago), two keys (in
 * one of the four rotation steps) and inactive; the others hold one key created within 80 days and used within
 * the last 10. No root key. Builds 20,000 users in well under a second.
 */
export function buildSyntheticAccount(props: SyntheticAccountProps): FakeIamAccount {
  const { users, flaggedShare, now, seed } = props;
  if (!Number.isInteger(users) || users < 0)
    throw new Error(`users must be a whole number >= 0; got ${users}`);
  if (!(flaggedShare >= 0 && flaggedShare <= 1))
    throw new Error(`flaggedShare must be from 0 to 1; got ${flaggedShare}`);
  const random = seededRandom(seed);
  const between = (low: number, high: number): number => low + random() * (high - low);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const use = (daysAgo: number): FakeLastUsed => used(ago(now, daysAgo), pick(SERVICES), pick(REGIONS));

  const account = new FakeIamAccount({
    accountId: props.accountId ?? '210987654321',
    alias: `synthetic-${users}`,
    createDate: ago(now, 2000),
    seed: seed ^ 0x5eed,
  });

  // Mark exactly round(users * flaggedShare) users, chosen by a partial Fisher-Yates shuffle.
  const flaggedCount = Math.round(users * flaggedShare);
  const order = new Uint32Array(users);
  for (let i = 0; i < users; i++) order[i] = i;
  const flagged = new Uint8Array(users);
  for (let i = 0; i < flaggedCount; i++) {
    const j = i + Math.floor(random() * (users - i));
    const chosen = order[j] as number;
    order[j] = order[i] as number;
    order[i] = chosen;
    flagged[chosen] = 1;
  }

  const width = String(Math.max(users - 1, 0)).length;
  for (let i = 0; i < users; i++) {
    const userCase: SyntheticCase = flagged[i] ? pick(FLAGGED_CASES) : 'healthy';
    const userName = `${NAME_PREFIXES[i % NAME_PREFIXES.length]}-${String(i).padStart(width, '0')}`;
    const tags: FakeTag[] = [{ Key: 'case', Value: userCase }];
    if (random() < 0.4) tags.push({ Key: 'team', Value: pick(TEAMS) });
    const firstKeyAge = {
      healthy: between(1, 80),
      'too-old': between(91, 400),
      unused: between(50, 80),
      'never-used': between(46, 80),
      'two-keys': between(40, 80),
      inactive: between(30, 300),
    }[userCase];
    account.addUser({ userName, createDate: ago(now, firstKeyAge + between(0, 100)), tags });
    const description = random() < 0.2 ? `used by ${userName} in ${pick(TEAMS)}` : undefined;
    const createDate = ago(now, firstKeyAge);

    switch (userCase) {
      case 'healthy':
        account.addKey(userName, {
          createDate,
          lastUsed: use(Math.min(firstKeyAge, between(0, 10))),
          description,
        });
        break;
      case 'too-old':
        account.addKey(userName, { createDate, lastUsed: use(between(0, 10)), description });
        break;
      case 'unused':
        account.addKey(userName, { createDate, lastUsed: use(between(46, firstKeyAge)), description });
        break;
      case 'never-used':
        account.addKey(userName, { createDate, description });
        break;
      case 'inactive':
        account.addKey(userName, {
          createDate,
          status: 'Inactive',
          lastUsed: random() < 0.5 ? use(between(1, firstKeyAge)) : undefined,
          description,
        });
        break;
      case 'two-keys': {
        const newAge = between(5, 30);
        const step = pick(['idle-old', 'both-used', 'one-inactive', 'one-never-used'] as const);
        const oldLastUsed = step === 'idle-old' ? use(between(newAge + 1, firstKeyAge)) : use(between(0, 3));
        account.addKey(userName, {
          createDate,
          status: step === 'one-inactive' ? 'Inactive' : 'Active',
          lastUsed: oldLastUsed,
          description,
        });
        account.addKey(userName, {
          createDate: ago(now, newAge),
          lastUsed: step === 'one-never-used' ? undefined : use(between(0, Math.min(3, newAge))),
        });
        break;
      }
    }
  }
  return account;
}
