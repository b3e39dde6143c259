/**
 * The names the function writes its CloudWatch metrics under (`metrics.ts`) and the stack's alarms read
 * (`lib/constructs/audit-alarms.ts`, `organization-alarms.ts`). Kept apart from `metrics.ts` so that the CDK app
 * imports names, not Powertools.
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
