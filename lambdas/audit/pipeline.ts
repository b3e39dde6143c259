/**
 * One pipeline for every mode: audit → track → deliver → commit. A mode differs in what it audits (this
 * account, a member account, an organization's results), never in how it tells people.
 *
 * Delivery and state are one transaction, in the state table:
 * 1. **Lease.** A run takes its scope's lease (an account, or the organization) before anything else; a second
 *    run that finds it held ends at once (`busy`), sending nothing.
 * 2. **Track.** The audit's findings are compared with the state of earlier audits (new, open, resolved).
 *    **Full report.** The report is written to S3 as JSON and CSV (`adapters/report-store.ts`), not on a dry run;
 *    the digest links to it. A failed write stops nothing: the digest says the full report could not be written,
 *    and the caller ends the invocation in an error after delivery.
 * 3. **Stage.** The messages this run will send are written to the outbox as pending, then the state of what
 *    the audit saw is written (conditionally: never over a newer run's). Nothing has been sent yet.
 * 4. **Deliver.** Messages still pending from earlier runs go first (whatever the notify mode), then this run's;
 *    each is marked delivered the moment its channel accepted it, so none is ever sent twice and a run that is
 *    stopped (a channel down, the deadline, the Lambda killed) leaves the rest pending for the next run.
 * 5. **Commit.** The findings of every destination whose messages were all accepted are marked alerted on that
 *    channel; the lease is released.
 */
import type { DeliveryStore, LeaseHeld, OutboxEntry } from './adapters/delivery-store';
import type { ReportObjectName } from './adapters/report-location';
import type { ReportStore } from './adapters/report-store';
import type { AuditConfig } from './config';
import type { Channel, NotificationResults } from './domain/notification';
import type { AuditReport, FullReportResult } from './domain/report';
import { buildCsv } from './present/csv';
import {
  deliver,
  outgoingOf,
  planAudit,
  slackNotConfigured,
  withSkips,
  type Channels,
  type NotifyOptions,
  type Outgoing,
  type Planned,
} from './notify';
import { trackChanges, type StatePort } from './track-changes';

export type DeliveryPort = Pick<
  DeliveryStore,
  'acquireLease' | 'releaseLease' | 'entries' | 'addPending' | 'markDelivered'
>;

/** Where the full reports go: the S3 report store. */
export type ReportPort = Pick<ReportStore, 'save'>;

/** The lease scope of an organization run's notify step. */
export const ORGANIZATION_SCOPE = 'organization';

export interface PipelineDeps {
  channels: Channels;
  /** The state of open findings; absent when no state table is configured. */
  state?: StatePort;
  /** The lease and the outbox, in the same table; absent with it. */
  delivery?: DeliveryPort;
  /** Where the full report is written; absent when it is off (`report: false`). */
  reports?: ReportPort;
  /** How to tell people: notify mode, clean audits, team routes and mentions (not `dryRun`, not `now`). */
  notify: Omit<NotifyOptions, 'dryRun' | 'now'>;
  escalationDays: number;
  /** Told when the lease could not be taken or given back for a reason other than another run holding it. */
  warn?: (message: string, details: Record<string, unknown>) => void;
}

/** What a mode's pipeline is built from: the configuration and the stores and channels of its runtime. */
export interface PipelineSource {
  config: Pick<
    AuditConfig,
    | 'notifyOnClean'
    | 'notifyMode'
    | 'fullDigestWeekday'
    | 'teams'
    | 'escalationMention'
    | 'maxFindingLines'
    | 'escalationDays'
  >;
  channels: Channels;
  state?: StatePort;
  delivery?: DeliveryPort;
  reports?: ReportPort;
  warn?: PipelineDeps['warn'];
  /** The audit function's name, for the re-audit commands the organization digest prints. */
  functionName?: string;
}

