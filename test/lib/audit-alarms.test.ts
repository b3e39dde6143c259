import { Match } from 'aws-cdk-lib/assertions';
import { STAGES } from '../../bin/stages';
import { onlyResource, synth, synthDefault } from '../support/cdk';

const OPS_TOPIC = 'arn:aws:sns:eu-west-2:123456789012:platform-operations';

function alarm(template: ReturnType<typeof synth>['template'], metricName: string, channel?: string) {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((resource) => {
    const props = (
      resource as { Properties: { MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } }
    ).Properties;
    return (
      props.MetricName === metricName &&
      (!channel || props.Dimensions?.some((d) => d.Name === 'Channel' && d.Value === channel))
    );
  });
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Record<string, unknown> }).Properties;
}

describe('alarms', () => {
  it('fire when the function errors', () => {
    const { template } = synthDefault();
    const [functionId] = onlyResource(template, 'AWS::Lambda::Function');
    expect(alarm(template, 'Errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('fire when no full audit completed for 26 hours, missing data counting as breaching', () => {
    const { template } = synthDefault();
    expect(alarm(template, 'AuditCompleted')).toMatchObject({
      Namespace: 'IamKeyAuditor',
      Dimensions: [{ Name: 'service', Value: 'iam-key-auditor' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it.each(['slack', 'sns'])('fire when the %s channel failed after its retries', (channel) => {
    const { template } = synthDefault();
    expect(alarm(template, 'NotificationFailed', channel)).toMatchObject({
      Namespace: 'IamKeyAuditor',
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'iam-key-auditor' },
        { Name: 'Channel', Value: channel },
      ]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it("send ALARM and OK to the findings topic, which lets this account's alarms publish", () => {
    const { template } = synthDefault();
    const [topicId] = onlyResource(template, 'AWS::SNS::Topic');
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    for (const props of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((props as { Properties: unknown }).Properties).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
    }
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: Match.anyValue(),
            },
          }),
        ]),
      },
    });
  });

  it('go to the operations topic when one is named', () => {
    const { template } = synth({ monitoring: { operationsTopicArn: OPS_TOPIC } });
    for (const props of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((props as { Properties: unknown }).Properties).toMatchObject({ AlarmActions: [OPS_TOPIC] });
    }
    expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).not.toContain(
      'cloudwatch.amazonaws.com',
    );
  });

  it('read the namespace the function writes its metrics to', () => {
    const { template } = synth({ monitoring: { metricsNamespace: 'Platform/IamKeys' } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_METRICS_NAMESPACE: 'Platform/IamKeys',
          POWERTOOLS_SERVICE_NAME: 'iam-key-auditor',
        }),
      },
    });
    expect(alarm(template, 'AuditCompleted')).toMatchObject({ Namespace: 'Platform/IamKeys' });
  });

  it('allow a weekday-only stage its weekend', () => {
    const integration = STAGES.find((s) => s.stage === 'integration')!;
    const { template } = synth(integration);
    expect(alarm(template, 'AuditCompleted')).toMatchObject({ EvaluationPeriods: 74, DatapointsToAlarm: 74 });
  });

  it.each([
    [
      { maxHoursWithoutAudit: 1 },
      /maxHoursWithoutAudit must be a whole number of hours from 2 to 168; got 1$/,
    ],
    [{ maxHoursWithoutAudit: 200 }, /got 200$/],
    [{ maxHoursWithoutAudit: 25.5 }, /got 25.5$/],
    [
      { metricsNamespace: 'AWS/Lambda' },
      /metricsNamespace must be .* not start with AWS\/; got "AWS\/Lambda"/,
    ],
    [{ operationsTopicArn: 'ops' }, /operationsTopicArn must be an SNS topic ARN; got "ops"/],
  ])('reject %j at synth', (monitoring, message) => {
    expect(() => synth({ monitoring })).toThrow(message);
    expect(() => synth({ monitoring })).toThrow(/^IamKeyAuditor-test: invalid monitoring: /);
  });
});
