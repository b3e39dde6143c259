/**
 * One shared SDK mock for adapter, engine, handler and CLI tests: an in-memory account served through
 * aws-sdk-client-mock, so the real IamGateway (paginators, error handling) runs against it.
 */
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { KeyStatus, LastUsed } from '../../lambdas/audit/domain/types';
import { NOW } from './builders';

export const iamMock = mockClient(IAMClient);
export const stsMock = mockClient(STSClient);

export interface MockKey {
  accessKeyId: string;
  status: KeyStatus;
  createdAt: string;
  lastUsed?: LastUsed | null;
}

export interface MockUser {
  userName: string;
  tags?: Record<string, string>;
  keys: MockKey[];
}

export interface MockAccount {
  accountId?: string;
  alias?: string | null;
  users: MockUser[];
  /** Whether GetAccountSummary says the root account holds access keys. */
  rootKeysPresent?: boolean;
  /** The credential report: its CSV and time, or the name of the error GetCredentialReport/Generate answers. */
  report?: { csv: string; generatedAt: string } | { error: string; on?: 'generate' | 'get' };
  /** How many GenerateCredentialReport calls answer INPROGRESS before COMPLETE. Default 0. */
  reportPolls?: number;
  /** Users per GetAccountAuthorizationDetails page. Default 1000. */
  pageSize?: number;
}

export function serviceError(name: string, message = name): IAMServiceException {
  return new IAMServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

/** Serves `account` through the mocks; mutate the account afterwards to simulate drift since the report. */
export function serveAccount(account: MockAccount): void {
  iamMock.reset();
  stsMock.reset();
  const findUser = (name: string | undefined) => account.users.find((u) => u.userName === name);
  const noSuchEntity = (what: string) =>
    serviceError('NoSuchEntityException', `The ${what} cannot be found.`);
  let polls = 0;

  stsMock.on(GetCallerIdentityCommand).resolves({ Account: account.accountId ?? '123456789012' });
  iamMock.on(ListAccountAliasesCommand).resolves({ AccountAliases: account.alias ? [account.alias] : [] });
  iamMock.on(GetAccountSummaryCommand).resolves({
    SummaryMap: { AccountAccessKeysPresent: account.rootKeysPresent ? 1 : 0, Users: account.users.length },
  });
  iamMock.on(GenerateCredentialReportCommand).callsFake(() => {
    const report = account.report;
    if (report && 'error' in report && report.on !== 'get') throw serviceError(report.error);
    polls += 1;
    return {
      State: polls > (account.reportPolls ?? 0) ? 'COMPLETE' : polls === 1 ? 'STARTED' : 'INPROGRESS',
    };
  });
  iamMock.on(GetCredentialReportCommand).callsFake(() => {
    const report = account.report;
    if (!report) throw serviceError('CredentialReportNotPresentException');
    if ('error' in report) throw serviceError(report.error);
    return {
      Content: new TextEncoder().encode(report.csv),
      ReportFormat: 'text/csv',
      GeneratedTime: new Date(report.generatedAt),
    };
  });
  iamMock
    .on(GetAccountAuthorizationDetailsCommand)
    .callsFake((input: { Marker?: string; MaxItems?: number }) => {
      const size = Math.min(input.MaxItems ?? 100, account.pageSize ?? 1000);
      const start = Number(input.Marker ?? 0);
      const page = account.users.slice(start, start + size);
      const more = start + size < account.users.length;
      return {
        UserDetailList: page.map((u) => ({
          UserName: u.userName,
          Tags: Object.entries(u.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        })),
        IsTruncated: more,
        ...(more ? { Marker: String(start + size) } : {}),
      };
    });
  iamMock.on(GetUserCommand).callsFake((input: { UserName?: string }) => {
    const user = findUser(input.UserName);
    if (!user) throw noSuchEntity(`user with name ${input.UserName}`);
    return {
      User: {
        UserName: user.userName,
        Tags: Object.entries(user.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      },
    };
  });
  iamMock.on(ListAccessKeysCommand).callsFake((input: { UserName?: string }) => {
    const user = findUser(input.UserName);
    if (!user) throw noSuchEntity(`user with name ${input.UserName}`);
    return {
      AccessKeyMetadata: user.keys.map((k) => ({
        UserName: user.userName,
        AccessKeyId: k.accessKeyId,
        Status: k.status,
        CreateDate: new Date(k.createdAt),
      })),
      IsTruncated: false,
    };
  });
  iamMock.on(GetAccessKeyLastUsedCommand).callsFake((input: { AccessKeyId?: string }) => {
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
    throw noSuchEntity(`Access Key with id ${input.AccessKeyId}`);
  });
}

/** How many times each IAM command was sent, by command name without `Command`. */
export function iamCallCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of iamMock.calls()) {
    const name = (call.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

const REPORT_HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,' +
  'mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,' +
  'access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,' +
  'access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

/** AWS writes report times as `2026-11-28T09:00:00+00:00`. */
const reportTime = (iso: string) => new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');
const csvCell = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

function keyColumns(key: Omit<MockKey, 'accessKeyId'> | undefined): string[] {
  if (!key) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  const used = key.lastUsed;
  return [
    String(key.status === 'Active'),
    reportTime(key.createdAt),
    used ? reportTime(used.date) : 'N/A',
    used?.region ?? 'N/A',
    used?.service ?? 'N/A',
  ];
}

/**
 * The credential report IAM would produce for `account` now: a snapshot, so later changes to the account are
 * drift the engine must catch. `rootKeys` are the root account's keys (status, creation, last use).
 */
export function credentialReportOf(
  account: MockAccount,
  generatedAt: string,
  rootKeys: Omit<MockKey, 'accessKeyId'>[] = [],
): { csv: string; generatedAt: string } {
  const id = account.accountId ?? '123456789012';
  const row = (user: string, arn: string, keys: Omit<MockKey, 'accessKeyId'>[]) => {
    const [k1, k2] = [...keys].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    return [
      user,
      arn,
      reportTime('2020-01-01T00:00:00Z'),
      'false',
      'N/A',
      'N/A',
      'N/A',
      'false',
      ...keyColumns(k1),
      ...keyColumns(k2),
      'false',
      'N/A',
      'false',
      'N/A',
    ]
      .map(csvCell)
      .join(',');
  };
  const lines = [
    REPORT_HEADER,
    row('<root_account>', `arn:aws:iam::${id}:root`, rootKeys),
    ...account.users.map((u) => row(u.userName, `arn:aws:iam::${id}:user/${u.userName}`, u.keys)),
  ];
  return { csv: lines.join('\n') + '\n', generatedAt };
}

/**
 * An account holding `users`, with the credential report IAM would produce for them at `reportAt` (default:
 * the tests' `NOW`); `partial` sets the rest (alias, ...). Pass it to `serveAccount`, then change its users to
 * simulate drift since the report.
 */
export function accountOf(
  users: MockUser[],
  partial: Omit<MockAccount, 'users' | 'report'> = {},
  reportAt: string = NOW.toISOString(),
): MockAccount {
  const account: MockAccount = { ...partial, users };
  account.report = credentialReportOf(account, reportAt);
  return account;
}
