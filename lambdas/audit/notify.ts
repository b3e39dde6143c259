/**
 * Sends an audit's report to its channels. Each channel is attempted whatever became of the other;
 * the result says, per channel, sent / skipped / failed (the reason never holds a secret).
 */
import { isCleanAudit, type AuditReport } from './domain/report';
import type { ChannelResult, CleanAuditMode, NotificationResults } from './domain/notification';
import { buildSlackDigest, type SlackMessage } from './domain/slack-digest';
import { buildSnsMessage, type SnsMessage } from './domain/sns-message';

/** The channels as the engine sees them: each absent when not configured. */
export interface Channels {
  slack?: {
    webhookUrl: () => Promise<string>;
    post: (url: string, messages: SlackMessage[]) => Promise<{ sent: number }>;
  };
  sns?: { publish: (message: SnsMessage) => Promise<{ messageId: string }> };
}

export interface NotifyOptions {
  dryRun: boolean;
  clean: CleanAuditMode;
}

/** Thrown after every channel was tried when at least one failed, so the function's error alarm sees it. */
export class NotificationError extends Error {
  override name = 'NotificationError';
  constructor(readonly results: NotificationResults) {
    super(
      `notification failed: ${Object.entries(results)
        .map(
          ([channel, result]) =>
            `${channel} ${result.status}${result.status === 'sent' ? '' : ` (${result.reason})`}`,
        )
        .join('; ')}`,
    );
  }
}

function reasonOf(error: unknown): string {
  const e = error as Error & { code?: string };
  return e.code ? `${e.code}: ${e.message}` : `${e.name}: ${e.message}`;
}

async function attempt(run: () => Promise<ChannelResult>): Promise<ChannelResult> {
  try {
    return await run();
  } catch (error) {
    return { status: 'failed', reason: reasonOf(error) };
  }
}

export async function notify(
  report: AuditReport,
  channels: Channels,
  options: NotifyOptions,
): Promise<NotificationResults> {
  const skip = (reason: string): ChannelResult => ({ status: 'skipped', reason });
  if (options.dryRun) return { slack: skip('dry run'), sns: skip('dry run') };
  if (isCleanAudit(report) && options.clean === 'silent') {
    return { slack: skip('clean audit, set to post nothing'), sns: skip('clean audit, set to post nothing') };
  }
  const { slack, sns } = channels;
  const [slackResult, snsResult] = await Promise.all([
    slack
      ? attempt(async () => {
          const messages = buildSlackDigest(report, { clean: options.clean });
          const { sent } = await slack.post(await slack.webhookUrl(), messages);
          return { status: 'sent', messages: sent };
        })
      : skip('not configured'),
    sns
      ? attempt(async () => {
          const { messageId } = await sns.publish(buildSnsMessage(report));
          return { status: 'sent', messages: 1, detail: messageId };
        })
      : skip('not configured'),
  ]);
  return { slack: slackResult, sns: snsResult };
}