/** The pipeline's dependencies, the same for every mode: how to tell people comes from the configuration. */
export function pipelineDepsOf(source: PipelineSource): PipelineDeps {
  const { config } = source;
  return {
    channels: source.channels,
    ...(source.state ? { state: source.state } : {}),
    ...(source.delivery ? { delivery: source.delivery } : {}),
    ...(source.reports ? { reports: source.reports } : {}),
    ...(source.warn ? { warn: source.warn } : {}),
    escalationDays: config.escalationDays,
    notify: {
      clean: config.notifyOnClean,
      mode: config.notifyMode,
      fullDigestWeekday: config.fullDigestWeekday,
      teams: config.teams,
      maxFindingLines: config.maxFindingLines,
      ...(config.escalationMention ? { escalationMention: config.escalationMention } : {}),
      ...(source.functionName ? { functionName: source.functionName } : {}),
    },
  };
}

/** One invocation's identity and clock: who holds the lease, the real time, and the delivery deadline. */
export interface RunContext {
  /** The invocation's request id: the lease owner and part of each outbox id. */
  runId: string;
  /** The real clock at the start of the run: the only time state is written at. */
  realNow: Date;
  /** Epoch ms by which delivery stops, leaving time to record, commit and emit metrics. */
  deadlineMs: number;
  /** When the lease expires: a little after the Lambda's timeout. */
  leaseUntil: Date;
}

/** Another run holds the scope's lease: nothing was audited or sent. */
export interface Busy {
  busy: true;
  scope: string;
  held: LeaseHeld;
}

/** The time kept back from the end of the invocation for recording, committing and metrics. */
export function reserveForCommit(remainingMs: number): number {
  return Math.max(5_000, Math.min(60_000, Math.round(remainingMs / 10)));
}

/** The run context of an invocation with `remainingMs` left, started at `realNow`. */
export function runContext(runId: string, realNow: Date, remainingMs: number): RunContext {
  return {
    runId,
    realNow,
    deadlineMs: realNow.getTime() + remainingMs - reserveForCommit(remainingMs),
    // A little longer than the invocation can last: a killed run's lease expires on its own.
    leaseUntil: new Date(realNow.getTime() + remainingMs + 60_000),
  };
}

/**
 * Runs `body` holding the lease of `scope`, released after it whatever happens; without a delivery store (or
 * when `skip`), runs it without one. Resolves to `Busy` when another run holds the lease. When the table cannot
 * be reached at all the run goes on without a lease (`warn` says why): an alert sent twice is better than none,
 * and the conditional state writes still keep an older run from overwriting a newer one.
 */
export async function withLease<T>(
  delivery: DeliveryPort | undefined,
  scope: string,
  context: RunContext,
  body: () => Promise<T>,
  skip = false,
  warn: PipelineDeps['warn'] = () => undefined,
): Promise<T | Busy> {
  if (!delivery || skip) return body();
  let lease: Awaited<ReturnType<DeliveryPort['acquireLease']>>;
  try {
    lease = await delivery.acquireLease(scope, context.runId, context.realNow, context.leaseUntil);
  } catch (error) {
    warn('running without the lease: it could not be taken', { scope, error: (error as Error).message });
    return body();
  }
  if (!lease.acquired) return { busy: true, scope, held: lease };
  try {
    return await body();
  } finally {
    await delivery.releaseLease(scope, context.runId).catch((error: unknown) => {
      warn('the lease could not be given back; it expires by itself', {
        scope,
        error: (error as Error).message,
      });
    });
  }
}

export function isBusy(value: unknown): value is Busy {
  return typeof value === 'object' && value !== null && (value as Busy).busy === true;
}

/** What a delivery left behind: per channel, how many messages are still pending, and what could not be recorded. */
export interface DeliveryOutcome {
  notifications: NotificationResults;
  /** Messages not delivered, kept pending for the next run. */
  pending: number;
  /** Messages of earlier runs sent (or tried) in this one. */
  resumed: number;
  /** Why the outbox, the state or the alerted marks could not be written; undefined when all were. */
  recordError?: string;
  /** Why the state could not be written at the stage step (from the `stage` hook). */
  stateSaveError?: string;
}

const utcDay = (iso: string) => iso.slice(0, 10);

