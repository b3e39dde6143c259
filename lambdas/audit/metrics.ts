/**
 * The audit's CloudWatch metrics, written as EMF by Powertools Metrics. Every metric carries the `service`
 * dimension; per-rule, per-channel and per-account metrics add `Rule` (single-account audits only), `Channel` or
 * `Account`. The names, which the stack's alarms read, are in `metric-names.ts`.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { CallCounts } from './adapters/call-counter';
import { CHANNELS } from './domain/notification';
import type { NotificationResults } from './domain/notification';
import type { AuditReport } from './domain/report';
import type { OrganizationReport } from './domain/organization';
import { RULE_IDS } from './domain/types';
import { METRIC } from './metric-names';

/**
 * Records one audit. `AuditCompleted` counts only a full-account audit that covered every user and was not a dry
 * run: it is what the "no audit for 26 hours" alarm watches, so a manual re-audit of a few users cannot mask a
 * broken schedule. `NotificationFailed` is written for every channel, 0 or 1, so its alarm always has data.
 */
export function recordAuditMetrics(
  metrics: Metrics,
  report: AuditReport,
  iam: CallCounts,
  durationMs: number,
): void {
  metrics.addMetric(METRIC.usersScanned, MetricUnit.Count, report.summary.usersScanned);
  metrics.addMetric(METRIC.keysScanned, MetricUnit.Count, report.summary.keysScanned);
  const verification = report.source.verification;
  if (verification) {
    metrics.addMetric(METRIC.usersVerifiedLive, MetricUnit.Count, verification.live);
    metrics.addMetric(METRIC.usersFromKeyIndex, MetricUnit.Count, verification.fromIndex);
  }
  metrics.addMetric(METRIC.auditDuration, MetricUnit.Milliseconds, durationMs);
  metrics.addMetric(METRIC.iamCalls, MetricUnit.Count, iam.totalCalls);
  metrics.addMetric(METRIC.iamThrottled, MetricUnit.Count, iam.throttled);
  metrics.addMetric(METRIC.auditIncomplete, MetricUnit.Count, report.incomplete ? 1 : 0);
  const fullAudit = report.scope.type === 'account' && !report.dryRun && !report.incomplete;
  if (fullAudit) metrics.addMetric(METRIC.auditCompleted, MetricUnit.Count, 1);
  if (report.scope.type === 'account') {
    for (const rule of RULE_IDS) {
      metrics
        .singleMetric()
        .addDimension('Rule', rule)
        .addMetric(METRIC.findings, MetricUnit.Count, report.summary.byRule[rule]);
    }
  }
  recordNotificationMetrics(metrics, report.notifications);
}

/** The difference of two call counters: the calls one audit made on a client that lives across invocations. */
export function callsSince(before: CallCounts, after: CallCounts): CallCounts {
  const calls: Record<string, number> = {};
  for (const [name, count] of Object.entries(after.calls)) {
    const made = count - (before.calls[name] ?? 0);
    if (made > 0) calls[name] = made;
  }
  return {
    calls,
    totalCalls: after.totalCalls - before.totalCalls,
    attempts: after.attempts - before.attempts,
    throttled: after.throttled - before.throttled,
  };
}

/** One member account's audit in an organization run: `AccountAuditFailed` 0 or 1, with the `Account` dimension. */
export function recordAccountMetric(metrics: Metrics, accountId: string, failed: boolean): void {
  metrics
    .singleMetric()
    .addDimension('Account', accountId)
    .addMetric(METRIC.accountAuditFailed, MetricUnit.Count, failed ? 1 : 0);
}

/**
 * An organization run: accounts audited and failed, users and keys scanned across accounts, the channels, and
 * `AuditCompleted` (the run reached its end; the accounts that failed have their own alarm). No per-rule
 * `Findings`: each member account's audit does not record them either, only `AccountAuditFailed`.
 */
export function recordOrganizationMetrics(
  metrics: Metrics,
  report: OrganizationReport,
  notifications: NotificationResults,
): void {
  metrics.addMetric(METRIC.accountsAudited, MetricUnit.Count, report.summary.accountsAudited);
  metrics.addMetric(METRIC.accountsFailed, MetricUnit.Count, report.summary.accountsFailed);
  metrics.addMetric(METRIC.usersScanned, MetricUnit.Count, report.summary.usersScanned);
  metrics.addMetric(METRIC.keysScanned, MetricUnit.Count, report.summary.keysScanned);
  metrics.addMetric(METRIC.auditCompleted, MetricUnit.Count, 1);
  recordNotificationMetrics(metrics, notifications);
}

/** `NotificationFailed` per channel, 0 or 1, so that its alarm always has data. */
function recordNotificationMetrics(metrics: Metrics, notifications: NotificationResults | undefined): void {
  for (const channel of CHANNELS) {
    const failed = notifications?.[channel].status === 'failed' ? 1 : 0;
    metrics
      .singleMetric()
      .addDimension('Channel', channel)
      .addMetric(METRIC.notificationFailed, MetricUnit.Count, failed);
  }
}

/** A run that found another holding its lease and ended at once: `RunSkipped` 1. Not a failure. */
export function recordRunSkipped(metrics: Metrics): void {
  metrics.addMetric(METRIC.runSkipped, MetricUnit.Count, 1);
}

/** Messages left pending for the next run (a channel down, or the delivery deadline): `DeliveryPending`. */
export function recordDeliveryMetrics(metrics: Metrics, pending: number): void {
  metrics.addMetric(METRIC.deliveryPending, MetricUnit.Count, pending);
}
