/**
 * The audit engine: collect (credential report, then live verification of its candidates) → evaluate (pure rules)
 * → report. Both entry points (the Lambda handler and the CLI) call `runAudit` with their clients and `now`.
 */
import type { AuditConfig } from './config';
import { mapWithConcurrency } from './concurrency';
import { parseCredentialReport, type ReportKey, type ReportUser } from './adapters/credential-report';
import {
  isAccessDenied,
  type CredentialReportResult,
  type IamGateway,
  type LiveKey,
  type LiveUser,
} from './adapters/iam';
import { buildReport, type AuditReport, type AuditScope, type ReportSource } from './domain/report';
import {
  keyIndexUnusableReason,
  keysFromIndex,
  nextAccountIndex,
  refreshedIndex,
  type IndexedKey,
  type KeyIndex,
  type KeyIndexLoad,
} from './domain/key-index';
import { applyPolicies } from './domain/policies';
import { evaluateRoot, evaluateUser, keysNeedingLastUse, keysUnsettledByReport } from './domain/rules';
import type { AccessKey, Finding, IamUser, LastUsed, RootKey, RuleSettings } from './domain/types';

/** What to audit: everything, or (a manual re-audit) the named users, live. */
export interface AuditRequest {
  now: Date;
  users?: string[];
  dryRun?: boolean;
  /**
   * The key index the handler loaded for this account (absent: no store). A full-account audit with a fresh
   * credential report evaluates the users whose report row matches it without listing their keys.
   */
  keyIndex?: KeyIndexLoad;
}

/** An audit's report, and the key index to save with its state (null: nothing to save, e.g. a dry run). */
export interface AuditOutcome {
  report: AuditReport;
  keyIndex: KeyIndex | null;
}

/** The IAM calls the engine makes; `IamGateway` implements them over the SDK. */
export type IamPort = Pick<
  IamGateway,
  | 'accountId'
  | 'accountAlias'
  | 'rootHasAccessKeys'
  | 'credentialReport'
  | 'listUsers'
  | 'getUser'
  | 'listAccessKeys'
  | 'lastUsed'
>;

export interface EngineDeps {
  iam: IamPort;
  config: AuditConfig;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => number;
  /** Pause between credential report polls. Default 2 s. */
  pollIntervalMs?: number;
  /**
   * Asked before each user is verified: true when the audit must stop starting new work (the Lambda nears its
   * timeout). The users it did not reach are reported under `incomplete`.
   */
  shouldStop?: () => boolean;
}

/** What the engine learned about one user: audited, gone (deleted mid-audit), or not reached before the deadline. */
interface UserAudit {
  state: 'audited' | 'gone' | 'not-audited';
  keysScanned: number;
  findings: Finding[];
  /** For an audited user: its keys as verified (the key index's entry). */
  keys?: IndexedKey[];
}

const GONE: UserAudit = { state: 'gone', keysScanned: 0, findings: [] };
const NOT_AUDITED: UserAudit = { state: 'not-audited', keysScanned: 0, findings: [] };

/**
 * A credential report generated this recently already holds the live last use: it is trusted as it is.
 * An older one (IAM hands out a report up to four hours old) is checked live wherever a use since could matter.
 */
export const FRESH_REPORT_MS = 15 * 60 * 1000;

/**
 * Where a key's last use comes from: read live for every key (a manual re-audit); from the credential report,
 * read live only where a use since the report could change the verdict; or from a fresh report as it is.
 */
type LastUsePolicy = 'read-all' | 'verify-report' | 'trust-report';

/** How to treat the last use a report generated at `generatedAt` gives, in an audit at `now`. */
export function lastUsePolicyFor(generatedAt: string, now: Date): LastUsePolicy {
  const age = now.getTime() - Date.parse(generatedAt);
  // A minute of clock skew between IAM and this host is tolerated.
  return age >= -60_000 && age <= FRESH_REPORT_MS ? 'trust-report' : 'verify-report';
}

/** Why an audit stopped early, as the report says it. */
export const STOPPED_EARLY = 'stopped before the Lambda timeout: not every user was audited';

/** The users still there: those found deleted mid-audit are dropped, their tags with them. */
function withoutGone(users: LiveUser[], gone: string[]): LiveUser[] {
  const deleted = new Set(gone);
  return users.filter((user) => !deleted.has(user.userName));
}

