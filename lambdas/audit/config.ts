/**
 * Runtime configuration: built once at the edge (Lambda cold start, CLI start) from environment variables
 * that the stack writes with `configToEnv`. Every value is validated; a bad one throws a ConfigError naming it.
 * Each setting is a row of `AUDIT_SETTINGS` (./settings-table.ts): its default, its check and its variable
 * come from there.
 */
import { ConfigError } from './settings';
import { AUDIT_SETTINGS, SETTING_ROWS, type SettingName } from './settings-table';
import type { NotifyMode } from './domain/changes';
import type { ExemptionProps } from './domain/exemptions';
import type { CleanAuditMode } from './domain/notification';
import type { TeamRoute } from './domain/owners';
import type { Exemption, Runbook, RuleSettings, Thresholds } from './domain/types';

export interface AuditConfig {
  settings: RuleSettings;
  /** How many users are verified live at once. Default 8. */
  concurrency: number;
  /** How long to wait for IAM to generate the credential report before falling back to live calls. Default 60 s. */
  reportWaitSeconds: number;
  /** SDK attempts per IAM call (adaptive retry mode), retries included. Default 10. */
  maxAttempts: number;
  /** What the channels get for a clean audit: a one-line "all keys healthy" message, or nothing. Default the message. */
  notifyOnClean: CleanAuditMode;
  /** `daily`: a digest every audit; `changes`: only when something is new or resolved, plus a full one weekly. */
  notifyMode: NotifyMode;
  /** In `changes` mode, the UTC weekday (0 Sunday … 6 Saturday) of the full digest. Default 1, Monday. */
  fullDigestWeekday: number;
  /** A finding open longer than this many days is escalated. Default 14. */
  escalationDays: number;
  /** The Slack mention escalated findings carry (`<!subteam^ID>` or `<@U…>`), if any. */
  escalationMention?: string;
  /** The user tag naming the owning team. Default `team`. */
  teamTagKey: string;
  /** Team → its Slack mention and, optionally, its own webhook secret. */
  teams: Record<string, TeamRoute>;
  /** Exemptions from the stack props (exemptions from user tags are read at audit time). */
  exemptions: Exemption[];
  /** The longest an exemption may run, in days from the audit. Default 180. */
  maxExemptionDays: number;
  /**
   * The key index (kept in the state table) is used for at most this many days after every flagged user was last
   * verified live; an older one is ignored, so a full verification happens at least this often. Default 7.
   */
  keyIndexMaxAgeDays: number;
  /** Finding lines a digest shows at most (new and escalated in full, then one line per key); the rest are counted. Default 50. */
  maxFindingLines: number;
}

/**
 * The audit settings a stack (the `audit` prop) or a CLI run may give, each optional, each a row of
 * `AUDIT_SETTINGS` in ./settings-table.ts (default, allowed values, environment variable) and of the README's
 * configuration table. Each field's doc line here is the row's `doc` (a test keeps them equal).
 */
export interface AuditConfigInput {
  thresholds?: {
    /** An Active key older than this is `key-too-old`. */
    maxKeyAgeDays?: number;
    /** A key this close to `maxKeyAgeDays` is `key-expiring`. */
    warnDays?: number;
    /** An Active key not used for this long (or never, since its creation) is `key-unused`. */
    unusedDays?: number;
  };
  /** User names that hold SES SMTP credentials: their findings link to the runbook’s SES section. */
  sesUserPatterns?: string[];
  runbook?: {
    /** The rotation runbook every finding links to. */
    url?: string;
    /** The runbook’s anchor for each rotation step. */
    sections?: Partial<Runbook['sections']>;
  };
  /** How many users are verified live at once. */
  concurrency?: number;
  /** How long to wait for the credential report before falling back to live calls. */
  reportWaitSeconds?: number;
  /** SDK attempts per IAM call (adaptive retry mode), retries included. */
  maxAttempts?: number;
  /** What the channels get for a clean audit: a one-line message, or nothing. */
  notifyOnClean?: CleanAuditMode;
  /** `daily`: a digest every audit; `changes`: only when something is new or resolved, and a full one weekly. */
  notifyMode?: NotifyMode;
  /** In `changes` mode, the UTC weekday (0 Sunday … 6 Saturday) of the full digest. */
  fullDigestWeekday?: number;
  /** A finding open longer than this many days is escalated. */
  escalationDays?: number;
  /** The Slack mention escalated findings carry. */
  escalationMention?: string;
  /** The user tag naming the owning team. */
  teamTagKey?: string;
  /** Team → its Slack mention and, optionally, its own webhook secret. */
  teams?: Record<string, TeamRoute>;
  /** Exemptions from the props (those from user tags are read at audit time). */
  exemptions?: readonly ExemptionProps[];
  /** The longest an exemption may run, in days from the audit. */
  maxExemptionDays?: number;
  /** The most days the key index is used after the last full live verification (0: never used). */
  keyIndexMaxAgeDays?: number;
  /** Finding lines a digest shows at most, most severe and oldest first; the rest are counted. */
  maxFindingLines?: number;
  /** Where exemption findings link: the README’s exemptions section. */
  exemptionsUrl?: string;
}

