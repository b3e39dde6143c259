import { compactUtcDate, DAY_MS, olderThanDays, wholeDaysSince } from './time';
import {
  RULE_IDS,
  SEVERITY_RANK,
  type AccessKey,
  type ActionFacts,
  type ActionStep,
  type Finding,
  type FindingAction,
  type IamUser,
  type KeyDetails,
  type RootKey,
  type RotationStep,
  type RuleId,
  type RuleSettings,
  type RunbookSection,
  type Severity,
  type Thresholds,
} from './types';

/** The user name the credential report gives the root account. */
export const ROOT_USER_NAME = '<root_account>';

const isActive = (key: Pick<AccessKey, 'status'>): boolean => key.status === 'Active';
const byCreation = (a: Pick<AccessKey, 'createdAt'>, b: Pick<AccessKey, 'createdAt'>): number =>
  Date.parse(a.createdAt) - Date.parse(b.createdAt);

/** When a key last counted as in use: its last use, or its creation if it was never used. */
function lastActivity(key: AccessKey): string {
  return key.lastUsed?.date ?? key.createdAt;
}

/** True when an SES SMTP user pattern matches the user name. */
export function isSesSmtpUser(userName: string, patterns: string[]): boolean {
  return patterns.some((pattern) => new RegExp(pattern).test(userName));
}

/** IAM's longest user name. */
const MAX_USER_NAME_LENGTH = 64;

/**
 * The name the runbook gives a re-created SES SMTP user: the base name with today's `.YYYYMMDD`. A date suffix
 * already there (`.YYYYMMDD`, or the SES console's `.YYYYMMDD-HHMMSS`) is replaced, and the base is shortened
 * so the name stays within IAM's 64 characters.
 */
export function nextSesUserName(userName: string, now: Date): string {
  const suffix = `.${compactUtcDate(now)}`;
  const base = userName.replace(/\.\d{8}(-\d{6})?$/, '');
  return `${base.slice(0, MAX_USER_NAME_LENGTH - suffix.length)}${suffix}`;
}

/** The severity of each rule. */
export const RULE_SEVERITY: Record<RuleId, Severity> = {
  'root-access-key': 'critical',
  'key-too-old': 'high',
  'key-expiring': 'low',
  'two-keys': 'medium',
  'key-unused': 'medium',
  'inactive-key': 'low',
  'invalid-exemption': 'medium',
  'exemption-expired': 'low',
};

/** The runbook section each key step links to (exemption steps link to the exemptions documentation). */
export const STEP_SECTION: Record<
  Exclude<ActionStep, 'fix-exemption' | 'renew-or-remove-exemption'>,
  RunbookSection
> = {
  'delete-root-key': 'removeOldKey',
  'rotate-key': 'findWhereUsed',
  'plan-rotation': 'findWhereUsed',
  'recreate-ses-user': 'sesSmtp',
  'deploy-new-key': 'createAndDeploy',
  'replace-uses': 'findWhereUsed',
  'deactivate-old-key': 'removeOldKey',
  'remove-unused-key': 'removeOldKey',
  'confirm-unused-then-remove': 'findIfUsed',
  'delete-inactive-key': 'removeOldKey',
};

/** The most severe of the rules' severities. */
export function worstSeverity(rules: RuleId[]): Severity {
  return rules
    .map((rule) => RULE_SEVERITY[rule])
    .reduce<Severity>((worst, s) => (SEVERITY_RANK[s] < SEVERITY_RANK[worst] ? s : worst), 'low');
}

const inRuleOrder = (rules: Iterable<RuleId>): RuleId[] =>
  [...new Set(rules)].sort((a, b) => RULE_IDS.indexOf(a) - RULE_IDS.indexOf(b));

/** Every key rule that fires on one key (not `two-keys`, which is the pair's), in `RULE_IDS` order. */
export function rulesOnKey(key: AccessKey, now: Date, thresholds: Thresholds): RuleId[] {
  if (!isActive(key)) return ['inactive-key'];
  const { maxKeyAgeDays, warnDays, unusedDays } = thresholds;
  const tooOld = olderThanDays(key.createdAt, now, maxKeyAgeDays);
  const rules: RuleId[] = [];
  if (tooOld) rules.push('key-too-old');
  if (!tooOld && olderThanDays(key.createdAt, now, maxKeyAgeDays - warnDays)) rules.push('key-expiring');
  if (olderThanDays(lastActivity(key), now, unusedDays)) rules.push('key-unused');
  return rules;
}

/** Which rule decides a lone key's action: an inactive key is deleted, an unused one removed, then age. */
const DECIDING_ORDER: readonly RuleId[] = ['inactive-key', 'key-unused', 'key-too-old', 'key-expiring'];

const dayOf = (iso: string): string => iso.slice(0, 10);