function toEntry(message: Outgoing, runId: string, createdAt: string): OutboxEntry {
  return {
    id: message.id,
    runId,
    createdAt,
    destination: message.destination.key,
    channel: message.destination.channel,
    ...(message.destination.team !== undefined ? { team: message.destination.team } : {}),
    index: message.index,
    total: message.total,
    message: message.message,
    ...(message.findings ? { findings: message.findings } : {}),
  };
}

function fromEntry(entry: OutboxEntry): Outgoing {
  return {
    id: entry.id,
    destination: {
      key: entry.destination,
      channel: entry.channel,
      ...(entry.team !== undefined ? { team: entry.team } : {}),
      name:
        entry.team !== undefined
          ? `team ${entry.team}`
          : entry.channel === 'slack'
            ? 'default channel'
            : 'sns',
    },
    index: entry.index,
    total: entry.total,
    message: entry.message as Outgoing['message'],
    ...(entry.findings ? { findings: entry.findings } : {}),
  };
}

/**
 * Stage, deliver and commit `planned` for `scope`. `stage` runs after this run's messages are in the outbox and
 * before anything is sent: it writes the state of what the audit saw (and any other store's items of the same
 * commit) and resolves to why it could not, or undefined.
 */
export async function deliverAndCommit(
  scope: string,
  planned: Planned,
  deps: PipelineDeps,
  context: RunContext,
  stage: () => Promise<string | undefined> = async () => undefined,
): Promise<DeliveryOutcome> {
  const { delivery, state, channels } = deps;
  const errors: string[] = [];
  const note = (error: unknown) => errors.push((error as Error).message);
  const createdAt = context.realNow.toISOString();

  let recorded: OutboxEntry[] = [];
  if (delivery)
    recorded = await delivery.entries(scope, context.realNow).catch((e: unknown) => (note(e), []));
  const pending = recorded.filter((entry) => entry.deliveredAt === undefined);
  // In daily mode, a run of today that left messages pending is resumed, not repeated: this run sends its
  // pending messages and no new digest to any destination that run covered (delivered or not).
  const today = utcDay(createdAt);
  const unfinished = new Set(
    pending.filter((entry) => utcDay(entry.createdAt) === today).map((entry) => entry.runId),
  );
  const resuming = new Set(
    (deps.notify.mode ?? 'daily') === 'daily'
      ? recorded.filter((entry) => unfinished.has(entry.runId)).map((entry) => entry.destination)
      : [],
  );
  const plans = planned.plans.filter((plan) => !resuming.has(plan.destination.key));
  const fresh = outgoingOf(
    plans,
    (plan, index) =>
      `${createdAt}#${context.runId}#${plan.destination.key}#${String(index).padStart(4, '0')}`,
  );
  if (delivery && fresh.length > 0) {
    await delivery
      .addPending(
        scope,
        fresh.map((m) => toEntry(m, context.runId, createdAt)),
      )
      .catch(note);
  }
  const stateSaveError = await stage();

  const old = pending.map(fromEntry);
  const delivered = await deliver([...old, ...fresh], channels, {
    deadlineMs: context.deadlineMs,
    ...(deps.notify.teams ? { teams: deps.notify.teams } : {}),
    onAccepted: async (message) => {
      await delivery?.markDelivered(scope, message.id, context.realNow).catch(note);
    },
  });

  // A finding counts as alerted on a channel once every message of its destination was accepted: the last one
  // (a destination's messages go out in order, each only after the one before it was accepted).
  if (state) {
    for (const message of [...old, ...fresh]) {
      if (!message.findings || !delivered.accepted.has(message.id)) continue;
      for (const { accountId, ids } of message.findings) {
        if (ids.length === 0) continue;
        await state.markAlerted(accountId, ids, message.destination.channel, context.realNow).catch(note);
      }
    }
  }
  const hadPending = new Set<Channel>(old.map((m) => m.destination.channel));
  return {
    notifications: withSkips(delivered.results, planned, hadPending),
    pending: delivered.left,
    resumed: old.length,
    ...(errors.length ? { recordError: [...new Set(errors)].join('; ') } : {}),
    ...(stateSaveError ? { stateSaveError } : {}),
  };
}

/**
 * Writes one full report (`bodies` renders its JSON and CSV) and says where it went; never throws: a failure is
 * its `failed` result, whose reason names the bucket, the key and S3's error, never the content.
 */
