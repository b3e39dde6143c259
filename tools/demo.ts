/**
 * `npm run demo`: audits the sample account that ships with the repository, with no AWS account or network.
 * A fake IAM serves the account over IAM's real wire protocol on 127.0.0.1; the real engine and the real SDK
 * clients audit it through the CLI. Extra arguments go to the CLI (`npm run demo -- --json`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EXIT, main, processOptions } from '../lambdas/audit/cli';
import { DEFAULT_AUDIT_OPTIONS } from '../lambdas/audit/config';
import type { AuditReport } from '../lambdas/audit/domain/report';
import { buildSlackDigest } from '../lambdas/audit/domain/slack-digest';
import { buildSnsMessage } from '../lambdas/audit/domain/sns-message';
import { buildSampleAccount } from './fake-iam/sample-account';
import { startFakeIamServer } from './fake-iam/server';

/** Where the demo writes what it would send. */
const OUT_DIR = path.join(__dirname, '..', 'out', 'demo');

/**
 * Writes the Slack messages (each pastes into Block Kit Builder) and the SNS publish request the audit would
 * send; returns the files written.
 */
function writePreviews(report: AuditReport): string[] {
  mkdirSync(OUT_DIR, { recursive: true });
  const files: string[] = [];
  const write = (name: string, value: unknown) => {
    const file = path.join(OUT_DIR, name);
    writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
    files.push(path.relative(process.cwd(), file));
  };
  const messages = buildSlackDigest(report, { clean: DEFAULT_AUDIT_OPTIONS.notifyOnClean });
  messages.forEach((message, i) => write(`slack-message-${i + 1}.json`, { blocks: message.blocks }));
  const sns = buildSnsMessage(report);
  write('sns-publish.json', {
    Subject: sns.subject,
    MessageStructure: 'json',
    Message: JSON.parse(sns.message) as unknown,
    MessageAttributes: sns.attributes,
  });
  return files;
}

/** Credentials the SDK signs the fake's requests with; the fake does not check them. */
const DEMO_CREDENTIALS = { accessKeyId: 'AKIADEMODEMODEMODEMO', secretAccessKey: 'demo-not-a-secret' };

async function demo(argv: string[]): Promise<number> {
  const now = new Date();
  const server = await startFakeIamServer(buildSampleAccount(now), { now: () => now });
  try {
    const { code, report } = await main(['--now', now.toISOString(), ...argv], {
      ...processOptions(),
      endpoint: server.url,
      credentials: DEMO_CREDENTIALS,
      pollIntervalMs: 100,
    });
    if (report) {
      const files = writePreviews(report);
      // On stderr, so that `npm run demo -- --json` still prints only the report on stdout.
      console.error(
        `\nWhat the audit would send (nothing was sent):\n${files.map((f) => `  ${f}`).join('\n')}`,
      );
      console.error('Paste a Slack message into https://app.slack.com/block-kit-builder to see it.');
    }
    // The sample account has findings on purpose: showing them is the demo's success (the CLI would exit 3).
    return code === EXIT.findings ? EXIT.ok : code;
  } finally {
    await server.close();
  }
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