/** Totals over the users audited live, and the names of those gone or not reached. */
function summarize(users: LiveUser[], audits: UserAudit[]) {
  const named = (state: UserAudit['state']) =>
    users.filter((_, i) => audits[i]?.state === state).map((u) => u.userName);
  const verifiedKeys = new Map<string, IndexedKey[]>();
  users.forEach((user, i) => {
    const keys = audits[i]?.state === 'audited' ? audits[i]?.keys : undefined;
    if (keys) verifiedKeys.set(user.userName, keys);
  });
  return {
    audited: audits.filter((a) => a.state === 'audited').length,
    keysScanned: audits.reduce((sum, a) => sum + a.keysScanned, 0),
    findings: audits.flatMap((a) => a.findings),
    gone: named('gone'),
    notAudited: { reason: STOPPED_EARLY, users: named('not-audited') },
    verifiedKeys,
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The report's key slots as keys, so the rules can say whether a user is worth verifying live. */
function reportKeysAsKeys(user: ReportUser): AccessKey[] {
  return user.keys.map((key) => ({
    accessKeyId: `credential-report-slot-${key.slot}`,
    status: key.active ? 'Active' : 'Inactive',
    createdAt: key.createdAt,
    lastUsed: key.lastUsed,
  }));
}

/** True when the credential report's (possibly hours old) data gives the user any finding. */
export function isCandidate(user: ReportUser, now: Date, settings: RuleSettings): boolean {
  return (
    evaluateUser({ userName: user.userName, keys: reportKeysAsKeys(user), tags: {} }, now, settings).length >
    0
  );
}

const toSecond = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A user to verify: listed live, or (`known`) from the key index, whose entry its report row matches. */
interface ToVerify {
  user: LiveUser;
  reportKeys: ReportKey[] | null;
  known?: LiveKey[];
}

/** The report slot describing a live key: the one created in the same second. */
function matchReportKey(key: LiveKey, reportKeys: ReportKey[]): ReportKey | undefined {
  return reportKeys.find((candidate) => toSecond(candidate.createdAt) === toSecond(key.createdAt));
}

class Auditor {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: () => number;

  constructor(private readonly deps: EngineDeps) {
    this.sleep = deps.sleep ?? defaultSleep;
    this.clock = deps.clock ?? Date.now;
  }

  private get settings(): RuleSettings {
    return this.deps.config.settings;
  }

  /**
   * Audits one user from its live keys (or, `known`, the keys the key index holds for it). Last use is read live
   * where the verdict depends on it, taken from the credential report where the report describes the key, and
   * read live for any other key a finding shows.
   */
  private async auditLive(
    user: LiveUser,
    now: Date,
    reportKeys: ReportKey[] | null,
    policy: LastUsePolicy,
    known?: LiveKey[],
  ): Promise<UserAudit> {
    const liveKeys = known ?? (await this.deps.iam.listAccessKeys(user.userName));
    if (liveKeys === null) return GONE;
    const lastUse = new Map<string, LastUsed | null>();
    const gone = new Set<string>();
    let userGone = false;
    const readLastUse = async (keys: LiveKey[]) => {
      for (const key of keys) {
        const used = await this.lastUsedOf(user.userName, key.accessKeyId);
        if (used === 'user-gone') userGone = true;
        else if (used === 'gone') gone.add(key.accessKeyId);
        else lastUse.set(key.accessKeyId, used);
      }
    };
    for (const key of liveKeys) {
      const reported = reportKeys ? matchReportKey(key, reportKeys) : undefined;
      if (reported) lastUse.set(key.accessKeyId, reported.lastUsed);
    }
    await readLastUse(policy === 'read-all' ? liveKeys : this.keysToRead(liveKeys, lastUse, policy, now));
    if (userGone) return GONE;
    const evaluate = () => {
      const keys = liveKeys
        .filter((key) => !gone.has(key.accessKeyId))
        .map((key): AccessKey => ({ ...key, lastUsed: lastUse.get(key.accessKeyId) ?? null }));
      const iamUser: IamUser = { userName: user.userName, keys, tags: user.tags };
      return { keys, findings: evaluateUser(iamUser, now, this.settings) };
    };
    let result = evaluate();
    // Keys whose last use is still unknown do not change any verdict, but the findings that show them should be right.
    const shown = new Set(
      result.findings.flatMap((f) => [f.accessKeyId, ...(f.keys ?? []).map((k) => k.accessKeyId)]),
    );
    const unknown = liveKeys.filter(
      (key) => shown.has(key.accessKeyId) && !lastUse.has(key.accessKeyId) && !gone.has(key.accessKeyId),
    );
    if (unknown.length > 0) {
      await readLastUse(unknown);
      if (userGone) return GONE;
      result = evaluate();
    }
    return {
      state: 'audited',
      keysScanned: result.keys.length,
      findings: result.findings,
      keys: result.keys.map(({ accessKeyId, status, createdAt }) => ({ accessKeyId, status, createdAt })),
    };
  }

  /**
   * A key's last use. IAM documents no NoSuchEntity for GetAccessKeyLastUsed: a key deleted a moment ago may
   * answer AccessDenied instead, so on AccessDenied the user's keys are listed again; if the key is gone it is
   * dropped, otherwise the denial is real and fails the audit.
   */
  private async lastUsedOf(
    userName: string,
    accessKeyId: string,
  ): Promise<LastUsed | null | 'gone' | 'user-gone'> {
    try {
      return await this.deps.iam.lastUsed(accessKeyId);
    } catch (error) {
      if (!isAccessDenied(error)) throw error;
      const keys = await this.deps.iam.listAccessKeys(userName);
      if (keys === null) return 'user-gone';
      if (!keys.some((key) => key.accessKeyId === accessKeyId)) return 'gone';
      throw error;
    }
  }

  /**
   * The keys whose last use must be read live: those whose verdict depends on it and that the report does not
   * describe; and, unless the report is fresh, those it describes but a use since could change the verdict of.
   */
  private keysToRead(
    keys: LiveKey[],
    reported: ReadonlyMap<string, LastUsed | null>,
    policy: Exclude<LastUsePolicy, 'read-all'>,
    now: Date,
  ): LiveKey[] {
    const depends = new Set(keysNeedingLastUse(keys, now, this.settings));
    const asReported = keys.map((key) => ({ ...key, lastUsed: reported.get(key.accessKeyId) ?? null }));
    const unsettled = new Set(
      keysUnsettledByReport(asReported, now, this.settings).map((key) => key.accessKeyId),
    );
    return keys.filter((key) =>
      reported.has(key.accessKeyId)
        ? policy === 'verify-report' && unsettled.has(key.accessKeyId)
        : depends.has(key),
    );
  }

  /** Audits users live, a bounded number at once; starts no new one once `shouldStop` says so. */
  private async auditUsers(users: ToVerify[], now: Date, policy: LastUsePolicy): Promise<UserAudit[]> {
    const shouldStop = this.deps.shouldStop ?? (() => false);
    return mapWithConcurrency(users, this.deps.config.concurrency, async ({ user, reportKeys, known }) =>
      shouldStop() ? NOT_AUDITED : this.auditLive(user, now, reportKeys, policy, known),
    );
  }

  private async fetchReport(): Promise<CredentialReportResult> {
    return this.deps.iam.credentialReport({
      waitMs: this.deps.config.reportWaitSeconds * 1000,
      pollIntervalMs: this.deps.pollIntervalMs ?? 2000,
      sleep: this.sleep,
      clock: this.clock,
    });
  }

  /**
   * The whole account: credential report candidates verified live (or, with a fresh report, from the key index
   * where their row matches it); live enumeration if the report is unavailable.
   */
  async auditAccount(now: Date, keyIndex: KeyIndexLoad | undefined) {
    const [report, liveUsers] = await Promise.all([this.fetchReport(), this.deps.iam.listUsers()]);
    let parsed: ReturnType<typeof parseCredentialReport> | null = null;
    let source: ReportSource;
    if (report.ok) {
      try {
        parsed = parseCredentialReport(report.csv);
        source = { type: 'credential-report', generatedAt: report.generatedAt };
      } catch (error) {
        source = { type: 'live', reason: `credential report unreadable: ${(error as Error).message}` };
      }
    } else {
      source = { type: 'live', reason: report.reason };
    }

    const policy = report.ok && parsed ? lastUsePolicyFor(report.generatedAt, now) : 'verify-report';
    const unusable = keyIndexUnusableReason(
      keyIndex,
      !parsed ? 'none' : policy === 'trust-report' ? 'fresh' : 'stale',
      now,
      this.deps.config.keyIndexMaxAgeDays,
    );
    const index = !unusable && keyIndex?.status === 'loaded' ? keyIndex.index : null;

    let keysFromReport = 0;
    const toVerify: ToVerify[] = [];
    const reported = new Map((parsed?.users ?? []).map((user) => [user.userName, user]));
    for (const user of liveUsers) {
      const row = parsed ? reported.get(user.userName) : undefined;
      if (parsed && row && !isCandidate(row, now, this.settings)) {
        keysFromReport += row.keys.length;
        continue;
      }
      const known = index && row ? keysFromIndex(index.users.get(user.userName), row.keys) : null;
      toVerify.push({ user, reportKeys: row?.keys ?? null, ...(known ? { known } : {}) });
    }
    const verified = summarize(
      toVerify.map((v) => v.user),
      await this.auditUsers(toVerify, now, policy),
    );
    const fromIndex = toVerify.filter((v) => v.known).length;
    const rootFindings = evaluateRoot(await this.rootKeys(parsed), now, this.settings);
    return {
      source: {
        ...source,
        verification: {
          live: toVerify.length - fromIndex,
          fromIndex,
          keyIndex: unusable ? `not used: ${unusable}` : 'used',
        },
      },
      keyIndex: nextAccountIndex({
        previous: keyIndex?.status === 'loaded' ? keyIndex.index : null,
        usedPrevious: index !== null,
        verified: verified.verifiedKeys,
        notReached: verified.notAudited.users,
        now,
      }),
      usersScanned: liveUsers.length - toVerify.length + verified.audited,
      keysScanned: keysFromReport + verified.keysScanned,
      findings: [...rootFindings, ...verified.findings],
      notAudited: verified.notAudited,
      users: withoutGone(liveUsers, verified.gone),
    };
  }

  /** The root account's keys: the report's active ones, confirmed live; or, without a report, whether any exists. */
  private async rootKeys(parsed: ReturnType<typeof parseCredentialReport> | null): Promise<RootKey[]> {
    if (parsed) {
      const active = (parsed.root?.keys ?? []).filter((key) => key.active);
      if (active.length === 0 || !(await this.deps.iam.rootHasAccessKeys())) return [];
      return active.map((key) => ({ active: true, createdAt: key.createdAt, lastUsed: key.lastUsed }));
    }
    return (await this.deps.iam.rootHasAccessKeys())
      ? [{ active: null, createdAt: null, lastUsed: null }]
      : [];
  }

  /** Named users only, every value read live (a key rotated minutes ago shows as it is now). */
  async auditNamedUsers(names: string[], now: Date, keyIndex: KeyIndexLoad | undefined) {
    const found = await mapWithConcurrency(names, this.deps.config.concurrency, (name) =>
      this.deps.iam.getUser(name),
    );
    const users = found.filter((user): user is LiveUser => user !== null);
    const verified = summarize(
      users,
      await this.auditUsers(
        users.map((user) => ({ user, reportKeys: null })),
        now,
        'read-all',
      ),
    );
    const usersNotFound = [...names.filter((_, i) => found[i] === null), ...verified.gone];
    const source: ReportSource = {
      type: 'live',
      reason: 'manual re-audit of named users',
      verification: { live: users.length, fromIndex: 0, keyIndex: 'not used: manual re-audit' },
    };
    return {
      source,
      keyIndex: refreshedIndex(
        keyIndex?.status === 'loaded' ? keyIndex.index : null,
        verified.verifiedKeys,
        usersNotFound,
      ),
      usersScanned: verified.audited,
      keysScanned: verified.keysScanned,
      findings: verified.findings,
      usersNotFound,
      notAudited: verified.notAudited,
      users: withoutGone(users, verified.gone),
    };
  }
}

/** Runs one audit and returns its report. */
export async function runAudit(deps: EngineDeps, request: AuditRequest): Promise<AuditReport> {
  return (await audit(deps, request)).report;
}

/**
 * Runs one audit and returns its report and the key index to save with its state: the caller loads the index
 * before (`request.keyIndex`) and saves the one returned where it commits the state (never on a dry run, for
 * which it is null).
 */
export async function audit(deps: EngineDeps, request: AuditRequest): Promise<AuditOutcome> {
  const auditor = new Auditor(deps);
  const names = request.users ? [...new Set(request.users)] : undefined;
  const scope: AuditScope = names ? { type: 'users', users: names } : { type: 'account' };
  const [accountId, accountAlias, collected] = await Promise.all([
    deps.iam.accountId(),
    deps.iam.accountAlias(),
    names
      ? auditor.auditNamedUsers(names, request.now, request.keyIndex)
      : auditor.auditAccount(request.now, request.keyIndex),
  ]);
  const { users, findings, keyIndex, ...counts } = collected;
  const { alerting, exempted } = applyPolicies(findings, users, request.now, deps.config, names);
  const report = buildReport({
    now: request.now,
    accountId,
    accountAlias,
    scope,
    dryRun: request.dryRun ?? false,
    thresholds: deps.config.settings.thresholds,
    ...counts,
    findings: alerting,
    exempted,
  });
  return { report, keyIndex: request.dryRun ? null : keyIndex };
}
