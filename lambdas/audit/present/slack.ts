/**
 * The Slack digest of an account audit, rendered from its view (`view.ts`): a digest that fits on a screen.
 *
 * 1. A summary: counts by severity and by owning team; new, resolved and escalated since the last audit; where the
 *    data comes from and when; where the full report is.
 * 2. New and escalated findings in full: one line for who and which key, one for what to do and the runbook step.
 * 3. Resolved findings, one line each.
 * 4. Still-open findings, one line per key, grouped by rule and step; the action and the runbook link once per group.
 * 5. What the `maxFindingLines` cap left out, counted by severity; then exempted findings, one compact line each.
 *
 * Every value from AWS is inline code (`code()`), every mrkdwn object `verbatim` (see `slack-blocks.ts`).
 */
import type { AuditReport } from '../domain/report';
import type { ExemptedFinding, Finding, KeyDetails, ResolvedFinding } from '../domain/types';
import { actionParts, STEP_TEXT } from './action';
import { incompleteText, stateErrorText } from './format';
import {
  code,
  context,
  escapeText,
  header,
  isSlackMention,
  lineChunks,
  linkUrl,
  listChunks,
  MAX_FALLBACK_TEXT_CHARS,
  MAX_HEADER_TEXT_CHARS,
  MAX_SECTION_TEXT_CHARS,
  mentionText,
  MessagePacker,
  plainText,
  section,
  truncate,
  type Mention,
  type SlackDigestOptions,
  type SlackMentions,
  type SlackMessage,
} from './slack-blocks';
import { count, dayOf, pageSuffix, plural, runbookLabel, SEVERITY_LABEL, type Part } from './text';
import { buildAccountView, nothingToTell, sameTeam, type AccountView, type Audience } from './view';

/** Values kept short enough that no finding line passes 200 characters of text. */
const MAX_USER_CHARS = 48;
const MAX_DESCRIPTION_CHARS = 40;
const MAX_TEAM_CHARS = 32;
const MAX_ACCOUNT_CHARS = 64;
const MAX_REASON_CHARS = 48;

/** Our prose escaped, values as inline code, links as `<url|label>` (only http(s) URLs from config). */
export function slackParts(parts: Part[], maxValue = MAX_DESCRIPTION_CHARS): string {
  return parts
    .map((p) =>
      typeof p === 'string'
        ? escapeText(p)
        : 'value' in p
          ? code(truncate(p.value, maxValue))
          : runbookLink(p.link, p.label),
    )
    .join('');
}

/** `· step 3`: the runbook section, which the first message's runbook line links. */
function stepRef(url: string): string {
  return /^https?:\/\//.test(url) ? `· ${escapeText(runbookLabel(url))}` : `· see ${escapeText(url)}`;
}

