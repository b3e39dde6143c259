/**
 * The Lambda entry point. A scheduled event runs a full audit; a manual invoke re-audits (named users, live)
 * and returns the report. The event is validated before any AWS call; configuration and clients are built once
 * per container. Every mode goes through one pipeline (`pipeline.ts`): lease, audit, track, stage, deliver,
 * commit. Both channels are always tried; if one failed, or the audit could not cover every user, the
 * invocation ends in an error after what could be sent was sent and recorded, so the function's error alarm
 * sees it. A run that finds another holding its lease ends at once, sends nothing and is not an error. The full
 * report is written to S3 before anything is sent; when it cannot be, the digest says so, delivery goes on, and
 * the invocation ends in a `ReportWriteError` after it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { IamGateway } from './adapters/iam';
import type { AuditReport, FullReportResult } from './domain/report';
import { audit } from './engine';
import { saveKeyIndex } from './adapters/key-index-store';
import type { KeyIndex } from './domain/key-index';
import { InvalidEventError, parseInvocation, type Invocation } from './event';
import { DEFAULT_METRICS_NAMESPACE, SERVICE_NAME } from './metric-names';
import {
  callsSince,
  recordAccountMetric,
  recordAuditMetrics,
  recordDeliveryMetrics,
  recordOrganizationMetrics,
  recordRunSkipped,
} from './metrics';
import type { NotificationResults } from './domain/notification';
import {
  auditAccount,
  auditAccountStep,
  busyMessage,
  listAccountsStep,
  notifyStep,
  requireListedAccount,
  type OrganizationDeps,
} from './organization/steps';
import type { OrganizationReport } from './domain/organization';
import { NotificationError } from './notify';
import {
  auditAndDeliver,
  isBusy,
  pipelineDepsOf,
  runContext,
  type Busy,
  type PipelineDeps,
  type RunContext,
} from './pipeline';
import { buildRuntime, type Runtime } from './runtime';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({
  serviceName: SERVICE_NAME,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
});

/** Time kept back from the Lambda timeout for sending the report: at least 20 s, at most 3 minutes. */
export function reserveForNotifying(timeoutMs: number): number {
  return Math.max(20_000, Math.min(180_000, Math.round(timeoutMs / 4)));
}

/** Thrown after the report was sent when the audit stopped before covering every user. */
export class IncompleteAuditError extends Error {
  override name = 'IncompleteAuditError';
}

/** Thrown after delivery when the full report could not be written to S3 (the digest said so). */
export class ReportWriteError extends Error {
  override name = 'ReportWriteError';
}

/** Thrown after the report was sent when the state of open findings could not be read or written. */
export class StateError extends Error {
  override name = 'StateError';
}

let runtime: Runtime | undefined;

/** The runtime, built on the first invocation of a container and reused after. */
function getRuntime(): Runtime {
  runtime ??= buildRuntime(process.env, logger);
  return runtime;
}

/** Forgets the cached configuration, clients and channels (tests change the environment between cases). */
export function resetRuntime(): void {
  runtime = undefined;
}

/** What the state machine gets back from a step of an organization run: small, the results are in the table. */
export type StepResult =
  | Awaited<ReturnType<typeof listAccountsStep>>
  | Awaited<ReturnType<typeof auditAccountStep>>
  | {
      runId: string;
      summary: OrganizationReport['summary'];
      notifications: NotificationResults;
      fullReport: FullReportResult;
    }
  | RunSkipped;

/** What a run returns when another run holds its lease: it audited and sent nothing, and is not an error. */
export interface RunSkipped {
  status: 'skipped';
  reason: string;
}

