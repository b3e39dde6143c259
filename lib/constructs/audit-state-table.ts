import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../lambdas/audit/adapters/state-table-keys';
import { ENV } from '../../lambdas/audit/config';

export interface AuditStateTableProps {
  /**
   * What happens to the table when the stack is deleted: the state only says what is new and for how long findings
   * have been open, and is rebuilt by the next audit, so it is destroyed by default.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The state of open findings between audits: one item per finding (partition key the account id, sort key the
 * finding id), on-demand, point-in-time recovery on, and a TTL attribute so the items of findings nobody sees
 * again disappear. `connect(fn)` names it to the function and grants exactly the calls the stores make: Query to
 * read a partition, and the conditional PutItem, UpdateItem and DeleteItem of the state, the run lease, the
 * delivery outbox and an organization run's results.
 */
export class AuditStateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AuditStateTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
  }

  connect(fn: lambda.Function): void {
    fn.addEnvironment(ENV.stateTableName, this.table.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteAuditState',
        actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
      }),
    );
  }
}