export async function writeFullReport(
  reports: ReportPort | undefined,
  name: ReportObjectName,
  bodies: () => { json: string; csv: string },
): Promise<FullReportResult> {
  if (!reports) return { status: 'skipped', reason: 'not configured' };
  try {
    const stored = await reports.save({ ...name, ...bodies() });
    return { status: 'written', json: stored.json, csv: stored.csv };
  } catch (error) {
    const e = error as Error;
    return {
      status: 'failed',
      reason: e.name === 'ReportStoreError' ? e.message : `${e.name}: ${e.message}`,
    };
  }
}

/**
 * What the digest says of the full report: the CSV's console page (a spreadsheet opens it; the JSON is beside it,
 * under the same name), or that it could not be written; nothing when it is off or on a dry run.
 */
export function reportNotifyOptions(
  result: FullReportResult | undefined,
): Pick<NotifyOptions, 'reportLocation' | 'reportFailed'> {
  if (result?.status === 'written') return { reportLocation: result.csv.consoleUrl ?? result.csv.s3Uri };
  if (result?.status === 'failed') return { reportFailed: true };
  return {};
}

/** One account's run: its audit, and what the pipeline did with it. */
export interface AccountOutcome {
  report: AuditReport;
  delivery: DeliveryOutcome;
}

/**
 * One account's audit through the whole pipeline, holding the account's lease (not on a dry run, which writes
 * and sends nothing). `accountId` names the lease's scope before the audit starts.
 */
export async function auditAndDeliver(
  request: {
    accountId: () => Promise<string>;
    audit: () => Promise<AuditReport>;
    /**
     * Other stores' writes of the same commit (the key index): after the state, before anything is sent, never on
     * a dry run. It reports its own errors.
     */
    alsoCommit?: (report: AuditReport) => Promise<void>;
    dryRun: boolean;
    /** The audit's time: the real clock, or a dry run's `now`. */
    now: Date;
  },
  deps: PipelineDeps,
  context: RunContext,
): Promise<AccountOutcome | Busy> {
  const scope = request.dryRun || !deps.delivery ? '' : await request.accountId();
  return withLease(
    deps.delivery,
    scope,
    context,
    async () => {
      const audited = await request.audit();
      const tracked = await trackChanges(audited, deps.state, request.now, {
        escalationDays: deps.escalationDays,
      });
      // A webhook not configured yet is planned as skipped: nothing is staged for it (not a failure).
      const notConfigured = request.dryRun ? {} : await slackNotConfigured(deps.channels, deps.notify.teams);
      // Written before anything is sent, so the digest can link to it; a dry run writes nothing.
      const fullReport: FullReportResult = request.dryRun
        ? { status: 'skipped', reason: 'dry run' }
        : await writeFullReport(
            deps.reports,
            { accountId: audited.accountId, auditedAt: audited.auditedAt, scope: audited.scope.type },
            () => ({ json: `${JSON.stringify(tracked.report, null, 2)}\n`, csv: buildCsv(tracked.report) }),
          );
      const report: AuditReport = { ...tracked.report, fullReport };
      const planned = planAudit(report, deps.channels, {
        ...deps.notify,
        ...reportNotifyOptions(fullReport),
        dryRun: request.dryRun,
        now: request.now,
        slackNotConfigured: notConfigured,
      });
      if (request.dryRun) {
        return {
          report: { ...report, notifications: withSkips(skippedResults('dry run'), planned, new Set()) },
          delivery: { notifications: skippedResults('dry run'), pending: 0, resumed: 0 },
        };
      }
      const outcome = await deliverAndCommit(report.accountId, planned, deps, context, async () => {
        const stateSaveError = await tracked.commit();
        await request.alsoCommit?.(tracked.report);
        return stateSaveError;
      });
      return { report: { ...report, notifications: outcome.notifications }, delivery: outcome };
    },
    request.dryRun,
    deps.warn,
  );
}

function skippedResults(reason: string): NotificationResults {
  return { slack: { status: 'skipped', reason }, sns: { status: 'skipped', reason } };
}
