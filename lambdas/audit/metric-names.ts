/**
 * The names the function writes its logs and CloudWatch metrics under (`handler.ts`, `metrics.ts`) and the stack
 * reads (the alarms of `lib/constructs/audit-alarms.ts` and `organization-alarms.ts`, the function's environment,
 * the `Service` tag). Kept apart from `metrics.ts` so that the CDK app imports names, not Powertools.
 */
/** The metric names. */
export const METRIC = {
  auditCompleted: 'AuditCompleted',
  auditIncomplete: 'AuditIncomplete',
  findings: 'Findings',
  usersScanned: 'UsersScanned',
  keysScanned: 'KeysScanned',
  usersVerifiedLive: 'UsersVerifiedLive',
  usersFromKeyIndex: 'UsersFromKeyIndex',
  auditDuration: 'AuditDuration',
  iamCalls: 'IamCalls',
  iamThrottled: 'IamThrottledAttempts',
  notificationFailed: 'NotificationFailed',
  accountAuditFailed: 'AccountAuditFailed',
  accountsAudited: 'AccountsAudited',
  accountsFailed: 'AccountsFailed',
  runSkipped: 'RunSkipped',
  deliveryPending: 'DeliveryPending',
} as const;

export const DEFAULT_METRICS_NAMESPACE = 'IamKeyAuditor';

/**
 * The Powertools service name of the function's logs and metrics: every metric carries it as its `service`
 * dimension, which the alarms select on.
 */
export const SERVICE_NAME = 'iam-key-auditor';
