import { Match } from 'aws-cdk-lib/assertions';
import { onlyResource, synth, synthDefault } from '../support/cdk';

describe('the state table', () => {
  it('is on-demand, with point-in-time recovery, a TTL, and the store key schema', () => {
    const { template } = synthDefault();
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('is named to the function', () => {
    const { template } = synthDefault();
    const [tableId] = onlyResource(template, 'AWS::DynamoDB::Table');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STATE_TABLE_NAME: { Ref: tableId } }) },
    });
  });

  it('is left out with state: false, and so are its grants', () => {
    const { template } = synth({ state: false });
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/dynamodb:|STATE_TABLE_NAME/);
  });
});
