/**
 * The domain's plain data: what the engine knows about an account, and what it reports.
 * Nothing here imports an SDK, reads the clock or the environment.
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Most severe first: the one severity order every module sorts by. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

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
  /** Where exemption findings link: the README's exemptions section. Default `DEFAULT_EXEMPTIONS_URL`. */
  exemptionsUrl?: string;
}

/** The README's exemptions section, where exemption findings link unless `exemptionsUrl` says otherwise. */
export const DEFAULT_EXEMPTIONS_URL = 'README.md#exemptions';

/**
 * What a finding asks a person to do, one step of the runbook (or of the exemption policy). Renderers write their
 * own words from the step and its facts; the rules write none.
 */
export const ACTION_STEPS = [
  /** The root account holds an access key: delete it (runbook step 6). */
  'delete-root-key',
  /** A used key past the age limit: find where it is used, create and deploy a new key, then remove it (steps 3-6). */
  'rotate-key',
  /** A used key nearing the age limit: plan its rotation before `facts.dueDate` (steps 3-6). */
  'plan-rotation',
  /** An SES SMTP user's key: re-create the user as `facts.newUserName`, switch, delete the old user. */
  'recreate-ses-user',
  /** Two keys, the newer never used yet (rotation in progress): deploy it where the older is used, confirm it is used (steps 4-5). */
  'deploy-new-key',
  /** Both keys used: replace every use of the older with the newer (step 1), then remove the older. */
  'replace-uses',
  /** The older key is idle since the newer one was created: deactivate, then delete it (step 6). */
  'deactivate-old-key',
  /** A key never used: deactivate, then delete it (steps 2 and 6). Nothing to rotate. */
  'remove-unused-key',
  /** A key not used for a long time: confirm nothing uses it (step 2), then deactivate and delete it. */
  'confirm-unused-then-remove',
  /** An inactive key: delete it (step 6). */
  'delete-inactive-key',
  /** An exemption that does not parse or runs too long: fix it; until then it exempts nothing. */
  'fix-exemption',
  /** An exemption whose date has passed: remove it, or renew it if the reason still holds. */
  'renew-or-remove-exemption',
] as const;
export type ActionStep = (typeof ACTION_STEPS)[number];

/** The steps a user holding two keys can be at: what the pair finding asks. */
export type RotationStep = Extract<
  ActionStep,
  'deploy-new-key' | 'replace-uses' | 'deactivate-old-key' | 'remove-unused-key' | 'delete-inactive-key'
>;

/** The facts an action's words are written from; each present only where the step uses it. */
export interface ActionFacts {
  /** Age in whole days of the key acted on (null when unknown, root only). */
  ageDays?: number | null;
  /** Whole days since the key acted on was last used; null when it never was. */
  lastUsedDaysAgo?: number | null;
  /** The thresholds that fired. */
  maxKeyAgeDays?: number;
  unusedDays?: number;
  /** `plan-rotation`: the day (YYYY-MM-DD) the key turns `maxKeyAgeDays` old. */
  dueDate?: string;
  /** `recreate-ses-user`: the name to create. */
  newUserName?: string;
  /** For a pair: the day (YYYY-MM-DD) the key kept was created. */
  keepCreatedOn?: string;
  /** `delete-root-key`: the credential report could not say whether the key is active. */
  statusUnknown?: boolean;
  /** `fix-exemption`: what is wrong with it. */
  problems?: string[];
  /** Exemption steps: the latest `until` the policy allows today (YYYY-MM-DD). */
  latestUntil?: string;
}

/** The one action of a finding: a step, the key it acts on, the key that stays, and the facts. */
export interface FindingAction {
  step: ActionStep;
  /** The key the step acts on (absent for root and whole-user exemptions). */
  accessKeyId?: string;
  /** The key that stays, for a pair. */
  keepAccessKeyId?: string;
  facts: ActionFacts;
}

/** A key as a finding shows it. */
export interface KeyDetails {
  accessKeyId: string;
  status: KeyStatus;
  createdAt: string;
  ageDays: number;
  lastUsed: LastUsed | null;
  /** The key's description tag ("where it is used"), or null. */
  description: string | null;
  /** In a pair finding: every rule that fired on this key (`two-keys` itself is the pair's). */
  rules?: RuleId[];
}

export interface Finding {
  /** The rule that decides the action. */
  rule: RuleId;
  /** Every rule that fired on this key (or pair), the deciding one included, in `RULE_IDS` order. */
  rules: RuleId[];
  severity: Severity;
  userName: string;
  /** Omitted only for `two-keys` and `root-access-key`. */
  accessKeyId?: string;
  status?: KeyStatus;
  createdAt?: string | null;
  ageDays?: number | null;
  lastUsed: LastUsed | null;
  description: string | null;
  /** The user's keys, for `two-keys`, each with the rules that fired on it. */
  keys?: KeyDetails[];
  /** The rotation step, for `two-keys` (the same as `action.step`). */
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
  /** The runbook section of the action's step; for an exemption finding, the exemptions documentation. */
  runbookUrl: string;
  /** What to do, as data: every renderer writes its own words from it. */
  action: FindingAction;
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
