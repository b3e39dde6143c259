/**
 * Exemptions: a person's knowing acceptance of a user's (or one key's) findings until a date, from a tag on the
 * IAM user or from the stack props. Pure: `now` is passed in.
 *
 * Tags (IAM allows letters, digits, spaces and `_ . : / = + - @` in keys and values; keys up to 128 characters,
 * values up to 256), all on the IAM user:
 *
 * | Tag key                                          | Exempts                                  |
 * | ------------------------------------------------ | ---------------------------------------- |
 * | `iam-key-auditor:exempt`                         | every finding of the user                |
 * | `iam-key-auditor:exempt:<access key id>`         | every finding of that key                |
 * | `iam-key-auditor:exempt:<rule>`                  | the user's findings of that rule         |
 * | `iam-key-auditor:exempt:<access key id>:<rule>`  | that key's findings of that rule         |
 *
 * The value is `YYYY-MM-DD <reason>`: the last day (UTC, inclusive) the exemption holds, a space, and why, e.g.
 * `2027-01-31 vendor cannot rotate until the contract renewal`. The namespace is matched case-insensitively, so
 * a mistyped key such as `IAM-Key-Auditor:exempted` is reported as invalid rather than silently ignored.
 */
import { ROOT_USER_NAME } from './rules';
import { calendarDaysBetween, DAY_MS, isCalendarDate, utcDate } from './time';
import { ACCESS_KEY_ID, IAM_USER_NAME } from './patterns';
import {
  DEFAULT_EXEMPTIONS_URL,
  RULE_IDS,
  type ActionFacts,
  type ExemptedFinding,
  type Exemption,
  type Finding,
  type RuleId,
  type RuleSettings,
  type Severity,
} from './types';

/** The tag key of a whole-user exemption, and the prefix of the others. */
export const EXEMPT_TAG_KEY = 'iam-key-auditor:exempt';

/** An exemption may end at most this many days after the audit, by default. */
export const DEFAULT_MAX_EXEMPTION_DAYS = 180;

/**
 * The rules an exemption can cover. Not `root-access-key` (the root account is no IAM user and has no tags; its
 * key must go), nor the exemption rules themselves.
 */
export const EXEMPTIBLE_RULES = [
  'key-too-old',
  'key-expiring',
  'two-keys',
  'key-unused',
  'inactive-key',
] as const satisfies readonly RuleId[];
export type ExemptibleRule = (typeof EXEMPTIBLE_RULES)[number];

/** The rules about exemptions themselves: their severity, and what a finding of each means. */
export const EXEMPTION_RULES = {
  'invalid-exemption': {
    severity: 'medium',
    meaning: 'exemptions that are not valid, so they exempt nothing',
  },
  'exemption-expired': {
    severity: 'low',
    meaning: 'exemptions past their date, no longer exempting',
  },
} as const satisfies Record<
  'invalid-exemption' | 'exemption-expired',
  { severity: Severity; meaning: string }
>;

/** One exemption in the stack props. */
export interface ExemptionProps {
  /** The IAM user name. */
  readonly user: string;
  /** Only this access key of the user. Default: every key of the user. */
  readonly accessKeyId?: string;
  /** Only these rules (of {@link EXEMPTIBLE_RULES}). Default: every rule. */
  readonly rules?: readonly ExemptibleRule[];
  /** The last day the exemption holds, `YYYY-MM-DD` (UTC, inclusive); at most `maxExemptionDays` ahead. */
  readonly until: string;
  /** Why the findings are accepted until then. Required. */
  readonly reason: string;
}

export interface ApplyExemptionsOptions {
  /** An exemption ending more than this many days after today (UTC) is invalid. */
  maxExemptionDays: number;
  /** For the runbook link of the exemption findings. */
  settings: RuleSettings;
  /**
   * A manual re-audit of named users: only these users' exemptions are looked at, so the props exemptions of
   * other users are neither applied nor reported. Absent: every exemption.
   */
  scopeUsers?: readonly string[];
}

const EXEMPTIBLE: ReadonlySet<string> = new Set(EXEMPTIBLE_RULES);
const TAG_KEY_FORMS =
  `${EXEMPT_TAG_KEY} (the whole user), ${EXEMPT_TAG_KEY}:<access key id>, ${EXEMPT_TAG_KEY}:<rule> ` +
  `or ${EXEMPT_TAG_KEY}:<access key id>:<rule>, with <rule> one of ${EXEMPTIBLE_RULES.join(', ')}`;
/** The reason the documentation and the fix-exemption advice give as an example. */
export const EXAMPLE_REASON = 'vendor cannot rotate until the contract renewal';

