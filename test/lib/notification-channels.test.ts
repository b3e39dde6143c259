import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { WEBHOOK_NOT_CONFIGURED } from '../../lambdas/audit/domain/patterns';
import { actionsOf, allStatements, onlyResource, synth, synthDefault } from '../support/cdk';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:iam-key-auditor/slack-AbC123';
const TOPIC_ARN = 'arn:aws:sns:eu-west-2:123456789012:platform-alerts';
const KEY_ARN = 'arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('notification channels', () => {
  it('creates a findings topic that refuses requests without TLS', () => {
    const { template } = synthDefault();
    const [topicId] = onlyResource(template, 'AWS::SNS::Topic');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes the email addresses it is given', () => {
    const { template } = synth({
      notifications: { topic: { emailSubscriptions: ['platform@acme.example', 'sec@acme.example'] } },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'platform@acme.example',
    });
  });

  it('gives the function the topic and secret ARNs, never the webhook URL', () => {
    const { template } = synthDefault();
    const [topicId] = onlyResource(template, 'AWS::SNS::Topic');
    const [secretId] = onlyResource(template, 'AWS::SecretsManager::Secret');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SNS_TOPIC_ARN: { Ref: topicId },
          SLACK_WEBHOOK_SECRET_ARN: { Ref: secretId },
        }),
      },
    });
    // The created secret starts with the marker the function recognises; a person puts the URL in after deploy.
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: WEBHOOK_NOT_CONFIGURED,
      GenerateSecretString: Match.absent(),
    });
    const resources = JSON.stringify(template.toJSON().Resources);
    expect(resources).not.toMatch(/hooks\.slack\.com/);
  });

  it('subscribes nobody, on purpose and without a warning, with noSubscribers', () => {
    const { stack, template } = synth({ notifications: { topic: { noSubscribers: true } } });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(stack.channels.subscribers).toBe('nobody-on-purpose');
  });

  it('warns of the findings only when the alarms go to an operations topic', () => {
    const { stack } = synth({ monitoring: { operationsTopicArn: TOPIC_ARN } });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual([
      expect.stringContaining("nobody will be told of stage test's findings: deploy with"),
    ]);
  });

  it('does not warn for an imported topic: its owner decides who is subscribed', () => {
    const { stack } = synth({ notifications: { topic: { topicArn: TOPIC_ARN } } });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('imports an existing topic and secret, and decrypts the secret through Secrets Manager only', () => {
    const { template } = synth({
      notifications: {
        topic: { topicArn: TOPIC_ARN },
        slackWebhookSecret: { secretArn: SECRET_ARN, kmsKeyArn: KEY_ARN },
      },
    });
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const statements = allStatements(template);
    const grant = (action: string) => statements.filter((s) => actionsOf(s).includes(action));
    expect(grant('sns:Publish').map((s) => s.Resource)).toEqual([TOPIC_ARN]);
    expect(grant('secretsmanager:GetSecretValue').map((s) => s.Resource)).toEqual([SECRET_ARN]);
    expect(grant('kms:Decrypt')).toEqual([
      expect.objectContaining({
        Resource: KEY_ARN,
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
          },
        },
      }),
    ]);
  });

  it('grants no secret access and sets no secret variable when Slack is off', () => {
    const { template } = synth({ notifications: { slackWebhookSecret: false } });
    expect(allStatements(template).flatMap(actionsOf)).not.toContain('secretsmanager:GetSecretValue');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SLACK_WEBHOOK_SECRET_ARN: Match.absent() }) },
    });
  });

  it.each([
    [
      { slackWebhookSecret: { secretArn: 'iam-key-auditor/slack' } },
      /slackWebhookSecret\.secretArn must be a secret's full ARN .*; got "iam-key-auditor\/slack"/,
    ],
    [
      { slackWebhookSecret: { secretArn: SECRET_ARN, kmsKeyArn: 'alias/slack' } },
      /kmsKeyArn must be a KMS key ARN .*; got "alias\/slack"/,
    ],
    [
      { topic: { topicArn: 'platform-alerts' } },
      /topic\.topicArn must be an SNS topic ARN; got "platform-alerts"/,
    ],
    [{ topic: { emailSubscriptions: ['platform at acme'] } }, /invalid email address "platform at acme"/],
    [
      { topic: { emailSubscriptions: ['a@acme.example'], noSubscribers: true } },
      /topic\.noSubscribers says nobody is subscribed, but topic\.emailSubscriptions names \["a@acme\.example"\]/,
    ],
  ])('rejects %j at synth, naming the value', (notifications, message) => {
    expect(() => synth({ notifications })).toThrow(message);
    expect(() => synth({ notifications })).toThrow(/^IamKeyAuditor-test: invalid notifications: /);
  });
});
