/**
 * Runtime configuration: built once at the edge (Lambda cold start, CLI start) from environment variables
 * that the stack writes with `configToEnv`. Every value is validated; a bad one throws a ConfigError naming it.
 */
import { ConfigError, validateRuleSettings, type RuleSettingsInput } from './settings';
import {
  DEFAULT_ESCALATION_DAYS,
  DEFAULT_FULL_DIGEST_WEEKDAY,
  DEFAULT_NOTIFY_MODE,
  NOTIFY_MODES,
  type NotifyMode,
} from './domain/changes';
import {
  DEFAULT_MAX_EXEMPTION_DAYS,
  validatePropsExemptions,
  type ExemptionProps,
} from './domain/exemptions';
import type { CleanAuditMode } from './domain/notification';
import { DEFAULT_MAX_FINDING_LINES } from './present/view';
import { DEFAULT_TEAM_TAG_KEY, validateTeams, type TeamRoute } from './domain/owners';
import type { Exemption } from './domain/types';
import type { RuleSettings } from './domain/types';

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
  /** Finding lines a digest shows at most (new and escalated in full, then one line per key); the rest are counted. Default 50. */
  maxFindingLines: number;
}

/** A Slack mention: a user group (`<!subteam^S0123>`) or a user (`<@U0123>`). */
const SLACK_MENTION = /^<(!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)>$/;
/** IAM's tag key characters, 1 to 128 of them. */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

const CLEAN_AUDIT_MODES: readonly CleanAuditMode[] = ['healthy-message', 'silent'];

export const DEFAULT_AUDIT_OPTIONS = {
  concurrency: 8,
  reportWaitSeconds: 60,
  maxAttempts: 10,
  notifyOnClean: 'healthy-message',
  notifyMode: DEFAULT_NOTIFY_MODE,
  fullDigestWeekday: DEFAULT_FULL_DIGEST_WEEKDAY,
  escalationDays: DEFAULT_ESCALATION_DAYS,
  teamTagKey: DEFAULT_TEAM_TAG_KEY,
  maxExemptionDays: DEFAULT_MAX_EXEMPTION_DAYS,
  maxFindingLines: DEFAULT_MAX_FINDING_LINES,
} as const;

/** The environment variable names, one per setting. */
export const ENV = {
  maxKeyAgeDays: 'MAX_KEY_AGE_DAYS',
  warnDays: 'WARN_DAYS',
  unusedDays: 'UNUSED_DAYS',
  sesUserPatterns: 'SES_USER_PATTERNS',
  runbookUrl: 'RUNBOOK_URL',
  runbookSections: 'RUNBOOK_SECTIONS',
  concurrency: 'AUDIT_CONCURRENCY',
  reportWaitSeconds: 'CREDENTIAL_REPORT_WAIT_SECONDS',
  maxAttempts: 'IAM_MAX_ATTEMPTS',
  notifyOnClean: 'NOTIFY_ON_CLEAN',
  notifyMode: 'NOTIFY_MODE',
  fullDigestWeekday: 'FULL_DIGEST_WEEKDAY',
  escalationDays: 'ESCALATION_DAYS',
  escalationMention: 'ESCALATION_MENTION',
  teamTagKey: 'TEAM_TAG_KEY',
  teams: 'TEAMS',
  exemptions: 'EXEMPTIONS',
  maxExemptionDays: 'MAX_EXEMPTION_DAYS',
  maxFindingLines: 'MAX_FINDING_LINES',
  slackWebhookSecretArn: 'SLACK_WEBHOOK_SECRET_ARN',
  snsTopicArn: 'SNS_TOPIC_ARN',
  stateTableName: 'STATE_TABLE_NAME',
} as const;

/** The environment a deployed function gets for a validated configuration. */
export function configToEnv(config: AuditConfig): Record<string, string> {
  const { settings } = config;
  return {
    [ENV.maxKeyAgeDays]: String(settings.thresholds.maxKeyAgeDays),
    [ENV.warnDays]: String(settings.thresholds.warnDays),
    [ENV.unusedDays]: String(settings.thresholds.unusedDays),
    [ENV.sesUserPatterns]: JSON.stringify(settings.sesUserPatterns),
    [ENV.runbookUrl]: settings.runbook.url,
    [ENV.runbookSections]: JSON.stringify(settings.runbook.sections),
    [ENV.concurrency]: String(config.concurrency),
    [ENV.reportWaitSeconds]: String(config.reportWaitSeconds),
    [ENV.maxAttempts]: String(config.maxAttempts),
    [ENV.notifyOnClean]: config.notifyOnClean,
    [ENV.notifyMode]: config.notifyMode,
    [ENV.fullDigestWeekday]: String(config.fullDigestWeekday),
    [ENV.escalationDays]: String(config.escalationDays),
    ...(config.escalationMention ? { [ENV.escalationMention]: config.escalationMention } : {}),
    [ENV.teamTagKey]: config.teamTagKey,
    ...(Object.keys(config.teams).length ? { [ENV.teams]: JSON.stringify(config.teams) } : {}),
    ...(config.exemptions.length
      ? { [ENV.exemptions]: JSON.stringify(config.exemptions.map(exemptionProps)) }
      : {}),
    [ENV.maxExemptionDays]: String(config.maxExemptionDays),
    // Only when set: the default needs no variable (and leaves the deployed templates as they were).
    ...(config.maxFindingLines !== DEFAULT_AUDIT_OPTIONS.maxFindingLines
      ? { [ENV.maxFindingLines]: String(config.maxFindingLines) }
      : {}),
  };
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

function wholeNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export interface AuditConfigInput extends RuleSettingsInput {
  concurrency?: number;
  reportWaitSeconds?: number;
  maxAttempts?: number;
  notifyOnClean?: CleanAuditMode;
  notifyMode?: NotifyMode;
  fullDigestWeekday?: number;
  escalationDays?: number;
  escalationMention?: string;
  teamTagKey?: string;
  teams?: Record<string, TeamRoute>;
  exemptions?: readonly ExemptionProps[];
  maxExemptionDays?: number;
  maxFindingLines?: number;
}

/** Runs a validator that throws plain Errors, turning them into ConfigErrors. */
function asConfigError<T>(validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError((error as Error).message);
  }
}

