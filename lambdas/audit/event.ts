/**
 * The invocation event: a scheduled EventBridge event runs a full audit; a manual invoke carries
 * `{ "users"?: string[], "dryRun"?: boolean, "now"?: ISO string }`. Anything else is rejected here,
 * before any AWS call, with an error that says what is wrong.
 */

export type Invocation =
  | { kind: 'scheduled'; dryRun: false }
  | { kind: 'manual'; users?: string[]; dryRun: boolean; now?: Date; accountId?: string }
  /** Organization mode, from the state machine: the three steps of a run. */
  | { kind: 'org-list-accounts'; runId: string }
  | { kind: 'org-audit-account'; runId: string; accountId: string; accountName: string }
  | { kind: 'org-notify'; runId: string };

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

/** IAM's user name rule: 1 to 64 of letters, digits and `+=,.@_-`. */
const USER_NAME = /^[\w+=,.@-]{1,64}$/;
/** An ISO 8601 instant with a date, a time and a zone (`Z` or an offset). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const MANUAL_FIELDS = ['users', 'dryRun', 'now', 'accountId'];
/** A Step Functions execution name, which the state machine passes as the run id. */
const RUN_ID = /^[\w-]{1,80}$/;
const ACCOUNT_ID = /^\d{12}$/;
/** At most this many users in one manual re-audit: it is meant for a handful just rotated. */
export const MAX_NAMED_USERS = 100;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScheduledEvent(event: Record<string, unknown>): boolean {
  return event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';
}

/** Checks user names against IAM's rule; the error quotes the offending value. */
export function parseUserNames(users: unknown): string[] {
  if (!Array.isArray(users) || users.length === 0) {
    throw new InvalidEventError(
      `"users" must be a non-empty list of IAM user names; got ${JSON.stringify(users)}`,
    );
  }
  if (users.length > MAX_NAMED_USERS) {
    throw new InvalidEventError(
      `"users" names ${users.length} users; at most ${MAX_NAMED_USERS} are allowed (omit it to audit the whole account)`,
    );
  }
  for (const user of users) {
    if (typeof user !== 'string' || !USER_NAME.test(user)) {
      throw new InvalidEventError(
        `"users" has an invalid IAM user name ${JSON.stringify(user)}: 1 to 64 letters, digits or +=,.@_-`,
      );
    }
  }
  return users as string[];
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True when the `YYYY-MM-DD` the text starts with is a day of the calendar: `Date` rolls 2026-02-30 over to March 2. */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

/** Parses an ISO 8601 instant such as `2026-11-28T09:00:00Z`; the error quotes the value. */
export function parseInstant(now: unknown): Date {
  const date =
    typeof now === 'string' && ISO_INSTANT.test(now) && isCalendarDate(now) ? new Date(now) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new InvalidEventError(
      `"now" must be an ISO 8601 instant such as "2026-11-28T09:00:00Z"; got ${JSON.stringify(now)}`,
    );
  }
  return date;
}

export function parseInvocation(event: unknown): Invocation {
  if (event === undefined || event === null) return { kind: 'manual', dryRun: false };
  if (!isObject(event)) {
    throw new InvalidEventError(
      `the event must be a JSON object such as {"users":["alice"]}; got ${JSON.stringify(event)}`,
    );
  }
  if (isScheduledEvent(event)) return { kind: 'scheduled', dryRun: false };
  if ('organization' in event) return parseOrganizationStep(event);
  const unknown = Object.keys(event).filter((field) => !MANUAL_FIELDS.includes(field));
  if (unknown.length > 0) {
    throw new InvalidEventError(
      `unknown field(s) ${unknown.map((f) => JSON.stringify(f)).join(', ')}; allowed: ${MANUAL_FIELDS.join(', ')}`,
    );
  }
  if (event.dryRun !== undefined && typeof event.dryRun !== 'boolean') {
    throw new InvalidEventError(`"dryRun" must be true or false; got ${JSON.stringify(event.dryRun)}`);
  }
  return {
    kind: 'manual',
    dryRun: event.dryRun === true,
    ...(event.users !== undefined ? { users: parseUserNames(event.users) } : {}),
    ...(event.now !== undefined ? { now: parseInstant(event.now) } : {}),
    ...(event.accountId !== undefined ? { accountId: parseAccountId(event.accountId) } : {}),
  };
}

function parseAccountId(value: unknown): string {
  if (typeof value !== 'string' || !ACCOUNT_ID.test(value)) {
    throw new InvalidEventError(
      `"accountId" must be a 12-digit AWS account id; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function parseRunId(value: unknown): string {
  if (typeof value !== 'string' || !RUN_ID.test(value)) {
    throw new InvalidEventError(
      `"runId" must be a Step Functions execution name (1 to 80 of letters, digits, - and _); got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const STEP_FIELDS: Record<string, string[]> = {
  'list-accounts': ['organization', 'runId'],
  'audit-account': ['organization', 'runId', 'accountId', 'accountName'],
  notify: ['organization', 'runId'],
};

/** A step of an organization run, as the state machine sends it; anything else is rejected. */
function parseOrganizationStep(event: Record<string, unknown>): Invocation {
  const step = event.organization;
  const fields = typeof step === 'string' ? STEP_FIELDS[step] : undefined;
  if (!fields) {
    throw new InvalidEventError(
      `"organization" must be one of ${Object.keys(STEP_FIELDS).join(', ')}; got ${JSON.stringify(step)}`,
    );
  }
  const unknown = Object.keys(event).filter((field) => !fields.includes(field));
  if (unknown.length > 0) {
    throw new InvalidEventError(
      `unknown field(s) ${unknown.map((f) => JSON.stringify(f)).join(', ')}; allowed: ${fields.join(', ')}`,
    );
  }
  const runId = parseRunId(event.runId);
  if (step === 'list-accounts') return { kind: 'org-list-accounts', runId };
  if (step === 'notify') return { kind: 'org-notify', runId };
  if (typeof event.accountName !== 'string' || event.accountName.length > 256) {
    throw new InvalidEventError(
      `"accountName" must be the account's name; got ${JSON.stringify(event.accountName)}`,
    );
  }
  return {
    kind: 'org-audit-account',
    runId,
    accountId: parseAccountId(event.accountId),
    accountName: event.accountName,
  };
}
