/**
 * The rule settings' defaults, and the checks their rows in the settings table (./settings-table.ts) run: the CDK
 * stack at synth time, the Lambda at cold start and the CLI at start validate them with `validateAuditConfig`.
 */
import {
  DEFAULT_EXEMPTIONS_URL,
  RUNBOOK_SECTIONS,
  type Runbook,
  type RuleSettings,
  type Thresholds,
} from './domain/types';

/** The GOV.UK "AWS IAM Key Rotation" page as last published, and its section anchors. */
export const DEFAULT_RUNBOOK: Runbook = {
  url: 'https://github.com/alphagov/govuk-developer-docs/blob/be86c270766a9fcfe6c45bd572de6cdfd1336253/source/manual/aws-iam-key-rotation.html.md',
  sections: {
    findIfUsed: '#2-find-out-if-the-key-is-used',
    findWhereUsed: '#3-find-where-the-key-is-used',
    createAndDeploy: '#4-create-and-deploy-new-key',
    sesSmtp: '#rotating-ses-smtp-credentials',
    ensureNewKeyUsed: '#5-ensure-new-key-is-being-used',
    removeOldKey: '#6-remove-the-old-key',
  },
};

export const DEFAULT_THRESHOLDS: Thresholds = { maxKeyAgeDays: 90, warnDays: 7, unusedDays: 45 };

export const DEFAULT_SES_USER_PATTERNS = ['^ses-smtp-user\\.'];

export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  thresholds: DEFAULT_THRESHOLDS,
  sesUserPatterns: DEFAULT_SES_USER_PATTERNS,
  runbook: DEFAULT_RUNBOOK,
  exemptionsUrl: DEFAULT_EXEMPTIONS_URL,
};

/** A configuration value that is not allowed; the message names the value and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Drops keys whose value is undefined, so that they take their defaults when spread. */
function withoutUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function wholeDays(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number of days from ${min} to ${max}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function validatePatterns(patterns: unknown): string[] {
  if (!Array.isArray(patterns)) {
    throw new ConfigError(
      `sesUserPatterns must be a list of regular expressions; got ${JSON.stringify(patterns)}`,
    );
  }
  return patterns.map((pattern, i) => {
    if (typeof pattern !== 'string' || pattern === '') {
      throw new ConfigError(
        `sesUserPatterns[${i}] must be a non-empty regular expression; got ${JSON.stringify(pattern)}`,
      );
    }
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new ConfigError(
        `sesUserPatterns[${i}] is not a valid regular expression: ${JSON.stringify(pattern)} (${(error as Error).message})`,
      );
    }
    return pattern;
  });
}

/** Throws unless `url` is an http(s) URL without a fragment or spaces (the anchors are appended to it). */
/** Where exemption findings link: an http(s) URL, or a location a person can find (shown as text, not linked). */
export function validateExemptionsUrl(url: unknown): string {
  if (typeof url !== 'string' || url.length === 0 || url.length > 2048 || /\s/.test(url)) {
    throw new ConfigError(
      `exemptionsUrl must be an http(s) URL or a path, without spaces, at most 2,048 characters; got ${JSON.stringify(String(url).slice(0, 200))}`,
    );
  }
  return url;
}

export function validateRunbookUrl(url: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  // `url.includes('#')`, not `parsed.hash`: an empty fragment (`page#`) has an empty hash but would link to `page##anchor`.
  if (
    typeof url !== 'string' ||
    !parsed ||
    (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
    /[#\s]/.test(url)
  ) {
    throw new ConfigError(
      `runbook.url must be an http(s) URL without a #fragment or spaces; got ${JSON.stringify(url)}`,
    );
  }
  return url;
}

/** Merges the given anchors onto the default ones; throws unless each is a known section with an `#anchor`. */
export function validateRunbookSections(input: Partial<Runbook['sections']> = {}): Runbook['sections'] {
  const sections = { ...DEFAULT_RUNBOOK.sections, ...withoutUndefined(input) };
  for (const name of Object.keys(sections)) {
    if (!(RUNBOOK_SECTIONS as readonly string[]).includes(name)) {
      throw new ConfigError(
        `runbook.sections has an unknown section ${JSON.stringify(name)}; allowed: ${RUNBOOK_SECTIONS.join(', ')}`,
      );
    }
  }
  for (const name of RUNBOOK_SECTIONS) {
    const anchor = sections[name];
    if (typeof anchor !== 'string' || !/^#[^\s#]+$/.test(anchor)) {
      throw new ConfigError(
        `runbook.sections.${name} must be an anchor such as "#6-remove-the-old-key"; got ${JSON.stringify(anchor)}`,
      );
    }
  }
  return sections;
}
