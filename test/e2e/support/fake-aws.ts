/**
 * AWS as the audit function sees it, in-process: every SDK client the function builds (`observeClients`) gets a
 * middleware that records each operation it sends (service, action, input, and whose credentials sign it), then
 * answers it from the fakes below by those credentials: STS (AssumeRole with the external id, one set of
 * credentials per assumed role), Organizations (ListAccounts, 20 a page), IAM (one account per set of
 * credentials: the tooling account for the function's own, each member account for its role's), SNS and Secrets
 * Manager, and S3 (PutObject: the bucket's owner must be the tooling account, as ExpectedBucketOwner says). DynamoDB
 * calls go on over the wire to dynalite (`AWS_ENDPOINT_URL_DYNAMODB`).
 *
 * The recording is what the grant check evaluates against the synthesized policies; the fakes refuse what AWS
 * would refuse regardless of the policies (a role that does not exist, a wrong external id, an account outside
 * the organization).
 */
import { observeClients } from '../../../lambdas/audit/adapters/aws-clients';
import type { MockAccount } from '../../support/iam-mock';

/** The access key id the function's own credentials use (its execution role's session). */
export const FUNCTION_ACCESS_KEY = 'ASIAFUNCTIONROLE0001';

export interface RecordedCall {
  /** The IAM service prefix: `iam`, `sts`, `dynamodb`, ... */
  service: string;
  /** The operation: `AssumeRole`, `PutItem`, ... */
  action: string;
  input: Record<string, unknown>;
  /** The role whose credentials signed the call. */
  principal: string;
  /** The account of that role. */
  account: string;
}

export interface MemberAccount {
  accountId: string;
  name: string;
  iam: MockAccount;
  /** `missing`: the member role is not there (STS AccessDenied). Default `present`. */
  role?: 'present' | 'missing';
  /** Every IAM call of the account answers Throttling. */
  throttled?: boolean;
  /** Default ACTIVE. */
  state?: 'ACTIVE' | 'SUSPENDED';
}

export interface FakeAwsOptions {
  /** The audit function's role. */
  functionRoleArn: string;
  /** The account the function runs in and audits in single-account mode. */
  tooling: MockAccount & { accountId: string };
  organization?: {
    id: string;
    externalId: string;
    readerRoleArn: string;
    memberRoleName: string;
    accounts: MemberAccount[];
  };
  /** Secret ARN → the secret's string. */
  secrets?: Record<string, string>;
}

