/** Day arithmetic on ISO instants; `now` is always passed in. */

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Milliseconds from `iso` to `now` (negative if `iso` is in the future). */
export function elapsedMs(iso: string, now: Date): number {
  return now.getTime() - Date.parse(iso);
}

/** Whole days from `iso` to `now`, rounded down. */
export function wholeDaysSince(iso: string, now: Date): number {
  return Math.floor(elapsedMs(iso, now) / DAY_MS);
}

/** True when more than `days` days of 24 h separate `iso` from `now`. */
export function olderThanDays(iso: string, now: Date, days: number): boolean {
  return elapsedMs(iso, now) > days * DAY_MS;
}

/** `YYYYMMDD` of `now` in UTC, the suffix the runbook gives re-created SES SMTP users. */
export function compactUtcDate(now: Date): string {
  return now.toISOString().slice(0, 10).replace(/-/g, '');
}

/** `YYYY-MM-DD` of `now` in UTC. */
export function utcDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** True for a `YYYY-MM-DD` text naming a day of the calendar (`2027-02-28`, not `2027-02-30` or `2027-2-28`). */
export function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/**
 * Whole UTC calendar days from the day of `from` to the day of `to`, each an ISO instant or `YYYY-MM-DD`
 * (negative when `to` is the earlier day). Unlike {@link wholeDaysSince} it ignores the time of day, so audits
 * run at slightly different times of consecutive days are one day apart.
 */
export function calendarDaysBetween(from: string | Date, to: string | Date): number {
  const day = (value: string | Date): number =>
    Date.parse(
      `${(typeof value === 'string' ? new Date(value) : value).toISOString().slice(0, 10)}T00:00:00Z`,
    );
  return Math.round((day(to) - day(from)) / DAY_MS);
}
