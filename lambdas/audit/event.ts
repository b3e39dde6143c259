/**
 * The invocation event: a scheduled EventBridge event runs a full audit; a manual invoke carries
 * `{ "users"?: string[], "dryRun"?: boolean, "now"?: ISO string }` (`now` only with `"dryRun": true`).
 * Anything else is rejected here, before any AWS call, with an error that says what is wrong.
 *
 * Validation only ever rejects: whatever the event holds, parsing returns an `Invocation` or throws an
 * `InvalidEventError`, never another error. Fields are read as own properties only (`"constructor"`,
 * `"__proto__"` are values like any other), the event's depth and size are bounded before anything reads it, and
 * a rejection quotes at most {@link MAX_QUOTED_CHARS} characters of the bad value.
 */

import { ACCOUNT_ID, IAM_USER_NAME } from './domain/patterns';

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

/** An ISO 8601 instant with a date, a time and a zone (`Z` or an offset). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const MANUAL_FIELDS: readonly string[] = ['users', 'dryRun', 'now', 'accountId'];
/** A Step Functions execution name, which the state machine passes as the run id. */
const RUN_ID = /^[\w-]{1,80}$/;
/** At most this many users in one manual re-audit: it is meant for a handful just rotated. */
export const MAX_NAMED_USERS = 100;

/** A rejection quotes at most this many characters of the bad value. */
export const MAX_QUOTED_CHARS = 200;
/** The deepest nesting an event may have (a scheduled event's `detail` is 2 deep). */
export const MAX_EVENT_DEPTH = 16;
/** The most values (objects, arrays, strings, numbers...) an event may hold. */
export const MAX_EVENT_VALUES = 10_000;
/** The most characters of all its strings and keys together. */
export const MAX_EVENT_CHARS = 256 * 1024;
/** `now` must fall from this year on, and at most this many years after the real clock. */
export const EARLIEST_NOW_YEAR = 2006;
export const LATEST_NOW_YEARS_AHEAD = 10;

/** The value as JSON, cut to {@link MAX_QUOTED_CHARS} characters; never throws. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_QUOTED_CHARS
    ? `${text.slice(0, MAX_QUOTED_CHARS)}… (${text.length} characters)`
    : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The event's own property `name`, or undefined: never one inherited from `Object.prototype`. */
function own(event: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(event, name) ? event[name] : undefined;
}

/** Rejects an event nested deeper, holding more values or more text than any real event; iterative, no recursion. */
function checkBounds(event: unknown): void {
  const stack: { value: unknown; depth: number }[] = [{ value: event, depth: 1 }];
  let values = 0;
  let chars = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    values += 1;
    if (values > MAX_EVENT_VALUES) {
      throw new InvalidEventError(`the event holds more than ${MAX_EVENT_VALUES} values`);
    }
    if (typeof value === 'string') chars += value.length;
    if (chars > MAX_EVENT_CHARS) {
      throw new InvalidEventError(`the event holds more than ${MAX_EVENT_CHARS} characters`);
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_EVENT_DEPTH) {
      throw new InvalidEventError(`the event is nested more than ${MAX_EVENT_DEPTH} deep`);
    }
    const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
    if (!Array.isArray(value)) {
      for (const key of Object.keys(value)) chars += key.length;
    }
    if (children.length > MAX_EVENT_VALUES) {
      throw new InvalidEventError(`the event holds more than ${MAX_EVENT_VALUES} values`);
    }
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
}

function isScheduledEvent(event: Record<string, unknown>): boolean {
  return own(event, 'source') === 'aws.events' && own(event, 'detail-type') === 'Scheduled Event';
}

/** Checks user names against IAM's rule; the error quotes the offending value. */
export function parseUserNames(users: unknown): string[] {
  if (!Array.isArray(users) || users.length === 0) {
    throw new InvalidEventError(`"users" must be a non-empty list of IAM user names; got ${quote(users)}`);
  }
  if (users.length > MAX_NAMED_USERS) {
    throw new InvalidEventError(
      `"users" names ${users.length} users; at most ${MAX_NAMED_USERS} are allowed (omit it to audit the whole account)`,
    );
  }
  for (const user of users) {
    if (typeof user !== 'string' || !IAM_USER_NAME.test(user)) {
      throw new InvalidEventError(
        `"users" has an invalid IAM user name ${quote(user)}: 1 to 64 letters, digits or +=,.@_-`,
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
      `"now" must be an ISO 8601 instant such as "2026-11-28T09:00:00Z"; got ${quote(now)}`,
    );
  }
  return date;
}

/**
 * `now` of a dry run: an instant from 2006 (IAM access keys' earliest days) to 10 years after the real clock;
 * anything else would make every key look brand new or decades old.
 */
export function parseDryRunNow(value: unknown, realNow: Date): Date {
  const date = parseInstant(value);
  const latest = new Date(realNow.getTime());
  latest.setUTCFullYear(latest.getUTCFullYear() + LATEST_NOW_YEARS_AHEAD);
  if (date.getUTCFullYear() < EARLIEST_NOW_YEAR || date.getTime() > latest.getTime()) {
    throw new InvalidEventError(
      `"now" must be from ${EARLIEST_NOW_YEAR}-01-01 to ${LATEST_NOW_YEARS_AHEAD} years from today ` +
        `(${latest.toISOString().slice(0, 10)}); got ${quote(value)}`,
    );
  }
  return date;
}

function unknownFields(event: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(event).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) {
    const listed = unknown.slice(0, 5).map(quote).join(', ');
    throw new InvalidEventError(
      `unknown field(s) ${listed}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; ` +
        `allowed: ${allowed.join(', ')}`,
    );
  }
}