type TagTarget = { accessKeyId?: string; rules?: RuleId[] };

/** What a tag key in the namespace exempts, or why it exempts nothing. */
function parseTagKey(tagKey: string): TagTarget | { problem: string } {
  const rest = tagKey.slice(EXEMPT_TAG_KEY.length);
  if (rest === '') return {};
  const parts = rest.startsWith(':') ? rest.slice(1).split(':') : [];
  const unknown = {
    problem: `${JSON.stringify(tagKey)} is not an exemption tag key: use ${TAG_KEY_FORMS}`,
  };
  const rule = (text: string): { rule: RuleId } | { problem: string } | null => {
    const id = text.toLowerCase();
    if (EXEMPTIBLE.has(id)) return { rule: id as RuleId };
    if ((RULE_IDS as readonly string[]).includes(id)) return { problem: `${id} cannot be exempted` };
    return null;
  };
  if (parts.length === 1) {
    const [part = ''] = parts;
    if (ACCESS_KEY_ID.test(part)) return { accessKeyId: part };
    const parsed = rule(part);
    if (!parsed) return unknown;
    return 'problem' in parsed ? parsed : { rules: [parsed.rule] };
  }
  if (parts.length === 2) {
    const [keyPart = '', rulePart = ''] = parts;
    const parsed = rule(rulePart);
    if (!ACCESS_KEY_ID.test(keyPart) || !parsed) return unknown;
    if ('problem' in parsed) return parsed;
    if (parsed.rule === 'two-keys') {
      return {
        problem: `two-keys concerns the user, not one key: use the tag key ${EXEMPT_TAG_KEY}:two-keys`,
      };
    }
    return { accessKeyId: keyPart, rules: [parsed.rule] };
  }
  return unknown;
}

/** True for tag keys this module reads: `iam-key-auditor:exempt` and anything after it, in any case. */
function inNamespace(tagKey: string): boolean {
  return tagKey.toLowerCase().startsWith(EXEMPT_TAG_KEY);
}

/**
 * The exemptions in a user's tags. Tags outside the `iam-key-auditor:exempt` namespace are ignored. An exemption
 * whose key or value cannot be read (unknown key, no date, no reason, not a calendar date) is in `invalid`, with
 * its tag key and raw value; whether a readable one is current, expired or too long depends on `now` and is
 * decided by {@link applyExemptions}.
 */
export function parseTagExemptions(
  userName: string,
  tags: Record<string, string>,
): { exemptions: Exemption[]; invalid: Exemption[] } {
  const exemptions: Exemption[] = [];
  const invalid: Exemption[] = [];
  for (const [tagKey, value] of Object.entries(tags)) {
    if (!inNamespace(tagKey)) continue;
    const match = /^(\S*)\s*([\s\S]*)$/.exec(value.trim());
    const until = match?.[1] ?? '';
    const reason = (match?.[2] ?? '').trim();
    const normalizedKey = EXEMPT_TAG_KEY + tagKey.slice(EXEMPT_TAG_KEY.length);
    const target = parseTagKey(normalizedKey);
    const exemption: Exemption = {
      userName,
      ...('problem' in target ? {} : target),
      until,
      reason,
      source: 'tag',
      tagKey,
    };
    if (hasProblems(formatProblems(exemption))) invalid.push({ ...exemption, raw: value });
    else exemptions.push(exemption);
  }
  return { exemptions, invalid };
}

interface Problems {
  /** What is wrong with the tag key, the rules or the key: a person renames the tag or fixes the entry. */
  target: string[];
  /** What is wrong with the date or the reason: a person rewrites the value. */
  value: string[];
}

/** What is wrong with an exemption regardless of the day: its tag key, its rules, its date, its reason. */
function formatProblems(exemption: Exemption): Problems {
  const target: string[] = [];
  const value: string[] = [];
  if (exemption.tagKey !== undefined) {
    const parsed = inNamespace(exemption.tagKey)
      ? parseTagKey(EXEMPT_TAG_KEY + exemption.tagKey.slice(EXEMPT_TAG_KEY.length))
      : { problem: `${JSON.stringify(exemption.tagKey)} is not an exemption tag key: use ${TAG_KEY_FORMS}` };
    if ('problem' in parsed) target.push(parsed.problem);
  }
  for (const rule of exemption.rules ?? []) {
    if (!EXEMPTIBLE.has(rule)) target.push(`${rule} cannot be exempted`);
  }
  if (exemption.accessKeyId !== undefined && exemption.rules?.includes('two-keys')) {
    target.push('two-keys concerns the user, not one key');
  }
  if (exemption.until === '' && exemption.reason.trim() === '') {
    value.push('the value is empty');
  } else {
    if (!isCalendarDate(exemption.until)) {
      value.push(`${JSON.stringify(exemption.until)} is not a date (YYYY-MM-DD)`);
    }
    if (exemption.reason.trim() === '') value.push('it gives no reason after the date');
  }
  return { target: [...new Set(target)], value };
}

