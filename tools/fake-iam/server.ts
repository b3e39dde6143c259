/**
 * A fake IAM (and STS GetCallerIdentity) endpoint on 127.0.0.1 that speaks the AWS Query protocol: a POST of
 * `application/x-www-form-urlencoded` parameters with `Action` and `Version`, answered with IAM's XML.
 * The real `@aws-sdk/client-iam` and `@aws-sdk/client-sts` talk to it with `endpoint: url`.
 *
 * It can add latency, rate-limit like IAM (HTTP 400 `Throttling`, "Rate exceeded", which the SDK retries),
 * inject faults per call, and stage the credential report's life cycle. It counts calls by action.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { FakeAccessKey, FakeIamAccount, FakeTag, FakeUser } from './account';

export const IAM_VERSION = '2010-05-08';
export const STS_VERSION = '2011-06-15';
const IAM_NAMESPACE = `https://iam.amazonaws.com/doc/${IAM_VERSION}/`;
const STS_NAMESPACE = `https://sts.amazonaws.com/doc/${STS_VERSION}/`;

/** A report older than this is expired (GetCredentialReport) and regenerated (GenerateCredentialReport). */
export const CREDENTIAL_REPORT_MAX_AGE_MS = 4 * 60 * 60 * 1000;

/** An error answer: HTTP status, IAM error code and message. */
export interface FakeIamFault {
  status: number;
  code: string;
  message: string;
}

/**
 * How the credential report behaves.
 * - `normal`: GenerateCredentialReport answers STARTED, then INPROGRESS for `pollsBeforeComplete` polls, then COMPLETE.
 * - `always-in-progress`: the report never completes.
 * - `limit-exceeded`: GenerateCredentialReport answers `LimitExceeded` (409).
 * - `access-denied`: both report calls answer `AccessDenied` (403).
 */
export type CredentialReportMode = 'normal' | 'always-in-progress' | 'limit-exceeded' | 'access-denied';

export interface CredentialReportOptions {
  /** Default `normal`. */
  mode?: CredentialReportMode;
  /**
   * How many polls after the one that started the report still see it in progress (GenerateCredentialReport
   * answers INPROGRESS, GetCredentialReport `ReportInProgress`). Default 1.
   */
  pollsBeforeComplete?: number;
  /** Age after which a report is expired. Default 4 hours, as in AWS. */
  maxAgeMs?: number;
}

/** The identity STS GetCallerIdentity returns, and GetUser / ListAccessKeys act on without a UserName. */
export interface FakeCaller {
  arn: string;
  userId: string;
}

export interface FakeIamServerOptions {
  /** Delay added before each answer, throttled ones included. Default 0. */
  latencyMs?: number;
  /** Calls per second above which the server answers `Throttling` (token bucket). Default: no limit. */
  rateLimitPerSecond?: number;
  /** Token bucket size. Default `rateLimitPerSecond`. */
  burst?: number;
  /** Called for each call that passes the rate limit; a fault it returns is answered instead. */
  faults?: (action: string, params: Readonly<Record<string, string>>) => FakeIamFault | undefined;
  credentialReport?: CredentialReportOptions;
  /**
   * What GetAccessKeyLastUsed answers for a key id the account does not hold. The API reference lists no
   * error of its own for this call, so the default is the common `AccessDenied` (403).
   */
  unknownAccessKeyError?: 'AccessDenied' | 'NoSuchEntity';
  /** Default: an assumed role `IamKeyAuditor` in the account. */
  caller?: FakeCaller;
  /** The clock for report times and expiry. Default: the system clock. */
  now?: () => Date;
}

/** Call counts; `reset()` zeroes them. */
export class FakeIamStats {
  /** Every request received, throttled ones included. */
  total = 0;
  /** Requests that passed the rate limit, by action (whatever they answered). */
  callsByAction: Record<string, number> = {};
  /** Requests refused with `Throttling` by the rate limit. */
  throttled = 0;
  throttledByAction: Record<string, number> = {};
  /** Error answers other than rate-limit throttling (faults included), by error code. */
  errorsByCode: Record<string, number> = {};

  /** Calls of one action that passed the rate limit. */
  calls(action: string): number {
    return this.callsByAction[action] ?? 0;
  }

  reset(): void {
    this.total = 0;
    this.callsByAction = {};
    this.throttled = 0;
    this.throttledByAction = {};
    this.errorsByCode = {};
  }
}

export interface FakeIamServer {
  /** `http://127.0.0.1:<port>`: give it to the SDK clients as `endpoint`. */
  url: string;
  stats: FakeIamStats;
  account: FakeIamAccount;
  close(): Promise<void>;
}