/** One line that links each runbook section the digest refers to, once: `Runbook: step 2 · step 3 · …`. */
function runbookLine(urls: string[]): string | null {
  const links = [...new Set(urls)].filter((u) => /^https?:\/\//.test(u)).sort();
  return links.length ? `Runbook: ${links.map((u) => runbookLink(u)).join(' · ')}` : null;
}

/** A link to the runbook (or the exemptions documentation); a location that is not an http(s) URL is named only. */
export function runbookLink(url: string, label = runbookLabel(url)): string {
  if (!/^https?:\/\//.test(url)) return `(see ${escapeText(url)})`;
  return `<${linkUrl(url)}|${escapeText(label).replace(/\|/g, '¦')}>`;
}

function ageText(ageDays: number | null | undefined): string {
  return ageDays === null || ageDays === undefined ? 'age ?' : `${count(ageDays)}d`;
}

/** `used 3d ago`, `used today`, `never used`. */
function useText(lastUsed: Finding['lastUsed'], now: string): string {
  if (!lastUsed) return 'never used';
  const days = Math.max(0, Math.floor((Date.parse(now) - Date.parse(lastUsed.date)) / 86_400_000));
  return days === 0 ? 'used today' : `used ${count(days)}d ago`;
}

function keyText(key: KeyDetails, now: string): string {
  return (
    `${code(key.accessKeyId)}${key.status === 'Inactive' ? ' inactive' : ''} ${ageText(key.ageDays)} ` +
    useText(key.lastUsed, now)
  );
}

function teamTag(finding: Finding, mentions: SlackMentions, mention: Mention): string {
  if (finding.owner === undefined) return '';
  if (finding.owner === null) return ' · no owner';
  const entry = Object.entries(mentions.teams ?? {}).find(([team]) => sameTeam(team, finding.owner!))?.[1];
  const tag = entry && isSlackMention(entry) && mention(entry) ? ` ${mentionText(entry)}` : '';
  return ` · ${code(truncate(finding.owner, MAX_TEAM_CHARS))}${tag}`;
}

/**
 * One line for a finding: who, which key (or both keys of a pair), age and last use, owner, and the description
 * tag only when there is one. Under 200 characters of text.
 */
export function findingLine(
  finding: Finding,
  now: string,
  mentions: SlackMentions = {},
  mention: Mention = () => false,
): string {
  // Where the key was last used (service, region) is in the full report: lines stay short.
  const use = useText;
  const who = code(truncate(finding.userName, MAX_USER_CHARS));
  let what: string;
  if (finding.keys?.length) {
    what = finding.keys.map((k) => keyText(k, now)).join(' + ');
  } else if (finding.exemption) {
    const e = finding.exemption;
    const where = e.source === 'tag' ? `tag ${code(truncate(e.tagKey ?? '', 48))}` : 'stack props';
    const said =
      e.raw !== undefined
        ? ` = ${code(truncate(e.raw, MAX_REASON_CHARS))}`
        : ` until ${escapeText(e.until)} · ${code(truncate(e.reason, MAX_REASON_CHARS))}`;
    what = `${finding.accessKeyId ? `${code(finding.accessKeyId)} ` : ''}${where}${said}`;
  } else if (finding.rule === 'root-access-key') {
    what = `root key ${ageText(finding.ageDays)} ${use(finding.lastUsed, now)}`;
  } else {
    what =
      `${finding.accessKeyId ? code(finding.accessKeyId) : 'key ?'} ${ageText(finding.ageDays)} ` +
      use(finding.lastUsed, now);
  }
  const description =
    finding.description !== null && finding.description !== undefined && finding.description !== ''
      ? ` · ${code(truncate(finding.description, MAX_DESCRIPTION_CHARS))}`
      : '';
  return `• ${who} · ${what}${teamTag(finding, mentions, mention)}${description}`;
}

/** The tag of a finding shown in full: `NEW`, or `ESCALATED, 20 days open` with the escalation mention. */
function statusTag(finding: Finding, mentions: SlackMentions, mention: Mention): string {
  if (finding.escalated) {
    const m =
      mentions.escalation && isSlackMention(mentions.escalation) && mention(mentions.escalation)
        ? ` ${mentions.escalation}`
        : '';
    return `:rotating_light: *escalated*, ${plural(finding.openDays ?? 0, 'day')} open${m}`;
  }
  return finding.isNew ? ':new: *new*' : `${plural(finding.openDays ?? 0, 'day')} open`;
}

/** A finding in full: severity and rule with its status, the finding line, and the action with its runbook step. */
export function fullFinding(
  finding: Finding,
  now: string,
  mentions: SlackMentions = {},
  mention: Mention = () => false,
): string {
  const head = `*${SEVERITY_LABEL[finding.severity]} · ${escapeText(finding.rule)}* · ${statusTag(finding, mentions, mention)}`;
  return [
    head,
    findingLine(finding, now, mentions, mention),
    `  → ${slackParts(actionParts(finding))} ${stepRef(finding.runbookUrl)}`,
  ].join('\n');
}

/** A resolved finding in one line. */
function resolvedLine(resolved: ResolvedFinding): string {
  return [
    `• ${escapeText(resolved.rule)}`,
    code(truncate(resolved.userName, MAX_USER_CHARS)),
    ...(resolved.accessKeyId ? [code(resolved.accessKeyId)] : []),
    `first seen ${escapeText(dayOf(resolved.firstSeenAt))}`,
  ].join(' · ');
}

/** An exempted finding in one line: who, which key, until when, why. */
function exemptedLine(finding: ExemptedFinding): string {
  return [
    `• ${code(truncate(finding.userName, MAX_USER_CHARS))}`,
    finding.accessKeyId ? code(finding.accessKeyId) : 'all keys',
    escapeText(finding.rule),
    `until ${escapeText(finding.exemption.until)}`,
    code(truncate(finding.exemption.reason, MAX_REASON_CHARS)),
  ].join(' · ');
}

function accountText(report: AuditReport): string {
  const id = code(truncate(report.accountId, MAX_ACCOUNT_CHARS));
  return report.accountAlias ? `${code(truncate(report.accountAlias, MAX_ACCOUNT_CHARS))} (${id})` : id;
}

function accountPlain(report: AuditReport): string {
  const id = truncate(report.accountId, MAX_ACCOUNT_CHARS);
  return report.accountAlias ? `${truncate(report.accountAlias, MAX_ACCOUNT_CHARS)} (${id})` : id;
}

/** `2026-11-29 10:51 UTC` */
function minuteOf(iso: string): string {
  return escapeText(`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`);
}

function sourceText(report: AuditReport): string {
  return report.source.type === 'credential-report'
    ? `Data: credential report ${minuteOf(report.source.generatedAt)}, verified live`
    : `Data: live IAM calls (${escapeText(truncate(report.source.reason, 300))})`;
}

function teamOf(view: AccountView): string {
  return view.team === null ? '' : ` for team ${code(truncate(view.team, MAX_TEAM_CHARS))}`;
}

function severitiesText(view: AccountView): string {
  return (['critical', 'high', 'medium', 'low'] as const)
    .filter((s) => view.counts.bySeverity[s] > 0)
    .map((s) => `*${count(view.counts.bySeverity[s])}* ${s}`)
    .join(' · ');
}

function reportLine(view: AccountView): string {
  if (view.reportLocation) {
    return `:page_facing_up: Full report (JSON and CSV): ${runbookLink(view.reportLocation, 'open in the S3 console')}`;
  }
  return view.reportFailed
    ? ":warning: The full report could not be written this time (the audit function's log says why)."
    : '';
}

/** The summary: counts by severity and team, the changes, the freshness of the data, where the full report is. */
function summaryText(view: AccountView): string {
  const { report, counts } = view;
  const lines = [
    `*${plural(view.findings.length, 'finding')}*${teamOf(view)} in ${plural(report.summary.usersScanned, 'user')} ` +
      `and ${plural(report.summary.keysScanned, 'key')}` +
      (view.findings.length ? `: ${severitiesText(view)}` : ''),
  ];
  if (view.tracked) {
    lines.push(
      [
        `*${count(counts.fresh)}* new`,
        ...(view.team === null ? [`*${count(view.resolved.length)}* resolved`] : []),
        `*${count(counts.stillOpen)}* still open`,
        ...(counts.escalated ? [`*${count(counts.escalated)}* escalated`] : []),
      ].join(' · '),
    );
  }
  if (counts.byTeam.length) {
    const teams = counts.byTeam.slice(0, 8).map(({ team, count: n }) => {
      const name = team === null ? 'no owner' : code(truncate(team, MAX_TEAM_CHARS));
      return `${name} ${count(n)}`;
    });
    const more = counts.byTeam.length - 8;
    lines.push(`By team: ${teams.join(' · ')}${more > 0 ? ` · ${plural(more, 'other team')}` : ''}`);
  }
  if (view.exempted.length) lines.push(`:mute: ${count(view.exempted.length)} exempted`);
  if (view.elsewhere.findings) {
    const teams = view.elsewhere.teams.map((t) => code(truncate(t, MAX_TEAM_CHARS)));
    lines.push(
      `:arrow_right: ${plural(view.elsewhere.findings, 'finding')} of ${teams.length === 1 ? 'team' : 'teams'} ` +
        `${teams.join(', ')} went to their own channels`,
    );
  }
  const location = reportLine(view);
  if (location) lines.push(location);
  return lines.join('\n');
}

function fallbackText(view: AccountView): string {
  const team = view.team === null ? '' : ` for team ${escapeText(truncate(view.team, MAX_TEAM_CHARS))}`;
  const changes = view.tracked
    ? ` (${count(view.counts.fresh)} new, ${count(view.resolved.length)} resolved)`
    : '';
  return `IAM key audit of ${escapeText(accountPlain(view.report))}${team}: ${plural(view.findings.length, 'finding')}${changes}`;
}

function headerText(view: AccountView, part: string): string {
  const team = view.team === null ? '' : ` for team ${plainText(truncate(view.team, MAX_TEAM_CHARS))}`;
  return (
    truncate(
      `IAM key audit${team}: ${plainText(accountPlain(view.report))}`,
      MAX_HEADER_TEXT_CHARS - part.length,
    ) + part
  );
}

function healthyMessage(view: AccountView): SlackMessage {
  const { report } = view;
  const keys = plural(report.summary.keysScanned, 'key');
  const all = report.summary.keysScanned === 1 ? 'The 1 key' : `All ${keys}`;
  const scope =
    report.scope.type === 'users' ? ` (manual re-audit of ${plural(report.scope.users.length, 'user')})` : '';
  const sentence =
    view.team !== null
      ? `No findings for team ${code(truncate(view.team, MAX_TEAM_CHARS))} in ${accountText(report)}${scope}: nothing to do.`
      : view.exempted.length || view.elsewhere.findings
        ? `Nothing to do here for the ${keys} of ${accountText(report)}${scope}.`
        : `${all} of ${accountText(report)} healthy${scope}: nothing to do.`;
  const summary = summaryText(view).split('\n').slice(1).join('\n');
  return {
    text: truncate(fallbackText(view), MAX_FALLBACK_TEXT_CHARS),
    blocks: [
      section(
        truncate(`:white_check_mark: ${sentence}${summary ? `\n${summary}` : ''}`, MAX_SECTION_TEXT_CHARS),
      ),
      context([`${sourceText(report)}; audited ${escapeText(report.auditedAt.slice(11, 16))} UTC`]),
    ],
  };
}

/** `:heavy_plus_sign: *and 1,480 more*: 412 high, 1,068 medium, in the full report.` */
function omittedText(view: AccountView): string {
  const { omitted } = view;
  const by = (['critical', 'high', 'medium', 'low'] as const)
    .filter((s) => omitted.bySeverity[s] > 0)
    .map((s) => `${count(omitted.bySeverity[s])} ${s}`)
    .join(', ');
  const where = view.reportLocation
    ? runbookLink(view.reportLocation, 'in the full report')
    : 'in the full report';
  return `:heavy_plus_sign: *and ${count(omitted.total)} more*: ${by}; ${where} (this digest shows at most ${plural(view.maxFindingLines, 'finding line')}).`;
}

export function hasNothingToTell(report: AuditReport, audience?: Audience): boolean {
  return nothingToTell(buildAccountView(report, audience ? { audience } : {}));
}

/** The Slack digest of an account audit: numbered messages ("(2/3)") within Slack's limits. */
export function buildSlackDigest(report: AuditReport, options: SlackDigestOptions): SlackMessage[] {
  const view = buildAccountView(report, {
    ...(options.audience ? { audience: options.audience } : {}),
    ...(options.maxFindingLines !== undefined ? { maxFindingLines: options.maxFindingLines } : {}),
    ...(options.reportLocation ? { reportLocation: options.reportLocation } : {}),
    ...(options.reportFailed ? { reportFailed: true } : {}),
  });
  if (nothingToTell(view)) return options.clean === 'silent' ? [] : [healthyMessage(view)];
  const mentions = options.mentions ?? {};
  const now = report.auditedAt;
  const packer = new MessagePacker();
  const stateError = stateErrorText(report);
  if (stateError) packer.addFixed(section(`:warning: *${escapeText(stateError)}*`));
  packer.addFixed(section(summaryText(view)));
  packer.addFixed(
    context([`${sourceText(report)}; audited ${escapeText(report.auditedAt.slice(11, 16))} UTC`]),
  );
  const gap = incompleteText(report);
  if (gap) packer.addFixed(section(`:warning: *${escapeText(truncate(gap, 2000))}*`));
  const runbook = runbookLine([...view.full, ...view.groups].map((x) => x.runbookUrl));
  if (runbook) packer.addFixed(context([runbook]));
  if (report.scope.type === 'users') {
    for (const chunk of listChunks('*Manual re-audit* of', report.scope.users))
      packer.addItem('scope', null, chunk);
  }
  if (report.usersNotFound.length) {
    const label = `*Not found* (${plural(report.usersNotFound.length, 'user')}):`;
    for (const chunk of listChunks(label, report.usersNotFound)) packer.addItem('not-found', null, chunk);
  }

  if (view.full.length) {
    const heading = {
      text: `:new: *New and escalated* (${count(view.counts.full)})`,
    };
    for (const finding of view.full) {
      packer.addItem('full', heading, (mention) => fullFinding(finding, now, mentions, mention));
    }
  }
  if (view.resolvedShown.length) {
    const more = view.resolved.length - view.resolvedShown.length;
    const heading = { text: `:white_check_mark: *Resolved* (${count(view.resolved.length)})` };
    const lines = view.resolvedShown.map(resolvedLine);
    if (more > 0) lines.push(`• and ${count(more)} more, in the full report`);
    for (const chunk of lineChunks(lines, 1500)) packer.addItem('resolved', heading, chunk);
  }
  view.groups.forEach((group, i) => {
    const intro =
      i === 0
        ? view.firstAudit
          ? `:new: *New: the first audit* (${count(view.counts.lines)})`
          : `:hourglass: *${view.tracked ? 'Still open' : 'Findings'}* (${count(view.counts.lines)})`
        : undefined;
    const heading = {
      text:
        `*${SEVERITY_LABEL[group.severity]} · ${group.rules.map(escapeText).join(', ')}* (${count(group.findings.length)}): ` +
        `${escapeText(STEP_TEXT[group.step])} ${stepRef(group.runbookUrl)}`,
      ...(intro ? { intro } : {}),
    };
    for (const finding of group.findings) {
      packer.addItem(`open:${i}`, heading, (mention) => findingLine(finding, now, mentions, mention));
    }
  });
  if (view.omitted.total) packer.addItem('omitted', null, omittedText(view));
  if (view.exemptedShown.length) {
    const more = view.exempted.length - view.exemptedShown.length;
    const heading = { text: `:mute: *Exempted* (${count(view.exempted.length)})` };
    const lines = view.exemptedShown.map(exemptedLine);
    if (more > 0) lines.push(`• and ${count(more)} more, in the full report`);
    for (const chunk of lineChunks(lines, 1500)) packer.addItem('exempted', heading, chunk);
  }

  const pages = packer.finish();
  const fallback = fallbackText(view);
  return pages.map((blocks, i) => {
    const part = pageSuffix(i, pages.length);
    return {
      text: truncate(fallback, MAX_FALLBACK_TEXT_CHARS - part.length) + part,
      blocks: [header(headerText(view, part)), ...blocks],
    };
  });
}
