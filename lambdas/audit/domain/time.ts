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
