/**
 * The Lambda entry point. A scheduled event runs a full audit; a manual invoke re-audits (named users, live)
 * and returns the report. The event is validated before any AWS call; configuration and clients are built once
 * per container. Both channels are always tried; if one failed, or the audit could not cover every user, the
 * invocation ends in an error after the report was sent, so the function's error alarm sees it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { IamGateway } from './adapters/iam';
import type { AuditReport } from './domain/report';
import { audit } from './engine';
import { saveKeyIndex } from './adapters/key-index-store';
import { InvalidEventError, parseInvocation, type Invocation } from './event';
import {
  callsSince,
  DEFAULT_METRICS_NAMESPACE,
  recordAccountMetric,
  recordAuditMetrics,
  recordOrganizationMetrics,
} from './metrics';
import type { NotificationResults } from './domain/notification';
import {
  auditAccount,
  auditAccountStep,
  listAccountsStep,
  notifyStep,
  type OrganizationDeps,
} from './organization/steps';
import type { OrganizationReport } from './organization/types';
import { notify, NotificationError } from './notify';
import { buildRuntime, type Runtime } from './runtime';
import { trackChanges } from './track-changes';

const SERVICE_NAME = 'iam-key-auditor';

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
  | { runId: string; summary: OrganizationReport['summary']; notifications: NotificationResults };

export async function handler(event: unknown, context: Context): Promise<AuditReport | StepResult> {
  logger.addContext(context);
  try {
    const invocation = parseInvocation(event);
    const runtime = getRuntime();
    const reserveMs = reserveForNotifying(context.getRemainingTimeInMillis());
    const shouldStop = () => context.getRemainingTimeInMillis() < reserveMs;
    if (
      invocation.kind === 'org-list-accounts' ||
      invocation.kind === 'org-audit-account' ||
      invocation.kind === 'org-notify'
    ) {
      return await runOrganizationStep(invocation, organizationOf(runtime), shouldStop);
    }
    return await auditAndNotify(invocation, runtime, shouldStop);
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
  return runtime.organization;
}

async function runOrganizationStep(
  invocation: Extract<Invocation, { kind: `org-${string}` }>,
  org: OrganizationDeps,
  shouldStop: () => boolean,
): Promise<StepResult> {
  const now = new Date();
  if (invocation.kind === 'org-list-accounts') {
    const listed = await listAccountsStep(org, invocation.runId);
    logger.info('organization accounts listed', { runId: listed.runId, accounts: listed.count });
    return listed;
  }
  if (invocation.kind === 'org-audit-account') {
    const result = await auditAccountStep(org, invocation, now, shouldStop);
    recordAccountMetric(metrics, result.accountId, result.status === 'failed');
    logger.info('account audited', { runId: invocation.runId, ...result });
    return result;
  }
  const { report, notifications } = await notifyStep(org, invocation.runId, now);
  recordOrganizationMetrics(metrics, report, notifications);
  logger.info('organization audit complete', { runId: report.runId, summary: report.summary, notifications });
  if (Object.values(notifications).some((result) => result.status === 'failed')) {
    throw new NotificationError(notifications);
  }
  return { runId: report.runId, summary: report.summary, notifications };
}

/** One account's audit (this account's, or a member account's in organization mode), sent to the channels. */
async function auditAndNotify(
  invocation: Extract<Invocation, { kind: 'scheduled' | 'manual' }>,
  runtime: Runtime,
  shouldStop: () => boolean,
): Promise<AuditReport> {
  const { config, clients, channels, state } = runtime;
  const started = Date.now();
  const before = clients.iamCalls.snapshot();
  const now = (invocation.kind === 'manual' && invocation.now) || new Date();
  const request = {
    now,
    users: invocation.kind === 'manual' ? invocation.users : undefined,
    dryRun: invocation.dryRun,
  };
  const accountId = invocation.kind === 'manual' ? invocation.accountId : undefined;
  const iam = IamGateway.fromClients(clients);
  // Key index (issue 15): loaded before the audit (a member account's by auditAccount), saved after the commit.
  const keyIndex =
    !accountId && runtime.keyIndex ? await runtime.keyIndex.load(await iam.accountId()) : undefined;
  const { report: audited, keyIndex: nextKeyIndex } = accountId
    ? await auditAccount(organizationOf(runtime), accountId, request, shouldStop)
    : await audit({ iam, config, shouldStop }, { ...request, ...(keyIndex && { keyIndex }) });
  const tracked = await trackChanges(audited, state, now, { escalationDays: config.escalationDays });
  const report = tracked.report;
  report.notifications = await notify(report, channels, {
    dryRun: report.dryRun,
    clean: config.notifyOnClean,
    mode: config.notifyMode,
    fullDigestWeekday: config.fullDigestWeekday,
    now,
    teams: config.teams,
    escalationMention: config.escalationMention,
  });
  const alerted = Object.values(report.notifications).some((result) => result.status === 'sent');
  const stateSaveError = await tracked.commit(alerted);
  const keyIndexSaveError = await saveKeyIndex(
    accountId ? runtime.organization?.keyIndex : runtime.keyIndex,
    audited.accountId,
    nextKeyIndex,
    now,
  );
  const iamCalls = callsSince(before, clients.iamCalls.snapshot());
  const durationMs = Date.now() - started;
  recordAuditMetrics(metrics, report, iamCalls, durationMs);
  logger.info('audit complete', {
    invocation: invocation.kind,
    scope: report.scope,
    dryRun: report.dryRun,
    source: report.source,
    summary: report.summary,
    usersNotFound: report.usersNotFound.length,
    incomplete: report.incomplete,
    notifications: report.notifications,
    changes: report.changes && {
      newFindings: report.changes.newFindings,
      openFindings: report.changes.openFindings,
      resolved: report.changes.resolved.length,
      stateError: report.changes.stateError,
    },
    stateSaveError,
    keyIndexSaveError,
    exempted: report.exempted.length,
    durationMs,
    iamCalls: iamCalls.totalCalls,
    iamCallsByAction: iamCalls.calls,
    iamThrottledAttempts: iamCalls.throttled,
  });
  const failed = Object.values(report.notifications).some((result) => result.status === 'failed');
  if (failed) throw new NotificationError(report.notifications);
  const stateError = report.changes?.stateError ?? stateSaveError;
  if (stateError) {
    throw new StateError(
      `the report was sent, but the state of open findings is unavailable: ${stateError}; ` +
        'every finding was shown as new, and will be until the state table answers',
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
