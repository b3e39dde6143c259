import { Duration, RemovalPolicy, Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';

/**
 * The `organization` field of each payload the state machine sends the audit function, one per step (`runId` is
 * the execution's name):
 *
 * - `list-accounts`: `{ organization, runId }` → `{ runId, count, accounts }`, `accounts` being
 *   `[{ accountId, accountName }]`, the ACTIVE accounts to audit (include and exclude applied); the state machine
 *   keeps `accounts` and counts them itself;
 * - `audit-account`: `{ organization, runId, accountId, accountName }`, once per account → the function stores the
 *   account's result in the state table under the run and returns `{ accountId, status, error? }` (`status`
 *   `'audited'` or `'failed'`: an account it cannot audit is a failed result, not an error); the state machine
 *   keeps `accountId` and `status`;
 * - `notify`: `{ organization, runId }` → the function reads the run's results back (a listed account without
 *   one failed), sends one organization digest and returns `{ runId, summary, ... }`; the state machine keeps
 *   `runId` and `summary`.
 */
export const ORGANIZATION_STEP = {
  listAccounts: 'list-accounts',
  auditAccount: 'audit-account',
  notify: 'notify',
} as const;

/** The errors of the Lambda service itself (not of the function) that a step retries. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/** Defaults of {@link OrganizationFanoutProps}. */
export const ORGANIZATION_FANOUT_DEFAULTS = {
  maxConcurrency: 10,
  distributedMapAbove: 500,
  logRetention: logs.RetentionDays.THREE_MONTHS,
} as const;

/** How many accounts may be audited at once: at least one, at most 40 (each is a 15-minute Lambda at worst). */
export const MAX_CONCURRENCY_RANGE = { min: 1, max: 40 } as const;
/**
 * Above how many accounts the distributed Map takes over. An inline Map's iterations share the execution's
 * 25,000-event history (about 7 events an account, more with retries), so the inline Map is kept below 1,000.
 */
export const DISTRIBUTED_MAP_ABOVE_RANGE = { min: 1, max: 1000 } as const;

export interface OrganizationFanoutProps {
  /** The audit function, invoked once to list the accounts, once per account, and once to notify. */
  readonly fn: lambda.Function;

  /**
   * How many accounts are audited at once, 1 to 40. Each audit makes its own IAM calls in its own account, so
   * accounts do not throttle each other; the bound is on concurrent Lambda invocations.
   *
   * @default 10
   */
  readonly maxConcurrency?: number;

  /**
   * Above this many accounts the run uses a distributed Map (child executions) instead of an inline Map, 1 to
   * 1,000.
   *
   * @default 500
   */
  readonly distributedMapAbove?: number;

  /**
   * Retention of the state machine's log group.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

function checkWhole(what: string, value: number, range: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new Error(`${what} must be a whole number from ${range.min} to ${range.max}; got ${value}`);
  }
  return value;
}

/** Throws unless `maxConcurrency` is a whole number from 1 to 40; the message names the value. */
export function validateMaxConcurrency(value: number): number {
  return checkWhole('maxConcurrency', value, MAX_CONCURRENCY_RANGE);
}

/** Throws unless `distributedMapAbove` is a whole number from 1 to 1,000; the message names the value. */
export function validateDistributedMapAbove(value: number): number {
  return checkWhole('distributedMapAbove', value, DISTRIBUTED_MAP_ABOVE_RANGE);
}

/**
 * The organization run, a Standard state machine:
 *
 * 1. `ListAccounts` invokes the function with `list-accounts`;
 * 2. `ManyAccounts` chooses the inline Map (`AuditAccounts`) up to `distributedMapAbove` accounts, the
 *    distributed Map (`AuditAccountsDistributed`, Standard child executions) above;
 * 3. either Map audits each account with `audit-account`, at most `maxConcurrency` at once. Each item retries
 *    the Lambda service's own errors, and catches every other error (the function timed out or crashed) into
 *    `{ accountId, status: 'failed', error }`, the error's name, so one account's failure never stops the others.
 *    The Map's results are discarded: each account's result is in the state table, where a crashed account has
 *    none, which the notify step reports as a failure;
 * 4. `Notify` invokes the function with `notify`.
 *
 * Only small objects flow between the states (ids, names, statuses). A state's input and output are capped at
 * 256 KiB, which holds the account list of an organization of about 3,000 accounts.
 *
 * The state machine logs every event with its data (account ids and names, no secret) to its own log group,
 * kept three months and destroyed with the stack (the audit's results are in the function's retained logs),
 * and is traced with X-Ray. Nothing is granted to start it: the caller grants that (the schedule's rule).
 */
export class OrganizationFanout extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrganizationFanoutProps) {
    super(scope, id);
    const maxConcurrency = validateMaxConcurrency(
      props.maxConcurrency ?? ORGANIZATION_FANOUT_DEFAULTS.maxConcurrency,
    );
    const distributedMapAbove = validateDistributedMapAbove(
      props.distributedMapAbove ?? ORGANIZATION_FANOUT_DEFAULTS.distributedMapAbove,
    );
    const fn = props.fn;

    const invoke = (
      stateId: string,
      comment: string,
      payload: Record<string, unknown> | undefined,
      resultSelector: Record<string, unknown>,
    ) => {
      const task = new tasks.LambdaInvoke(this, stateId, {
        comment,
        lambdaFunction: fn,
        payload: payload ? sfn.TaskInput.fromObject(payload) : undefined,
        resultSelector,
        retryOnServiceExceptions: false,
      });
      task.addRetry({
        errors: LAMBDA_SERVICE_ERRORS,
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      });
      return task;
    };
    const runId = sfn.JsonPath.executionName;

    // The count is the list's own length, so the Choice and the Map cannot disagree.
    const listAccounts = invoke(
      'ListAccounts',
      'Lists the ACTIVE accounts to audit',
      { organization: ORGANIZATION_STEP.listAccounts, runId },
      {
        count: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.Payload.accounts')),
        accounts: sfn.JsonPath.listAt('$.Payload.accounts'),
      },
    );

    // Each Map builds the audit-account payload from its item; the task sends it as it is.
    const itemSelector = {
      organization: ORGANIZATION_STEP.auditAccount,
      runId,
      accountId: sfn.JsonPath.stringAt('$$.Map.Item.Value.accountId'),
      accountName: sfn.JsonPath.stringAt('$$.Map.Item.Value.accountName'),
    };
    const auditOneAccount = (suffix: string): sfn.IChainable => {
      const audit = invoke(
        `AuditAccount${suffix}`,
        'Audits one account through its read-only role',
        undefined,
        {
          accountId: sfn.JsonPath.stringAt('$.Payload.accountId'),
          status: sfn.JsonPath.stringAt('$.Payload.status'),
        },
      );
      const failed = new sfn.Pass(this, `AccountFailed${suffix}`, {
        comment: 'Records the account as failed and lets the other accounts go on',
        parameters: {
          accountId: sfn.JsonPath.stringAt('$.accountId'),
          status: 'failed',
          error: sfn.JsonPath.stringAt('$.error.Error'),
        },
      });
      audit.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      return audit;
    };

    const inline = new sfn.Map(this, 'AuditAccounts', {
      comment: `Audits each account, ${maxConcurrency} at a time`,
      itemsPath: '$.accounts',
      itemSelector,
      maxConcurrency,
      resultPath: sfn.JsonPath.DISCARD,
    });
    inline.itemProcessor(auditOneAccount(''));

    const distributed = new sfn.DistributedMap(this, 'AuditAccountsDistributed', {
      comment: `Audits each account in a child execution, ${maxConcurrency} at a time`,
      itemsPath: '$.accounts',
      itemSelector,
      maxConcurrency,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultPath: sfn.JsonPath.DISCARD,
    });
    distributed.itemProcessor(auditOneAccount('Distributed'));

    const notify = invoke(
      'Notify',
      'Aggregates the run into one organization report and sends it',
      { organization: ORGANIZATION_STEP.notify, runId },
      {
        runId: sfn.JsonPath.stringAt('$.Payload.runId'),
        summary: sfn.JsonPath.objectAt('$.Payload.summary'),
      },
    );
    inline.next(notify);
    distributed.next(notify);

    const choose = new sfn.Choice(this, 'ManyAccounts', {
      comment: `A distributed Map above ${distributedMapAbove} accounts, an inline one up to that`,
    })
      .when(sfn.Condition.numberGreaterThan('$.count', distributedMapAbove), distributed)
      .otherwise(inline);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? ORGANIZATION_FANOUT_DEFAULTS.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Audits the IAM access keys of every account of the organization, then notifies once',
      definitionBody: sfn.DefinitionBody.fromChainable(listAccounts.next(choose)),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.acknowledgeGeneratedGrants(fn);
  }

  /** The wildcards of the policies CDK writes for the state machine, each acknowledged where it is. */
  private acknowledgeGeneratedGrants(fn: lambda.Function): void {
    const stack = Stack.of(this);
    // cdk-nag names an unresolved pseudo parameter <AWS::...>, a resolved one as it is.
    const pseudo = (value: string, parameter: string) =>
      Token.isUnresolved(value) ? `<AWS::${parameter}>` : value;
    const logicalId = (construct: IConstruct) =>
      stack.getLogicalId(construct.node.defaultChild as CfnElement);
    // The state machine's name as CDK writes it in the distributed Map's policy, and cdk-nag renders it.
    const name = JSON.stringify({
      'Fn::Select': [6, { 'Fn::Split': [':', { Ref: logicalId(this.stateMachine) }] }],
    });
    const executions = `arn:${pseudo(stack.partition, 'Partition')}:states:${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}:execution:${name}`;
    const functionId = logicalId(fn);
    const role = this.stateMachine.role.node;
    Validations.of(role.findChild('DefaultPolicy')).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs log delivery and X-Ray tracing, which the state machine needs for its logs and traces, have no resource-level permissions.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
        reason:
          "The Lambda task's grant covers the audit function's versions and aliases; the state machine invokes no other function.",
      },
    );
    Validations.of(this.stateMachine.node.findChild('DistributedMapPolicy')).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${executions}:*]`,
        reason:
          "The distributed Map describes and stops the child executions of this state machine's runs only, whose ids are known at run time.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::${executions}/*:*]`,
        reason:
          "The distributed Map redrives the map runs of this state machine's executions only, whose ids are known at run time.",
      },
    );
  }
}
