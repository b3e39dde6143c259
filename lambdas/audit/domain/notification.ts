/** What became of each notification channel after an audit. */

export const CHANNELS = ['slack', 'sns'] as const;
export type Channel = (typeof CHANNELS)[number];

export type ChannelResult =
  /** Delivered: `messages` Slack messages or SNS publishes; `detail` e.g. the SNS MessageId. */
  | { status: 'sent'; messages: number; detail?: string }
  /** Not attempted: a dry run, a channel not configured, or a clean audit set to post nothing. */
  | { status: 'skipped'; reason: string }
  /** Attempted and failed after its retries; `reason` never contains a secret. */
  | { status: 'failed'; reason: string };

export type NotificationResults = Record<Channel, ChannelResult>;

/** What a channel says about a clean audit: a one-line "all keys healthy" message, or nothing. */
export type CleanAuditMode = 'healthy-message' | 'silent';
