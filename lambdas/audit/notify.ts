/**
 * Sends an audit's report to its channels. Each channel is attempted whatever became of the other;
 * the result says, per channel, sent / skipped / failed (the reason never holds a secret).
 * Slack gets one digest in the default channel and, for each team with a webhook of its own, one in the team's.
 */
import { shouldPostDigest, type NotifyMode } from './domain/changes';
import type { ChannelResult, CleanAuditMode, NotificationResults } from './domain/notification';
import type { TeamRoute } from './domain/owners';
import { isCleanAudit, type AuditReport } from './domain/report';
import { buildSlackDigest, hasNothingToTell } from './present/slack';
import type { SlackAudience, SlackMessage } from './present/slack-blocks';
import { buildSnsMessage, type SnsMessage } from './present/sns';

/** The channels as the engine sees them: each absent when not configured. */
export interface Channels {
  slack?: {
    /** The webhook URL in the default secret, or in a team's (`secretArn`). */
    webhookUrl: (secretArn?: string) => Promise<string>;
    post: (url: string, messages: SlackMessage[]) => Promise<{ sent: number }>;
  };
  sns?: { publish: (message: SnsMessage) => Promise<{ messageId: string }> };
}

export interface NotifyOptions {
  dryRun: boolean;
  clean: CleanAuditMode;
  /** `daily` posts every audit; `changes` only when something changed, and in full on `fullDigestWeekday`. */
  mode?: NotifyMode;
  fullDigestWeekday?: number;
  now?: Date;
  teams?: Record<string, TeamRoute>;
  escalationMention?: string;
  /** Finding lines a digest shows at most; default 50 (`DEFAULT_MAX_FINDING_LINES`). */
  maxFindingLines?: number;
  /** Where the full report is (S3 console URL), linked from the digest when given. */
  reportLocation?: string;
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

/** Runs one channel's delivery; an error becomes its failed result. */
export async function attempt(run: () => Promise<ChannelResult>): Promise<ChannelResult> {
  try {
    return await run();
  } catch (error) {
    return { status: 'failed', reason: reasonOf(error) };
  }
}

/** One Slack destination: whose findings, and the secret holding its webhook (the default one when absent). */
interface SlackDestination {
  name: string;
  audience?: SlackAudience;
  secretArn?: string;
}

function slackDestinations(teams: Record<string, TeamRoute>): SlackDestination[] {
  const own = Object.entries(teams).filter(([, route]) => route.webhookSecretArn);
  return [
    {
      name: 'default channel',
      ...(own.length ? { audience: { exceptTeams: own.map(([team]) => team) } } : {}),
    },
    ...own.map(([team, route]) => ({
      name: `team ${team}`,
      audience: { team },
      secretArn: route.webhookSecretArn,
    })),
  ];
}

/** Posts to every destination with something to say; fails naming the destinations that failed. */
async function postToSlack(
  report: AuditReport,
  slack: NonNullable<Channels['slack']>,
  options: NotifyOptions,
): Promise<ChannelResult> {
  const teams = options.teams ?? {};
  const mentionOf = Object.fromEntries(
    Object.entries(teams).flatMap(([team, route]) => (route.mention ? [[team, route.mention]] : [])),
  );
  let sent = 0;
  const failures: string[] = [];
  for (const destination of slackDestinations(teams)) {
    // A team channel hears only of its own findings; the default channel also says when all is well.
    if (destination.secretArn && hasNothingToTell(report, destination.audience)) continue;
    const result = await attempt(async () => {
      const messages = buildSlackDigest(report, {
        clean: options.clean,
        mentions: {
          teams: mentionOf,
          ...(options.escalationMention ? { escalation: options.escalationMention } : {}),
        },
        ...(destination.audience ? { audience: destination.audience } : {}),
        ...(options.maxFindingLines !== undefined ? { maxFindingLines: options.maxFindingLines } : {}),
        ...(options.reportLocation ? { reportLocation: options.reportLocation } : {}),
      });
      if (messages.length === 0) return { status: 'skipped', reason: 'nothing to post' };
      const posted = await slack.post(await slack.webhookUrl(destination.secretArn), messages);
      return { status: 'sent', messages: posted.sent };
    });
    if (result.status === 'sent') sent += result.messages;
    if (result.status === 'failed') failures.push(`${destination.name}: ${result.reason}`);
  }
  if (failures.length) return { status: 'failed', reason: failures.join('; ') };
  return sent > 0
    ? { status: 'sent', messages: sent }
    : { status: 'skipped', reason: 'clean audit, set to post nothing' };
}

export async function notify(
  report: AuditReport,
  channels: Channels,
  options: NotifyOptions,
): Promise<NotificationResults> {
  const skip = (reason: string): ChannelResult => ({ status: 'skipped', reason });
  const both = (reason: string) => ({ slack: skip(reason), sns: skip(reason) });
  if (options.dryRun) return both('dry run');
  if (isCleanAudit(report) && options.clean === 'silent') {
    return both('clean audit, set to post nothing');
  }
  if (report.changes && (options.mode ?? 'daily') === 'changes') {
    const decision = shouldPostDigest(
      'changes',
      report.changes,
      options.now ?? new Date(report.auditedAt),
      options.fullDigestWeekday ?? 1,
    );
    if (!decision.post) return both(decision.reason ?? 'nothing changed since the last audit');
  }
  const { slack, sns } = channels;
  const [slackResult, snsResult] = await Promise.all([
    slack ? postToSlack(report, slack, options) : skip('not configured'),
    sns
      ? attempt(async () => {
          const { messageId } = await sns.publish(buildSnsMessage(report));
          return { status: 'sent', messages: 1, detail: messageId };
        })
      : skip('not configured'),
  ]);
  return { slack: slackResult, sns: snsResult };
}