/** An error as the SDK throws it for a service's error answer. */
export function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} (fake)`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

const SERVICES: Record<string, string> = {
  IAMClient: 'iam',
  STSClient: 'sts',
  OrganizationsClient: 'organizations',
  DynamoDBClient: 'dynamodb',
  SNSClient: 'sns',
  SecretsManagerClient: 'secretsmanager',
  S3Client: 's3',
};

interface Session {
  principal: string;
  account: string;
}

type AnyClient = {
  middlewareStack: {
    add: (
      mw: (
        next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { input: Record<string, unknown> }) => Promise<unknown>,
      options: { step: 'initialize'; priority: 'high'; name: string },
    ) => void;
  };
  config: { credentials: () => Promise<{ accessKeyId: string }> };
};

export class FakeAws {
  readonly calls: RecordedCall[] = [];
  readonly published: { TopicArn: string; Subject?: string; Message: string }[] = [];
  /** The objects put, by `bucket/key`: their body and content type. */
  readonly objects = new Map<string, { body: string; contentType?: string }>();
  /** IAM calls in progress at once, by member account, and the most seen across accounts. */
  private sessions = new Map<string, Session>();
  private stop: (() => void) | undefined;
  private closed = false;

  constructor(readonly options: FakeAwsOptions) {
    this.sessions.set(FUNCTION_ACCESS_KEY, {
      principal: options.functionRoleArn,
      account: options.tooling.accountId,
    });
  }

  /** Starts recording and answering every client built from now on. */
  install(): this {
    this.stop = observeClients((client) => this.attach(client as AnyClient));
    return this;
  }

  /** Stops answering: a call still made by a client built before fails at once. */
  uninstall(): void {
    this.stop?.();
    this.closed = true;
  }

  /** The recorded calls as `service:Action`, sorted and unique. */
  actions(): string[] {
    return [...new Set(this.calls.map((c) => `${c.service}:${c.action}`))].sort();
  }

  private attach(client: AnyClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (this.closed) throw new Error('an AWS call after the end-to-end world closed');
        const service = SERVICES[context.clientName ?? ''];
        if (!service) throw new Error(`no fake for ${context.clientName}`);
        const action = (context.commandName ?? '').replace(/Command$/, '');
        const { accessKeyId } = await client.config.credentials();
        const session = this.sessions.get(accessKeyId);
        if (!session) throw awsError('InvalidClientTokenId', 403);
        // A copy: a paginator sends the same input object again with the next token.
        this.calls.push({ service, action, input: { ...args.input }, ...session });
        if (service === 'dynamodb') return next(args);
        // A tick, as a network call would take: concurrent work interleaves.
        await new Promise((resolve) => setImmediate(resolve));
        const output = await this.answer(service, action, args.input, session);
        return { output: { $metadata: { httpStatusCode: 200 }, ...output }, response: {} };
      },
      { step: 'initialize', priority: 'high', name: 'e2eRecordAndAnswer' },
    );
  }

  private answer(
    service: string,
    action: string,
    input: Record<string, unknown>,
    session: Session,
  ): Record<string, unknown> | Promise<Record<string, unknown>> {
    switch (`${service}:${action}`) {
      case 'sts:AssumeRole':
        return this.assumeRole(input, session);
      case 'sts:GetCallerIdentity':
        return { Account: session.account, Arn: session.principal };
      case 'organizations:ListAccounts':
        return this.listAccounts(input, session);
      case 'sns:Publish':
        this.published.push(input as (typeof this.published)[number]);
        return { MessageId: `message-${this.published.length}` };
      case 's3:PutObject': {
        // Every bucket belongs to the tooling account; a wrong expected owner is refused, as S3 does.
        const owner = input.ExpectedBucketOwner;
        if (owner !== undefined && owner !== this.options.tooling.accountId)
          throw awsError('AccessDenied', 403);
        const key = `${String(input.Bucket)}/${String(input.Key)}`;
        this.objects.set(key, {
          body: String(input.Body),
          ...(typeof input.ContentType === 'string' && { contentType: input.ContentType }),
        });
        return { ETag: `"etag-${this.objects.size}"`, VersionId: `version-${this.objects.size}` };
      }
      case 'secretsmanager:GetSecretValue': {
        const value = this.options.secrets?.[input.SecretId as string];
        if (value === undefined) throw awsError('ResourceNotFoundException');
        return { ARN: input.SecretId, Name: 'secret', SecretString: value };
      }
      default:
        if (service === 'iam') return answerIam(this.iamAccountOf(session), action, input);
        throw new Error(`no fake for ${service}:${action}`);
    }
  }

  private assumeRole(input: Record<string, unknown>, caller: Session): Record<string, unknown> {
    const org = this.options.organization;
    if (!org || caller.principal !== this.options.functionRoleArn) throw awsError('AccessDenied', 403);
    const roleArn = String(input.RoleArn);
    const [, account, roleName] = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn) ?? [];
    if (input.ExternalId !== org.externalId) throw awsError('AccessDenied', 403);
    const known =
      roleArn === org.readerRoleArn ||
      (roleName === org.memberRoleName &&
        org.accounts.some((a) => a.accountId === account && a.role !== 'missing'));
    if (!known) throw awsError('AccessDenied', 403);
    const accessKeyId = `ASIA${account}${this.sessions.size.toString().padStart(4, '0')}`;
    this.sessions.set(accessKeyId, { principal: roleArn, account: account! });
    return {
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: 'fake-secret',
        SessionToken: 'fake-token',
        Expiration: new Date(Date.now() + 3600_000),
      },
    };
  }

  private listAccounts(input: Record<string, unknown>, caller: Session): Record<string, unknown> {
    const org = this.options.organization;
    if (!org || caller.principal !== org.readerRoleArn) throw awsError('AccessDeniedException');
    const size = Math.min(Number(input.MaxResults ?? 20), 20);
    const start = Number(input.NextToken ?? 0);
    const page = org.accounts.slice(start, start + size);
    const more = start + size < org.accounts.length;
    return {
      Accounts: page.map((a) => ({
        Id: a.accountId,
        Name: a.name,
        Arn: `arn:aws:organizations::${org.id}:account/${org.id}/${a.accountId}`,
        State: a.state ?? 'ACTIVE',
      })),
      ...(more ? { NextToken: String(start + size) } : {}),
    };
  }

  private iamAccountOf(session: Session): MockAccount & { throttled?: boolean } {
    if (session.principal === this.options.functionRoleArn) return this.options.tooling;
    const member = this.options.organization?.accounts.find((a) => a.accountId === session.account);
    if (!member || !session.principal.endsWith(`:role/${this.options.organization!.memberRoleName}`)) {
      throw awsError('AccessDenied', 403);
    }
    return { ...member.iam, accountId: member.accountId, throttled: member.throttled };
  }

  /** The owner of an access key, for the ARN of GetAccessKeyLastUsed. */
  ownerOfKey(account: string, accessKeyId: string): string | undefined {
    const iam =
      account === this.options.tooling.accountId
        ? this.options.tooling
        : this.options.organization?.accounts.find((a) => a.accountId === account)?.iam;
    return iam?.users.find((u) => u.keys.some((k) => k.accessKeyId === accessKeyId))?.userName;
  }
}

const tags = (t: Record<string, string> | undefined) =>
  Object.entries(t ?? {}).map(([Key, Value]) => ({ Key, Value }));

/** IAM's answers for one account, as `test/support/iam-mock.ts` serves them. */
function answerIam(
  account: MockAccount & { throttled?: boolean },
  action: string,
  input: Record<string, unknown>,
): Record<string, unknown> {
  if (account.throttled) throw awsError('Throttling');
  const findUser = (name: unknown) => {
    const user = account.users.find((u) => u.userName === name);
    if (!user) throw awsError('NoSuchEntity', 404);
    return user;
  };
  switch (action) {
    case 'ListAccountAliases':
      return { AccountAliases: account.alias ? [account.alias] : [] };
    case 'GetAccountSummary':
      return { SummaryMap: { AccountAccessKeysPresent: 0, Users: account.users.length } };
    case 'GenerateCredentialReport': {
      const report = account.report;
      if (report && 'error' in report && report.on !== 'get') throw awsError(report.error);
      return { State: 'COMPLETE' };
    }
    case 'GetCredentialReport': {
      const report = account.report;
      if (!report) throw awsError('ReportNotPresent', 410);
      if ('error' in report) throw awsError(report.error);
      return {
        Content: new TextEncoder().encode(report.csv),
        ReportFormat: 'text/csv',
        GeneratedTime: new Date(report.generatedAt),
      };
    }
    case 'GetAccountAuthorizationDetails': {
      const size = Math.min(Number(input.MaxItems ?? 100), account.pageSize ?? 1000);
      const start = Number(input.Marker ?? 0);
      const more = start + size < account.users.length;
      return {
        UserDetailList: account.users
          .slice(start, start + size)
          .map((u) => ({ UserName: u.userName, Tags: tags(u.tags) })),
        IsTruncated: more,
        ...(more ? { Marker: String(start + size) } : {}),
      };
    }
    case 'GetUser': {
      const user = findUser(input.UserName);
      return { User: { UserName: user.userName, Tags: tags(user.tags) } };
    }
    case 'ListAccessKeys': {
      const user = findUser(input.UserName);
      return {
        AccessKeyMetadata: user.keys.map((k) => ({
          UserName: user.userName,
          AccessKeyId: k.accessKeyId,
          Status: k.status,
          CreateDate: new Date(k.createdAt),
        })),
        IsTruncated: false,
      };
    }
    case 'GetAccessKeyLastUsed': {
      for (const user of account.users) {
        const key = user.keys.find((k) => k.accessKeyId === input.AccessKeyId);
        if (!key) continue;
        const used = key.lastUsed;
        return {
          UserName: user.userName,
          AccessKeyLastUsed: used
            ? {
                LastUsedDate: new Date(used.date),
                ServiceName: used.service ?? 'N/A',
                Region: used.region ?? 'N/A',
              }
            : { ServiceName: 'N/A', Region: 'N/A' },
        };
      }
      throw awsError('AccessDenied', 403);
    }
    default:
      throw new Error(`no fake for iam:${action}`);
  }
}