function keyFacts(key: AccessKey, now: Date): Pick<ActionFacts, 'ageDays' | 'lastUsedDaysAgo'> {
  return {
    ageDays: wholeDaysSince(key.createdAt, now),
    lastUsedDaysAgo: key.lastUsed ? wholeDaysSince(key.lastUsed.date, now) : null,
  };
}

/** The action for a lone key, decided by `rule`. */
function loneKeyAction(
  rule: RuleId,
  key: AccessKey,
  user: IamUser,
  now: Date,
  settings: RuleSettings,
  ses: boolean,
): FindingAction {
  const { maxKeyAgeDays, unusedDays } = settings.thresholds;
  const base = { accessKeyId: key.accessKeyId };
  const facts = keyFacts(key, now);
  if (rule === 'inactive-key') return { ...base, step: 'delete-inactive-key', facts };
  if (rule === 'key-unused') {
    return {
      ...base,
      step: key.lastUsed ? 'confirm-unused-then-remove' : 'remove-unused-key',
      facts: { ...facts, unusedDays },
    };
  }
  const dueDate =
    rule === 'key-expiring'
      ? { dueDate: dayOf(new Date(Date.parse(key.createdAt) + maxKeyAgeDays * DAY_MS).toISOString()) }
      : {};
  if (ses) {
    return {
      ...base,
      step: 'recreate-ses-user',
      facts: { ...facts, maxKeyAgeDays, ...dueDate, newUserName: nextSesUserName(user.userName, now) },
    };
  }
  return {
    ...base,
    step: rule === 'key-expiring' ? 'plan-rotation' : 'rotate-key',
    facts: { ...facts, maxKeyAgeDays, ...dueDate },
  };
}

/**
 * Decides which rotation step a user holding two keys is at. `target` is the key going away, `keep` the key that
 * stays (runbook step 1: a user has two keys only while rotating).
 *
 * - A key is inactive: delete it.
 * - The older key has never been used: remove it.
 * - The newer key, created after the older one, has never been used: the rotation is in progress (step 4 done,
 *   not yet deployed): deploy the newer key where the older one is used and confirm it is used (steps 4-5),
 *   whatever the older key's age. Only when the newer key has stayed unused past the unused threshold is it
 *   abandoned: remove it.
 * - Both used, the older not since the newer was created: deactivate the older (step 6).
 * - Both used: replace every use of the older with the newer, then remove the older.
 */
export function rotationStepOf(
  keys: [AccessKey, AccessKey],
  now: Date,
  unusedDays: number,
): { step: RotationStep; target: AccessKey; keep: AccessKey } {
  const [older, newer] = [...keys].sort(byCreation) as [AccessKey, AccessKey];
  const pick = (target: AccessKey) => ({ target, keep: target === older ? newer : older });
  const inactive = [older, newer].find((k) => !isActive(k));
  if (inactive) return { step: 'delete-inactive-key', ...pick(inactive) };
  if (older.lastUsed === null) return { step: 'remove-unused-key', ...pick(older) };
  if (newer.lastUsed === null) {
    const createdAfter = Date.parse(newer.createdAt) > Date.parse(older.createdAt);
    if (createdAfter && !olderThanDays(newer.createdAt, now, unusedDays)) {
      return { step: 'deploy-new-key', ...pick(older) };
    }
    return { step: 'remove-unused-key', ...pick(newer) };
  }
  if (Date.parse(older.lastUsed.date) < Date.parse(newer.createdAt)) {
    return { step: 'deactivate-old-key', ...pick(older) };
  }
  return { step: 'replace-uses', ...pick(older) };
}

function runbookUrl(settings: RuleSettings, section: RunbookSection): string {
  return `${settings.runbook.url}${settings.runbook.sections[section]}`;
}

/** The details of one key as a finding shows them. */
export function keyDetails(key: AccessKey, user: IamUser, now: Date): KeyDetails {
  return {
    accessKeyId: key.accessKeyId,
    status: key.status,
    createdAt: key.createdAt,
    ageDays: wholeDaysSince(key.createdAt, now),
    lastUsed: key.lastUsed,
    description: user.tags[key.accessKeyId] ?? null,
  };
}

/**
 * Applies the key rules to one user: one finding per key that any rule fires on, or, for a user holding two keys,
 * one finding for the pair (`two-keys`, with the rules of each key in `keys[].rules`). Each finding has one
 * action; `rules` lists every rule that fired, `rule` the one that decides the action.
 */
