/**
 * The domain's plain data: what the engine knows about an account, and what it reports.
 * Nothing here imports an SDK, reads the clock or the environment.
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RULE_IDS = [
  'root-access-key',
  'key-too-old',
  'key-expiring',
  'two-keys',
  'key-unused',
  'inactive-key',
  'invalid-exemption',
  'exemption-expired',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export type KeyStatus = 'Active' | 'Inactive';

/** Where and when a key last signed a request. */
export interface LastUsed {
  /** ISO 8601 instant. */
  date: string;
  /** Service namespace (`s3`, `ec2`), or null where AWS does not say. */
  service: string | null;
  region: string | null;
}

/** One access key of an IAM user, as known at audit time. */
export interface AccessKey {
  accessKeyId: string;
  status: KeyStatus;
  /** ISO 8601 instant the key was created. */
  createdAt: string;
  /** Last use, or null when the key has never been used. */
  lastUsed: LastUsed | null;
}

/** An IAM user with its keys and tags, as known at audit time. */
export interface IamUser {
  userName: string;
  keys: AccessKey[];
  /** The user's tags; a key's description is the tag whose key is the access key id. */
  tags: Record<string, string>;
}

/** One access key of the root account; the credential report has no key ids for root. */
export interface RootKey {
  /** True or false from the credential report; null when only GetAccountSummary was available (status unknown). */
  active: boolean | null;
  createdAt: string | null;
  lastUsed: LastUsed | null;
}

/** Thresholds in days of 24 hours, compared to the audit's `now`. */
export interface Thresholds {
  /** An Active key created more than this many days ago is `key-too-old`. Default 90. */
  maxKeyAgeDays: number;
  /** `key-expiring` fires this many days before `maxKeyAgeDays`. Default 7. */
  warnDays: number;
  /** An Active key not used (or, if never used, created) for more than this many days is `key-unused`. Default 45. */
  unusedDays: number;
}

/** The runbook a finding links to: a page and the anchors of its sections. */
export interface Runbook {
  url: string;
  sections: Record<RunbookSection, string>;
}

export const RUNBOOK_SECTIONS = [
  'findIfUsed',
  'findWhereUsed',
  'createAndDeploy',
  'sesSmtp',
  'ensureNewKeyUsed',
  'removeOldKey',
] as const;
export type RunbookSection = (typeof RUNBOOK_SECTIONS)[number];

/** Everything the rules need besides the data and `now`. */
export interface RuleSettings {
  thresholds: Thresholds;
  /** Regular expressions (source text) matching SES SMTP user names. */
  sesUserPatterns: string[];
  runbook: Runbook;
}

/** Which step of the runbook's rotation a user holding two keys is in. */
export type RotationStep =
  /** Both keys are used: replace the uses of one with the other first. */
  | 'replace-uses'
  /** The older key has not been used since the newer one was created: deactivate, then delete it. */
  | 'deactivate-old-key'
  /** One key is inactive: delete it. */
  | 'delete-inactive-key'
  /** One key has never been used: remove it. */
  | 'remove-unused-key';

/** A key as a finding shows it. */
export interface KeyDetails {
  accessKeyId: string;
  status: KeyStatus;
  createdAt: string;
  ageDays: number;
  lastUsed: LastUsed | null;
  /** The key's description tag ("where it is used"), or null. */
  description: string | null;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  userName: string;
  /** Omitted only for `two-keys` and `root-access-key`. */
  accessKeyId?: string;
  status?: KeyStatus;
  createdAt?: string | null;
  ageDays?: number | null;
  lastUsed: LastUsed | null;
  description: string | null;
  /** The user's keys, for `two-keys`. */
  keys?: KeyDetails[];
  /** The rotation step, for `two-keys`. */
  rotationStep?: RotationStep;
  /** The owning team (the user's team tag), or null when the user has none. Set once owners are resolved. */
  owner?: string | null;
  /** For `invalid-exemption` and `exemption-expired`: the exemption concerned. */
  exemption?: Exemption;
  /** From the state of earlier audits: when this finding was first seen (ISO), and whether it is new today. */
  firstSeenAt?: string;
  openDays?: number;
  isNew?: boolean;
  /** Open longer than the escalation threshold. */
  escalated?: boolean;
  /** True for SES SMTP users: rotated by re-creating the user with a `.YYYYMMDD` suffix. */
  sesSmtpUser: boolean;
  runbookUrl: string;
  /** One line a person can follow. */
  action: string;
}

/**
 * A person's knowing acceptance of a finding until a date: from a user tag, or from the stack props.
 * `accessKeyId` narrows it to one key; `rules` to some rules (all rules when absent).
 */
export interface Exemption {
  userName: string;
  accessKeyId?: string;
  rules?: RuleId[];
  /** The last day (YYYY-MM-DD, UTC) the exemption holds, inclusive. */
  until: string;
  reason: string;
  source: 'tag' | 'props';
  /** For a tag: its key, so a person can find and fix it. */
  tagKey?: string;
  /** For an invalid exemption: the raw text that did not parse. */
  raw?: string;
}

/** A finding not alerted because an exemption covers it. */
export interface ExemptedFinding extends Finding {
  exemption: Exemption;
}

/** A finding open at the previous audit that is gone now. */
export interface ResolvedFinding {
  rule: RuleId;
  userName: string;
  accessKeyId?: string;
  firstSeenAt: string;
  resolvedAt: string;
}

/** What changed since the previous audit, from the state store. */
export interface AuditChanges {
  newFindings: number;
  openFindings: number;
  resolved: ResolvedFinding[];
  /** Set when the state could not be read or written: every finding is then treated as new. */
  stateError?: string;
}

/** The identity of a finding across audits: rule, user and key. */
export function findingId(finding: Pick<Finding, 'rule' | 'userName' | 'accessKeyId'>): string {
  return `${finding.rule}|${finding.userName}|${finding.accessKeyId ?? ''}`;
}