/**
 * The invocation `event` asks for. `realNow` is the real clock (the default reads it), against which a dry run's
 * `now` is bounded. Throws an `InvalidEventError` and nothing else.
 */
export function parseInvocation(event: unknown, realNow: Date = new Date()): Invocation {
  try {
    return parseEvent(event, realNow);
  } catch (error) {
    if (error instanceof InvalidEventError) throw error;
    // A bug here must still read as a rejected event, never as a crash with the event in it.
    throw new InvalidEventError(`the event could not be read (${(error as Error)?.name ?? 'error'})`);
  }
}

function parseEvent(event: unknown, realNow: Date): Invocation {
  if (event === undefined || event === null) return { kind: 'manual', dryRun: false };
  if (!isObject(event)) {
    throw new InvalidEventError(
      `the event must be a JSON object such as {"users":["alice"]}; got ${quote(event)}`,
    );
  }
  checkBounds(event);
  if (isScheduledEvent(event)) return { kind: 'scheduled', dryRun: false };
  if (Object.prototype.hasOwnProperty.call(event, 'organization')) return parseOrganizationStep(event);
  unknownFields(event, MANUAL_FIELDS);
  const dryRun = own(event, 'dryRun');
  const users = own(event, 'users');
  const now = own(event, 'now');
  const accountId = own(event, 'accountId');
  if (dryRun !== undefined && typeof dryRun !== 'boolean') {
    throw new InvalidEventError(`"dryRun" must be true or false; got ${quote(dryRun)}`);
  }
  if (now !== undefined && dryRun !== true) {
    throw new InvalidEventError(
      '"now" is only for a dry run: add "dryRun": true (the state of open findings is only ever written at ' +
        'the real time, and nothing is sent)',
    );
  }
  return {
    kind: 'manual',
    dryRun: dryRun === true,
    ...(users !== undefined ? { users: parseUserNames(users) } : {}),
    ...(now !== undefined ? { now: parseDryRunNow(now, realNow) } : {}),
    ...(accountId !== undefined ? { accountId: parseAccountId(accountId) } : {}),
  };
}

function parseAccountId(value: unknown): string {
  if (typeof value !== 'string' || !ACCOUNT_ID.test(value)) {
    throw new InvalidEventError(`"accountId" must be a 12-digit AWS account id; got ${quote(value)}`);
  }
  return value;
}

function parseRunId(value: unknown): string {
  if (typeof value !== 'string' || !RUN_ID.test(value)) {
    throw new InvalidEventError(
      `"runId" must be a Step Functions execution name (1 to 80 of letters, digits, - and _); got ${quote(value)}`,
    );
  }
  return value;
}

const STEP_FIELDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['list-accounts', ['organization', 'runId']],
  ['audit-account', ['organization', 'runId', 'accountId', 'accountName']],
  ['notify', ['organization', 'runId']],
]);

/** A step of an organization run, as the state machine sends it; anything else is rejected. */
function parseOrganizationStep(event: Record<string, unknown>): Invocation {
  const step = own(event, 'organization');
  const fields = typeof step === 'string' ? STEP_FIELDS.get(step) : undefined;
  if (!fields) {
    throw new InvalidEventError(
      `"organization" must be one of ${[...STEP_FIELDS.keys()].join(', ')}; got ${quote(step)}`,
    );
  }
  unknownFields(event, fields);
  const runId = parseRunId(own(event, 'runId'));
  if (step === 'list-accounts') return { kind: 'org-list-accounts', runId };
  if (step === 'notify') return { kind: 'org-notify', runId };
  const accountName = own(event, 'accountName');
  if (typeof accountName !== 'string' || accountName.length > 256) {
    throw new InvalidEventError(`"accountName" must be the account's name; got ${quote(accountName)}`);
  }
  return {
    kind: 'org-audit-account',
    runId,
    accountId: parseAccountId(own(event, 'accountId')),
    accountName,
  };
}
