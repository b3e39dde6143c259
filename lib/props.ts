/**
 * The props of `IamKeyAuditorStack` and their validation: every prop is checked at synth, and a bad one
 * throws naming the stack, the prop and the value. The audit settings (`audit`) are the rows of
 * `AUDIT_SETTINGS` (lambdas/audit/settings-table.ts).
 */
import type { Duration, StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { validateAuditConfig, type AuditConfig, type AuditConfigInput } from '../lambdas/audit/config';
import { SNS_TOPIC_ARN } from '../lambdas/audit/domain/patterns';
import { DEFAULT_METRICS_NAMESPACE } from '../lambdas/audit/metric-names';
import { validateMaxHoursWithoutAudit } from './constructs/audit-alarms';
import type { AuditStateTableProps } from './constructs/audit-state-table';
import { validateMemorySize, validateTimeout } from './constructs/audit-function';
import type { NotificationChannelsProps } from './constructs/notification-channels';
import { validateReportBucketProps, type ReportBucketProps } from './constructs/report-bucket';
import {
  validateDistributedMapAbove,
  validateMaxConcurrency,
  ORGANIZATION_FANOUT_DEFAULTS,
} from './constructs/organization-fanout';
import { validateAccountId, validateExternalId, validateOrganizationId } from './organization';

/** Every day at 07:00 UTC, before the working day starts in Europe. */
export const DEFAULT_SCHEDULE = 'cron(0 7 * * ? *)';

/** What a stage name may be: lowercase letters, digits and hyphens, starting with a letter, at most 32. */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export interface IamKeyAuditorStackProps extends StackProps {
  /**
   * The deployment stage, such as `integration`, `staging` or `production`: lowercase letters, digits and
   * hyphens, starting with a letter, at most 32 characters. Tags every resource (`Stage`) and names the
   * stack in its description. Required.
   */
  readonly stage: string;

  /**
   * When the audit runs: an EventBridge schedule expression, either `rate(N minute|minutes|hour|hours|day|days)`
   * (singular unit for 1, plural otherwise) or a 6-field `cron(minutes hours day-of-month month day-of-week
   * year)` in UTC with `?` in day-of-month or day-of-week.
   *
   * @default 'cron(0 7 * * ? *)' (every day at 07:00 UTC)
   */
  readonly schedule?: string;

  /**
   * The audit's settings, each optional, each documented on its field of {@link AuditConfigInput}: thresholds,
   * SES user patterns, runbook, concurrency, report wait, SDK attempts, clean-audit and notify modes, escalation,
   * team routing and exemptions. Their defaults, allowed values and environment variables are the rows of
   * `AUDIT_SETTINGS` (lambdas/audit/settings-table.ts), which the README's configuration table is generated from.
   * Validated at synth with `validateAuditConfig`, again at cold start.
   *
   * @default {} (every setting at its default)
   */
  readonly audit?: AuditConfigInput;

  /**
   * Retention of the audit function's log group.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Memory of the audit function in MB, 128 to 10240.
   *
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Timeout of the audit function, a whole number of seconds from 60 to 900.
   *
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;

  /**
   * Where the report goes: the Slack webhook secret (created, imported, or none) and the SNS topic (created
   * with optional email subscriptions, or imported). See {@link NotificationChannelsProps}.
   *
   * @default a created webhook secret and a created topic
   */
  readonly notifications?: NotificationChannelsProps;

  /** How the audit is watched: metrics namespace, alarm destination, staleness window. */
  readonly monitoring?: MonitoringProps;

  /**
   * The DynamoDB table that keeps the open findings between audits (what is new, resolved, open for how long).
   * `false`: no table, every digest shows every finding.
   *
   * @default a table, destroyed with the stack
   */
  readonly state?: AuditStateTableProps | false;

  /**
   * Where each audit's full report (JSON and CSV) is written, which the digest and the SNS message link to: `{}`
   * or absent, a bucket the stack creates (private, TLS only, encrypted, versioned, reports kept 400 days);
   * `{ bucketName }`, a bucket that exists; `false`, no full report. See {@link ReportBucketProps}.
   *
   * @default a bucket the stack creates, retained when the stack is deleted
   */
  readonly report?: ReportBucketProps | false;

  /**
   * Organization mode: audit every account of the organization instead of this one. The schedule starts a Step
   * Functions run that lists the accounts, audits each through its `IamKeyAuditorReadOnly` role (put there by
   * the `OrganizationAccessStack`, which must be deployed first), and sends one digest. The audit
   * function's role is named `iam-key-auditor-<stage>` so the member roles can trust it; so a stage runs
   * organization mode in one region only. Needs the state table (`state` must not be `false`).
   *
   * @default undefined: the single-account mode, auditing this account only
   */
  readonly organization?: OrganizationModeProps;
}

export interface OrganizationModeProps {
  /** The organization's id (`o-` and 10 to 32 lowercase letters or digits): the member roles require it. */
  readonly organizationId: string;

  /**
   * The external id passed to every `sts:AssumeRole`, the same as the `OrganizationAccessStack`'s: 2 to
   * 1224 of letters, digits and `+=,.@:/-_`. A confused-deputy guard, not a secret: it is in the function's
   * environment.
   */
  readonly externalId: string;

  /**
   * The organization's management account, 12 digits. It is never audited in organization mode: a
   * service-managed StackSet does not deploy the member role there (deploy the single-account stack in it to
   * audit it).
   */
  readonly managementAccountId: string;

  /**
   * The account where the `OrganizationAccessStack` is deployed, whose `IamKeyAuditorOrganizationReader`
   * role lists the accounts: the management account, or a delegated administrator account.
   *
   * @default managementAccountId
   */
  readonly readerAccountId?: string;

  /**
   * Audit only these accounts (12-digit ids), if they are ACTIVE members. At least one when given. Include and
   * exclude together hold at most 50 ids: they travel in the function's environment.
   *
   * @default every ACTIVE account but the management account
   */
  readonly include?: readonly string[];

  /**
   * Never audit these accounts (12-digit ids), for example accounts outside the StackSet's OUs, which have no
   * member role and would fail every run. The management account is always excluded.
   *
   * @default [] (the management account only)
   */
  readonly exclude?: readonly string[];

  /**
   * How many accounts are audited at once, 1 to 40.
   *
   * @default 10
   */
  readonly maxConcurrency?: number;

  /**
   * Above how many accounts a run uses a distributed Map (child executions) rather than an inline Map, 1 to
   * 1,000.
   *
   * @default 500
   */
  readonly distributedMapAbove?: number;
}

/** Organization mode's props validated, defaults filled in; `exclude` holds the management account. */
export interface OrganizationMode {
  readonly organizationId: string;
  readonly externalId: string;
  readonly managementAccountId: string;
  readonly readerAccountId: string;
  /** Empty: every account. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly maxConcurrency: number;
  readonly distributedMapAbove: number;
}

/** At most this many account ids in `include` and `exclude` together: they are in the function's environment. */
export const MAX_LISTED_ACCOUNTS = 50;

function validateAccountList(what: string, ids: readonly string[]): readonly string[] {
  ids.forEach((id) => validateAccountId(what, id));
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`${what} names ${JSON.stringify(duplicate)} twice`);
  return ids;
}

/** Throws unless the organization props are allowed; each message names the prop and the value. */
export function validateOrganizationMode(props: OrganizationModeProps): OrganizationMode {
  const organizationId = validateOrganizationId(props.organizationId);
  const externalId = validateExternalId(props.externalId);
  const managementAccountId = validateAccountId('managementAccountId', props.managementAccountId);
  const readerAccountId = validateAccountId('readerAccountId', props.readerAccountId ?? managementAccountId);
  const include = validateAccountList('include', props.include ?? []);
  if (props.include && include.length === 0) {
    throw new Error('include must name at least one account; omit it to audit every account');
  }
  const exclude = validateAccountList('exclude', props.exclude ?? []);
  const both = include.find((id) => exclude.includes(id));
  if (both) throw new Error(`account ${both} is both in include and in exclude`);
  if (include.includes(managementAccountId)) {
    throw new Error(
      `include names the management account ${managementAccountId}, which organization mode cannot audit: a service-managed StackSet does not deploy the member role there`,
    );
  }
  if (include.length + exclude.length > MAX_LISTED_ACCOUNTS) {
    throw new Error(
      `include and exclude name ${include.length + exclude.length} accounts; at most ${MAX_LISTED_ACCOUNTS} fit in the function's environment (target fewer OUs in the StackSet instead)`,
    );
  }
  return {
    organizationId,
    externalId,
    managementAccountId,
    readerAccountId,
    include,
    exclude: exclude.includes(managementAccountId) ? exclude : [...exclude, managementAccountId],
    maxConcurrency: validateMaxConcurrency(
      props.maxConcurrency ?? ORGANIZATION_FANOUT_DEFAULTS.maxConcurrency,
    ),
    distributedMapAbove: validateDistributedMapAbove(
      props.distributedMapAbove ?? ORGANIZATION_FANOUT_DEFAULTS.distributedMapAbove,
    ),
  };
}

export interface MonitoringProps {
  /**
   * An existing SNS topic (ARN) for the alarms, e.g. the team's operations topic; its owner must let CloudWatch
   * publish to it. Without it, alarms go to the findings topic, which the stack opens to this account's alarms.
   *
   * @default the findings topic
   */
  readonly operationsTopicArn?: string;

  /**
   * Hours without a completed full audit before the `NoCompletedAudit` alarm fires: a day plus slack for a daily
   * schedule; more for one that skips days (a weekday schedule needs 74 to cover a weekend). 2 to 168.
   *
   * @default 26
   */
  readonly maxHoursWithoutAudit?: number;

  /**
   * The CloudWatch namespace of the audit's metrics (letters, digits and `._/#:-`, not starting with `AWS/`).
   *
   * @default 'IamKeyAuditor'
   */
  readonly metricsNamespace?: string;
}

const METRICS_NAMESPACE = /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/;

/** Throws unless the monitoring props are allowed; each message names the value. */
export function validateMonitoring(
  props: MonitoringProps,
): Required<Omit<MonitoringProps, 'operationsTopicArn'>> & Pick<MonitoringProps, 'operationsTopicArn'> {
  const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
  if (!METRICS_NAMESPACE.test(metricsNamespace)) {
    throw new Error(
      `metricsNamespace must be 1 to 255 letters, digits or ._/#:- and not start with AWS/; got ${JSON.stringify(metricsNamespace)}`,
    );
  }
  if (props.operationsTopicArn !== undefined && !SNS_TOPIC_ARN.test(props.operationsTopicArn)) {
    throw new Error(
      `operationsTopicArn must be an SNS topic ARN; got ${JSON.stringify(props.operationsTopicArn)}`,
    );
  }
  const maxHoursWithoutAudit = validateMaxHoursWithoutAudit(props.maxHoursWithoutAudit ?? 26);
  return { ...props, metricsNamespace, maxHoursWithoutAudit };
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(([^()]*)\)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,\-/#]+$/;

/**
 * Throws unless `schedule` is an EventBridge `rate(...)` or 6-field `cron(...)` expression; the message names
 * the value and the allowed forms.
 */
export function validateSchedule(schedule: string): string {
  const allowed =
    'schedule must be rate(N minute|minutes|hour|hours|day|days) with N a whole number from 1 (singular unit for 1), ' +
    'or cron(minutes hours day-of-month month day-of-week year) with 6 fields and ? in day-of-month or day-of-week';
  const fail = (why: string): never => {
    throw new Error(`${allowed}; got ${JSON.stringify(schedule)} (${why})`);
  };

  const rate = RATE.exec(schedule);
  if (rate) {
    const value = Number(rate[1]);
    const unit = (rate[2] ?? '').replace(/s$/, '');
    const expected = value === 1 ? unit : `${unit}s`;
    if (value < 1) fail('the rate must be at least 1');
    if (rate[2] !== expected) fail(`use "${expected}"`);
    return schedule;
  }
  const cron = CRON.exec(schedule);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) fail(`${fields.length} field(s)`);
    if (!fields.every((field) => CRON_FIELD.test(field))) fail('a field has characters cron does not allow');
    if (fields[2] !== '?' && fields[4] !== '?') fail('neither day-of-month nor day-of-week is ?');
    return schedule;
  }
  return fail('neither rate(...) nor cron(...)');
}