type Params = Readonly<Record<string, string>>;

class IamError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_MAX_ITEMS = 100;
const FILTER_VALUES = ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'];

// ---------------------------------------------------------------------------------------------------------
// XML

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
};

/** Escapes a text value for an XML element. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c] ?? c);
}

/** `2026-08-30T10:00:00Z`: IAM's XML timestamp format. */
export function formatXmlTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const el = (name: string, value: string | number | boolean): string =>
  `<${name}>${escapeXml(String(value))}</${name}>`;

/** A list as the Query protocol writes it: `<Name><member>…</member></Name>`, or `<Name/>` when empty. */
const list = (name: string, members: readonly string[]): string =>
  members.length === 0
    ? `<${name}/>`
    : `<${name}>${members.map((m) => `<member>${m}</member>`).join('')}</${name}>`;

const tagsXml = (tags: readonly FakeTag[]): string =>
  list(
    'Tags',
    tags.map((t) => el('Key', t.Key) + el('Value', t.Value)),
  );

function userXml(user: FakeUser, withTags: boolean): string {
  let xml =
    el('Path', user.path) +
    el('UserName', user.userName) +
    el('UserId', user.userId) +
    el('Arn', user.arn) +
    el('CreateDate', formatXmlTime(user.createDate));
  if (user.password?.lastUsed) xml += el('PasswordLastUsed', formatXmlTime(user.password.lastUsed));
  if (withTags && user.tags.length > 0) xml += tagsXml(user.tags);
  return xml;
}

function userDetailXml(user: FakeUser): string {
  let xml =
    el('Path', user.path) +
    el('UserName', user.userName) +
    el('UserId', user.userId) +
    el('Arn', user.arn) +
    el('CreateDate', formatXmlTime(user.createDate)) +
    '<UserPolicyList/><GroupList/><AttachedManagedPolicies/>';
  if (user.tags.length > 0) xml += tagsXml(user.tags);
  return xml;
}

const keyMetadataXml = (key: FakeAccessKey): string =>
  el('UserName', key.userName) +
  el('AccessKeyId', key.accessKeyId) +
  el('Status', key.status) +
  el('CreateDate', formatXmlTime(key.createDate));

function successXml(namespace: string, action: string, result: string, requestId: string): string {
  return (
    `<${action}Response xmlns="${namespace}">` +
    `<${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${action}Response>`
  );
}