/** Validates a whole configuration, defaults filled in. */
export function validateAuditConfig(input: AuditConfigInput = {}): AuditConfig {
  return {
    settings: validateRuleSettings(input),
    concurrency: wholeNumber('concurrency', input.concurrency ?? DEFAULT_AUDIT_OPTIONS.concurrency, 1, 64),
    reportWaitSeconds: wholeNumber(
      'reportWaitSeconds',
      input.reportWaitSeconds ?? DEFAULT_AUDIT_OPTIONS.reportWaitSeconds,
      0,
      600,
    ),
    maxAttempts: wholeNumber('maxAttempts', input.maxAttempts ?? DEFAULT_AUDIT_OPTIONS.maxAttempts, 1, 20),
    notifyOnClean: oneOf(
      'notifyOnClean',
      input.notifyOnClean ?? DEFAULT_AUDIT_OPTIONS.notifyOnClean,
      CLEAN_AUDIT_MODES,
    ),
    notifyMode: oneOf('notifyMode', input.notifyMode ?? DEFAULT_AUDIT_OPTIONS.notifyMode, NOTIFY_MODES),
    fullDigestWeekday: wholeNumber(
      'fullDigestWeekday',
      input.fullDigestWeekday ?? DEFAULT_AUDIT_OPTIONS.fullDigestWeekday,
      0,
      6,
    ),
    escalationDays: wholeNumber(
      'escalationDays',
      input.escalationDays ?? DEFAULT_AUDIT_OPTIONS.escalationDays,
      1,
      365,
    ),
    ...(input.escalationMention !== undefined
      ? { escalationMention: slackMention('escalationMention', input.escalationMention) }
      : {}),
    teamTagKey: tagKey('teamTagKey', input.teamTagKey ?? DEFAULT_AUDIT_OPTIONS.teamTagKey),
    teams: asConfigError(() => validateTeams(input.teams ?? {})),
    exemptions: asConfigError(() => validatePropsExemptions(input.exemptions ?? [])),
    maxExemptionDays: wholeNumber(
      'maxExemptionDays',
      input.maxExemptionDays ?? DEFAULT_AUDIT_OPTIONS.maxExemptionDays,
      1,
      3650,
    ),
    maxFindingLines: wholeNumber(
      'maxFindingLines',
      input.maxFindingLines ?? DEFAULT_AUDIT_OPTIONS.maxFindingLines,
      1,
      1000,
    ),
  };
}

function slackMention(name: string, value: unknown): string {
  if (typeof value !== 'string' || !SLACK_MENTION.test(value)) {
    throw new ConfigError(
      `${name} must be a Slack mention such as <!subteam^S0123ABC> or <@U0123ABC>; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function tagKey(name: string, value: unknown): string {
  if (typeof value !== 'string' || !TAG_KEY.test(value)) {
    throw new ConfigError(
      `${name} must be an IAM tag key (1 to 128 letters, digits, spaces or _.:/=+-@); got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function readNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new ConfigError(`environment variable ${name} must be a whole number; got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function readJson<T>(env: NodeJS.ProcessEnv, name: string, what: string): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new ConfigError(`environment variable ${name} must be ${what} in JSON; got ${JSON.stringify(raw)}`);
  }
}

/** Builds the configuration from environment variables; anything unset takes its default. */
export function loadAuditConfig(env: NodeJS.ProcessEnv): AuditConfig {
  const runbookUrl = env[ENV.runbookUrl];
  return validateAuditConfig({
    thresholds: {
      maxKeyAgeDays: readNumber(env, ENV.maxKeyAgeDays),
      warnDays: readNumber(env, ENV.warnDays),
      unusedDays: readNumber(env, ENV.unusedDays),
    },
    sesUserPatterns: readJson<string[]>(env, ENV.sesUserPatterns, 'a list of regular expressions'),
    runbook: {
      url: runbookUrl === undefined ? undefined : runbookUrl,
      sections: readJson(env, ENV.runbookSections, 'an object of section anchors'),
    },
    concurrency: readNumber(env, ENV.concurrency),
    reportWaitSeconds: readNumber(env, ENV.reportWaitSeconds),
    maxAttempts: readNumber(env, ENV.maxAttempts),
    notifyOnClean: (env[ENV.notifyOnClean] || undefined) as CleanAuditMode | undefined,
    notifyMode: (env[ENV.notifyMode] || undefined) as NotifyMode | undefined,
    fullDigestWeekday: readNumber(env, ENV.fullDigestWeekday),
    escalationDays: readNumber(env, ENV.escalationDays),
    escalationMention: env[ENV.escalationMention] || undefined,
    teamTagKey: env[ENV.teamTagKey] || undefined,
    teams: readJson(env, ENV.teams, 'an object of teams'),
    exemptions: readJson(env, ENV.exemptions, 'a list of exemptions'),
    maxExemptionDays: readNumber(env, ENV.maxExemptionDays),
    maxFindingLines: readNumber(env, ENV.maxFindingLines),
  });
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
