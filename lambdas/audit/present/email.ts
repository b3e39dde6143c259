/**
 * The email (SNS `default`) text of an account audit, from the same view as the Slack digest (`view.ts`): the
 * summary first, then new and escalated findings in full, resolved ones in one line each, still-open ones one line
 * per key grouped by step (the step's words and runbook section written once), the rest counted, the exempted in
 * one line each, and each runbook section's link once at the end. Plain text: values are shown as they are, on one
 * line, bounded. Pure.
 */
import type { AuditReport } from '../domain/report';
import type { ExemptedFinding, Finding, KeyDetails, ResolvedFinding } from '../domain/types';
import { actionParts, STEP_TEXT } from './action';
import { incompleteText, sourceText, stateErrorText } from './format';
import { count, dayOf, plainParts, plural, runbookLabel, SEVERITY_LABEL, truncate } from './text';
import { buildAccountView, type AccountView, type ViewOptions } from './view';

/** Values kept short enough (as in the Slack digest) that no finding line passes 200 characters. */
const MAX_USER_CHARS = 48;
const MAX_TEAM_CHARS = 32;
const MAX_DESCRIPTION_CHARS = 40;
const MAX_REASON_CHARS = 48;
const MAX_VALUE = 80;
/** Plain text on one line: line breaks and every other control character (an ANSI escape too) become a space. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}
const v = (text: string, max = MAX_VALUE) => truncate(oneLine(text), max);

function ageText(days: number | null | undefined): string {
  return days === null || days === undefined ? 'age ?' : `${count(days)}d`;
}

/** `used 3d ago`; without `now`, the day: `used 2026-11-26`. */
function useText(lastUsed: Finding['lastUsed'], now?: string): string {
  if (!lastUsed) return 'never used';
  if (now === undefined) return `used ${dayOf(lastUsed.date)}`;
  const days = Math.max(0, Math.floor((Date.parse(now) - Date.parse(lastUsed.date)) / 86_400_000));
  return days === 0 ? 'used today' : `used ${count(days)}d ago`;
}

const inactive = (status: Finding['status']) => (status === 'Inactive' ? ' inactive' : '');

/** `AKIA… inactive 100d used 40d ago "ci runner"`: a pair's key, its description tag only when there is one. */
function keyText(key: KeyDetails, now?: string): string {
  const description = key.description ? ` "${v(key.description, MAX_DESCRIPTION_CHARS)}"` : '';
  return `${key.accessKeyId}${inactive(key.status)} ${ageText(key.ageDays)} ${useText(key.lastUsed, now)}${description}`;
}

/** One line a finding: who, which key(s), age, last use, owner, and the description tag only when there is one. */
export function emailFindingLine(finding: Finding, now?: string): string {
  let what: string;
  if (finding.keys?.length) what = finding.keys.map((k) => keyText(k, now)).join(' + ');
  else if (finding.exemption) {
    const e = finding.exemption;
    const where =
      (e.source === 'tag' ? `tag ${v(e.tagKey ?? '', 48)}` : 'stack props') +
      (e.rules?.length ? ` for ${e.rules.join(', ')}` : '');
    const said =
      e.raw !== undefined
        ? ` = "${v(e.raw, MAX_REASON_CHARS)}"`
        : ` until ${e.until} · "${v(e.reason, MAX_REASON_CHARS)}"`;
    what = `${finding.accessKeyId ? `${finding.accessKeyId} ` : ''}${where}${said}`;
  } else if (finding.rule === 'root-access-key') {
    what = `root key${inactive(finding.status)} ${ageText(finding.ageDays)} ${useText(finding.lastUsed, now)}`;
  } else {
    what =
      `${finding.accessKeyId ?? 'key ?'}${inactive(finding.status)} ${ageText(finding.ageDays)} ` +
      useText(finding.lastUsed, now);
  }
  const owner =
    finding.owner === undefined
      ? ''
      : finding.owner === null
        ? ' · no owner'
        : ` · ${v(finding.owner, MAX_TEAM_CHARS)}`;
  const description = finding.description ? ` · "${v(finding.description, MAX_DESCRIPTION_CHARS)}"` : '';
  return (
    `- ${v(finding.userName, MAX_USER_CHARS)}${finding.sesSmtpUser ? ' [SES SMTP]' : ''} · ` +
    `${what}${owner}${description}`
  );
}

