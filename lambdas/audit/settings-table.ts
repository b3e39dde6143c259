/**
 * The audit settings, one row each: the name in the stack's `audit` prop, its type, default, allowed values,
 * environment variable and doc line. From these rows come the synth-time and cold-start validation
 * (`validateAuditConfig`), the function's environment (`configToEnv`), its parsing at cold start
 * (`loadAuditConfig`) and the README's configuration table (`npm run docs:settings`; a test fails when they
 * disagree). A new setting is a row here, its field in `AuditConfigInput`/`AuditConfig`, and its test.
 */
import type { AuditConfig, AuditConfigInput } from './config';
import {
  DEFAULT_ESCALATION_DAYS,
  DEFAULT_FULL_DIGEST_WEEKDAY,
  DEFAULT_NOTIFY_MODE,
  NOTIFY_MODES,
} from './domain/changes';
import {
  DEFAULT_MAX_EXEMPTION_DAYS,
  validatePropsExemptions,
  type ExemptionProps,
} from './domain/exemptions';
import { DEFAULT_KEY_INDEX_MAX_AGE_DAYS, MAX_KEY_INDEX_MAX_AGE_DAYS } from './domain/key-index';
import type { CleanAuditMode } from './domain/notification';
import { DEFAULT_TEAM_TAG_KEY, validateTeams } from './domain/owners';
import { IAM_TAG_KEY, isSlackMention } from './domain/patterns';
import { DEFAULT_EXEMPTIONS_URL, type Exemption } from './domain/types';
import { DEFAULT_MAX_FINDING_LINES } from './present/view';
import {
  ConfigError,
  DEFAULT_RUNBOOK,
  DEFAULT_SES_USER_PATTERNS,
  DEFAULT_THRESHOLDS,
  validatePatterns,
  validateRunbookSections,
  validateExemptionsUrl,
  validateRunbookUrl,
  wholeDays,
} from './settings';

/** A setting's name: a field of the `audit` prop, or `thresholds.*` / `runbook.*` for the nested ones. */
export type SettingName =
  | Exclude<keyof AuditConfigInput, 'thresholds' | 'runbook'>
  | `thresholds.${keyof NonNullable<AuditConfigInput['thresholds']>}`
  | `runbook.${keyof NonNullable<AuditConfigInput['runbook']>}`;

export interface Setting {
  /** The environment variable the function reads it from. */
  readonly env: string;
  /** Its type as the README shows it. */
  readonly type: 'whole number' | 'text' | 'one of' | 'JSON';
  /** The default as the README shows it; `none`: unset unless given. */
  readonly defaultText: string;
  /** What is allowed, as the README shows it. */
  readonly allowed: string;
  /** One line: what it does. */
  readonly doc: string;
  /** The default value, filled in when the input leaves it out; undefined: stays unset. */
  readonly default: unknown;
  /** Checks a value (the default filled in), returning it as the configuration holds it; throws ConfigError. */
  validate(value: unknown): unknown;
  /** The variable's text back into an input value; undefined: unset, the default applies. */
  read(raw: string): unknown;
  /** The validated value as the variable's text; undefined: the variable is left out. */
  write(value: unknown): string | undefined;
  /** Rule settings sit under `settings` in the validated configuration. */
  readonly ruleSetting?: boolean;
  /** Whether an empty variable is unset (true, the default) or a value to validate. */
  readonly emptyIsValue?: boolean;
}

function wholeNumberRow(
  name: string,
  options: { min: number; max: number; default: number; unit?: 'days'; doc: string; env: string },
): Setting & { min: number; max: number } {
  const range = `${options.min}–${options.max}`;
  return {
    env: options.env,
    type: 'whole number',
    default: options.default,
    defaultText: String(options.default),
    allowed: options.unit ? `whole days ${range}` : range,
    doc: options.doc,
    min: options.min,
    max: options.max,
    validate: (value) =>
      options.unit
        ? wholeDays(name, value, options.min, options.max)
        : wholeNumber(name, value, options.min, options.max),
    read: (raw) => readWholeNumber(options.env, raw),
    write: (value) => String(value),
  };
}

function wholeNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function readWholeNumber(env: string, raw: string): number {
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new ConfigError(`environment variable ${env} must be a whole number; got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function oneOfRow<T extends string>(
  name: string,
  options: { values: readonly T[]; default: T; doc: string; env: string },
): Setting {
  return {
    env: options.env,
    type: 'one of',
    default: options.default,
    defaultText: `\`${options.default}\``,
    allowed: options.values.map((v) => `\`${v}\``).join(' or '),
    doc: options.doc,
    validate: (value) => {
      if (!options.values.includes(value as T)) {
        throw new ConfigError(
          `${name} must be one of ${options.values.join(', ')}; got ${JSON.stringify(value)}`,
        );
      }
      return value;
    },
    read: (raw) => raw,
    write: (value) => String(value),
  };
}

function jsonRow<T>(options: {
  env: string;
  what: string;
  default: T | undefined;
  defaultText: string;
  allowed: string;
  doc: string;
  validate: (value: unknown) => unknown;
  /** The validated value as the props write it, or undefined to leave the variable out. */
  toJson?: (value: T) => unknown;
  ruleSetting?: boolean;
}): Setting {
  return {
    env: options.env,
    type: 'JSON',
    default: options.default,
    defaultText: options.defaultText,
    allowed: options.allowed,
    doc: options.doc,
    validate: options.validate,
    read: (raw) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw new ConfigError(
          `environment variable ${options.env} must be ${options.what} in JSON; got ${JSON.stringify(raw)}`,
        );
      }
    },
    write: (value) => {
      const json = options.toJson ? options.toJson(value as T) : value;
      return json === undefined ? undefined : JSON.stringify(json);
    },
    ...(options.ruleSetting ? { ruleSetting: true } : {}),
  };
}

function asConfigError<T>(validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError((error as Error).message);
  }
}

/** An exemption as the props (and the EXEMPTIONS variable) write it. */
function exemptionProps(exemption: Exemption): ExemptionProps {
  return {
    user: exemption.userName,
    ...(exemption.accessKeyId ? { accessKeyId: exemption.accessKeyId } : {}),
    ...(exemption.rules ? { rules: exemption.rules as ExemptionProps['rules'] } : {}),
    until: exemption.until,
    reason: exemption.reason,
  };
}

const CLEAN_AUDIT_MODES: readonly CleanAuditMode[] = ['healthy-message', 'silent'];