/** The key of a setting in {@link ENV}: `maxKeyAgeDays` for `thresholds.maxKeyAgeDays`, `runbookUrl` for `runbook.url`. */
type EnvKey<N extends string> = N extends `thresholds.${infer L}`
  ? L
  : N extends `runbook.${infer L}`
    ? `runbook${Capitalize<L>}`
    : N;

/** The environment variable names: one per setting (from the table), and the channels'. */
export const ENV = {
  ...(Object.fromEntries(SETTING_ROWS.map(([name, row]) => [envKey(name), row.env])) as Record<
    EnvKey<SettingName>,
    string
  >),
  slackWebhookSecretArn: 'SLACK_WEBHOOK_SECRET_ARN',
  snsTopicArn: 'SNS_TOPIC_ARN',
  stateTableName: 'STATE_TABLE_NAME',
} as const;

/** The defaults of the settings outside the rule settings that have one. */
export const DEFAULT_AUDIT_OPTIONS = Object.fromEntries(
  SETTING_ROWS.filter(
    ([, row]) => !row.ruleSetting && (typeof row.default === 'number' || typeof row.default === 'string'),
  ).map(([name, row]) => [name, row.default]),
) as Readonly<
  Pick<
    AuditConfig,
    | 'concurrency'
    | 'reportWaitSeconds'
    | 'maxAttempts'
    | 'notifyOnClean'
    | 'notifyMode'
    | 'fullDigestWeekday'
    | 'escalationDays'
    | 'teamTagKey'
    | 'maxExemptionDays'
    | 'keyIndexMaxAgeDays'
    | 'maxFindingLines'
  >
>;

function envKey(name: string): string {
  const [group, key] = name.split('.');
  if (key === undefined) return name;
  return group === 'runbook' ? `runbook${key.charAt(0).toUpperCase()}${key.slice(1)}` : key;
}

/** Where a setting sits in the validated configuration. */
function configPath(name: SettingName): string[] {
  const path = name.split('.');
  return AUDIT_SETTINGS[name].ruleSetting ? ['settings', ...path] : path;
}

function valueAt(object: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (value, key) =>
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
    object,
  );
}

function place(object: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const last = path.length - 1;
  let target = object;
  path.forEach((key, i) => {
    if (i === last) target[key] = value;
    else target = (target[key] ??= {}) as Record<string, unknown>;
  });
}

/** The environment a deployed function gets for a validated configuration: one variable per set setting. */
export function configToEnv(config: AuditConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, row] of SETTING_ROWS) {
    const text = row.write(valueAt(config, configPath(name)));
    if (text !== undefined) env[row.env] = text;
  }
  return env;
}

/** Validates a whole configuration, defaults filled in. */
export function validateAuditConfig(input: AuditConfigInput = {}): AuditConfig {
  const config: Record<string, unknown> = {};
  for (const [name, row] of SETTING_ROWS) {
    const given = valueAt(input, name.split('.'));
    const value = row.validate(given === undefined ? row.default : given);
    if (value !== undefined) place(config, configPath(name), value);
  }
  const { thresholds } = (config as unknown as AuditConfig).settings;
  checkWarnDays(thresholds);
  return config as unknown as AuditConfig;
}

function checkWarnDays({ warnDays, maxKeyAgeDays }: Thresholds): void {
  if (warnDays >= maxKeyAgeDays) {
    throw new ConfigError(`warnDays (${warnDays}) must be less than maxKeyAgeDays (${maxKeyAgeDays})`);
  }
}

/** Builds the configuration from environment variables; anything unset takes its default. */
export function loadAuditConfig(env: NodeJS.ProcessEnv): AuditConfig {
  const input: Record<string, unknown> = {};
  for (const [name, row] of SETTING_ROWS) {
    const raw = env[row.env];
    if (raw === undefined || (raw === '' && !row.emptyIsValue)) continue;
    place(input, name.split('.'), row.read(raw));
  }
  return validateAuditConfig(input as AuditConfigInput);
}

/** Where the report goes: each channel is configured by the stack, or absent. */
export interface ChannelConfig {
  /** The Secrets Manager secret holding the Slack incoming webhook URL. */
  slackWebhookSecretArn?: string;
  snsTopicArn?: string;
  /** The DynamoDB table that keeps open findings between audits. */
  stateTableName?: string;
}

const ARN = /^arn:aws[a-z-]*:(secretsmanager|sns):[a-z0-9-]+:\d{12}:[\w+=,.@:/-]+$/;

function readArn(
  env: NodeJS.ProcessEnv,
  name: string,
  service: 'secretsmanager' | 'sns',
): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!ARN.test(value) || value.split(':')[2] !== service) {
    throw new ConfigError(
      `environment variable ${name} must be an ${service} ARN; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** DynamoDB's table name rule: 3 to 255 of letters, digits, `_ . -`. */
const TABLE_NAME = /^[\w.-]{3,255}$/;

function readTableName(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!TABLE_NAME.test(value)) {
    throw new ConfigError(
      `environment variable ${name} must be a DynamoDB table name; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Reads the channels' ARNs from the environment; a channel whose variable is unset is not configured. */
export function loadChannelConfig(env: NodeJS.ProcessEnv): ChannelConfig {
  return {
    slackWebhookSecretArn: readArn(env, ENV.slackWebhookSecretArn, 'secretsmanager'),
    snsTopicArn: readArn(env, ENV.snsTopicArn, 'sns'),
    stateTableName: readTableName(env, ENV.stateTableName),
  };
}
