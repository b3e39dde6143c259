/**
 * The shapes of the names and ids the auditor takes, written once: the CDK app (`lib/`, at synth) and the function
 * (`lambdas/`, at cold start and on each event) check the same values with these. Pure data, so the core may use
 * it too.
 */

/** An AWS account id: 12 digits. */
export const ACCOUNT_ID = /^\d{12}$/;

/** An IAM user name: 1 to 64 of letters, digits and `_+=,.@-`. */
export const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;

/** An IAM role name without a path: 1 to 64 of letters, digits and `_+=,.@-`. */
export const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** An access key id as IAM writes it: 16 to 128 uppercase letters and digits. */
export const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/** An `sts:ExternalId`: 2 to 1224 of letters, digits and `_+=,.@:/-`. */
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** An organization id: `o-` and 10 to 32 lowercase letters or digits. */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/** A Slack user group mention: `<!subteam^S0123>`. */
const SLACK_SUBTEAM_MENTION = /^<!subteam\^[A-Z0-9]+>$/;

/** A Slack user mention: `<@U0123>` (or `<@W0123>` in Enterprise Grid). */
const SLACK_USER_MENTION = /^<@[UW][A-Z0-9]+>$/;

/** Either Slack mention: a user group or a user. */
export function isSlackMention(value: string): boolean {
  return SLACK_SUBTEAM_MENTION.test(value) || SLACK_USER_MENTION.test(value);
}

/** What IAM allows in a tag key: 1 to 128 letters, digits, spaces and `_.:/=+-@`. */
export const IAM_TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

/** A tag value as IAM allows it, non-empty (a team name): 1 to 256 of the tag key's characters. */
export const IAM_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

/** A Secrets Manager secret's full ARN (with the 6-character suffix Secrets Manager adds). */
export const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;

/** An SNS topic's ARN (a standard topic: 1 to 256 of letters, digits, `_` and `-`). */
export const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;

/**
 * What the Slack webhook secret the stack creates holds until a person puts the URL in: the function reads it as
 * "Slack is not configured yet" (reported, not a failure), never as a URL. Not a secret.
 */
export const WEBHOOK_NOT_CONFIGURED = 'not-configured';
