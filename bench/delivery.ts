/**
 * The delivery case (`npm run bench -- --cases delivery`): the day-two Slack digest of a large account, rendered by
 * the production renderer and posted by the production adapter (`@slack/webhook`, its pacing and retries) to a
 * webhook on 127.0.0.1 that answers as Slack documents for posting messages: about one a second, short bursts
 * allowed, `429` with `Retry-After` beyond. Measures messages, characters and the time until the last was accepted.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postSlackMessages } from '../lambdas/audit/adapters/slack';
import { DEFAULT_AUDIT_OPTIONS, validateAuditConfig } from '../lambdas/audit/config';
import { buildReport } from '../lambdas/audit/domain/report';
import { DAY_MS } from '../lambdas/audit/domain/time';
import { buildSlackDigest } from '../lambdas/audit/present/slack';
import type { SlackMessage } from '../lambdas/audit/present/slack-blocks';
import { buildSyntheticAccount } from '../tools/fake-iam/sample-account';
import type { BudgetLine } from './budgets';
import { expectedAudit } from './expected';

export interface DeliveryCaseOptions {
  users: number;
  flaggedShare: number;
  seed: number;
  now: string;
  /** Milliseconds the webhook takes to answer. */
  latencyMs: number;
}

export interface DeliveryResult {
  users: number;
  findings: number;
  newFindings: number;
  messages: number;
  characters: number;
  largestMessageCharacters: number;
  /** 429s the webhook answered (each waited out by the adapter). */
  rateLimited: number;
  wallMs: number;
  budgets: BudgetLine[];
}

/** The budgets: a 5,000-user account's digest in at most 5 messages, delivered within 15 s. */
export const DELIVERY_BUDGET = { messages: 5, wallMs: 15_000 };

const textOf = (message: SlackMessage): number =>
  message.blocks.reduce((n, block) => {
    const b = block as { text?: { text?: string }; elements?: { text?: string }[] };
    return (
      n + (b.text?.text?.length ?? 0) + (b.elements ?? []).reduce((k, e) => k + (e.text?.length ?? 0), 0)
    );
  }, 0);

async function drain(request: IncomingMessage): Promise<void> {
  for await (const chunk of request) void chunk;
}

/** A webhook that accepts one message a second after a burst of 3, and answers 429 (Retry-After: 1) beyond. */
async function startWebhook(latencyMs: number) {
  const tokens = { left: 3, refilledAt: Date.now() };
  const stats = { accepted: 0, rateLimited: 0 };
  const server = createServer((request, response) => {
    void drain(request).then(() => {
      const now = Date.now();
      tokens.left = Math.min(3, tokens.left + Math.floor((now - tokens.refilledAt) / 1000));
      if (now - tokens.refilledAt >= 1000) tokens.refilledAt = now;
      setTimeout(() => {
        if (tokens.left <= 0) {
          stats.rateLimited += 1;
          response.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('rate_limited');
          return;
        }
        tokens.left -= 1;
        stats.accepted += 1;
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/bench`,
    stats,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function runDeliveryCase(
  options: DeliveryCaseOptions,
  progress: (line: string) => void,
): Promise<DeliveryResult> {
  const now = new Date(options.now);
  const config = validateAuditConfig({});
  const account = buildSyntheticAccount({
    users: options.users,
    flaggedShare: options.flaggedShare,
    now,
    seed: options.seed,
  });
  const expected = expectedAudit(account, now, config);
  // Day two: 1% of the findings are new, the rest open since yesterday.
  const newEvery = 100;
  const findings = expected.findings.map((finding, i) => ({
    ...finding,
    isNew: i % newEvery === 0,
    openDays: i % newEvery === 0 ? 0 : 1,
    firstSeenAt: new Date(now.getTime() - (i % newEvery === 0 ? 0 : DAY_MS)).toISOString(),
    escalated: false,
  }));
  const newFindings = findings.filter((f) => f.isNew).length;
  const report = {
    ...buildReport({
      now,
      accountId: '123456789012',
      accountAlias: 'bench',
      scope: { type: 'account' },
      dryRun: false,
      source: { type: 'credential-report', generatedAt: now.toISOString() },
      thresholds: config.settings.thresholds,
      usersScanned: expected.users,
      keysScanned: expected.keys,
      findings,
    }),
    changes: { newFindings, openFindings: findings.length - newFindings, resolved: [] },
  };
  const messages = buildSlackDigest(report, {
    clean: config.notifyOnClean,
    maxFindingLines: DEFAULT_AUDIT_OPTIONS.maxFindingLines,
  });
  progress(`delivery: ${findings.length} findings in ${messages.length} Slack messages ...`);
  const webhook = await startWebhook(options.latencyMs);
  try {
    const started = performance.now();
    await postSlackMessages(webhook.url, messages);
    const wallMs = performance.now() - started;
    const sizes = messages.map(textOf);
    const budgets: BudgetLine[] = [
      {
        budget: `delivery: Slack messages for ${findings.length.toLocaleString('en-US')} findings`,
        limit: `<= ${DELIVERY_BUDGET.messages}`,
        measured: String(messages.length),
        status: messages.length <= DELIVERY_BUDGET.messages ? 'PASS' : 'FAIL',
      },
      {
        budget: 'delivery: until Slack accepted the last message',
        limit: `<= ${DELIVERY_BUDGET.wallMs / 1000} s`,
        measured: `${(wallMs / 1000).toFixed(1)} s`,
        status: wallMs <= DELIVERY_BUDGET.wallMs ? 'PASS' : 'FAIL',
      },
    ];
    return {
      users: options.users,
      findings: findings.length,
      newFindings,
      messages: messages.length,
      characters: sizes.reduce((a, b) => a + b, 0),
      largestMessageCharacters: Math.max(0, ...sizes),
      rateLimited: webhook.stats.rateLimited,
      wallMs,
      budgets,
    };
  } finally {
    await webhook.close();
  }
}

export function renderDelivery(result: DeliveryResult): string {
  return [
    `Delivery: the day-two Slack digest of ${result.users.toLocaleString('en-US')} users ` +
      `(${result.findings.toLocaleString('en-US')} findings, ${result.newFindings} new)`,
    `  messages ${result.messages}, characters ${result.characters.toLocaleString('en-US')} ` +
      `(largest message ${result.largestMessageCharacters.toLocaleString('en-US')}), ` +
      `429s waited out ${result.rateLimited}, until the last was accepted ${(result.wallMs / 1000).toFixed(1)} s`,
    ...result.budgets.map((b) => `  ${b.status}  ${b.budget}: ${b.measured} (${b.limit})`),
  ].join('\n');
}
