import { Annotations, SecretValue, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/audit/config';
import { SECRET_ARN, SNS_TOPIC_ARN, WEBHOOK_NOT_CONFIGURED } from '../../lambdas/audit/domain/patterns';

/** An existing Secrets Manager secret holding the Slack incoming webhook URL. */
export interface ExistingWebhookSecret {
  /** The secret's full ARN (with its six-character suffix). */
  readonly secretArn: string;
  /** The customer managed KMS key that encrypts the secret, if any: the function gets `kms:Decrypt` on it. */
  readonly kmsKeyArn?: string;
}

export interface NotificationChannelsProps {
  /**
   * Where the Slack webhook URL is kept. `'create'`: the stack creates a secret holding the marker
   * `WEBHOOK_NOT_CONFIGURED` (`domain/patterns.ts`) until the URL is put in after deploy (the stack outputs the
   * command), so the function reports Slack as not configured yet rather than failing; an
   * {@link ExistingWebhookSecret}: that secret is used; `false`: no Slack.
   *
   * @default 'create'
   */
  readonly slackWebhookSecret?: 'create' | ExistingWebhookSecret | false;

  /**
   * The SNS topic findings are published to. `{ topicArn }` imports an existing topic (its policy is the
   * owner's); otherwise the stack creates one that refuses non-TLS requests, with the given email subscriptions,
   * or none with `noSubscribers: true` (nobody is told, on purpose). A created topic with neither, which also
   * receives the alarms, synthesizes with a warning that nobody will be told.
   *
   * @default a new topic with no subscriptions, and that warning
   */
  readonly topic?: { readonly topicArn: string } | CreatedTopicProps;
}

/** The topic the stack creates: who is subscribed to it. */
export interface CreatedTopicProps {
  /** Email addresses subscribed to the topic (each confirms the subscription from the email AWS sends). */
  readonly emailSubscriptions?: readonly string[];
  /** Nobody is subscribed, on purpose: no warning at synth. Not with `emailSubscriptions`. */
  readonly noSubscribers?: boolean;
}

/** The id of the warning a stage gets when nobody is told of its findings and alarms. */
export const NOBODY_TOLD_WARNING = 'iam-key-auditor:nobodyIsTold';

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** Throws unless the props name valid ARNs and addresses; each message names the value and what is allowed. */
export function validateNotificationChannels(props: NotificationChannelsProps): NotificationChannelsProps {
  const secret = props.slackWebhookSecret;
  if (secret && secret !== 'create') {
    check(
      SECRET_ARN.test(secret.secretArn),
      `slackWebhookSecret.secretArn must be a secret's full ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>); got ${JSON.stringify(secret.secretArn)}`,
    );
    if (secret.kmsKeyArn !== undefined) {
      check(
        KMS_KEY_ARN.test(secret.kmsKeyArn),
        `slackWebhookSecret.kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); got ${JSON.stringify(secret.kmsKeyArn)}`,
      );
    }
  }
  const topic = props.topic;
  if (topic && 'topicArn' in topic) {
    check(
      SNS_TOPIC_ARN.test(topic.topicArn),
      `topic.topicArn must be an SNS topic ARN; got ${JSON.stringify(topic.topicArn)}`,
    );
  } else {
    for (const address of topic?.emailSubscriptions ?? []) {
      check(
        EMAIL.test(address),
        `topic.emailSubscriptions has an invalid email address ${JSON.stringify(address)}`,
      );
    }
    check(
      !(topic?.noSubscribers && topic.emailSubscriptions?.length),
      `topic.noSubscribers says nobody is subscribed, but topic.emailSubscriptions names ${JSON.stringify(topic?.emailSubscriptions)}: set one or the other`,
    );
  }
  return props;
}

/**
 * The channels an audit's report goes to: the findings SNS topic and the secret holding the Slack webhook URL.
 * `connect(fn)` gives the function their ARNs (never the webhook URL itself) and exactly the permissions to use
 * them: `sns:Publish` on the topic, `secretsmanager:GetSecretValue` on the secret, and `kms:Decrypt` through
 * Secrets Manager only when the secret has a customer managed key.
 */
export class NotificationChannels extends Construct {
  readonly topic: sns.ITopic;
  readonly webhookSecret?: secretsmanager.ISecret;
  /** Whether a person is subscribed to the topic, or its owner (an imported topic) decides, or nobody on purpose. */
  readonly subscribers: 'email' | 'imported' | 'nobody-on-purpose' | 'nobody';
  private readonly webhookKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: NotificationChannelsProps = {}) {
    super(scope, id);
    validateNotificationChannels(props);

    const topicProps = props.topic;
    if (topicProps && 'topicArn' in topicProps) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', topicProps.topicArn);
      this.subscribers = 'imported';
    } else {
      const topic = new sns.Topic(this, 'Topic', { displayName: 'IAM key audit findings', enforceSSL: true });
      for (const address of topicProps?.emailSubscriptions ?? []) {
        topic.addSubscription(new subscriptions.EmailSubscription(address));
      }
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'The findings hold no secrets, and CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key.',
      });
      this.topic = topic;
      this.subscribers = topicProps?.emailSubscriptions?.length
        ? 'email'
        : topicProps?.noSubscribers
          ? 'nobody-on-purpose'
          : 'nobody';
    }

    const secretProps = props.slackWebhookSecret ?? 'create';
    if (secretProps === 'create') {
      const secret = new secretsmanager.Secret(this, 'SlackWebhookUrl', {
        description:
          'The Slack incoming webhook URL the IAM key auditor posts to: put it in after deploy (the stack output SlackWebhookCommand).',
        // Not a secret: a marker the function recognises, so a fresh deploy says Slack is not configured yet.
        secretStringValue: SecretValue.unsafePlainText(WEBHOOK_NOT_CONFIGURED),
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A Slack incoming webhook URL cannot be rotated by a Lambda: Slack issues it, and a person replaces it.',
      });
      this.webhookSecret = secret;
    } else if (secretProps) {
      this.webhookSecret = secretsmanager.Secret.fromSecretCompleteArn(
        this,
        'SlackWebhookUrl',
        secretProps.secretArn,
      );
      if (secretProps.kmsKeyArn)
        this.webhookKey = kms.Key.fromKeyArn(this, 'SlackWebhookKey', secretProps.kmsKeyArn);
    }
  }

  /**
   * Warns at synth (an acknowledgeable CDK warning) when nobody is subscribed to the created topic and it gets
   * `what` (the findings, and the alarms unless they go to an operations topic), naming the two fixes.
   */
  warnIfNobodyIsTold(what: string): void {
    if (this.subscribers !== 'nobody') return;
    Annotations.of(this).addWarningV2(
      NOBODY_TOLD_WARNING,
      `nobody is subscribed to the findings topic, so nobody will be told of ${what}: deploy with ` +
        `-c deployConfig=deploy.json holding {"alertEmail": "team@example.com"} (notifications.topic.emailSubscriptions), ` +
        `or "alertEmail": "nobody" (notifications.topic.noSubscribers: true) to say so on purpose`,
    );
  }

  /**
   * Points the function at the channels and grants it exactly what it needs to use them; `teamSecretArns` are
   * the webhook secrets of teams with a Slack channel of their own.
   */
  connect(fn: lambda.Function, teamSecretArns: readonly string[] = []): void {
    this.topic.grantPublish(fn);
    fn.addEnvironment(ENV.snsTopicArn, this.topic.topicArn);
    if (this.webhookSecret) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadSlackWebhookUrl',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.webhookSecret.secretArn, ...teamSecretArns],
        }),
      );
      fn.addEnvironment(ENV.slackWebhookSecretArn, this.webhookSecret.secretArn);
    } else if (teamSecretArns.length > 0) {
      throw new Error(
        'teams have Slack webhooks of their own, but Slack is off (slackWebhookSecret: false): the default channel is needed for unowned findings',
      );
    }
    if (this.webhookKey) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DecryptSlackWebhookUrl',
          actions: ['kms:Decrypt'],
          resources: [this.webhookKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${fn.stack.region}.amazonaws.com` },
          },
        }),
      );
    }
  }
}