function status(finding: Finding): string {
  if (finding.escalated) return `ESCALATED, ${plural(finding.openDays ?? 0, 'day')} open`;
  return finding.isNew ? 'new' : `${plural(finding.openDays ?? 0, 'day')} open`;
}

/** The action of a finding in one line, with its runbook section: `  → Rotate the key (…) (step 3)`. */
export function emailActionLine(finding: Finding): string {
  return `  → ${oneLine(plainParts(actionParts(finding), MAX_VALUE))} (${runbookLabel(finding.runbookUrl)})`;
}

function fullFinding(finding: Finding, now: string): string[] {
  return [
    `${SEVERITY_LABEL[finding.severity]} · ${(finding.rules?.length ? finding.rules : [finding.rule]).join(', ')} · ${status(finding)}`,
    emailFindingLine(finding, now),
    emailActionLine(finding),
  ];
}

function resolvedLine(resolved: ResolvedFinding): string {
  return [
    `- ${resolved.rule}`,
    v(resolved.userName, MAX_USER_CHARS),
    ...(resolved.accessKeyId ? [resolved.accessKeyId] : []),
    `first seen ${dayOf(resolved.firstSeenAt)}`,
  ].join(' · ');
}

function exemptedLine(finding: ExemptedFinding): string {
  return [
    `- ${v(finding.userName, MAX_USER_CHARS)}`,
    finding.accessKeyId ?? 'all keys',
    finding.rule,
    `until ${finding.exemption.until}`,
    `"${v(finding.exemption.reason, MAX_REASON_CHARS)}"`,
  ].join(' · ');
}

/** A part's title, after a blank line, in capitals so it stands out in plain text: `RESOLVED (3)`. */
function heading(title: string): string[] {
  return ['', title.toUpperCase()];
}

/** `2026-11-29 11:49 UTC` */
const minuteOf = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** Where the data came from: `Data: credential report of 2026-11-29 11:49 UTC, verified live.` */
function sourceLine(report: AuditReport): string {
  return report.source.type === 'credential-report'
    ? `Data: credential report of ${minuteOf(report.source.generatedAt)}, verified live.`
    : `Data: ${oneLine(sourceText(report))}.`;
}

function summaryLines(view: AccountView): string[] {
  const { report, counts } = view;
  const severities = (['critical', 'high', 'medium', 'low'] as const)
    .filter((s) => counts.bySeverity[s] > 0)
    .map((s) => `${count(counts.bySeverity[s])} ${s}`)
    .join(', ');
  const account = report.accountAlias
    ? `${v(report.accountAlias, 64)} (${report.accountId})`
    : report.accountId;
  const warnings = [stateErrorText(report), incompleteText(report)]
    .filter((w): w is string => w !== null)
    .map((w) => `WARNING: ${oneLine(truncate(w, 500))}`);
  const lines = [
    `IAM access key audit of ${account}${view.team === null ? '' : ` for team ${v(view.team, 40)}`}, ${minuteOf(report.auditedAt)}`,
    `${plural(view.findings.length, 'finding')} in ${plural(report.summary.usersScanned, 'user')} and ` +
      `${plural(report.summary.keysScanned, 'key')}${severities ? `: ${severities}` : ''}.`,
    ...warnings,
  ];
  if (view.tracked) {
    lines.push(
      `Since the last audit: ${count(counts.fresh)} new, ${count(view.resolved.length)} resolved, ` +
        `${count(counts.stillOpen)} still open${counts.escalated ? `, ${count(counts.escalated)} escalated` : ''}.`,
    );
  }
  // Only once owners are resolved: a finding without `owner` is not known to have no owner.
  if (counts.byTeam.length && view.findings.some((f) => f.owner !== undefined)) {
    const teams = counts.byTeam
      .slice(0, 8)
      .map(({ team, count: n }) => `${team === null ? 'no owner' : v(team, 40)} ${count(n)}`);
    const more = counts.byTeam.length - 8;
    lines.push(`By team: ${teams.join(', ')}${more > 0 ? `, ${plural(more, 'other team')}` : ''}.`);
  }
  if (view.exempted.length) lines.push(`${plural(view.exempted.length, 'finding')} exempted (listed below).`);
  lines.push(sourceLine(report));
  if (view.reportLocation) {
    lines.push(`Full report (every finding, CSV; the JSON is beside it): ${oneLine(view.reportLocation)}`);
  } else if (view.reportFailed) {
    lines.push("Full report: could not be written this time (the audit function's log says why).");
  }
  return lines;
}

