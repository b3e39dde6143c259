import { Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { AuditConfig } from '../lambdas/audit/config';
import { SERVICE_NAME } from '../lambdas/audit/metric-names';
import { ORGANIZATION_ENV } from '../lambdas/audit/organization/config';
import type { AuditAlarms } from './constructs/audit-alarms';
import { AuditStateTable } from './constructs/audit-state-table';
import { NotificationChannels } from './constructs/notification-channels';
import type { AuditFunction } from './constructs/audit-function';
import { OrganizationAlarms } from './constructs/organization-alarms';
import { OrganizationFanout } from './constructs/organization-fanout';
import { ReportBucket } from './constructs/report-bucket';
import { ScheduledAudit } from './constructs/scheduled-audit';
import { auditorRoleName, MEMBER_ROLE_NAME, ORGANIZATION_READER_ROLE_NAME } from './organization';
import { addOperatorOutputs } from './operator-outputs';
import { inStack, validateStackProps, type IamKeyAuditorStackProps, type OrganizationMode } from './props';

/**
 * The IAM key auditor for one stage: the audit function ({@link AuditFunction}) and the EventBridge rule that
 * runs it on a schedule. Every prop is validated at synth; a bad one throws naming the stack, the prop and the
 * value. The stack reads no context and no environment: everything comes from its props.
 */
export class IamKeyAuditorStack extends Stack {
  /** The validated stage name. */
  readonly stage: string;
  /** The validated schedule expression. */
  readonly schedule: string;
  /** The validated audit configuration, defaults filled in, as the function receives it. */
  readonly auditConfig: AuditConfig;
  /** The audit function with its role and log group. */
  readonly auditFunction: AuditFunction;
  /** The rule that runs the audit on its schedule. */
  readonly scheduleRule: events.Rule;
  /** The findings topic and the Slack webhook secret. */
  readonly channels: NotificationChannels;
  /** The alarms on the audit's errors, staleness and notifications. */
  readonly alarms: AuditAlarms;
  /** The table of open findings, unless `state: false`. */
  readonly stateTable?: AuditStateTable;
  /** Where the full reports go (written with the function's own role in every mode), unless `report: false`. */
  readonly reportBucket?: ReportBucket;
  /** Organization mode's settings, run and alarms, when `organization` is set. */
  readonly organization?: {
    readonly settings: OrganizationMode;
    readonly fanout: OrganizationFanout;
    readonly alarms: OrganizationAlarms;
  };

  constructor(scope: Construct, id: string, props: IamKeyAuditorStackProps) {
    const {
      stage,
      schedule,
      audit,
      logRetention,
      memorySize,
      timeout,
      notifications,
      monitoring,
      state,
      report,
      organization,
      ...stackProps
    } = props;
    super(scope, id, {
      description: `IAM access key auditor (${stage}): a scheduled Lambda that audits IAM access keys`,
      ...stackProps,
    });
    const valid = validateStackProps(id, props);
    this.stage = valid.stage;
    this.schedule = valid.schedule;
    this.auditConfig = valid.auditConfig;
    const org = valid.organization;
    const watch = valid.monitoring;

    Tags.of(this).add('Service', SERVICE_NAME);
    Tags.of(this).add('Stage', this.stage);

    this.channels = inStack(
      id,
      'notifications',
      () => new NotificationChannels(this, 'Notifications', notifications),
    );
    const alarmTopic = watch.operationsTopicArn
      ? sns.Topic.fromTopicArn(this, 'OperationsTopic', watch.operationsTopicArn)
      : this.channels.topic;
    this.channels.warnIfNobodyIsTold(
      watch.operationsTopicArn
        ? `stage ${this.stage}'s findings`
        : `stage ${this.stage}'s findings and alarms`,
    );
    let orgMode: IamKeyAuditorStack['organization'];
    // `Default`: the function, rule and alarms keep the logical ids they had before the construct held them.
    const scheduled = new ScheduledAudit(this, 'Default', {
      stage: this.stage,
      schedule: this.schedule,
      config: this.auditConfig,
      monitoring: {
        namespace: watch.metricsNamespace,
        topic: alarmTopic,
        maxHoursWithoutAudit: watch.maxHoursWithoutAudit,
      },
      timeout,
      memorySize,
      logRetention,
      roleName: org ? auditorRoleName(this.stage) : undefined,
      // In organization mode the function reads IAM only through the member roles it assumes.
      readsIam: !org,
      ...(org
        ? {
            target: (auditFunction: AuditFunction) => {
              orgMode = this.addOrganizationMode(
                org,
                auditFunction,
                watch.metricsNamespace,
                alarmTopic,
                logRetention,
              );
              return new targets.SfnStateMachine(orgMode.fanout.stateMachine, { retryAttempts: 0 });
            },
          }
        : {}),
    });
    this.auditFunction = scheduled.auditFunction;
    this.alarms = scheduled.alarms;
    this.scheduleRule = scheduled.rule;
    this.organization = orgMode;
    const fn = this.auditFunction.function;
    this.channels.connect(
      fn,
      Object.values(this.auditConfig.teams).flatMap((team) =>
        team.webhookSecretArn ? [team.webhookSecretArn] : [],
      ),
    );
    if (state !== false) {
      this.stateTable = new AuditStateTable(this, 'State', state ?? {});
      this.stateTable.connect(fn);
    }
    this.reportBucket = ReportBucket.forFunction(this, 'Report', report, fn);

    addOperatorOutputs(this, {
      fn,
      logGroup: this.auditFunction.logGroup,
      topic: this.channels.topic,
      webhookSecret: this.channels.webhookSecret,
      stateMachine: this.organization?.fanout.stateMachine,
    });
  }

  /**
   * Organization mode: lets the function assume the member roles and the reader role (and no other role), names
   * them in its environment, and adds the run and its alarms.
   */
  private addOrganizationMode(
    org: OrganizationMode,
    auditFunction: AuditFunction,
    namespace: string,
    alarmTopic: sns.ITopic,
    logRetention: logs.RetentionDays | undefined,
  ): NonNullable<IamKeyAuditorStack['organization']> {
    const fn = auditFunction.function;
    const readerRoleArn = `arn:${this.partition}:iam::${org.readerAccountId}:role/${ORGANIZATION_READER_ROLE_NAME}`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AssumeTheOrganizationRoles',
        actions: ['sts:AssumeRole'],
        resources: [`arn:${this.partition}:iam::*:role/${MEMBER_ROLE_NAME}`, readerRoleArn],
        // A data perimeter: only roles of accounts in the organization, whatever account id a caller names.
        conditions: { StringEquals: { 'aws:ResourceOrgID': org.organizationId } },
      }),
    );
    // cdk-nag names an unresolved partition <AWS::Partition>, a resolved one as it is.
    const partition = Token.isUnresolved(this.partition) ? '<AWS::Partition>' : this.partition;
    Validations.of(auditFunction.role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:iam::*:role/${MEMBER_ROLE_NAME}]`,
      reason: `The member role has the same name in every account of the organization, and the accounts are only known at run time.`,
    });
    fn.addEnvironment(ORGANIZATION_ENV.accountRoleName, MEMBER_ROLE_NAME);
    fn.addEnvironment(ORGANIZATION_ENV.readerRoleArn, readerRoleArn);
    fn.addEnvironment(ORGANIZATION_ENV.externalId, org.externalId);
    // Absent means every account: the function reads an empty include list as "no account".
    if (org.include.length > 0) fn.addEnvironment(ORGANIZATION_ENV.include, JSON.stringify(org.include));
    fn.addEnvironment(ORGANIZATION_ENV.exclude, JSON.stringify(org.exclude));

    const fanout = new OrganizationFanout(this, 'Organization', {
      fn,
      maxConcurrency: org.maxConcurrency,
      distributedMapAbove: org.distributedMapAbove,
      logRetention,
    });
    const alarms = new OrganizationAlarms(this, 'OrganizationAlarms', {
      stateMachine: fanout.stateMachine,
      namespace,
      serviceName: SERVICE_NAME,
      topic: alarmTopic,
    });
    return { settings: org, fanout, alarms };
  }
}