/** Throws unless `stage` matches {@link STAGE_PATTERN}; the message names the value. */
export function validateStage(stage: string): string {
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(
      `stage must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters; got ${JSON.stringify(stage)}`,
    );
  }
  return stage;
}

/** Runs one validation, prefixing its error with the stack id so a multi-stage synth names the culprit. */
export function inStack<T>(id: string, what: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    throw new Error(`${id}: invalid ${what}: ${(error as Error).message}`, { cause: error });
  }
}

/** The stack's props validated, defaults filled in. */
export interface ValidatedStackProps {
  readonly stage: string;
  readonly schedule: string;
  readonly auditConfig: AuditConfig;
  readonly monitoring: ReturnType<typeof validateMonitoring>;
  readonly organization?: OrganizationMode;
}

/** Validates every prop of the stack `id`; the first bad one throws, naming the stack, the prop and the value. */
export function validateStackProps(id: string, props: IamKeyAuditorStackProps): ValidatedStackProps {
  const stage = inStack(id, 'stage', () => validateStage(props.stage));
  const schedule = inStack(id, 'schedule', () => validateSchedule(props.schedule ?? DEFAULT_SCHEDULE));
  const auditConfig = inStack(id, 'audit', () => validateAuditConfig(props.audit ?? {}));
  const { timeout, memorySize, organization, state, report } = props;
  if (timeout !== undefined) inStack(id, 'timeout', () => validateTimeout(timeout));
  if (memorySize !== undefined) inStack(id, 'memorySize', () => validateMemorySize(memorySize));
  if (report !== undefined && report !== false) {
    inStack(id, 'report', () => validateReportBucketProps(report));
  }
  const org = organization
    ? inStack(id, 'organization', () => validateOrganizationMode(organization))
    : undefined;
  if (org && state === false) {
    throw new Error(
      `${id}: invalid state: organization mode keeps each account's result in the state table, so state cannot be false`,
    );
  }
  const monitoring = inStack(id, 'monitoring', () => validateMonitoring(props.monitoring ?? {}));
  return { stage, schedule, auditConfig, monitoring, ...(org ? { organization: org } : {}) };
}
