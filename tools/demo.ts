/**
 * `npm run demo`: audits the sample account that ships with the repository, with no AWS account or network,
 * twice: yesterday (every finding new) and today (new, resolved, escalated and still-open findings), with the
 * production stage's settings and an in-memory state store, and writes both days' digests side by side.
 * A fake IAM serves the account over IAM's real wire protocol on 127.0.0.1; the real engine and the real SDK
 * clients audit it through the CLI. Extra arguments go to the CLI (`npm run demo -- --json`).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { STAGES } from '../bin/stages';
import { EXIT, main, processOptions } from '../lambdas/audit/cli';
import { DEFAULT_AUDIT_OPTIONS, ENV } from '../lambdas/audit/config';
import { DEFAULT_ESCALATION_DAYS, type OpenFindingState } from '../lambdas/audit/domain/changes';
import type { AuditReport } from '../lambdas/audit/domain/report';
import { DAY_MS } from '../lambdas/audit/domain/time';
import { buildCsv } from '../lambdas/audit/present/csv';
import { buildSlackDigest } from '../lambdas/audit/present/slack';
import { buildSnsMessage } from '../lambdas/audit/present/sns';
import { trackChanges, type StatePort } from '../lambdas/audit/track-changes';
import type { FakeIamAccount } from './fake-iam/account';
import { buildSampleAccount } from './fake-iam/sample-account';
import { startFakeIamServer } from './fake-iam/server';

/** Where the demo writes what it would send; emptied first, so no file of an earlier run is left. */
const OUT_DIR = path.join(__dirname, '..', 'out', 'demo');

/** The production stage's audit settings, as the deployed function gets them (thresholds in its environment). */
export function productionEnv(): Record<string, string> {
  const production = STAGES.find((s) => s.stage === 'production');
  const thresholds = production?.audit?.thresholds ?? {};
  return {
    ...(thresholds.maxKeyAgeDays !== undefined
      ? { [ENV.maxKeyAgeDays]: String(thresholds.maxKeyAgeDays) }
      : {}),
    ...(thresholds.warnDays !== undefined ? { [ENV.warnDays]: String(thresholds.warnDays) } : {}),
    ...(thresholds.unusedDays !== undefined ? { [ENV.unusedDays]: String(thresholds.unusedDays) } : {}),
  };
}

/** A Block Kit Builder link that opens one message. */
export function blockKitBuilderUrl(blocks: unknown): string {
  return `https://app.slack.com/block-kit-builder#${encodeURIComponent(JSON.stringify({ blocks }))}`;
}

/** The state store, in memory: what the DynamoDB table holds between two audits. */
function memoryStore(): StatePort & { states: Map<string, OpenFindingState> } {
  const states = new Map<string, OpenFindingState>();
  return {
    states,
    load: async () => [...states.values()],
    save: async (_accountId, upserts, deletes) => {
      for (const id of deletes) states.delete(id);
      for (const state of upserts) states.set(state.id, state);
    },
    markAlerted: async (_accountId, ids, channel, at) => {
      for (const id of ids) {
        const state = states.get(id);
        if (state)
          states.set(id, { ...state, alertedAt: { ...state.alertedAt, [channel]: at.toISOString() } });
      }
    },
  };
}

/**
 * Writes one day's Slack messages (each pastes into Block Kit Builder), the SNS publish request and the CSV
 * report under `out/demo/<day>/`; returns the files written and a Block Kit Builder link per message.
 */
function writePreviews(day: string, report: AuditReport): { files: string[]; links: string[] } {
  const dir = path.join(OUT_DIR, day);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    files.push(path.relative(process.cwd(), file));
  };
  const messages = buildSlackDigest(report, { clean: DEFAULT_AUDIT_OPTIONS.notifyOnClean });
  messages.forEach((message, i) =>
    write(`slack-message-${i + 1}.json`, `${JSON.stringify({ blocks: message.blocks }, null, 2)}\n`),
  );
  const sns = buildSnsMessage(report);
  write(
    'sns-publish.json',
    `${JSON.stringify(
      {
        Subject: sns.subject,
        MessageStructure: 'json',
        Message: JSON.parse(sns.message) as unknown,
        MessageAttributes: sns.attributes,
      },
      null,
      2,
    )}\n`,
  );
  write('report.csv', buildCsv(report));
  return { files, links: messages.map((m) => blockKitBuilderUrl(m.blocks)) };
}

