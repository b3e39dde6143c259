/**
 * Telling people, for every mode: what to send where (a plan per destination), and sending it.
 *
 * - **Plan.** `planAudit` (one account's report) and `planOrganization` (an organization run's report) decide,
 *   from the notify mode, the clean-audit setting and the team routes, which destinations hear of it: Slack's
 *   default channel, each team with a webhook of its own (its findings only), and SNS. The messages are built in
 *   one small place, `render` below, so a new presentation layer is one change.
 * - **Deliver.** `deliver` sends each destination's messages in order, whatever became of the other channel,
 *   and reports each message accepted to a recorder as soon as its channel accepted it, so the caller can write
 *   it down before the next is sent. It stops at a deadline; what was not sent is left for the caller to keep.
 *
 * A Slack destination whose webhook secret still holds the not-configured marker (a fresh deploy) is found before
 * planning (`slackNotConfigured`) and planned as skipped: nothing is staged or sent for it, the SNS message says
 * how to configure it, and it is not a failure.
 *
 * The result says, per channel, sent / skipped / failed (the reason never holds a secret).
 */
import { WebhookNotConfiguredError } from './adapters/secrets';
import type { Channel, ChannelResult, CleanAuditMode, NotificationResults } from './domain/notification';
import { CHANNELS } from './domain/notification';
import { shouldPostDigest, type NotifyMode } from './domain/changes';
import { buildOrganizationDigest } from './present/org-slack';
import { buildOrganizationSnsMessage } from './present/org-sns';
import type { TeamRoute } from './domain/owners';
import { isCleanAudit, type AuditReport } from './domain/report';
import { buildSlackDigest, hasNothingToTell } from './present/slack';
import type { SlackAudience, SlackMessage } from './present/slack-blocks';
import { buildSnsMessage, type SnsMessage } from './present/sns';
import { findingId, type Finding } from './domain/types';
import type { AccountResult, OrganizationReport } from './domain/organization';

/** Delivery options a channel's send takes: a deadline (epoch ms), and a hook told of each accepted message. */
export interface SendOptions {
  deadlineMs?: number;
  /** Slack: told, and awaited, as soon as message `index` was accepted. */
  onSent?: (index: number) => Promise<void> | void;
}

/** The channels as the engine sees them: each absent when not configured. */
export interface Channels {
  slack?: {
    /** The webhook URL in the default secret, or in a team's (`secretArn`). */
    webhookUrl: (secretArn?: string) => Promise<string>;
    post: (url: string, messages: SlackMessage[], options?: SendOptions) => Promise<{ sent: number }>;
  };
  sns?: {
    publish: (
      message: SnsMessage,
      options?: Pick<SendOptions, 'deadlineMs'>,
    ) => Promise<{ messageId: string }>;
  };
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
  /** The audit function's name, for the re-audit commands the organization digest prints. */
  functionName?: string;
  /** Finding lines a digest shows at most; default 50 (`DEFAULT_MAX_FINDING_LINES`). */
  maxFindingLines?: number;
  /** Where the full report is (S3 console URL), linked from the digest and the SNS text when given. */
  reportLocation?: string;
  /**
   * The Slack destinations (by key) whose webhook secret still holds the not-configured marker, each with what to
   * say ({@link slackNotConfigured} finds them): planned as skipped, so nothing is staged for them, and said in the
   * SNS message.
   */
  slackNotConfigured?: Readonly<Record<string, string>>;
  /** The full report could not be written this time: the digest and the SNS text say so (the log says why). */
  reportFailed?: boolean;
}

