/**
 * The IAM adapter: turns IAM's API into the plain data the engine needs.
 * Every list uses the SDK v3 paginators; a user or key deleted mid-audit (NoSuchEntity) is "gone", not an error.
 * Secret access keys are never requested (no IAM read action returns them).
 */
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetUserCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListAccessKeys,
  paginateListAccountAliases,
  type IAMClient,
  type Tag,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { KeyStatus, LastUsed } from '../domain/types';

/** An access key as ListAccessKeys shows it (no last use). */
export interface LiveKey {
  accessKeyId: string;
  status: KeyStatus;
  createdAt: string;
}

export interface LiveUser {
  userName: string;
  tags: Record<string, string>;
}

export type CredentialReportResult =
  { ok: true; generatedAt: string; csv: string } | { ok: false; reason: string };

export interface CredentialReportOptions {
  /** How long to keep polling GenerateCredentialReport before giving up. */
  waitMs: number;
  /** Pause between polls. */
  pollIntervalMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds since some origin; only differences are used (injected so tests control time). */
  clock: () => number;
}

/** Errors that mean the report cannot be had now; anything else is unexpected and propagates. */
const REPORT_UNAVAILABLE = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'LimitExceeded',
  'LimitExceededException',
  'ServiceFailure',
  'ServiceFailureException',
  'Throttling',
  'ThrottlingException',
]);
const REPORT_NOT_READY = new Set([
  'ReportInProgress',
  'CredentialReportNotReadyException',
  'ReportNotPresent',
  'CredentialReportNotPresentException',
  'ReportExpired',
  'CredentialReportExpiredException',
]);

export function isAccessDenied(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'AccessDenied' || name === 'AccessDeniedException';
}

export function isNoSuchEntity(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}

function requireValue<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`IAM returned no ${what}`);
  return value;
}

function tagMap(tags: Tag[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) map[tag.Key] = tag.Value ?? '';
  return map;
}

function keyStatus(status: string | undefined, accessKeyId: string): KeyStatus {
  if (status === 'Active' || status === 'Inactive') return status;
  // 'Expired' applies to other credential kinds; an access key reported so is not usable.
  if (status === 'Expired') return 'Inactive';
  throw new Error(`IAM returned an unknown status ${JSON.stringify(status)} for key ${accessKeyId}`);
}

export class IamGateway {
  private accountIdOnce: Promise<string> | undefined;

  /** `reportIam` serves the credential report calls; by default the same client as every other call. */
  constructor(
    private readonly iam: IAMClient,
    private readonly sts: STSClient,
    private readonly reportIam: IAMClient = iam,
  ) {}

  /** The gateway over the clients `createAwsClients` built. */
  static fromClients(clients: { iam: IAMClient; sts: STSClient; reportIam: IAMClient }): IamGateway {
    return new IamGateway(clients.iam, clients.sts, clients.reportIam);
  }

  /** The account id, asked of STS once per gateway (the handler needs it to load the key index before the audit). */
  accountId(): Promise<string> {
    this.accountIdOnce ??= this.sts
      .send(new GetCallerIdentityCommand({}))
      .then((identity) => requireValue(identity.Account, 'account id'));
    this.accountIdOnce.catch(() => {
      this.accountIdOnce = undefined;
    });
    return this.accountIdOnce;
  }

  async accountAlias(): Promise<string | null> {
    for await (const page of paginateListAccountAliases({ client: this.iam }, {})) {
      const alias = page.AccountAliases?.[0];
      if (alias) return alias;
    }
    return null;
  }

  /** True when the root account holds at least one access key (GetAccountSummary's AccountAccessKeysPresent). */
  async rootHasAccessKeys(): Promise<boolean> {
    const summary = await this.iam.send(new GetAccountSummaryCommand({}));
    return (summary.SummaryMap?.AccountAccessKeysPresent ?? 0) > 0;
  }