/** The email text of an account audit (the SNS message's `default`), at most `maxFindingLines` finding lines. */
export function buildEmailText(
  report: AuditReport,
  options: Omit<ViewOptions, 'audience'> & {
    /** Lines said right under the summary, e.g. that Slack is not configured yet. */
    notices?: readonly string[];
  } = {},
): string {
  const { notices = [], ...viewOptions } = options;
  const view = buildAccountView(report, viewOptions);
  const now = report.auditedAt;
  const lines = [...summaryLines(view), ...notices.map(oneLine)];
  if (view.findings.length === 0) {
    lines.push(
      '',
      view.exempted.length ? 'No finding to act on: nothing to do.' : 'All keys healthy: nothing to do.',
    );
  }
  if (report.scope.type === 'users') {
    lines.push(`Manual re-audit of ${report.scope.users.map((u) => v(u, 64)).join(', ')}.`);
  }
  if (report.usersNotFound.length)
    lines.push(`Not found: ${report.usersNotFound.map((u) => v(u, 64)).join(', ')}.`);
  if (view.full.length) {
    lines.push(...heading(`New and escalated (${count(view.counts.full)})`));
    view.full.forEach((finding, i) => lines.push(...(i ? [''] : []), ...fullFinding(finding, now)));
  }
  if (view.resolvedShown.length) {
    lines.push(
      ...heading(`Resolved (${count(view.resolved.length)})`),
      ...view.resolvedShown.map(resolvedLine),
    );
    const more = view.resolved.length - view.resolvedShown.length;
    if (more > 0) lines.push(`- and ${count(more)} more, in the full report`);
  }
  if (view.groups.length) {
    // The escalated are still open too, but shown in full above: the title says so, so the counts add up.
    const title = view.firstAudit
      ? 'New: the first audit'
      : !view.tracked
        ? 'Findings'
        : view.counts.escalated
          ? 'Still open, not escalated'
          : 'Still open';
    lines.push(...heading(`${title} (${count(view.counts.lines)})`));
    view.groups.forEach((group, i) => {
      lines.push(
        ...(i ? [''] : []),
        `${SEVERITY_LABEL[group.severity]} · ${group.rules.join(', ')} (${count(group.findings.length)}): ` +
          `${STEP_TEXT[group.step]} (${runbookLabel(group.runbookUrl)})`,
        ...group.findings.map((f) => emailFindingLine(f, now)),
      );
    });
  }
  if (view.omitted.total) {
    const by = (['critical', 'high', 'medium', 'low'] as const)
      .filter((s) => view.omitted.bySeverity[s] > 0)
      .map((s) => `${count(view.omitted.bySeverity[s])} ${s}`)
      .join(', ');
    lines.push(
      '',
      `And ${count(view.omitted.total)} more: ${by}; in the full report (this message shows at most ` +
        `${plural(view.maxFindingLines, 'finding line')}).`,
    );
  }
  if (view.exemptedShown.length) {
    lines.push(
      ...heading(`Exempted (${count(view.exempted.length)})`),
      ...view.exemptedShown.map(exemptedLine),
    );
    const more = view.exempted.length - view.exemptedShown.length;
    if (more > 0) lines.push(`- and ${count(more)} more, in the full report`);
  }
  const links = [...new Set([...view.full, ...view.groups].map((x) => x.runbookUrl))]
    .filter((url) => /^https?:\/\//.test(url))
    .sort();
  if (links.length) lines.push(...heading('Runbook'), ...links.map((url) => `${runbookLabel(url)}: ${url}`));
  return lines.join('\n');
}
