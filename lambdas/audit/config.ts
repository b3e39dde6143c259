/**
 * Runtime configuration: built once at the edge (Lambda cold start, CLI start) from environment variables
 * that the stack writes with `configToEnv`. Every value is validated; a bad one throws a ConfigError naming it.
 */
import { ConfigError, validateRuleSettings, type RuleSettingsInput } from './settings';
import type { CleanAuditMode } from './domain/notification';
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
}

const CLEAN_AUDIT_MODES: readonly CleanAuditMode[] = ['healthy-message', 'silent'];

export const DEFAULT_AUDIT_OPTIONS = {
  concurrency: 8,
  reportWaitSeconds: 60,
  maxAttempts: 10,
  notifyOnClean: 'healthy-message',
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
  };
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
  });
}

/** Where the report goes: each channel is configured by the stack, or absent. */
export interface ChannelConfig {
  /** The Secrets Manager secret holding the Slack incoming webhook URL. */
  slackWebhookSecretArn?: string;
  snsTopicArn?: string;
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

/** Reads the channels' ARNs from the environment; a channel whose variable is unset is not configured. */
export function loadChannelConfig(env: NodeJS.ProcessEnv): ChannelConfig {
  return {
    slackWebhookSecretArn: readArn(env, ENV.slackWebhookSecretArn, 'secretsmanager'),
    snsTopicArn: readArn(env, ENV.snsTopicArn, 'sns'),
  };
}
