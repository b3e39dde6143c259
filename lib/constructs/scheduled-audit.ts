import type { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { AuditConfig } from '../../lambdas/audit/config';
import { AuditAlarms } from './audit-alarms';
import { SERVICE_NAME } from '../../lambdas/audit/metric-names';
import { AuditFunction } from './audit-function';

/** How the audit is watched: required, a scheduled audit always has its alarms. */
export interface AuditMonitoring {
  /** The CloudWatch namespace the function writes its metrics to. */
  readonly namespace: string;
  /** Where the alarms go. A topic of this stack is opened to this account's alarms. */
  readonly topic: sns.ITopic;
  /** Hours without a completed full audit before `NoCompletedAudit` fires, 2 to 168. */
  readonly maxHoursWithoutAudit: number;
}

export interface ScheduledAuditProps {
  /** The stage, named in the rule's description. */
  readonly stage: string;
  /** An EventBridge schedule expression, validated (`validateSchedule`). */
  readonly schedule: string;
  /** The validated audit configuration the function gets in its environment. */
  readonly config: AuditConfig;
  readonly monitoring: AuditMonitoring;
  /** See {@link AuditFunction}. */
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly logRetention?: logs.RetentionDays;
  readonly roleName?: string;
  readonly readsIam?: boolean;
  /**
   * What the schedule starts, given the audit function: by default the function itself (no retry: a failed audit is
   * seen by its alarm). Organization mode starts its state machine instead.
   *
   * @default the audit function
   */
  readonly target?: (audit: AuditFunction) => events.IRuleTarget;
}

/**
 * A scheduled audit: the audit function ({@link AuditFunction}), the EventBridge rule that runs it, and the
 * alarms on its errors, staleness and notifications ({@link AuditAlarms}). Monitoring is not optional: the
 * function writes its metrics to the namespace the alarms read.
 *
 * The stack creates it with the id `Default`, which CloudFormation logical ids leave out: the function, the rule
 * and the alarms keep the logical ids they had when the stack created them itself.
 */
export class ScheduledAudit extends Construct {
  readonly auditFunction: AuditFunction;
  readonly alarms: AuditAlarms;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledAuditProps) {
    super(scope, id);
    this.auditFunction = new AuditFunction(this, 'Audit', {
      config: props.config,
      timeout: props.timeout,
      memorySize: props.memorySize,
      logRetention: props.logRetention,
      roleName: props.roleName,
      readsIam: props.readsIam,
    });
    const fn = this.auditFunction.function;
    fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', props.monitoring.namespace);
    if (props.monitoring.topic instanceof sns.Topic) AuditAlarms.allowAlarmsToPublish(props.monitoring.topic);
    this.alarms = new AuditAlarms(this, 'Alarms', {
      fn,
      namespace: props.monitoring.namespace,
      serviceName: SERVICE_NAME,
      topic: props.monitoring.topic,
      maxHoursWithoutAudit: props.monitoring.maxHoursWithoutAudit,
    });
    this.rule = new events.Rule(this, 'ScheduleRule', {
      description: `Runs the IAM key audit (${props.stage}) on ${props.schedule}`,
      schedule: events.Schedule.expression(props.schedule),
      targets: [
        props.target
          ? props.target(this.auditFunction)
          : new targets.LambdaFunction(fn, { retryAttempts: 0 }),
      ],
    });
  }
}
