/**
 * The README's guard on the auditor's tags, evaluated as AWS would (iam-simulate, as a service control policy):
 * only administrators may set or remove `iam-key-auditor:*` and `team` on IAM users; other tags stay free.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The JSON block of the README that holds the `OnlyAdminsSetAuditorTags` statement. */
function tagGuardPolicy(): unknown {
  const blocks = [...README.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes('OnlyAdminsSetAuditorTags'));
  if (!block) throw new Error('the README has no OnlyAdminsSetAuditorTags policy');
  return JSON.parse(block);
}

const ACCOUNT = '222222222222';
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_AdministratorAccess_0123456789abcdef`;
const DEVELOPER = `arn:aws:iam::${ACCOUNT}:role/developer`;
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

async function decide(principal: string, action: string, tagKeys: string[]): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT },
        contextVariables: { 'aws:TagKeys': tagKeys, 'aws:PrincipalArn': principal },
      },
      identityPolicies: [{ name: 'admin-like', policy: ALLOW_ALL }],
      serviceControlPolicies: [
        {
          orgIdentifier: 'r-ab12',
          policies: [
            { name: 'FullAWSAccess', policy: ALLOW_ALL },
            { name: 'OnlyAdminsSetAuditorTags', policy: tagGuardPolicy() },
          ],
        },
      ],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

describe("the README's guard on the auditor's tags (an SCP)", () => {
  it.each([
    ['iam:TagUser', ['iam-key-auditor:exempt']],
    ['iam:TagUser', ['team']],
    ['iam:UntagUser', ['team']],
    ['iam:CreateUser', ['cost-centre', 'iam-key-auditor:exempt']],
  ])('stops a non-administrator: %s %j', async (action, keys) => {
    expect(await decide(DEVELOPER, action, keys)).toBe('ExplicitlyDenied');
  });

  it.each([
    ['iam:TagUser', ['iam-key-auditor:exempt']],
    ['iam:UntagUser', ['team']],
  ])('lets an administrator: %s %j', async (action, keys) => {
    expect(await decide(ADMIN, action, keys)).toBe('Allowed');
  });

  it('leaves other tags to everyone', async () => {
    expect(await decide(DEVELOPER, 'iam:TagUser', ['cost-centre'])).toBe('Allowed');
  });
});
