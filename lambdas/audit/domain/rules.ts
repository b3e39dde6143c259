import { compactUtcDate, DAY_MS, olderThanDays, wholeDaysSince } from './time';
import type {
  AccessKey,
  Finding,
  IamUser,
  KeyDetails,
  RootKey,
  RotationStep,
  RuleId,
  RuleSettings,
  RunbookSection,
  Severity,
} from './types';

/** The user name the credential report gives the root account. */
export const ROOT_USER_NAME = '<root_account>';

/** What a rule decides about one user: the parts of a finding that vary by rule. */
interface Verdict {
  key?: AccessKey;
  keys?: AccessKey[];
  rotationStep?: RotationStep;
  section: RunbookSection;
  action: string;
}

interface RuleContext {
  user: IamUser;
  now: Date;
  settings: RuleSettings;
  ses: boolean;
}

interface UserRule {
  id: RuleId;
  severity: Severity;
  evaluate(ctx: RuleContext): Verdict[];
}

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

function describeUse(key: AccessKey, now: Date): string {
  if (!key.lastUsed) return 'never used';
  const where = [key.lastUsed.service, key.lastUsed.region].filter(Boolean).join(' in ');
  return `last used ${wholeDaysSince(key.lastUsed.date, now)} days ago${where ? ` (${where})` : ''}`;
}

function rotateAction(ctx: RuleContext, key: AccessKey, why: string): Pick<Verdict, 'section' | 'action'> {
  if (ctx.ses) {
    return {
      section: 'sesSmtp',
      action:
        `${why}. SES SMTP credentials cannot be rotated: create user ${nextSesUserName(ctx.user.userName, ctx.now)}, ` +
        `switch the application to its SMTP credentials, then delete ${ctx.user.userName}.`,
    };
  }
  const where = ctx.user.tags[key.accessKeyId];
  return {
    section: 'findWhereUsed',
    action:
      `${why}. Find where ${key.accessKeyId} is used${where ? ` (described as "${where}")` : ''}, ` +
      `create and deploy a new key, confirm the new key is used, then deactivate and delete ${key.accessKeyId}.`,
  };
}

/** Decides which rotation step a user holding two keys is in, and which key the step acts on. */
export function rotationStepOf(keys: [AccessKey, AccessKey]): {
  step: RotationStep;
  target: AccessKey;
  keep: AccessKey;
} {
  const [older, newer] = [...keys].sort(byCreation) as [AccessKey, AccessKey];
  const pick = (target: AccessKey) => ({ target, keep: target === older ? newer : older });
  const inactive = [older, newer].find((k) => !isActive(k));
  if (inactive) return { step: 'delete-inactive-key', ...pick(inactive) };
  const neverUsed = [older, newer].find((k) => k.lastUsed === null);
  if (neverUsed) return { step: 'remove-unused-key', ...pick(neverUsed) };
  if (Date.parse(older.lastUsed!.date) < Date.parse(newer.createdAt)) {
    return { step: 'deactivate-old-key', ...pick(older) };
  }
  return { step: 'replace-uses', ...pick(older) };
}

function twoKeysAction(ctx: RuleContext, keys: [AccessKey, AccessKey]): Verdict {
  const { step, target, keep } = rotationStepOf(keys);
  const t = target.accessKeyId;
  const k = keep.accessKeyId;
  const sesNote = ctx.ses
    ? ' This is an SES SMTP user: rotate it by re-creating the user with a .YYYYMMDD suffix, not with a second key.'
    : '';
  const verdicts: Record<RotationStep, Omit<Verdict, 'keys' | 'rotationStep'>> = {
    'delete-inactive-key': {
      section: 'removeOldKey',
      action: `Delete the inactive key ${t}; ${k} stays.`,
    },
    'remove-unused-key': {
      section: 'removeOldKey',
      action: `Remove ${t}: it has never been used; ${k} stays.`,
    },
    'deactivate-old-key': {
      section: 'removeOldKey',
      action: `${t} has not been used since ${k} was created on ${keep.createdAt.slice(0, 10)}: deactivate ${t}, then delete it.`,
    },
    'replace-uses': {
      section: 'findWhereUsed',
      action: `Both keys are in use: replace every use of ${t} with ${k}, confirm ${t} is no longer used, then remove it.`,
    },
  };
  const verdict = verdicts[step];
  return { ...verdict, action: verdict.action + sesNote, keys, rotationStep: step };
}

