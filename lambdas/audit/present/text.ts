/**
 * The words and orders every channel shares, defined once: severity order and labels, numbers ("1,234"), plurals,
 * page numbering, and the parts a line is made of (prose, or a value from AWS that a channel shows as code).
 * Pure: no clock, no environment.
 */
import { SEVERITIES, SEVERITY_RANK, type LastUsed, type RuleId, type Severity } from '../domain/types';

export { SEVERITY_RANK };

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

/** Orders by severity, most severe first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_RANK[a] - SEVERITY_RANK[b];
}

/** Code-point order, the same on every machine (no locale). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `1,234`. Every number a person reads goes through here. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 finding`, `1,234 findings`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** ` (2/5)` for the second of five pages; empty for a single page. */
export function pageSuffix(index: number, total: number): string {
  return total > 1 ? ` (${index + 1}/${total})` : '';
}

/** `2 critical, 3 high` (only the severities present, most severe first); `none` when all are zero. */
export function severityCountsText(counts: Partial<Record<Severity, number>>): string {
  const parts = SEVERITIES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${count(counts[s]!)} ${s}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** Counts of a list by severity, every severity present. */
export function countBySeverity(items: { severity: Severity }[]): Record<Severity, number> {
  const counts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const item of items) counts[item.severity] += 1;
  return counts;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** One line: newlines and tabs become spaces. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\t\u2028\u2029]+/g, ' ');
}

/**
 * A piece of a line: prose the renderer writes as is (it is ours), a value from AWS or from a tag (names, key ids,
 * descriptions, reasons, services, regions) that a channel shows as code and never formats, or a link.
 */
export type Part = string | { value: string } | { link: string; label: string };

export const value = (text: string): Part => ({ value: text });

/** A line's parts as plain text: values as they are (one line, bounded), links as `label: url`. */
export function plainParts(parts: Part[], maxValue = 200): string {
  return parts
    .map((p) =>
      typeof p === 'string'
        ? p
        : 'value' in p
          ? truncate(oneLine(p.value), maxValue)
          : `${p.label}: ${p.link}`,
    )
    .join('');
}

/** `2026-11-26` */
export const dayOf = (iso: string): string => iso.slice(0, 10);

/** `3 days`, `1 day`, `today` for zero. */
export function daysText(days: number): string {
  return days === 0 ? 'today' : plural(days, 'day');
}

/** Parts: `never used`, or `used 3 days ago (s3, eu-west-2)` with service and region as values. */
export function lastUsedParts(lastUsed: LastUsed | null, daysAgo: number | null): Part[] {
  if (!lastUsed) return ['never used'];
  const when =
    daysAgo === null
      ? `used ${dayOf(lastUsed.date)}`
      : daysAgo === 0
        ? 'used today'
        : `used ${plural(daysAgo, 'day')} ago`;
  const where = [lastUsed.service, lastUsed.region].filter((v): v is string => Boolean(v));
  if (!where.length) return [when];
  return [when, ' (', ...where.flatMap((w, i) => (i ? [', ', value(w)] : [value(w)])), ')'];
}

/** The order rules are listed in within a severity. */
export function ruleLabel(rule: RuleId): string {
  return rule;
}

/** A runbook section's short name from its URL's anchor: `step 3`, `SES SMTP`; a location that is no URL as it is. */
export function runbookLabel(url: string): string {
  const anchor = url.includes('#') ? url.slice(url.lastIndexOf('#') + 1) : '';
  let name = anchor;
  try {
    name = decodeURIComponent(anchor);
  } catch {
    // keep the raw anchor
  }
  const step = /^(\d+)-/.exec(name)?.[1];
  name = name.replace(/^\d+-/, '').replace(/[-_]+/g, ' ').trim();
  if (!/^https?:\/\//.test(url)) return url;
  return step ? `step ${step}` : name ? (/ses/i.test(name) ? 'SES SMTP' : name) : 'runbook';
}