function hasProblems(problems: Problems): boolean {
  return problems.target.length > 0 || problems.value.length > 0;
}

/** An entry as the synth error names it: `exemptions[2] (user "alice")`. */
function entryName(index: number, entry: Partial<ExemptionProps>): string {
  return `exemptions[${index}]${typeof entry.user === 'string' ? ` (user ${JSON.stringify(entry.user)})` : ''}`;
}

/**
 * Validates the stack's exemptions at synth and returns them as domain exemptions (reason trimmed). Throws an
 * Error naming the entry, the field, its value and what is allowed. Whether an exemption has expired or reaches
 * too far ahead depends on the audit's day, so the audit checks that, not the synth.
 */
export function validatePropsExemptions(list: readonly ExemptionProps[] = []): Exemption[] {
  if (!Array.isArray(list)) {
    throw new Error(
      `exemptions must be a list of { user, accessKeyId?, rules?, until, reason }; got ${JSON.stringify(list)}`,
    );
  }
  return list.map((entry, index) => {
    const name = entryName(index, entry ?? {});
    const fail = (field: string, allowed: string, value: unknown): never => {
      throw new Error(`${name}: ${field} must be ${allowed}; got ${JSON.stringify(value)}`);
    };
    if (entry === null || typeof entry !== 'object') fail('the entry', 'an object', entry);
    if (entry.user === ROOT_USER_NAME) {
      fail('user', "an IAM user (the root account's access keys cannot be exempted)", entry.user);
    }
    if (typeof entry.user !== 'string' || !IAM_USER_NAME.test(entry.user)) {
      fail('user', 'an IAM user name (1 to 64 letters, digits or _+=,.@-)', entry.user);
    }
    if (
      entry.accessKeyId !== undefined &&
      !(typeof entry.accessKeyId === 'string' && ACCESS_KEY_ID.test(entry.accessKeyId))
    ) {
      fail(
        'accessKeyId',
        'an access key id (16 to 128 capital letters or digits, e.g. AKIA...)',
        entry.accessKeyId,
      );
    }
    if (entry.rules !== undefined) {
      if (!Array.isArray(entry.rules) || entry.rules.length === 0) {
        fail(
          'rules',
          `a non-empty list of ${EXEMPTIBLE_RULES.join(', ')} (leave it out for every rule)`,
          entry.rules,
        );
      }
      for (const rule of entry.rules) {
        if (!EXEMPTIBLE.has(rule)) fail('rules', `a list of ${EXEMPTIBLE_RULES.join(', ')}`, entry.rules);
      }
      if (entry.accessKeyId !== undefined && entry.rules.includes('two-keys')) {
        fail(
          'rules',
          'without two-keys when accessKeyId is set (two-keys concerns the user, not one key)',
          entry.rules,
        );
      }
    }
    if (typeof entry.until !== 'string' || !isCalendarDate(entry.until)) {
      fail('until', 'a calendar date YYYY-MM-DD (the last day exempted, UTC)', entry.until);
    }
    if (typeof entry.reason !== 'string' || entry.reason.trim() === '') {
      fail('reason', 'a non-empty text saying why', entry.reason);
    }
    const exemption: Exemption = {
      userName: entry.user,
      ...(entry.accessKeyId !== undefined ? { accessKeyId: entry.accessKeyId } : {}),
      ...(entry.rules !== undefined ? { rules: [...entry.rules] } : {}),
      until: entry.until,
      reason: entry.reason.trim(),
      source: 'props',
    };
    return exemption;
  });
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

type Verdict = { kind: 'current' } | { kind: 'expired' } | { kind: 'invalid'; problems: Problems };

function verdictOf(exemption: Exemption, today: string, maxDays: number, knownInvalid: boolean): Verdict {
  const problems = formatProblems(exemption);
  if (hasProblems(problems)) return { kind: 'invalid', problems };
  const daysAhead = calendarDaysBetween(today, exemption.until);
  if (daysAhead > maxDays) {
    return {
      kind: 'invalid',
      problems: {
        target: [],
        value: [`${exemption.until} is ${daysAhead} days away, more than the ${maxDays}-day maximum`],
      },
    };
  }
  if (knownInvalid)
    return { kind: 'invalid', problems: { target: ['it is not a valid exemption'], value: [] } };
  return daysAhead < 0 ? { kind: 'expired' } : { kind: 'current' };
}

function exemptionFinding(
  rule: 'invalid-exemption' | 'exemption-expired',
  exemption: Exemption,
  facts: ActionFacts,
  settings: RuleSettings,
): Finding {
  return {
    rule,
    rules: [rule],
    severity: EXEMPTION_RULES[rule].severity,
    userName: exemption.userName,
    ...(exemption.accessKeyId ? { accessKeyId: exemption.accessKeyId } : {}),
    lastUsed: null,
    description: null,
    exemption,
    sesSmtpUser: false,
    // Not a key step: the finding is about the exemption, so it links to how exemptions are written.
    runbookUrl: settings.exemptionsUrl ?? DEFAULT_EXEMPTIONS_URL,
    action: {
      step: rule === 'invalid-exemption' ? 'fix-exemption' : 'renew-or-remove-exemption',
      ...(exemption.accessKeyId ? { accessKeyId: exemption.accessKeyId } : {}),
      facts,
    },
  };
}

/** Higher is more specific: a key and a rule, a key, a rule, the whole user. */
function specificity(exemption: Exemption): number {
  return (exemption.accessKeyId ? 2 : 0) + (exemption.rules ? 1 : 0);
}

/** True when the exemption covers every rule that fired on the finding (an exemption from age alone does not hide an unused key). */
function covers(exemption: Exemption, finding: Finding): boolean {
  const fired = finding.rules.length ? finding.rules : [finding.rule];
  return (
    fired.every((rule) => EXEMPTIBLE.has(rule)) &&
    exemption.userName === finding.userName &&
    (exemption.accessKeyId === undefined || exemption.accessKeyId === finding.accessKeyId) &&
    (exemption.rules === undefined || fired.every((rule) => exemption.rules!.includes(rule)))
  );
}

/**
 * Applies the exemptions to the findings of an audit on `now`'s UTC day.
 *
 * - A current exemption (readable, `until` today or later and at most `maxExemptionDays` ahead) moves the
 *   findings it covers to `exempted`: same user, same key if it names one (so never `two-keys`, which has no key),
 *   one of its rules if it names any. Where several cover a finding, the most specific wins, then the latest.
 *   Never `root-access-key`, nor the exemption findings.
 * - An invalid one (unreadable, or too long) exempts nothing and adds an `invalid-exemption` finding (medium).
 * - An expired one (`until` before today) exempts nothing and adds an `exemption-expired` finding (low); the state
 *   of earlier audits (`diffFindings`) reports it once.
 *
 * Invalid and expired exemptions are reported whether or not their user has other findings. `alerting` is the
 * findings not exempted, then the exemption findings, in input order.
 */
export function applyExemptions(
  findings: Finding[],
  exemptions: Exemption[],
  invalid: Exemption[],
  now: Date,
  options: ApplyExemptionsOptions,
): { alerting: Finding[]; exempted: ExemptedFinding[] } {
  const today = utcDate(now);
  const latest = addDays(today, options.maxExemptionDays);
  const scope = options.scopeUsers ? new Set(options.scopeUsers) : null;
  const inScope = (e: Exemption): boolean => !scope || scope.has(e.userName);

  const current: Exemption[] = [];
  const policyFindings: Finding[] = [];
  const judge = (exemption: Exemption, knownInvalid: boolean): void => {
    if (!inScope(exemption)) return;
    const verdict = verdictOf(exemption, today, options.maxExemptionDays, knownInvalid);
    if (verdict.kind === 'current') current.push(exemption);
    else if (verdict.kind === 'expired') {
      policyFindings.push(
        exemptionFinding('exemption-expired', exemption, { latestUntil: latest }, options.settings),
      );
    } else {
      policyFindings.push(
        exemptionFinding(
          'invalid-exemption',
          exemption,
          { problems: [...verdict.problems.target, ...verdict.problems.value], latestUntil: latest },
          options.settings,
        ),
      );
    }
  };
  exemptions.forEach((e) => judge(e, false));
  invalid.forEach((e) => judge(e, true));

  const ranked = [...current].sort(
    (a, b) => specificity(b) - specificity(a) || (a.until < b.until ? 1 : a.until > b.until ? -1 : 0),
  );
  const alerting: Finding[] = [];
  const exempted: ExemptedFinding[] = [];
  for (const finding of findings) {
    const exemption = ranked.find((e) => covers(e, finding));
    if (exemption) exempted.push({ ...finding, exemption });
    else alerting.push(finding);
  }
  return { alerting: [...alerting, ...policyFindings], exempted };
}