/** Day one has a user whose key is rotated by day two (resolved); day two a new user with an old key (new). */
function dayOneAccount(now: Date): FakeIamAccount {
  const account = buildSampleAccount(now);
  account.addUser({ userName: 'temp-migration', createDate: new Date(now.getTime() - 300 * DAY_MS) });
  account.addKey('temp-migration', { createDate: new Date(now.getTime() - 130 * DAY_MS) });
  return account;
}

function dayTwoAccount(now: Date): FakeIamAccount {
  const account = buildSampleAccount(now);
  account.addUser({
    userName: 'report-builder',
    createDate: new Date(now.getTime() - 200 * DAY_MS),
    tags: [{ Key: 'team', Value: 'data' }],
  });
  account.addKey('report-builder', {
    createDate: new Date(now.getTime() - 95 * DAY_MS),
    lastUsed: { date: new Date(now.getTime() - 2 * DAY_MS), service: 'athena', region: 'eu-west-1' },
  });
  return account;
}

/** Credentials the SDK signs the fake's requests with; the fake does not check them. */
const DEMO_CREDENTIALS = { accessKeyId: 'AKIADEMODEMODEMODEMO', secretAccessKey: 'demo-not-a-secret' };

async function auditOnce(
  account: FakeIamAccount,
  now: Date,
  argv: string[],
  write: (text: string) => void,
  silent = false,
): Promise<{ code: number; report?: AuditReport }> {
  const server = await startFakeIamServer(account, { now: () => now });
  try {
    const options = processOptions();
    return await main(['--now', now.toISOString(), ...argv], {
      ...options,
      env: { ...process.env, ...productionEnv() },
      write,
      // Day one is audited silently: its table is not the demo's output.
      ...(silent ? { stdout: undefined, progressStream: undefined } : {}),
      endpoint: server.url,
      credentials: DEMO_CREDENTIALS,
      pollIntervalMs: 100,
    });
  } finally {
    await server.close();
  }
}

async function demo(argv: string[]): Promise<number> {
  const now = new Date();
  const yesterday = new Date(now.getTime() - DAY_MS);
  const store = memoryStore();
  const options = { escalationDays: DEFAULT_ESCALATION_DAYS };

  // Day one: every finding is new.
  const first = await auditOnce(dayOneAccount(yesterday), yesterday, argv, () => {}, true);
  if (!first.report) return first.code;
  const dayOne = await trackChanges(first.report, store, yesterday, options);
  await dayOne.commit();
  // One finding has been open for three weeks by now: it shows escalated on day two.
  const deployBot = [...store.states.values()].find((s) => s.userName === 'deploy-bot');
  if (deployBot) deployBot.firstSeenAt = new Date(now.getTime() - 21 * DAY_MS).toISOString();

  // Day two: the report the CLI prints, and new, resolved and still-open findings in the digest.
  const second = await auditOnce(dayTwoAccount(now), now, argv, processOptions().write);
  if (!second.report) return second.code;
  const dayTwo = await trackChanges(second.report, store, now, options);

  rmSync(OUT_DIR, { recursive: true, force: true });
  const one = writePreviews('day-1', dayOne.report);
  const two = writePreviews('day-2', dayTwo.report);
  // On stderr, so that `npm run demo -- --json` still prints only the report on stdout.
  console.error(
    `\nWhat the audit would send (nothing was sent), with the production stage's settings:\n` +
      [...one.files, ...two.files].map((f) => `  ${f}`).join('\n'),
  );
  const links = (day: string, list: string[]) =>
    list.map((link, i) => `  ${day}, message ${i + 1}/${list.length}: ${link}`).join('\n');
  console.error(
    `\nOpen each Slack message in Block Kit Builder:\n${links('day 1', one.links)}\n${links('day 2', two.links)}`,
  );
  // The sample account has findings on purpose: showing them is the demo's success (the CLI would exit 3).
  return second.code === EXIT.findings ? EXIT.ok : second.code;
}

demo(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`demo failed: ${error.name}: ${error.message}`);
    process.exitCode = 1;
  },
);
