/**
 * The auditor stack's outputs: what an operator needs after a deploy, as names and as commands to paste (put the
 * Slack webhook URL, run a dry run or a manual re-audit, read the logs). Added on the stack itself, so that each
 * output keeps its plain key (`DryRunCommand`, not one prefixed with a construct's id).
 */
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

export interface OperatorOutputsProps {
  fn: lambda.IFunction;
  logGroup: logs.ILogGroup;
  topic: sns.ITopic;
  /** The default Slack webhook's secret, created or imported; none when there is no default webhook. */
  webhookSecret?: secretsmanager.ISecret;
  /** The organization run, in organization mode: then a manual re-audit names the member account. */
  stateMachine?: sfn.IStateMachine;
}

export function addOperatorOutputs(stack: Stack, props: OperatorOutputsProps): void {
  const { fn, logGroup, topic, webhookSecret, stateMachine } = props;
  new CfnOutput(stack, 'AuditFunctionName', {
    description: 'Name of the audit Lambda function',
    value: fn.functionName,
  });
  new CfnOutput(stack, 'FindingsTopicArn', {
    description: 'The SNS topic the findings are published to',
    value: topic.topicArn,
  });
  if (webhookSecret) {
    new CfnOutput(stack, 'SlackWebhookSecretArn', {
      description: 'Put the Slack incoming webhook URL in this secret: aws secretsmanager put-secret-value',
      value: webhookSecret.secretArn,
    });
    new CfnOutput(stack, 'SlackWebhookCommand', {
      description: 'Puts the Slack incoming webhook URL in the secret (replace the URL with yours)',
      value: `aws secretsmanager put-secret-value --region ${stack.region} --secret-id ${webhookSecret.secretArn} --secret-string 'https://hooks.slack.com/services/T000/B000/XXXX'`,
    });
  }
  if (stateMachine) {
    new CfnOutput(stack, 'StateMachineArn', {
      description: 'The organization run: lists the accounts, audits each, notifies once',
      value: stateMachine.stateMachineArn,
    });
  }
  // In organization mode a manual re-audit names the member account.
  const [manualDescription, manualPayload] = stateMachine
    ? ['the member account, and the users in it,', '{"accountId":"111122223333","users":["alice"]}']
    : ['the users', '{"users":["alice"]}'];
  const dryRunPayload = stateMachine ? '{"accountId":"111122223333","dryRun":true}' : '{"dryRun":true}';
  new CfnOutput(stack, 'DryRunCommand', {
    description: `Runs the audit now as a dry run${stateMachine ? ' of the member account named' : ''}: sends nothing, writes nothing, returns the report`,
    value: `aws lambda invoke --region ${stack.region} --function-name ${fn.functionName} --cli-binary-format raw-in-base64-out --payload '${dryRunPayload}' report.json`,
  });
  new CfnOutput(stack, 'LogsCommand', {
    description: 'Shows the summary line of each audit of the last day (the first scheduled run included)',
    value: `aws logs tail --region ${stack.region} ${logGroup.logGroupName} --since 1d --filter-pattern '{ $.message = "audit complete" }'`,
  });
  new CfnOutput(stack, 'ManualInvokeCommand', {
    description: `Runs the audit now for ${manualDescription} named in the payload`,
    value: `aws lambda invoke --region ${stack.region} --function-name ${fn.functionName} --cli-binary-format raw-in-base64-out --payload '${manualPayload}' out.json`,
  });
}