/** The user rules, in the order the report lists a user's findings of equal severity. */
export const USER_RULES: readonly UserRule[] = [
  {
    id: 'key-too-old',
    severity: 'high',
    evaluate: (ctx) =>
      ctx.user.keys
        .filter(
          (key) =>
            isActive(key) && olderThanDays(key.createdAt, ctx.now, ctx.settings.thresholds.maxKeyAgeDays),
        )
        .map((key) => ({
          key,
          ...rotateAction(
            ctx,
            key,
            `Rotate ${key.accessKeyId}: it is ${wholeDaysSince(key.createdAt, ctx.now)} days old, ` +
              `past the ${ctx.settings.thresholds.maxKeyAgeDays}-day limit`,
          ),
        })),
  },
  {
    id: 'key-expiring',
    severity: 'low',
    evaluate: (ctx) => {
      const { maxKeyAgeDays, warnDays } = ctx.settings.thresholds;
      return ctx.user.keys
        .filter(
          (key) =>
            isActive(key) &&
            !olderThanDays(key.createdAt, ctx.now, maxKeyAgeDays) &&
            olderThanDays(key.createdAt, ctx.now, maxKeyAgeDays - warnDays),
        )
        .map((key) => {
          const due = new Date(Date.parse(key.createdAt) + maxKeyAgeDays * DAY_MS).toISOString().slice(0, 10);
          return {
            key,
            ...rotateAction(
              ctx,
              key,
              `Plan the rotation of ${key.accessKeyId}: it turns ${maxKeyAgeDays} days old on ${due}`,
            ),
          };
        });
    },
  },
  {
    id: 'two-keys',
    severity: 'medium',
    evaluate: (ctx) =>
      ctx.user.keys.length >= 2
        ? [twoKeysAction(ctx, ctx.user.keys.slice(0, 2) as [AccessKey, AccessKey])]
        : [],
  },
  {
    id: 'key-unused',
    severity: 'medium',
    evaluate: (ctx) =>
      ctx.user.keys
        .filter(
          (key) =>
            isActive(key) && olderThanDays(lastActivity(key), ctx.now, ctx.settings.thresholds.unusedDays),
        )
        .map((key) =>
          key.lastUsed
            ? {
                key,
                section: 'findIfUsed' as const,
                action:
                  `${key.accessKeyId} was ${describeUse(key, ctx.now)}: confirm nothing still uses it, ` +
                  `then deactivate and delete it.`,
              }
            : {
                key,
                section: 'removeOldKey' as const,
                action: `${key.accessKeyId} has never been used in ${wholeDaysSince(key.createdAt, ctx.now)} days: deactivate it, then delete it.`,
              },
        ),
  },
  {
    id: 'inactive-key',
    severity: 'low',
    evaluate: (ctx) =>
      ctx.user.keys
        .filter((key) => !isActive(key))
        .map((key) => ({
          key,
          section: 'removeOldKey' as const,
          action: `Delete ${key.accessKeyId}: it is inactive; ${describeUse(key, ctx.now)}.`,
        })),
  },
];

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

/** Applies every user rule to one user. */
export function evaluateUser(user: IamUser, now: Date, settings: RuleSettings): Finding[] {
  const ctx: RuleContext = {
    user,
    now,
    settings,
    ses: isSesSmtpUser(user.userName, settings.sesUserPatterns),
  };
  return USER_RULES.flatMap((rule) =>
    rule.evaluate(ctx).map((verdict): Finding => {
      const base = {
        rule: rule.id,
        severity: rule.severity,
        userName: user.userName,
        sesSmtpUser: ctx.ses,
        runbookUrl: runbookUrl(settings, verdict.section),
        action: verdict.action,
      };
      if (verdict.key) {
        const { accessKeyId, status, createdAt, ageDays, lastUsed, description } = keyDetails(
          verdict.key,
          user,
          now,
        );
        return { ...base, accessKeyId, status, createdAt, ageDays, lastUsed, description };
      }
      return {
        ...base,
        lastUsed: null,
        description: null,
        keys: (verdict.keys ?? []).map((key) => keyDetails(key, user, now)),
        rotationStep: verdict.rotationStep,
      };
    }),
  );
}

/** `root-access-key`: one critical finding per root access key that is active, or whose status is unknown. */
export function evaluateRoot(rootKeys: RootKey[], now: Date, settings: RuleSettings): Finding[] {
  return rootKeys
    .filter((key) => key.active !== false)
    .map((key) => ({
      rule: 'root-access-key',
      severity: 'critical',
      userName: ROOT_USER_NAME,
      ...(key.active ? { status: 'Active' as const } : {}),
      createdAt: key.createdAt,
      ageDays: key.createdAt ? wholeDaysSince(key.createdAt, now) : null,
      lastUsed: key.lastUsed,
      description: null,
      sesSmtpUser: false,
      runbookUrl: runbookUrl(settings, 'removeOldKey'),
      action:
        (key.active === null
          ? 'The root account holds an access key (the credential report was unavailable to say whether it is active). '
          : '') +
        "Delete the root user's access key (sign in as root, Security credentials); give whatever uses it an IAM role or user instead.",
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