export async function handler(
  event: unknown,
  context: Context,
): Promise<AuditReport | StepResult | RunSkipped> {
  logger.addContext(context);
  try {
    const realNow = new Date();
    const invocation = parseInvocation(event, realNow);
    const runtime = getRuntime();
    const remainingMs = context.getRemainingTimeInMillis();
    const reserveMs = reserveForNotifying(remainingMs);
    const shouldStop = () => context.getRemainingTimeInMillis() < reserveMs;
    const run = runContext(context.awsRequestId, realNow, remainingMs);
    if (
      invocation.kind === 'org-list-accounts' ||
      invocation.kind === 'org-audit-account' ||
      invocation.kind === 'org-notify'
    ) {
      return await runOrganizationStep(invocation, organizationOf(runtime), shouldStop, run);
    }
    if (runtime.organization && !(invocation.kind === 'manual' && invocation.accountId)) {
      // In organization mode the function reads IAM only through the member roles: it has no IAM reads of its own.
      throw new InvalidEventError(
        'this function audits an organization: name the member account, {"accountId": "123456789012", ...}, ' +
          'or start the state machine for a full run',
      );
    }
    return await auditAndNotify(invocation, runtime, shouldStop, run);
  } catch (error) {
    logger.error('audit failed', error as Error);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}

function organizationOf(runtime: Runtime): OrganizationDeps {
  if (!runtime.organization) {
    throw new InvalidEventError(
      'an organization step was sent to a function that is not in organization mode',
    );
  }
  return { ...runtime.organization, warn: (message, details) => logger.warn(message, details) };
}

/** Logs and counts a run that found its lease held; what the handler returns for it. */
function skipped(busy: Busy): RunSkipped {
  const reason = busyMessage(busy);
  logger.info('run skipped: another run holds the lease', { scope: busy.scope, heldUntil: busy.held.until });
  recordRunSkipped(metrics);
  return { status: 'skipped', reason };
}

async function runOrganizationStep(
  invocation: Extract<Invocation, { kind: `org-${string}` }>,
  org: OrganizationDeps,
  shouldStop: () => boolean,
  run: RunContext,
): Promise<StepResult> {
  const now = run.realNow;
  if (invocation.kind === 'org-list-accounts') {
    const listed = await listAccountsStep(org, invocation.runId);
    logger.info('organization accounts listed', { runId: listed.runId, accounts: listed.count });
    return listed;
  }
  if (invocation.kind === 'org-audit-account') {
    const result = await auditAccountStep(org, invocation, now, shouldStop, run);
    recordAccountMetric(metrics, result.accountId, result.status === 'failed');
    logger.info('account audited', { runId: invocation.runId, ...result });
    return result;
  }
  const notified = await notifyStep(org, invocation.runId, now, run);
  if (isBusy(notified)) return skipped(notified);
  const { report, notifications, delivery, fullReport } = notified;
  recordOrganizationMetrics(metrics, report, notifications);
  recordDeliveryMetrics(metrics, delivery.pending);
  logger.info('organization audit complete', {
    runId: report.runId,
    summary: report.summary,
    notifications,
    fullReport,
    pendingMessages: delivery.pending,
    resumedMessages: delivery.resumed,
    recordError: delivery.recordError,
  });
  if (Object.values(notifications).some((result) => result.status === 'failed')) {
    throw new NotificationError(notifications);
  }
  if (delivery.recordError) {
    throw new StateError(
      `the organization digest was sent, but delivery could not be recorded: ${delivery.recordError}`,
    );
  }
  if (fullReport.status === 'failed') {
    throw new ReportWriteError(`the organization digest was sent, but ${fullReport.reason}`);
  }
  return { runId: report.runId, summary: report.summary, notifications, fullReport };
}

/** The pipeline's dependencies, from the runtime. */
function pipelineOf(runtime: Runtime): PipelineDeps {
  return pipelineDepsOf({ ...runtime, warn: (message, details) => logger.warn(message, details) });
}

/** One account's audit (this account's, or a member account's in organization mode), through the pipeline. */
async function auditAndNotify(
  invocation: Extract<Invocation, { kind: 'scheduled' | 'manual' }>,
  runtime: Runtime,
  shouldStop: () => boolean,
  run: RunContext,
): Promise<AuditReport | RunSkipped> {
  const { config, clients } = runtime;
  const started = Date.now();
  const before = clients.iamCalls.snapshot();
  // `now` other than the real clock only on a dry run (the event parser makes sure), which writes nothing.
  const now = (invocation.kind === 'manual' && invocation.dryRun && invocation.now) || run.realNow;
  const request = {
    now,
    users: invocation.kind === 'manual' ? invocation.users : undefined,
    dryRun: invocation.dryRun,
  };
  const accountId = invocation.kind === 'manual' ? invocation.accountId : undefined;
  // The data perimeter first: an account the organization does not list is refused before its lease is taken.
  if (accountId) await requireListedAccount(organizationOf(runtime), accountId);
  const iam = IamGateway.fromClients(clients);
  // The key index (issue 15): loaded before the audit (a member account's by auditAccount), saved with the state.
  const keyIndexStore = accountId ? runtime.organization?.keyIndex : runtime.keyIndex;
  let nextKeyIndex: KeyIndex | null = null;
  let keyIndexSaveError: string | undefined;
  // The data perimeter before anything else: no lease, state or role for an account the organization does not list.
  if (accountId) await requireListedAccount(organizationOf(runtime), accountId);
  const outcome = await auditAndDeliver(
    {
      accountId: async () => accountId ?? (await iam.accountId()),
      audit: async () => {
        const keyIndex =
          !accountId && keyIndexStore ? await keyIndexStore.load(await iam.accountId()) : undefined;
        const audited = accountId
          ? await auditAccount(organizationOf(runtime), accountId, request, shouldStop)
          : await audit({ iam, config, shouldStop }, { ...request, ...(keyIndex && { keyIndex }) });
        nextKeyIndex = audited.keyIndex;
        return audited.report;
      },
      // A key index that could not be written is logged, not an error: the next audit verifies every user live.
      alsoCommit: async (report) => {
        keyIndexSaveError = await saveKeyIndex(keyIndexStore, report.accountId, nextKeyIndex, now);
      },
      dryRun: invocation.dryRun,
      now,
    },
    pipelineOf(runtime),
    run,
  );
  if (isBusy(outcome)) return skipped(outcome);
  const { report, delivery } = outcome;
  const stateSaveError = delivery.stateSaveError ?? delivery.recordError;
  const iamCalls = callsSince(before, clients.iamCalls.snapshot());
  const durationMs = Date.now() - started;
  recordAuditMetrics(metrics, report, iamCalls, durationMs);
  if (!report.dryRun) recordDeliveryMetrics(metrics, delivery.pending);
  logger.info('audit complete', {
    invocation: invocation.kind,
    scope: report.scope,
    dryRun: report.dryRun,
    source: report.source,
    summary: report.summary,
    usersNotFound: report.usersNotFound.length,
    incomplete: report.incomplete,
    notifications: report.notifications,
    fullReport: report.fullReport,
    changes: report.changes && {
      newFindings: report.changes.newFindings,
      openFindings: report.changes.openFindings,
      resolved: report.changes.resolved.length,
      stateError: report.changes.stateError,
    },
    stateSaveError,
    keyIndexSaveError,
    pendingMessages: delivery.pending,
    resumedMessages: delivery.resumed,
    exempted: report.exempted.length,
    durationMs,
    iamCalls: iamCalls.totalCalls,
    iamCallsByAction: iamCalls.calls,
    iamThrottledAttempts: iamCalls.throttled,
  });
  const failed = Object.values(delivery.notifications).some((result) => result.status === 'failed');
  if (failed) throw new NotificationError(delivery.notifications);
  if (report.fullReport?.status === 'failed') {
    throw new ReportWriteError(`the report was sent, but ${report.fullReport.reason}`);
  }
  const stateError = report.changes?.stateError ?? stateSaveError;
  if (stateError) {
    throw new StateError(
      `the report was sent, but the state of open findings or of delivery is unavailable: ${stateError}; ` +
        'findings may show as new, and unrecorded messages may be sent again, until the state table answers',
    );
  }
  if (report.incomplete) {
    throw new IncompleteAuditError(
      `${report.incomplete.reason} (${report.incomplete.usersNotAudited} users not audited, ` +
        `${report.summary.findings} findings reported from the rest); raise the timeout or the concurrency`,
    );
  }
  return report;
}