export function evaluateUser(user: IamUser, now: Date, settings: RuleSettings): Finding[] {
  const ses = isSesSmtpUser(user.userName, settings.sesUserPatterns);
  const base = { userName: user.userName, sesSmtpUser: ses };
  if (user.keys.length >= 2) {
    const pair = [...user.keys.slice(0, 2)] as [AccessKey, AccessKey];
    const { step, target, keep } = rotationStepOf(pair, now, settings.thresholds.unusedDays);
    const keys = [...pair]
      .sort(byCreation)
      .map((key) => ({ ...keyDetails(key, user, now), rules: rulesOnKey(key, now, settings.thresholds) }));
    const rules = inRuleOrder(['two-keys', ...keys.flatMap((k) => k.rules)]);
    const facts: ActionFacts = {
      ...keyFacts(target, now),
      keepCreatedOn: dayOf(keep.createdAt),
      ...(step === 'remove-unused-key' ? { unusedDays: settings.thresholds.unusedDays } : {}),
    };
    return [
      {
        ...base,
        rule: 'two-keys',
        rules,
        severity: worstSeverity(rules),
        lastUsed: null,
        description: null,
        keys,
        rotationStep: step,
        runbookUrl: runbookUrl(settings, STEP_SECTION[step]),
        action: { step, accessKeyId: target.accessKeyId, keepAccessKeyId: keep.accessKeyId, facts },
      },
    ];
  }
  return user.keys.flatMap((key): Finding[] => {
    const rules = rulesOnKey(key, now, settings.thresholds);
    const rule = DECIDING_ORDER.find((r) => rules.includes(r));
    if (!rule) return [];
    const action = loneKeyAction(rule, key, user, now, settings, ses);
    const { accessKeyId, status, createdAt, ageDays, lastUsed, description } = keyDetails(key, user, now);
    return [
      {
        ...base,
        rule,
        rules,
        severity: worstSeverity(rules),
        accessKeyId,
        status,
        createdAt,
        ageDays,
        lastUsed,
        description,
        runbookUrl: runbookUrl(settings, STEP_SECTION[action.step as keyof typeof STEP_SECTION]),
        action,
      },
    ];
  });
}

/** `root-access-key`: one critical finding per root access key that is active, or whose status is unknown. */
export function evaluateRoot(rootKeys: RootKey[], now: Date, settings: RuleSettings): Finding[] {
  return rootKeys
    .filter((key) => key.active !== false)
    .map((key) => ({
      rule: 'root-access-key',
      rules: ['root-access-key'],
      severity: 'critical',
      userName: ROOT_USER_NAME,
      ...(key.active ? { status: 'Active' as const } : {}),
      createdAt: key.createdAt,
      ageDays: key.createdAt ? wholeDaysSince(key.createdAt, now) : null,
      lastUsed: key.lastUsed,
      description: null,
      sesSmtpUser: false,
      runbookUrl: runbookUrl(settings, STEP_SECTION['delete-root-key']),
      action: {
        step: 'delete-root-key',
        facts: {
          ageDays: key.createdAt ? wholeDaysSince(key.createdAt, now) : null,
          lastUsedDaysAgo: key.lastUsed ? wholeDaysSince(key.lastUsed.date, now) : null,
          ...(key.active === null ? { statusUnknown: true } : {}),
        },
      },
    }));
}

/**
 * The keys whose verdict depends on their last use, so the live last use must be read:
 * an Active key old enough for `key-unused` to fire had it not been used recently, and both keys of a user
 * holding two Active keys (the rotation step depends on which is in use).
 */
export function keysNeedingLastUse<K extends Pick<AccessKey, 'status' | 'createdAt'>>(
  keys: K[],
  now: Date,
  settings: RuleSettings,
): K[] {
  if (keys.length >= 2 && keys.every(isActive)) return keys;
  return keys.filter(
    (key) => isActive(key) && olderThanDays(key.createdAt, now, settings.thresholds.unusedDays),
  );
}

/**
 * Of keys whose last use the credential report gives, those a use since the report could still change the
 * verdict of, so their last use must be read live: an Active key the report shows unused (or never used) for
 * long enough to be `key-unused`; and, for a user holding two Active keys, a key the report shows never used, or
 * the older key when the report shows it idle since the newer one was created. A newer use can only make a key
 * more recently used, so every other verdict the report gives stands.
 */
export function keysUnsettledByReport<K extends Pick<AccessKey, 'status' | 'createdAt' | 'lastUsed'>>(
  keys: K[],
  now: Date,
  settings: RuleSettings,
): K[] {
  const { unusedDays } = settings.thresholds;
  const [older, newer] = [...keys].sort(byCreation);
  const twoActive = keys.length >= 2 && keys.every(isActive);
  return keys.filter((key) => {
    if (!isActive(key)) return false;
    const mayBeUnused =
      olderThanDays(key.createdAt, now, unusedDays) &&
      olderThanDays(key.lastUsed?.date ?? key.createdAt, now, unusedDays);
    if (mayBeUnused) return true;
    if (!twoActive) return false;
    if (key.lastUsed === null) return true;
    return (
      key === older && newer !== undefined && Date.parse(key.lastUsed.date) < Date.parse(newer.createdAt)
    );
  });
}