  /**
   * Generates the credential report, polling until it is COMPLETE for at most `waitMs`, then downloads it.
   * Returns why it could not when it is unavailable (access denied, throttled, still in progress after the wait).
   */
  async credentialReport(options: CredentialReportOptions): Promise<CredentialReportResult> {
    const started = options.clock();
    let lastState: string;
    for (;;) {
      try {
        const generated = await this.reportIam.send(new GenerateCredentialReportCommand({}));
        lastState = generated.State ?? 'unknown';
        if (generated.State === 'COMPLETE') {
          const report = await this.reportIam.send(new GetCredentialReportCommand({}));
          const content = requireValue(report.Content, 'credential report content');
          return {
            ok: true,
            generatedAt: requireValue(report.GeneratedTime, 'credential report time').toISOString(),
            csv: Buffer.from(content).toString('utf8'),
          };
        }
      } catch (error) {
        const name = (error as Error).name;
        if (REPORT_UNAVAILABLE.has(name))
          return { ok: false, reason: `credential report unavailable: ${name}` };
        if (!REPORT_NOT_READY.has(name)) throw error;
        lastState = name;
      }
      if (options.clock() - started + options.pollIntervalMs > options.waitMs) {
        return {
          ok: false,
          reason: `credential report not ready after ${Math.round(options.waitMs / 1000)} s (last state: ${lastState})`,
        };
      }
      await options.sleep(options.pollIntervalMs);
    }
  }

  /** Every IAM user with its tags: one GetAccountAuthorizationDetails call per 1,000 users. */
  async listUsers(): Promise<LiveUser[]> {
    const users: LiveUser[] = [];
    const pages = paginateGetAccountAuthorizationDetails(
      { client: this.iam, pageSize: 1000 },
      { Filter: ['User'] },
    );
    for await (const page of pages) {
      for (const detail of page.UserDetailList ?? []) {
        users.push({ userName: requireValue(detail.UserName, 'user name'), tags: tagMap(detail.Tags) });
      }
    }
    return users;
  }

  /** One user with its tags, or null when it does not exist. */
  async getUser(userName: string): Promise<LiveUser | null> {
    try {
      const { User } = await this.iam.send(new GetUserCommand({ UserName: userName }));
      return { userName: requireValue(User?.UserName, 'user name'), tags: tagMap(User?.Tags) };
    } catch (error) {
      if (isNoSuchEntity(error)) return null;
      throw error;
    }
  }

  /** A user's access keys, or null when the user no longer exists. */
  async listAccessKeys(userName: string): Promise<LiveKey[] | null> {
    const keys: LiveKey[] = [];
    try {
      for await (const page of paginateListAccessKeys({ client: this.iam }, { UserName: userName })) {
        for (const meta of page.AccessKeyMetadata ?? []) {
          const accessKeyId = requireValue(meta.AccessKeyId, 'access key id');
          keys.push({
            accessKeyId,
            status: keyStatus(meta.Status, accessKeyId),
            createdAt: requireValue(meta.CreateDate, `creation date of ${accessKeyId}`).toISOString(),
          });
        }
      }
    } catch (error) {
      if (isNoSuchEntity(error)) return null;
      throw error;
    }
    return keys;
  }

  /** A key's last use (null when never used), or 'gone' when the key no longer exists. */
  async lastUsed(accessKeyId: string): Promise<LastUsed | null | 'gone'> {
    try {
      const { AccessKeyLastUsed: used } = await this.iam.send(
        new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
      );
      if (!used?.LastUsedDate) return null;
      const orNull = (v: string | undefined) => (v === undefined || v === 'N/A' ? null : v);
      return {
        date: used.LastUsedDate.toISOString(),
        service: orNull(used.ServiceName),
        region: orNull(used.Region),
      };
    } catch (error) {
      if (isNoSuchEntity(error)) return 'gone';
      throw error;
    }
  }
}
