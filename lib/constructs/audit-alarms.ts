import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CHANNELS } from '../../lambdas/audit/domain/notification';
import { METRIC } from '../../lambdas/audit/metric-names';

export interface AuditAlarmsProps {
  /** The audit function whose errors and metrics are watched. */
  readonly fn: lambda.IFunction;
  /** The CloudWatch namespace the function writes its metrics to. */
  readonly namespace: string;
  /** The `service` dimension Powertools puts on every metric. */
  readonly serviceName: string;
  /** Where alarms (and their recovery) are sent. */
  readonly topic: sns.ITopic;
  /** Hours without a completed full audit before the staleness alarm fires (2 to 168). */
  readonly maxHoursWithoutAudit: number;
}

/** Throws unless `hours` is a whole number from 2 to 168 (CloudWatch evaluates at most 7 days of 1-hour periods). */
export function validateMaxHoursWithoutAudit(hours: number): number {
  if (!Number.isInteger(hours) || hours < 2 || hours > 168) {
    throw new Error(`maxHoursWithoutAudit must be a whole number of hours from 2 to 168; got ${hours}`);
  }
  return hours;
}

/**
 * The audit's alarms, each sending ALARM and OK to the topic:
 * - `Errors`: the function ended in an error (a rejected event, an IAM failure, a channel that failed, an audit
 *   that stopped before covering every user);
 * - `NoCompletedAudit`: no full audit completed for `maxHoursWithoutAudit` hours (the schedule stopped, or every
 *   run failed); missing data counts as breaching;
 * - `NotificationFailed-<channel>`: Slack or SNS could not be delivered to after its retries.
 */
export class AuditAlarms extends Construct {
  readonly errors: cloudwatch.Alarm;
  readonly noCompletedAudit: cloudwatch.Alarm;
  readonly notificationFailed: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: AuditAlarmsProps) {
    super(scope, id);
    const hours = validateMaxHoursWithoutAudit(props.maxHoursWithoutAudit);
    const metric = (
      metricName: string,
      dimensions: Record<string, string> = {},
      period = Duration.minutes(5),
    ) =>
      new cloudwatch.Metric({
        namespace: props.namespace,
        metricName,
        dimensionsMap: { service: props.serviceName, ...dimensions },
        statistic: cloudwatch.Stats.SUM,
        period,
      });
    const action = new actions.SnsAction(props.topic);
    const alarmOn = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    };

    this.errors = alarmOn(
      new cloudwatch.Alarm(this, 'Errors', {
        alarmDescription: 'The IAM key audit ended in an error: see the function logs ("audit failed").',
        metric: props.fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    this.noCompletedAudit = alarmOn(
      new cloudwatch.Alarm(this, 'NoCompletedAudit', {
        alarmDescription: `No IAM key audit has completed for ${hours} hours: the schedule or every run is failing.`,
        metric: metric(METRIC.auditCompleted, {}, Duration.hours(1)),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: hours,
        datapointsToAlarm: hours,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );

    for (const channel of CHANNELS) {
      this.notificationFailed[channel] = alarmOn(
        new cloudwatch.Alarm(this, `NotificationFailed-${channel}`, {
          alarmDescription: `The IAM key audit could not notify ${channel} after its retries: see report.notifications in the logs.`,
          metric: metric(METRIC.notificationFailed, { Channel: channel }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }

  /**
   * Lets CloudWatch publish this account's alarms to a topic the stack owns: its policy (which refuses non-TLS
   * requests) replaces SNS's default one.
   */
  static allowAlarmsToPublish(topic: sns.Topic): void {
    const stack = Stack.of(topic);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
  }
}