/** The options every renderer takes about the full report. */
function fullReportOf(options: NotifyOptions): Pick<NotifyOptions, 'reportLocation' | 'reportFailed'> {
  return {
    ...(options.reportLocation ? { reportLocation: options.reportLocation } : {}),
    ...(options.reportFailed ? { reportFailed: true } : {}),
  };
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

/** Where messages go: `slack` (the default channel), `slack:team:<team>` (a team's own webhook), or `sns`. */
export interface Destination {
  key: string;
  channel: Channel;
  /** The team of a team destination. */
  team?: string;
  /** The name a failure is reported under. */
  name: string;
}

/** A destination's messages, in order, and the findings they carry (to mark alerted once all were accepted). */
export interface Plan {
  destination: Destination;
  messages: SlackMessage[] | SnsMessage[];
  findings: { accountId: string; ids: string[] }[];
}

/** What to send, and per channel why nothing is sent when a channel gets no plan. */
export interface Planned {
  plans: Plan[];
  skipped: Partial<Record<Channel, string>>;
}

const SNS_DESTINATION: Destination = { key: 'sns', channel: 'sns', name: 'sns' };

function slackDestinations(
  teams: Record<string, TeamRoute>,
): { destination: Destination; audience?: SlackAudience }[] {
  const own = Object.entries(teams).filter(([, route]) => route.webhookSecretArn);
  const routed = own.map(([team]) => team);
  return [
    {
      destination: { key: 'slack', channel: 'slack', name: 'default channel' },
      ...(routed.length ? { audience: { exceptTeams: routed } } : {}),
    },
    ...routed.map((team): { destination: Destination; audience: SlackAudience } => ({
      destination: { key: `slack:team:${team}`, channel: 'slack', team, name: `team ${team}` },
      audience: { team },
    })),
  ];
}

/**
 * The Slack destinations whose webhook is not configured yet (the secret still holds the marker the stack creates
 * it with), each with the reason, read before planning so that nothing is staged for them. Any other error reading
 * a secret is left to delivery, which reports it as the channel's failure. The reads are cached (`secrets.ts`):
 * delivery reads the same secrets again at no cost.
 */
export async function slackNotConfigured(
  channels: Channels,
  teams: Record<string, TeamRoute> = {},
): Promise<Record<string, string>> {
  const slack = channels.slack;
  if (!slack) return {};
  const found: Record<string, string> = {};
  for (const { destination } of slackDestinations(teams)) {
    const secretArn = destination.team ? teams[destination.team]?.webhookSecretArn : undefined;
    try {
      await slack.webhookUrl(secretArn);
    } catch (error) {
      if (error instanceof WebhookNotConfiguredError) found[destination.key] = error.message;
    }
  }
  return found;
}

/** What the SNS message says of each Slack destination that is not configured yet. */
function notConfiguredNotices(options: NotifyOptions): string[] {
  return slackDestinations(options.teams ?? {}).flatMap(({ destination }) => {
    const reason = options.slackNotConfigured?.[destination.key];
    if (reason === undefined) return [];
    return [`Slack${destination.team ? ` (team ${destination.team})` : ''} is ${reason}`];
  });
}

const sameTeam = (a: string | null | undefined, b: string) =>
  typeof a === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

/** The findings a destination's digest carries: a team's own, or (default channel) all but the routed teams'. */
function findingsFor(findings: readonly Finding[], audience: SlackAudience | undefined): Finding[] {
  if (!audience) return [...findings];
  if ('team' in audience) return findings.filter((f) => sameTeam(f.owner, audience.team));
  return findings.filter((f) => !audience.exceptTeams.some((team) => sameTeam(f.owner, team)));
}

function mentionsOf(options: NotifyOptions) {
  const teams = Object.fromEntries(
    Object.entries(options.teams ?? {}).flatMap(([team, route]) =>
      route.mention ? [[team, route.mention]] : [],
    ),
  );
  return { teams, ...(options.escalationMention ? { escalation: options.escalationMention } : {}) };
}

// ---- The messages: the one place that renders. Re-point these calls to a new presentation layer. ----

const render = {
  auditSlack: (report: AuditReport, options: NotifyOptions, audience?: SlackAudience): SlackMessage[] =>
    buildSlackDigest(report, {
      clean: options.clean,
      mentions: mentionsOf(options),
      ...(audience ? { audience } : {}),
      ...(options.maxFindingLines !== undefined ? { maxFindingLines: options.maxFindingLines } : {}),
      ...fullReportOf(options),
    }),
  auditSns: (report: AuditReport, options: NotifyOptions): SnsMessage =>
    buildSnsMessage(report, { notices: notConfiguredNotices(options), ...fullReportOf(options) }),
  organizationSlack: (report: OrganizationReport, options: NotifyOptions): SlackMessage[] =>
    buildOrganizationDigest(report, {
      clean: options.clean,
      ...(options.functionName ? { functionName: options.functionName } : {}),
      ...(options.maxFindingLines !== undefined ? { maxFindingLines: options.maxFindingLines } : {}),
      ...fullReportOf(options),
    }),
  organizationSns: (report: OrganizationReport, options: NotifyOptions): SnsMessage =>
    buildOrganizationSnsMessage(report, {
      notices: notConfiguredNotices(options),
      ...(options.functionName ? { functionName: options.functionName } : {}),
      ...fullReportOf(options),
    }),
};

// ---- Plans ----

const skipBoth = (reason: string): Planned => ({ plans: [], skipped: { slack: reason, sns: reason } });

/** One account's audit: the default channel, each team with a webhook of its own, and SNS. */
export function planAudit(report: AuditReport, channels: Channels, options: NotifyOptions): Planned {
  if (options.dryRun) return skipBoth('dry run');
  if (isCleanAudit(report) && options.clean === 'silent') return skipBoth('clean audit, set to post nothing');
  if (report.changes && (options.mode ?? 'daily') === 'changes') {
    const decision = shouldPostDigest(
      'changes',
      report.changes,
      options.now ?? new Date(report.auditedAt),
      options.fullDigestWeekday ?? 1,
    );
    if (!decision.post) return skipBoth(decision.reason ?? 'nothing changed since the last audit');
  }
  const carried = (findings: Finding[]) => [{ accountId: report.accountId, ids: findings.map(findingId) }];
  return planChannels(
    channels,
    options,
    (destination, audience) => {
      // A team channel hears only of its own findings; the default channel also says when all is well.
      if (destination.team && hasNothingToTell(report, audience)) return null;
      const messages = render.auditSlack(report, options, audience);
      return { destination, messages, findings: carried(findingsFor(report.findings, audience)) };
    },
    () => ({
      destination: SNS_DESTINATION,
      messages: [render.auditSns(report, options)],
      findings: carried(report.findings),
    }),
  );
}

/**
 * The plans of every channel configured: one per Slack destination with something to post (none for a webhook
 * not configured yet), and SNS; per channel without a plan, why.
 */
function planChannels(
  channels: Channels,
  options: NotifyOptions,
  slackPlan: (destination: Destination, audience: SlackAudience | undefined) => Plan | null,
  snsPlan: () => Plan,
): Planned {
  const plans: Plan[] = [];
  const skipped: Planned['skipped'] = {};
  if (channels.slack) {
    for (const { destination, audience } of slackDestinations(options.teams ?? {})) {
      if (options.slackNotConfigured?.[destination.key] !== undefined) continue;
      const plan = slackPlan(destination, audience);
      if (plan && plan.messages.length > 0) plans.push(plan);
    }
    if (!plans.some((plan) => plan.destination.channel === 'slack')) {
      skipped.slack = options.slackNotConfigured?.slack ?? 'clean audit, set to post nothing';
    }
  } else {
    skipped.slack = 'not configured';
  }
  if (channels.sns) plans.push(snsPlan());
  else skipped.sns = 'not configured';
  return { plans, skipped };
}

function withoutSummary(account: AccountResult): AccountResult {
  const copy = { ...account };
  delete copy.summary;
  return copy;
}

/** The organization report with only the findings `keep` selects; accounts left with none are dropped. */
function organizationFor(
  report: OrganizationReport,
  keep: (finding: Finding) => boolean,
): OrganizationReport {
  const accounts: AccountResult[] = report.accounts
    .map((account) => {
      // Without its summary, an account's counts are those of the findings it keeps.
      return { ...withoutSummary(account), findings: account.findings.filter(keep), findingsOmitted: 0 };
    })
    .filter((account) => account.findings.length > 0);
  return { ...report, accounts, summary: { ...report.summary, accounts: accounts.length } };
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * Whether an organization run posts in `changes` mode: when an account has a new or resolved finding, failed,
 * or could not read its state, and on the full-digest day.
 */
function organizationChanged(
  report: OrganizationReport,
  options: NotifyOptions,
): { post: boolean; reason: string } {
  const accounts = report.accounts;
  const newFindings = accounts.reduce((n, a) => n + (a.changes?.newFindings ?? 0), 0);
  const resolved = accounts.reduce((n, a) => n + (a.changes?.resolved ?? 0), 0);
  if (newFindings > 0 || resolved > 0) {
    return { post: true, reason: `${newFindings} new and ${resolved} resolved since the last audit` };
  }
  const failed = accounts.filter((a) => a.status === 'failed' || a.changes?.stateError !== undefined).length;
  if (failed > 0) return { post: true, reason: `${failed} accounts failed or could not read their state` };
  const weekday = options.fullDigestWeekday ?? 1;
  if ((options.now ?? new Date(report.auditedAt)).getUTCDay() === weekday) {
    return { post: true, reason: `${WEEKDAYS[weekday]} is the day of the full digest` };
  }
  return { post: false, reason: 'nothing new or resolved since the last audit' };
}

/**
 * An organization run: one digest for the default channel (without the findings of teams that have a webhook of
 * their own), one per such team with its findings across accounts, and one SNS message for everything.
 */
export function planOrganization(
  report: OrganizationReport,
  channels: Channels,
  options: NotifyOptions,
): Planned {
  if (options.dryRun) return skipBoth('dry run');
  if ((options.mode ?? 'daily') === 'changes') {
    const decision = organizationChanged(report, options);
    if (!decision.post) return skipBoth(decision.reason || 'nothing changed since the last audit');
  }
  const carried = (r: OrganizationReport) =>
    r.accounts
      .filter((a) => a.status === 'audited' && a.findings.length > 0)
      .map((a) => ({ accountId: a.accountId, ids: a.findings.map(findingId) }));
  return planChannels(
    channels,
    options,
    (destination, audience) => {
      const ours = audience ? organizationFor(report, (f) => findingsFor([f], audience).length > 0) : report;
      // A team hears of its own findings only; the default channel still lists every account.
      const view = audience && !destination.team ? { ...report, accounts: mergeBack(report, ours) } : ours;
      if (destination.team && view.accounts.length === 0) return null;
      return { destination, messages: render.organizationSlack(view, options), findings: carried(view) };
    },
    () => ({
      destination: SNS_DESTINATION,
      messages: [render.organizationSns(report, options)],
      findings: carried(report),
    }),
  );
}

/**
 * The default channel's accounts: every account of the run (failed and clean ones included, so the digest still
 * lists them), each with only the findings not routed to a team.
 */
function mergeBack(report: OrganizationReport, own: OrganizationReport): AccountResult[] {
  const kept = new Map(own.accounts.map((a) => [a.accountId, a]));
  return report.accounts.map((account) => {
    const mine = kept.get(account.accountId);
    if (account.status === 'failed') return account;
    if (mine) return mine;
    return { ...withoutSummary(account), findings: [], findingsOmitted: 0 };
  });
}

// ---- Delivery ----

/** One message to send: its destination, its place in that destination's digest, and the message. */
export interface Outgoing {
  /** A stable id (the outbox's sort key), or any unique string when nothing is recorded. */
  id: string;
  destination: Destination;
  index: number;
  total: number;
  message: SlackMessage | SnsMessage;
  /** On the last message of a destination's digest: the findings it carries, alerted once it is accepted. */
  findings?: Plan['findings'];
}

export interface DeliverOptions {
  /** Epoch ms by which sending must stop. */
  deadlineMs?: number;
  /** Team routes, for the webhook secret of a team destination. */
  teams?: Record<string, TeamRoute>;
  /** Told, and awaited, of each message as soon as its channel accepted it. Its errors do not stop delivery. */
  onAccepted?: (message: Outgoing) => Promise<void>;
}

/** What became of a delivery: per channel, and which messages were accepted. */
export interface Delivered {
  results: NotificationResults;
  accepted: Set<string>;
  /** Messages not sent (a failure or the deadline stopped their destination): still pending. */
  left: number;
}

/**
 * Sends `outgoing` (in order per destination; Slack destinations one after another, SNS beside them). A
 * destination that fails stops there: its later messages are left, and its channel is failed, naming it.
 */
export async function deliver(
  outgoing: readonly Outgoing[],
  channels: Channels,
  options: DeliverOptions = {},
): Promise<Delivered> {
  const accepted = new Set<string>();
  const byDestination = new Map<string, Outgoing[]>();
  for (const message of outgoing) {
    const list = byDestination.get(message.destination.key) ?? [];
    list.push(message);
    byDestination.set(message.destination.key, list);
  }
  const record = async (message: Outgoing) => {
    accepted.add(message.id);
    await options.onAccepted?.(message).catch(() => undefined);
  };
  const perChannel = async (channel: Channel): Promise<ChannelResult | undefined> => {
    const groups = [...byDestination.values()].filter((list) => list[0]!.destination.channel === channel);
    if (groups.length === 0) return undefined;
    let sent = 0;
    let detail: string | undefined;
    const failures: string[] = [];
    for (const group of groups) {
      const destination = group[0]!.destination;
      const result = await attempt(async () => {
        if (channel === 'slack') {
          const slack = channels.slack;
          if (!slack) return { status: 'failed', reason: 'not configured' };
          const secretArn = destination.team
            ? options.teams?.[destination.team]?.webhookSecretArn
            : undefined;
          if (destination.team && !secretArn) {
            return { status: 'failed', reason: `no webhook is configured for team ${destination.team}` };
          }
          const url = await slack.webhookUrl(secretArn);
          // A sender that does not report each message as it goes reports how many it sent, first ones first.
          const recordFirst = async (count: number) => {
            for (const message of group.slice(0, count)) if (!accepted.has(message.id)) await record(message);
          };
          try {
            const posted = await slack.post(
              url,
              group.map((m) => m.message as SlackMessage),
              {
                ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
                onSent: (index) => record(group[index]!),
              },
            );
            await recordFirst(posted.sent);
            return { status: 'sent', messages: posted.sent };
          } catch (error) {
            const sent = (error as { sent?: unknown }).sent;
            if (typeof sent === 'number') await recordFirst(sent);
            throw error;
          }
        }
        const sns = channels.sns;
        if (!sns) return { status: 'failed', reason: 'not configured' };
        for (const message of group) {
          const { messageId } = await sns.publish(message.message as SnsMessage, {
            ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
          });
          detail = messageId;
          await record(message);
        }
        return { status: 'sent', messages: group.length };
      });
      sent += group.filter((m) => accepted.has(m.id)).length;
      if (result.status === 'failed') failures.push(`${destination.name}: ${result.reason}`);
    }
    if (failures.length) return { status: 'failed', reason: failures.join('; ') };
    return { status: 'sent', messages: sent, ...(channel === 'sns' && detail ? { detail } : {}) };
  };
  const [slack, sns] = await Promise.all(CHANNELS.map(perChannel));
  return {
    results: {
      slack: slack ?? { status: 'skipped', reason: 'nothing to post' },
      sns: sns ?? { status: 'skipped', reason: 'nothing to post' },
    },
    accepted,
    left: outgoing.filter((m) => !accepted.has(m.id)).length,
  };
}

/** The plans' messages, numbered per destination; `id` makes each message's id. */
export function outgoingOf(plans: readonly Plan[], id: (plan: Plan, index: number) => string): Outgoing[] {
  return plans.flatMap((plan) =>
    plan.messages.map((message, index) => ({
      id: id(plan, index),
      destination: plan.destination,
      index,
      total: plan.messages.length,
      message,
      ...(index === plan.messages.length - 1 ? { findings: plan.findings } : {}),
    })),
  );
}

/** The results of a delivery, a channel without plans and without pending messages saying why it was skipped. */
export function withSkips(
  delivered: NotificationResults,
  planned: Planned,
  hadPending: Set<Channel>,
): NotificationResults {
  const out = { ...delivered };
  for (const channel of CHANNELS) {
    const reason = planned.skipped[channel];
    if (reason !== undefined && !hadPending.has(channel) && out[channel].status === 'skipped') {
      out[channel] = { status: 'skipped', reason };
    }
  }
  return out;
}

/** Sends an audit's report to its channels, with nothing recorded (the CLI and tests without a state table). */
export async function notify(
  report: AuditReport,
  channels: Channels,
  options: NotifyOptions,
): Promise<NotificationResults> {
  const notConfigured = options.dryRun ? {} : await slackNotConfigured(channels, options.teams);
  const planned = planAudit(report, channels, { ...options, slackNotConfigured: notConfigured });
  const outgoing = outgoingOf(planned.plans, (plan, index) => `${plan.destination.key}#${index}`);
  const { results } = await deliver(outgoing, channels, {
    ...(options.teams ? { teams: options.teams } : {}),
  });
  return withSkips(results, planned, new Set());
}
