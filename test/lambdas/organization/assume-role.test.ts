import 'aws-sdk-client-mock-jest';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AccountAccessError,
  assumeAuditRole,
  auditRoleArn,
  type AuditRoleTarget,
} from '../../../lambdas/audit/organization/assume-role';

const stsMock = mockClient(STSClient);
const sts = new STSClient({ region: 'us-east-1' });

const ROLE = 'IamKeyAuditorReadOnly';
const WITH_ROLE = '111111111111';
const WITHOUT_ROLE = '222222222222';
const EXPIRATION = new Date('2026-11-28T10:00:00Z');

/** Credentials STS hands out for `accountId`: distinctive strings, so a test can look for them anywhere. */
function credentialsOf(accountId: string) {
  return {
    AccessKeyId: `ASIA${accountId}SECRETID`,
    SecretAccessKey: `secret-access-key-of-${accountId}`,
    SessionToken: `session-token-of-${accountId}`,
    Expiration: EXPIRATION,
  };
}

function stsError(name: string, message: string): STSServiceException {
  return new STSServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message });
}

/** The role exists in WITH_ROLE only; STS answers AccessDenied for the role ARN of any other account. */
function serveOrganization(): void {
  stsMock.reset();
  stsMock.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const accountId = input.RoleArn.split(':')[4] ?? '';
    if (accountId !== WITH_ROLE) {
      throw stsError(
        'AccessDenied',
        `User: arn:aws:sts::999999999999:assumed-role/auditor/fn is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
      );
    }
    return { Credentials: credentialsOf(accountId), AssumedRoleUser: { Arn: 'x', AssumedRoleId: 'y' } };
  });
}

async function accessErrorOf(promise: Promise<unknown>): Promise<AccountAccessError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AccountAccessError);
  return error as AccountAccessError;
}

function target(partial: Partial<AuditRoleTarget> = {}): AuditRoleTarget {
  return { accountId: WITH_ROLE, roleName: ROLE, ...partial };
}

beforeEach(serveOrganization);

describe('assumeAuditRole', () => {
  it("returns the role's credentials, asking for an hour under the session name iam-key-auditor", async () => {
    await expect(assumeAuditRole(sts, target())).resolves.toEqual({
      accessKeyId: `ASIA${WITH_ROLE}SECRETID`,
      secretAccessKey: `secret-access-key-of-${WITH_ROLE}`,
      sessionToken: `session-token-of-${WITH_ROLE}`,
      expiration: EXPIRATION,
    });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    const input = stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(input).toEqual({
      RoleArn: `arn:aws:iam::${WITH_ROLE}:role/${ROLE}`,
      RoleSessionName: 'iam-key-auditor',
      DurationSeconds: 3600,
    });
  });

  it('passes the external id, and builds the ARN in another partition and with a path', async () => {
    stsMock.on(AssumeRoleCommand).resolves({ Credentials: credentialsOf(WITH_ROLE) });

    await assumeAuditRole(
      sts,
      target({ roleName: `audit/${ROLE}`, externalId: 'org-audit-2026', partition: 'aws-us-gov' }),
    );

    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws-us-gov:iam::${WITH_ROLE}:role/audit/${ROLE}`,
      ExternalId: 'org-audit-2026',
    });
  });

  it('reports the role missing in one account as that account’s AccountAccessError; the others still work', async () => {
    const results = await Promise.allSettled(
      [WITH_ROLE, WITHOUT_ROLE, WITH_ROLE].map((accountId) => assumeAuditRole(sts, target({ accountId }))),
    );

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = await accessErrorOf(assumeAuditRole(sts, target({ accountId: WITHOUT_ROLE })));
    expect(error.message).toBe(
      `cannot assume arn:aws:iam::${WITHOUT_ROLE}:role/${ROLE} in account ${WITHOUT_ROLE}: AccessDenied (is the member role deployed there?)`,
    );
    expect(error).toMatchObject({
      name: 'AccountAccessError',
      accountId: WITHOUT_ROLE,
      roleArn: `arn:aws:iam::${WITHOUT_ROLE}:role/${ROLE}`,
      reason: 'AccessDenied (is the member role deployed there?)',
    });
    expect((error.cause as Error).name).toBe('AccessDenied');
  });

  it.each([
    ['ThrottlingException', "ThrottlingException (throttled after the SDK's retries)"],
    ['Throttling', "Throttling (throttled after the SDK's retries)"],
    [
      'RegionDisabledException',
      'RegionDisabledException (STS is not activated in this region for the account)',
    ],
    ['ExpiredTokenException', "ExpiredTokenException (the auditor's own credentials expired)"],
    ['MalformedPolicyDocument', 'MalformedPolicyDocument'],
  ])('names %s and what it means', async (name, reason) => {
    stsMock
      .on(AssumeRoleCommand)
      .rejects(stsError(name, `${name}: details quoting arn:aws:sts::999999999999`));

    const error = await accessErrorOf(assumeAuditRole(sts, target()));

    expect(error.message).toBe(
      `cannot assume arn:aws:iam::${WITH_ROLE}:role/${ROLE} in account ${WITH_ROLE}: ${reason}`,
    );
  });

  it.each([
    ['no Credentials', {}, 'STS answered without credentials'],
    [
      'no SessionToken',
      { Credentials: { ...credentialsOf(WITH_ROLE), SessionToken: undefined } },
      'STS answered with incomplete credentials',
    ],
    [
      'an empty SecretAccessKey',
      { Credentials: { ...credentialsOf(WITH_ROLE), SecretAccessKey: '' } },
      'STS answered with incomplete credentials',
    ],
  ])('refuses an answer with %s, without quoting what it got', async (_, answer, reason) => {
    stsMock.on(AssumeRoleCommand).resolves(answer as never);

    const error = await accessErrorOf(assumeAuditRole(sts, target()));

    expect(error.reason).toBe(reason);
    expect(error.message).not.toMatch(/ASIA|secret-access-key|session-token/);
  });

  it.each<[string, Partial<AuditRoleTarget>, string]>([
    ['an account id of 11 digits', { accountId: '11111111111' }, 'the account id is not 12 digits'],
    ['an empty role name', { roleName: '' }, 'the role name is not a valid IAM role name'],
    [
      'a role name with a space',
      { roleName: 'Iam Key Auditor' },
      'the role name is not a valid IAM role name',
    ],
    ['an unknown partition', { partition: 'azure' }, 'the partition is not valid'],
    [
      'an external id of one character',
      { externalId: 'x' },
      'the external id is not 2 to 1224 letters, digits or +=,.@:/-',
    ],
  ])('refuses %s before calling STS', async (_, partial, reason) => {
    const error = await accessErrorOf(assumeAuditRole(sts, target(partial)));

    expect(error.reason).toBe(reason);
    expect(stsMock).not.toHaveReceivedCommand(AssumeRoleCommand);
  });

  it('never puts credentials or the external id in a message', async () => {
    stsMock
      .on(AssumeRoleCommand)
      .rejects(stsError('AccessDenied', 'ExternalId mismatch: top-secret-external-id'));

    const error = await accessErrorOf(assumeAuditRole(sts, target({ externalId: 'top-secret-external-id' })));

    expect(error.message).not.toContain('top-secret-external-id');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('top-secret-external-id');
  });
});

describe('auditRoleArn', () => {
  it('is the role in the account, in the aws partition unless told', () => {
    expect(auditRoleArn({ accountId: WITH_ROLE, roleName: ROLE })).toBe(
      `arn:aws:iam::${WITH_ROLE}:role/${ROLE}`,
    );
    expect(auditRoleArn({ accountId: WITH_ROLE, roleName: ROLE, partition: 'aws-cn' })).toBe(
      `arn:aws-cn:iam::${WITH_ROLE}:role/${ROLE}`,
    );
  });
});