/** Every audit setting, in the README's order. */
export const AUDIT_SETTINGS: { readonly [name in SettingName]: Setting } = {
  'thresholds.maxKeyAgeDays': {
    ...wholeNumberRow('maxKeyAgeDays', {
      env: 'MAX_KEY_AGE_DAYS',
      min: 1,
      max: 3650,
      unit: 'days',
      default: DEFAULT_THRESHOLDS.maxKeyAgeDays,
      doc: 'An Active key older than this is `key-too-old`.',
    }),
    ruleSetting: true,
  },
  'thresholds.warnDays': {
    ...wholeNumberRow('warnDays', {
      env: 'WARN_DAYS',
      min: 0,
      max: 3650,
      unit: 'days',
      default: DEFAULT_THRESHOLDS.warnDays,
      doc: 'A key this close to `maxKeyAgeDays` is `key-expiring`.',
    }),
    allowed: 'whole days, less than `maxKeyAgeDays`',
    ruleSetting: true,
  },
  'thresholds.unusedDays': {
    ...wholeNumberRow('unusedDays', {
      env: 'UNUSED_DAYS',
      min: 1,
      max: 3650,
      unit: 'days',
      default: DEFAULT_THRESHOLDS.unusedDays,
      doc: 'An Active key not used for this long (or never, since its creation) is `key-unused`.',
    }),
    ruleSetting: true,
  },
  sesUserPatterns: jsonRow<string[]>({
    env: 'SES_USER_PATTERNS',
    what: 'a list of regular expressions',
    default: DEFAULT_SES_USER_PATTERNS,
    defaultText: '`["^ses-smtp-user\\\\."]`',
    allowed: 'regular expressions',
    doc: 'User names that hold SES SMTP credentials: their findings link to the runbook’s SES section.',
    validate: validatePatterns,
    ruleSetting: true,
  }),
  'runbook.url': {
    env: 'RUNBOOK_URL',
    type: 'text',
    default: DEFAULT_RUNBOOK.url,
    defaultText: 'the GOV.UK page above',
    allowed: 'an http(s) URL without `#`',
    doc: 'The rotation runbook every finding links to.',
    validate: validateRunbookUrl,
    read: (raw) => raw,
    write: (value) => String(value),
    ruleSetting: true,
    emptyIsValue: true,
  },
  'runbook.sections': jsonRow({
    env: 'RUNBOOK_SECTIONS',
    what: 'an object of section anchors',
    default: undefined,
    defaultText: 'the page’s anchors',
    allowed: Object.keys(DEFAULT_RUNBOOK.sections)
      .map((section) => `\`${section}\``)
      .join(', '),
    doc: 'The runbook’s anchor for each rotation step.',
    validate: (value) => validateRunbookSections(value as Partial<typeof DEFAULT_RUNBOOK.sections>),
    ruleSetting: true,
  }),
  concurrency: wholeNumberRow('concurrency', {
    env: 'AUDIT_CONCURRENCY',
    min: 1,
    max: 64,
    default: 8,
    doc: 'How many users are verified live at once.',
  }),
  reportWaitSeconds: wholeNumberRow('reportWaitSeconds', {
    env: 'CREDENTIAL_REPORT_WAIT_SECONDS',
    min: 0,
    max: 600,
    default: 60,
    doc: 'How long to wait for the credential report before falling back to live calls.',
  }),
  maxAttempts: wholeNumberRow('maxAttempts', {
    env: 'IAM_MAX_ATTEMPTS',
    min: 1,
    max: 20,
    default: 10,
    doc: 'SDK attempts per IAM call (adaptive retry mode), retries included.',
  }),
  notifyOnClean: oneOfRow('notifyOnClean', {
    env: 'NOTIFY_ON_CLEAN',
    values: CLEAN_AUDIT_MODES,
    default: 'healthy-message',
    doc: 'What the channels get for a clean audit: a one-line message, or nothing.',
  }),
  notifyMode: oneOfRow('notifyMode', {
    env: 'NOTIFY_MODE',
    values: NOTIFY_MODES,
    default: DEFAULT_NOTIFY_MODE,
    doc: '`daily`: a digest every audit; `changes`: only when something is new or resolved, and a full one weekly.',
  }),
  fullDigestWeekday: {
    ...wholeNumberRow('fullDigestWeekday', {
      env: 'FULL_DIGEST_WEEKDAY',
      min: 0,
      max: 6,
      default: DEFAULT_FULL_DIGEST_WEEKDAY,
      doc: 'In `changes` mode, the UTC weekday (0 Sunday … 6 Saturday) of the full digest.',
    }),
    defaultText: `${DEFAULT_FULL_DIGEST_WEEKDAY} (Monday, UTC)`,
  },
  escalationDays: wholeNumberRow('escalationDays', {
    env: 'ESCALATION_DAYS',
    min: 1,
    max: 365,
    default: DEFAULT_ESCALATION_DAYS,
    doc: 'A finding open longer than this many days is escalated.',
  }),
  escalationMention: {
    env: 'ESCALATION_MENTION',
    type: 'text',
    default: undefined,
    defaultText: 'none',
    allowed: '`<!subteam^ID>` or `<@U…>`',
    doc: 'The Slack mention escalated findings carry.',
    validate: (value) => {
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || !isSlackMention(value)) {
        throw new ConfigError(
          `escalationMention must be a Slack mention such as <!subteam^S0123ABC> or <@U0123ABC>; got ${JSON.stringify(value)}`,
        );
      }
      return value;
    },
    read: (raw) => raw,
    write: (value) => (value === undefined ? undefined : String(value)),
  },
  teamTagKey: {
    env: 'TEAM_TAG_KEY',
    type: 'text',
    default: DEFAULT_TEAM_TAG_KEY,
    defaultText: `\`${DEFAULT_TEAM_TAG_KEY}\``,
    allowed: 'an IAM tag key',
    doc: 'The user tag naming the owning team.',
    validate: (value) => {
      if (typeof value !== 'string' || !IAM_TAG_KEY.test(value)) {
        throw new ConfigError(
          `teamTagKey must be an IAM tag key (1 to 128 letters, digits, spaces or _.:/=+-@); got ${JSON.stringify(value)}`,
        );
      }
      return value;
    },
    read: (raw) => raw,
    write: (value) => String(value),
  },
  teams: jsonRow<AuditConfig['teams']>({
    env: 'TEAMS',
    what: 'an object of teams',
    default: {},
    defaultText: 'none',
    allowed: '`{ "<team>": { mention?, webhookSecretArn? } }`',
    doc: 'Team → its Slack mention and, optionally, its own webhook secret.',
    validate: (value) => asConfigError(() => validateTeams(value as AuditConfig['teams'])),
    toJson: (teams) => (Object.keys(teams).length ? teams : undefined),
  }),
  exemptions: jsonRow<Exemption[]>({
    env: 'EXEMPTIONS',
    what: 'a list of exemptions',
    default: [],
    defaultText: 'none',
    allowed: '`[{ user, accessKeyId?, rules?, until, reason }]`',
    doc: 'Exemptions from the props (those from user tags are read at audit time).',
    validate: (value) => asConfigError(() => validatePropsExemptions(value as ExemptionProps[])),
    toJson: (exemptions) => (exemptions.length ? exemptions.map(exemptionProps) : undefined),
  }),
  maxExemptionDays: wholeNumberRow('maxExemptionDays', {
    env: 'MAX_EXEMPTION_DAYS',
    min: 1,
    max: 3650,
    default: DEFAULT_MAX_EXEMPTION_DAYS,
    doc: 'The longest an exemption may run, in days from the audit.',
  }),
  keyIndexMaxAgeDays: wholeNumberRow('keyIndexMaxAgeDays', {
    env: 'KEY_INDEX_MAX_AGE_DAYS',
    min: 0,
    max: MAX_KEY_INDEX_MAX_AGE_DAYS,
    default: DEFAULT_KEY_INDEX_MAX_AGE_DAYS,
    doc: 'The most days the key index is used after the last full live verification (0: never used).',
  }),
  maxFindingLines: wholeNumberRow('maxFindingLines', {
    env: 'MAX_FINDING_LINES',
    min: 1,
    max: 1000,
    default: DEFAULT_MAX_FINDING_LINES,
    doc: 'Finding lines a digest shows at most, most severe and oldest first; the rest are counted.',
  }),
  exemptionsUrl: {
    env: 'EXEMPTIONS_URL',
    type: 'text',
    default: DEFAULT_EXEMPTIONS_URL,
    defaultText: '`README.md#exemptions`',
    allowed: 'an http(s) URL, or a path a person can find',
    doc: 'Where exemption findings link: the README’s exemptions section.',
    validate: validateExemptionsUrl,
    read: (raw) => raw,
    write: (value) => String(value),
    ruleSetting: true,
  },
};

/** The settings as [name, row] pairs, in order. */
export const SETTING_ROWS = Object.entries(AUDIT_SETTINGS) as [SettingName, Setting][];

/** The README's configuration table, rendered from the rows. */
export function settingsTableMarkdown(): string {
  const lines = [
    '| prop (`audit.…`) | env variable | default | allowed | what it does |',
    '|---|---|---|---|---|',
    ...SETTING_ROWS.map(
      ([name, row]) =>
        `| \`${name}\` | \`${row.env}\`${row.type === 'JSON' ? ' (JSON)' : ''} | ${row.defaultText} | ${row.allowed} | ${row.doc} |`,
    ),
  ];
  return lines.join('\n');
}
