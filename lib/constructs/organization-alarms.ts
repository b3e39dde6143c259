import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC } from '../../lambdas/audit/metric-names';

/** The metric the function writes once per account audited, 1 if it failed, with the `service` and `Account` dimensions. */
const ACCOUNT_AUDIT_FAILED_METRIC = METRIC.accountAuditFailed;

export interface OrganizationAlarmsProps {
  /** The organization run. */
  readonly stateMachine: sfn.IStateMachine;
  /** The CloudWatch namespace the function writes its metrics to. */
  readonly namespace: string;
  /** The `service` dimension Powertools puts on every metric. */
  readonly serviceName: string;
  /** Where alarms (and their recovery) are sent. */
  readonly topic: sns.ITopic;
}

/**
 * The Metrics Insights query summing {@link ACCOUNT_AUDIT_FAILED_METRIC} over every account. An alarm cannot
 * watch a `SEARCH` expression; it can watch a Metrics Insights query that returns one time series.
 */
export function accountAuditFailedQuery(namespace: string, serviceName: string): string {
  // The namespace's characters ([A-Za-z0-9._/#:-]) and the service name need no escaping inside the quotes.
  return (
    `SELECT SUM(${ACCOUNT_AUDIT_FAILED_METRIC}) FROM SCHEMA("${namespace}", Account, service) ` +
    `WHERE service = '${serviceName}'`
  );
}

/**
 * The alarms of organization mode, in addition to {@link AuditAlarms}, each sending ALARM and OK to the topic:
 * - `AccountAuditFailed`: an account could not be audited (its role is missing or denies, or its IAM throttled the
 *   audit past its retries), whichever account it is; the run went on with the others; the digest and the
 *   `Account` dimension of the metric name the account. An account whose audit crashed (timed out) writes no
 *   metric: the function's `Errors` alarm fires, and the digest lists the account as failed;
 * - `ExecutionsFailed`: an organization run failed as a whole (the accounts could not be listed, or the
 *   notification step failed), so no digest went out.
 */
export class OrganizationAlarms extends Construct {
  readonly accountAuditFailed: cloudwatch.Alarm;
  readonly executionsFailed: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: OrganizationAlarmsProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.topic);
    const alarmOn = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    };

    this.accountAuditFailed = alarmOn(
      new cloudwatch.Alarm(this, 'AccountAuditFailed', {
        alarmDescription:
          'An account of the organization could not be audited: see the digest, or the AccountAuditFailed metric by Account.',
        metric: new cloudwatch.MathExpression({
          expression: accountAuditFailedQuery(props.namespace, props.serviceName),
          usingMetrics: {},
          period: Duration.minutes(5),
          label: 'Accounts not audited',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    this.executionsFailed = alarmOn(
      new cloudwatch.Alarm(this, 'ExecutionsFailed', {
        alarmDescription:
          'An organization run of the IAM key audit failed, so no digest went out: see the failed state machine execution.',
        metric: props.stateMachine.metricFailed({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