function errorXml(namespace: string, fault: FakeIamFault, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${namespace}"><Error>` +
    el('Type', fault.status >= 500 ? 'Receiver' : 'Sender') +
    el('Code', fault.code) +
    el('Message', fault.message) +
    `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Parameters and pagination

function validationError(message: string): IamError {
  return new IamError(400, 'ValidationError', `1 validation error detected: ${message}`);
}

function required(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw validationError(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function maxItems(params: Params): number {
  const raw = params.MaxItems;
  if (raw === undefined) return DEFAULT_MAX_ITEMS;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 1000) {
    const constraint = value < 1 ? 'greater than or equal to 1' : 'less than or equal to 1000';
    throw validationError(
      `Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value ${constraint}`,
    );
  }
  return value;
}

const encodeMarker = (kind: string, value: string): string =>
  Buffer.from(`${kind}:${value}`, 'utf8').toString('base64');

function decodeMarker(params: Params, kind: string): string | undefined {
  const raw = params.Marker;
  if (raw === undefined) return undefined;
  const decoded = Buffer.from(raw, 'base64').toString('utf8');
  if (!decoded.startsWith(`${kind}:`)) throw new IamError(400, 'ValidationError', 'Invalid Marker.');
  return decoded.slice(kind.length + 1);
}

interface Page<T> {
  items: T[];
  /** `<IsTruncated>` and, when truncated, `<Marker>`. */
  tail: string;
}

/** A page of the account's users in list order, resuming after the user a Marker names. */
function userPage(account: FakeIamAccount, params: Params): Page<FakeUser> {
  const limit = maxItems(params);
  const after = decodeMarker(params, 'user');
  const names = account.userNamesInListOrder();
  const start = after === undefined ? 0 : account.listIndexAfter(after);
  const end = Math.min(start + limit, names.length);
  const items: FakeUser[] = [];
  for (let i = start; i < end; i++) {
    const user = account.getUser(names[i] as string);
    if (user) items.push(user);
  }
  const truncated = end < names.length;
  const last = names[end - 1];
  const tail =
    el('IsTruncated', truncated) +
    (truncated && last !== undefined ? el('Marker', encodeMarker('user', last)) : '');
  return { items, tail };
}

/** A page of a short list, resuming at the index a Marker names. */
function indexPage<T>(all: readonly T[], params: Params): Page<T> {
  const limit = maxItems(params);
  const marker = decodeMarker(params, 'index');
  const start = marker === undefined ? 0 : Number(marker);
  if (!Number.isInteger(start) || start < 0) throw new IamError(400, 'ValidationError', 'Invalid Marker.');
  const items = all.slice(start, start + limit);
  const truncated = start + limit < all.length;
  const tail =
    el('IsTruncated', truncated) +
    (truncated ? el('Marker', encodeMarker('index', String(start + limit))) : '');
  return { items, tail };
}

// ---------------------------------------------------------------------------------------------------------
// The rate limit

class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The actions

interface Settings {
  mode: CredentialReportMode;
  pollsBeforeComplete: number;
  maxAgeMs: number;
  unknownAccessKeyError: 'AccessDenied' | 'NoSuchEntity';
  caller: FakeCaller;
  now: () => Date;
}

type Handler = (account: FakeIamAccount, params: Params, settings: Settings) => string;

function accessDenied(settings: Settings, action: string, resource = '*'): IamError {
  return new IamError(
    403,
    'AccessDenied',
    `User: ${settings.caller.arn} is not authorized to perform: iam:${action} on resource: ${resource} ` +
      `because no identity-based policy allows the iam:${action} action`,
  );
}

const noSuchUser = (userName: string): IamError =>
  new IamError(404, 'NoSuchEntity', `The user with name ${userName} cannot be found.`);

/** The user a call names, or the calling user when it names none (as IAM does for user credentials). */
function targetUser(account: FakeIamAccount, params: Params, settings: Settings): FakeUser {
  const named = params.UserName;
  if (named !== undefined && named !== '') {
    const user = account.getUser(named);
    if (!user) throw noSuchUser(named);
    return user;
  }
  const self = /^arn:aws:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(settings.caller.arn)?.[1];
  const user = self === undefined ? undefined : account.getUser(self);
  if (!user)
    throw new IamError(
      400,
      'ValidationError',
      'Must specify userName when calling with non-User credentials',
    );
  return user;
}

function isExpired(generatedAt: Date, settings: Settings): boolean {
  return settings.now().getTime() - generatedAt.getTime() > settings.maxAgeMs;
}

const IAM_ACTIONS: Record<string, Handler> = {
  GenerateCredentialReport(account, _params, settings) {
    if (settings.mode === 'access-denied') throw accessDenied(settings, 'GenerateCredentialReport');
    if (settings.mode === 'limit-exceeded') {
      throw new IamError(
        409,
        'LimitExceeded',
        'Credential report generation rate exceeded. Try again later.',
      );
    }
    const report = account.credentialReport;
    const stale =
      report !== undefined && report.pendingPolls === 0 && isExpired(report.generatedAt, settings);
    const restart =
      settings.mode === 'always-in-progress' && report !== undefined && report.pendingPolls === 0;
    if (report === undefined || stale || restart) {
      const polls =
        settings.mode === 'always-in-progress' ? Number.POSITIVE_INFINITY : settings.pollsBeforeComplete;
      account.generateCredentialReport(settings.now(), polls);
      return (
        el('Description', 'No report exists. Starting a new report generation task') + el('State', 'STARTED')
      );
    }
    if (report.pendingPolls > 0) {
      report.pendingPolls -= 1;
      return el('State', 'INPROGRESS');
    }
    return el('State', 'COMPLETE');
  },

  GetCredentialReport(account, _params, settings) {
    if (settings.mode === 'access-denied') throw accessDenied(settings, 'GetCredentialReport');
    const report = account.credentialReport;
    if (!report) {
      throw new IamError(
        410,
        'ReportNotPresent',
        'Credential report is not present. Use GenerateCredentialReport to generate a report.',
      );
    }
    if (report.pendingPolls > 0) {
      report.pendingPolls -= 1;
      throw new IamError(404, 'ReportInProgress', 'Credential report generation is in progress.');
    }
    if (isExpired(report.generatedAt, settings)) {
      throw new IamError(
        410,
        'ReportExpired',
        'Credential report has expired. Use GenerateCredentialReport to generate a new report.',
      );
    }
    return (
      el('Content', Buffer.from(report.csv, 'utf8').toString('base64')) +
      el('ReportFormat', 'text/csv') +
      el('GeneratedTime', formatXmlTime(report.generatedAt))
    );
  },

  GetAccountAuthorizationDetails(account, params) {
    const filters = Object.keys(params)
      .filter((name) => /^Filter\.member\.\d+$/.test(name))
      .map((name) => params[name] as string);
    for (const filter of filters) {
      if (!FILTER_VALUES.includes(filter)) {
        throw validationError(
          `Value '[${filters.join(', ')}]' at 'filter' failed to satisfy constraint: ` +
            `Member must satisfy constraint: [Member must satisfy enum value set: [${FILTER_VALUES.join(', ')}]]`,
        );
      }
    }
    const wantsUsers = filters.length === 0 || filters.includes('User');
    const page = wantsUsers ? userPage(account, params) : { items: [], tail: el('IsTruncated', false) };
    return (
      list('UserDetailList', page.items.map(userDetailXml)) +
      '<GroupDetailList/><RoleDetailList/><Policies/>' +
      page.tail
    );
  },

  ListUsers(account, params) {
    const page = userPage(account, params);
    return (
      list(
        'Users',
        page.items.map((user) => userXml(user, false)),
      ) + page.tail
    );
  },

  GetUser(account, params, settings) {
    return `<User>${userXml(targetUser(account, params, settings), true)}</User>`;
  },

  ListAccessKeys(account, params, settings) {
    const user = targetUser(account, params, settings);
    const page = indexPage(user.keys, params);
    return (
      el('UserName', user.userName) + list('AccessKeyMetadata', page.items.map(keyMetadataXml)) + page.tail
    );
  },

  GetAccessKeyLastUsed(account, params, settings) {
    const accessKeyId = required(params, 'AccessKeyId');
    const key = account.getKey(accessKeyId);
    if (!key) {
      if (settings.unknownAccessKeyError === 'NoSuchEntity') {
        throw new IamError(404, 'NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
      }
      throw accessDenied(settings, 'GetAccessKeyLastUsed', `access key ${accessKeyId}`);
    }
    const used = key.lastUsed;
    const lastUsed = used
      ? el('LastUsedDate', formatXmlTime(used.date)) +
        el('ServiceName', used.service) +
        el('Region', used.region)
      : el('ServiceName', 'N/A') + el('Region', 'N/A');
    return el('UserName', key.userName) + `<AccessKeyLastUsed>${lastUsed}</AccessKeyLastUsed>`;
  },

  ListUserTags(account, params) {
    const userName = required(params, 'UserName');
    const user = account.getUser(userName);
    if (!user) throw noSuchUser(userName);
    const page = indexPage(user.tags, params);
    return tagsXml(page.items) + page.tail;
  },

  ListAccountAliases(account, params) {
    const page = indexPage(account.alias === undefined ? [] : [account.alias], params);
    return (
      list(
        'AccountAliases',
        page.items.map((alias) => escapeXml(alias)),
      ) + page.tail
    );
  },

  GetAccountSummary(account) {
    let mfaDevices = account.root.mfaActive ? 1 : 0;
    for (const user of account.users()) if (user.mfaActive) mfaDevices += 1;
    const summary: Record<string, number> = {
      Users: account.userCount,
      UsersQuota: 5000,
      Groups: 0,
      GroupsQuota: 300,
      GroupsPerUserQuota: 10,
      Roles: 0,
      RolesQuota: 1000,
      Policies: 0,
      PoliciesQuota: 1500,
      AccessKeysPerUserQuota: 2,
      SigningCertificatesPerUserQuota: 2,
      ServerCertificates: 0,
      ServerCertificatesQuota: 20,
      MFADevices: mfaDevices,
      MFADevicesInUse: mfaDevices,
      AccountMFAEnabled: account.root.mfaActive ? 1 : 0,
      AccountAccessKeysPresent: account.root.keys.length > 0 ? 1 : 0,
      AccountPasswordPresent: 1,
      AccountSigningCertificatesPresent: 0,
      Providers: 0,
      InstanceProfiles: 0,
      InstanceProfilesQuota: 1000,
    };
    const entries = Object.entries(summary).map(
      ([key, value]) => `<entry>${el('key', key)}${el('value', value)}</entry>`,
    );
    return `<SummaryMap>${entries.join('')}</SummaryMap>`;
  },
};

const STS_ACTIONS: Record<string, Handler> = {
  GetCallerIdentity(account, _params, settings) {
    return (
      el('Arn', settings.caller.arn) + el('UserId', settings.caller.userId) + el('Account', account.accountId)
    );
  },
};

/** The handlers by API version, then action. */
const HANDLERS = new Map<string, Map<string, Handler>>([
  [IAM_VERSION, new Map(Object.entries(IAM_ACTIONS))],
  [STS_VERSION, new Map(Object.entries(STS_ACTIONS))],
]);

// ---------------------------------------------------------------------------------------------------------
// The server

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseParams(req: IncomingMessage, body: string): Record<string, string> {
  const params: Record<string, string> = {};
  const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
  for (const [name, value] of query) params[name] = value;
  for (const [name, value] of new URLSearchParams(body)) params[name] = value;
  return params;
}

function validateOptions(options: FakeIamServerOptions): void {
  const nonNegative = (name: string, value: number | undefined, integer = false): void => {
    if (
      value !== undefined &&
      (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value)))
    ) {
      throw new Error(`${name} must be a${integer ? ' whole' : ''} number >= 0; got ${value}`);
    }
  };
  nonNegative('latencyMs', options.latencyMs);
  nonNegative('credentialReport.pollsBeforeComplete', options.credentialReport?.pollsBeforeComplete, true);
  nonNegative('credentialReport.maxAgeMs', options.credentialReport?.maxAgeMs);
  for (const [name, value] of [
    ['rateLimitPerSecond', options.rateLimitPerSecond],
    ['burst', options.burst],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new Error(`${name} must be a number > 0; got ${value}`);
    }
  }
}

/** Starts a fake IAM endpoint for the account on 127.0.0.1 (a free port). */
export async function startFakeIamServer(
  account: FakeIamAccount,
  options: FakeIamServerOptions = {},
): Promise<FakeIamServer> {
  validateOptions(options);
  const settings: Settings = {
    mode: options.credentialReport?.mode ?? 'normal',
    pollsBeforeComplete: options.credentialReport?.pollsBeforeComplete ?? 1,
    maxAgeMs: options.credentialReport?.maxAgeMs ?? CREDENTIAL_REPORT_MAX_AGE_MS,
    unknownAccessKeyError: options.unknownAccessKeyError ?? 'AccessDenied',
    caller: options.caller ?? {
      arn: `arn:aws:sts::${account.accountId}:assumed-role/IamKeyAuditor/fake-iam`,
      userId: 'AROAFAKEIAMAUDITOR000:fake-iam',
    },
    now: options.now ?? (() => new Date()),
  };
  const latencyMs = options.latencyMs ?? 0;
  const bucket =
    options.rateLimitPerSecond === undefined
      ? undefined
      : new TokenBucket(options.rateLimitPerSecond, options.burst ?? options.rateLimitPerSecond);
  const stats = new FakeIamStats();
  const count = (record: Record<string, number>, key: string): void => {
    record[key] = (record[key] ?? 0) + 1;
  };

  async function answer(req: IncomingMessage): Promise<{ status: number; xml: string; requestId: string }> {
    const requestId = randomUUID();
    const params = parseParams(req, await readBody(req));
    const action = params.Action ?? '';
    const version = params.Version;
    const namespace = version === STS_VERSION ? STS_NAMESPACE : IAM_NAMESPACE;
    const fail = (fault: FakeIamFault) => ({
      status: fault.status,
      xml: errorXml(namespace, fault, requestId),
      requestId,
    });

    stats.total += 1;
    const admitted = bucket ? bucket.take() : true;
    if (latencyMs > 0) await delay(latencyMs);
    if (!admitted) {
      stats.throttled += 1;
      count(stats.throttledByAction, action);
      return fail({ status: 400, code: 'Throttling', message: 'Rate exceeded' });
    }
    count(stats.callsByAction, action);

    const error = (fault: FakeIamFault) => {
      count(stats.errorsByCode, fault.code);
      return fail(fault);
    };
    if (action === '') {
      return error({ status: 400, code: 'MissingAction', message: 'Missing Action' });
    }
    const handler = version === undefined ? undefined : HANDLERS.get(version)?.get(action);
    if (!handler) {
      return error({
        status: 400,
        code: 'InvalidAction',
        message: `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`,
      });
    }
    const injected = options.faults?.(action, params);
    if (injected) return error(injected);
    try {
      const result = handler(account, params, settings);
      return { status: 200, xml: successXml(namespace, action, result, requestId), requestId };
    } catch (caught) {
      if (caught instanceof IamError)
        return error({ status: caught.status, code: caught.code, message: caught.message });
      return error({
        status: 500,
        code: 'ServiceFailure',
        message: `Internal failure: ${(caught as Error).message}`,
      });
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    answer(req).then(
      ({ status, xml, requestId }) => {
        res.writeHead(status, {
          'Content-Type': 'text/xml',
          'Content-Length': Buffer.byteLength(xml),
          'x-amzn-RequestId': requestId,
        });
        res.end(xml);
      },
      (error: unknown) => {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    account,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
