/**
 * Formats a report as Slack Block Kit messages: one digest per audit, split into as many messages as Slack's
 * limits require, nothing dropped. Pure: the report and the options are all it reads.
 *
 * ## Untrusted values
 * Everything that comes from AWS (user names, key descriptions, service and region, the account alias, the
 * live source's reason) is untrusted. One scheme covers it:
 * - A value shown on its own goes in inline code (`code()`): Slack formats nothing inside a code span, so
 *   `*`, `_` and `~` stay literal and names copy exactly; a backtick in the value becomes `ˋ` (U+02CB) so it
 *   cannot close the span, and line breaks become spaces.
 * - Prose that mixes our words with untrusted values (`finding.action`) is escaped as text (`escapeText()`):
 *   `*`, `_`, `~` and backtick become look-alikes (∗ U+2217, ˍ U+02CD, ∼ U+223C, ˋ U+02CB). For readability the
 *   values the rules embed in it (user name, key ids, the quoted description) are found and put in inline code;
 *   safety never depends on finding them.
 * - Either way `&`, `<` and `>` become `&amp;`, `&lt;`, `&gt;` (Slack's three control characters), so no value
 *   can form a link, a mention, `<!channel>`, `<!here>` or `<@U123>`, and a tag holding `&amp;` is sent as
 *   `&amp;amp;` and shows as the literal `&amp;` it holds.
 * - The header is `plain_text`, where Slack formats nothing; there `&`, `<`, `>` become ＆ ‹ › so the text shows
 *   the same whether or not Slack decodes entities in plain text.
 * Our own formatting (bold labels, the runbook link from config) is not escaped, except that the runbook URL is
 * percent-encoded where `|`, `<`, `>` or a space would break the link syntax, and `&` is sent as `&amp;`.
 * The mentions from config (`SlackMentions`) are the only `<…>` sent as they are, and only in the two shapes a
 * mention has (`<!subteam^ID>`, `<@U…>`); anything else in their place is shown as inline code.
 *
 * ## Changes since the last audit
 * When the report carries `changes`, the digest leads with the findings new since the last audit, then those
 * resolved since, then those still open with how many days each has been open (escalated ones marked). Without
 * `changes` (no state store) it lists the findings by rule, as it always has.
 */
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { actionParts } from '../present/action';
import type { CleanAuditMode } from './notification';
import {
  compareResolved,
  exemptedUntilText,
  incompleteText,
  newFindingsCount,
  stateErrorText,
} from './format';
import { isCleanAudit, type AuditReport } from './report';
import {
  RULE_IDS,
  SEVERITIES,
  type Exemption,
  type ExemptedFinding,
  type Finding,
  type KeyDetails,
  type LastUsed,
  type ResolvedFinding,
  type RotationStep,
  type RuleId,
  type Severity,
} from './types';

/** One Slack message: the `text` Slack shows in notifications, and the blocks it shows in the channel. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * Mentions from config, each `<!subteam^ID>` (a user group) or `<@U…>` (a person). Trusted and validated before they
 * get here; a value of another shape is shown as inline code rather than sent as markup.
 */
export interface SlackMentions {
  /** Team name (as the users' team tag gives it) to its mention, shown beside the team's findings once per message. */
  teams?: Record<string, string>;
  /** Shown beside the first escalated finding of each message. */
  escalation?: string;
}

/** Whom a digest is for; without it, the digest covers every finding. */
export type SlackAudience =
  /** One team's digest, for its own webhook: only the findings it owns; the header names the team. */
  | { team: string }
  /**
   * The default channel when these teams have webhooks of their own: every finding except theirs (unowned ones
   * included), and one line saying how many went to those teams.
   */
  | { exceptTeams: string[] };

export interface SlackDigestOptions {
  /** What an audit with nothing to tell produces (see `hasNothingToTell`): one short message, or nothing. */
  clean: CleanAuditMode;
  mentions?: SlackMentions;
  audience?: SlackAudience;
}

/** Slack: "You can include up to 50 blocks in each message" (Block Kit blocks reference). */
export const MAX_BLOCKS_PER_MESSAGE = 50;
/** Slack: a section's text, "Maximum length for the text in this field is 3000 characters". */
export const MAX_SECTION_TEXT_CHARS = 3000;
/** Slack: a header's plain_text, "Maximum length for the text in this field is 150 characters". */
export const MAX_HEADER_TEXT_CHARS = 150;
/** Slack: a context block's elements, "Maximum number of items is 10". */
export const MAX_CONTEXT_ELEMENTS = 10;
/** Slack (chat.postMessage): "limit the number of characters in the text field to 4,000 characters". */
export const MAX_FALLBACK_TEXT_CHARS = 4000;
/**
 * Our own budget for the text of all blocks of one message. Slack rejects a message whose blocks hold too much
 * text in total with `msg_blocks_too_long`, an undocumented limit observed at about 12,000 to 13,300 characters
 * (slackapi/bolt-js#2509, #2867); 10,000 leaves a margin and keeps each JSON payload near 12 KB.
 */
export const MAX_MESSAGE_TEXT_CHARS = 10_000;
/** A context element's text is kept to this many characters (its source and scope are short anyway). */
const MAX_CONTEXT_ELEMENT_CHARS = 2000;

const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
};

const ROTATION_STEP_TEXT: Record<RotationStep, string> = {
  'deploy-new-key': 'rotation in progress: deploy the new key, confirm it is used',
  'replace-uses': 'both keys are in use: replace every use of one with the other, then remove it',
  'deactivate-old-key': 'the older key is no longer used: deactivate it, then delete it',
  'delete-inactive-key': 'one key is inactive: delete it',
  'remove-unused-key': 'one key has never been used: remove it',
};

// ---------------------------------------------------------------------------------------------------------
// Escaping

const LOOK_ALIKES: Record<string, string> = { '*': '\u2217', _: '\u02CD', '~': '\u223C', '`': '\u02CB' };

/** Slack's three control characters as HTML entities; `&` first so an entity in the value stays literal. */
export function escapeEntities(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t\u2028\u2029]+/g, ' ');
}

/** Untrusted prose for mrkdwn: entities escaped, mrkdwn control characters replaced by look-alikes, one line. */
export function escapeText(text: string): string {
  return escapeEntities(oneLine(text)).replace(/[*_~`]/g, (c) => LOOK_ALIKES[c] ?? c);
}

/** An untrusted value as inline code: nothing inside is formatted; a backtick becomes `ˋ` so it cannot close it. */
export function code(value: string): string {
  const inner = escapeEntities(oneLine(value).replace(/`/g, LOOK_ALIKES['`']!));
  return inner.trim() === '' ? '_(blank)_' : `\`${inner}\``;
}

/** Untrusted text for a `plain_text` object: no formatting applies; the control characters become look-alikes. */
export function plainText(text: string): string {
  return oneLine(text).replace(/&/g, '\uFF06').replace(/</g, '\u2039').replace(/>/g, '\u203A');
}

/** A URL from config inside `<url|label>`: percent-encode what would end or split the link, `&` as an entity. */
function linkUrl(url: string): string {
  return url
    .replace(/\|/g, '%7C')
    .replace(/</g, '%3C')
    .replace(/>/g, '%3E')
    .replace(/\s/g, (c) => encodeURIComponent(c))
    .replace(/&/g, '&amp;');
}

const MENTION = /^<(?:!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)>$/;

/** True for a Slack mention this digest sends as markup: `<!subteam^ID>` or `<@U…>` (`<@W…>` in Enterprise Grid). */
export function isSlackMention(text: string): boolean {
  return MENTION.test(text);
}

/** A mention from config as markup, or, should it not have a mention's shape, as inline code. */
function mentionText(mention: string): string {
  return isSlackMention(mention) ? mention : code(mention);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

// ---------------------------------------------------------------------------------------------------------
// One finding

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `2026-11-26 (`s3`, `eu-west-2`)`, or `never used`. */
function lastUsedText(lastUsed: LastUsed | null): string {
  if (!lastUsed) return 'never used';
  const where = [lastUsed.service, lastUsed.region].filter((v): v is string => Boolean(v)).map(code);
  return `${escapeText(lastUsed.date.slice(0, 10))}${where.length ? ` (${where.join(', ')})` : ''}`;
}

function ageText(ageDays: number | null | undefined): string {
  return ageDays === null || ageDays === undefined ? 'age unknown' : `${plural(ageDays, 'day')} old`;
}

function whereUsedText(description: string | null, maxDescription: number): string {
  return description === null ? 'no description tag' : code(truncate(description, maxDescription));
}

/** The runbook section's name, from its anchor: `#3-find-where-the-key-is-used` → `find where the key is used`. */
function runbookLabel(url: string): string {
  const anchor = url.includes('#') ? url.slice(url.lastIndexOf('#') + 1) : '';
  let name = anchor;
  try {
    name = decodeURIComponent(anchor);
  } catch {
    // keep the raw anchor
  }
  name = name.replace(/^\d+-/, '').replace(/[-_]+/g, ' ').trim();
  return name ? `runbook: ${name}` : 'runbook';
}

function runbookLink(url: string): string {
  return `<${linkUrl(url)}|${escapeText(runbookLabel(url)).replace(/\|/g, '¦')}>`;
}

/** The action's words with its values (key ids, names, reasons) as inline code. */
function actionText(finding: Finding, maxDescription: number): string {
  return actionParts(finding)
    .map((p) =>
      typeof p === 'string'
        ? escapeText(p)
        : 'value' in p
          ? code(truncate(p.value, maxDescription))
          : `<${linkUrl(p.link)}|${escapeText(p.label)}>`,
    )
    .join('');
}

function keyLine(key: KeyDetails, maxDescription: number): string {
  return (
    `• ${code(key.accessKeyId)} · ${key.status} · ${ageText(key.ageDays)} · ` +
    `${key.lastUsed ? `last used ${lastUsedText(key.lastUsed)}` : 'never used'} · ` +
    `where used: ${whereUsedText(key.description, maxDescription)}`
  );
}

/** The exemption an `invalid-exemption` or `exemption-expired` finding is about: where it is, and what it says. */
function exemptionText(exemption: Exemption, maxValue: number): string {
  const where =
    exemption.source === 'tag'
      ? `tag ${exemption.tagKey === undefined ? '(key unknown)' : code(truncate(exemption.tagKey, 128))}`
      : 'stack props';
  if (exemption.raw !== undefined) return `Exemption: ${where} = ${code(truncate(exemption.raw, maxValue))}`;
  const rules = exemption.rules?.length ? ` for ${exemption.rules.map((r) => code(r)).join(', ')}` : '';
  return (
    `Exemption: ${where}${rules} · until ${code(truncate(exemption.until, 32))} · ` +
    `reason ${code(truncate(exemption.reason, maxValue))}`
  );
}

function renderFinding(finding: Finding, maxDescription: number, tracking: string | null): string {
  const lines: string[] = [];
  if (finding.rule === 'root-access-key') {
    lines.push(
      `*Root account* (${code(finding.userName)}) · status ${finding.status ?? 'unknown'} · ${ageText(finding.ageDays)}`,
      `Last use: ${lastUsedText(finding.lastUsed)}`,
    );
  } else if (finding.exemption) {
    lines.push(
      `*${code(finding.userName)}* · ${finding.accessKeyId ? code(finding.accessKeyId) : 'all keys'}`,
      exemptionText(finding.exemption, maxDescription),
    );
  } else if (finding.keys) {
    lines.push(
      `*${code(finding.userName)}* · ${plural(finding.keys.length, 'key')} · rotation step: ` +
        (finding.rotationStep ? ROTATION_STEP_TEXT[finding.rotationStep] : 'unknown'),
      ...finding.keys.map((k) => keyLine(k, maxDescription)),
    );
  } else {
    lines.push(
      `*${code(finding.userName)}* · ${finding.accessKeyId ? code(finding.accessKeyId) : 'no key id'} · ` +
        `${finding.status ?? 'status unknown'} · ${ageText(finding.ageDays)}`,
      `Last use: ${lastUsedText(finding.lastUsed)}`,
      `Where used: ${whereUsedText(finding.description, maxDescription)}`,
    );
  }
  if (finding.sesSmtpUser) {
    lines.push(
      ':warning: *SES SMTP user:* rotating means re-creating the user (`.YYYYMMDD` suffix), not a new key',
    );
  }
  lines.push(`*Action:* ${actionText(finding, maxDescription)}`, runbookLink(finding.runbookUrl));
  if (tracking) lines.splice(1, 0, tracking);
  return lines.join('\n');
}

/** Answers whether an item should carry this mention: true the first time in a message, false after. */
export type Mention = (mention: string) => boolean;

/** A team name comes from a tag (up to 256 characters): bounded where it is shown. */
const MAX_TEAM_CHARS = 64;

/** A tag names a team in any case (`Platform` is the map's `platform`), as the routing of findings has it. */
function sameTeam(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** The map's value for a team: under its own name first, then under a name that differs only in case. */
function teamEntry(map: Record<string, string>, team: string): string | undefined {
  if (Object.hasOwn(map, team)) return map[team];
  return Object.entries(map).find(([name]) => sameTeam(name, team))?.[1];
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The line under a finding's first line that says how long it has been open (escalated ones marked, with the
 * escalation mention) and whose it is (`team `platform`` with the team's mention, or `no owner`). Null when the
 * finding carries none of that (no state store, owners not resolved): the finding then reads as it always has.
 */
export function trackingLine(finding: Finding, mentions: SlackMentions, mention: Mention): string | null {
  const parts: string[] = [];
  const open =
    !finding.isNew && finding.openDays !== undefined ? `open ${plural(finding.openDays, 'day')}` : null;
  if (finding.escalated) {
    const escalation = mentions.escalation;
    parts.push(
      `:rotating_light: *${open ?? 'open'} — escalated*` +
        (escalation && mention(escalation) ? ` ${mentionText(escalation)}` : ''),
    );
  } else if (open) {
    parts.push(open);
  }
  if (finding.owner === null) {
    parts.push('no owner');
  } else if (finding.owner !== undefined) {
    const teamMention = teamEntry(mentions.teams ?? {}, finding.owner);
    parts.push(
      `team ${code(truncate(finding.owner, MAX_TEAM_CHARS))}` +
        (typeof teamMention === 'string' && mention(teamMention) ? ` ${mentionText(teamMention)}` : ''),
    );
  }
  return parts.length ? capitalize(parts.join(' · ')) : null;
}

/**
 * One finding as mrkdwn, within a section's 3,000 characters. Never split across sections. IAM caps a tag value
 * at 256 characters and a user name at 64, so a finding is far below the limit; should one still exceed it, its
 * description (or the exemption's value) is truncated with an ellipsis, and as a last resort the text itself is
 * cut (at a safe point). `tracking` is the line of days open and owner, when there is one.
 */
export function formatFinding(
  finding: Finding,
  maxChars = MAX_SECTION_TEXT_CHARS,
  tracking: string | null = null,
): string {
  let text = renderFinding(finding, Number.POSITIVE_INFINITY, tracking);
  if (text.length <= maxChars) return text;
  const longest = Math.max(
    0,
    ...[
      finding.description,
      ...(finding.keys ?? []).map((k) => k.description),
      finding.exemption?.raw,
      finding.exemption?.reason,
    ].map((d) => d?.length ?? 0),
  );
  // The description can appear twice per key (where used, and quoted in the action); shorten it enough.
  const overflow = text.length - maxChars;
  const copies = 2 * Math.max(1, finding.keys?.length ?? 1);
  text = renderFinding(finding, Math.max(16, longest - Math.ceil(overflow / copies) - 1), tracking);
  if (text.length <= maxChars) return text;
  return cutSafely(text, maxChars);
}

/** Cuts mrkdwn to `max` characters with an ellipsis, never leaving an open link, a half entity or an open code span. */
function cutSafely(text: string, max: number): string {
  let cut = text.slice(0, max - 2);
  if (cut.lastIndexOf('<') > cut.lastIndexOf('>')) cut = cut.slice(0, cut.lastIndexOf('<'));
  cut = cut.replace(/&[a-z]*$/, '');
  if ((cut.match(/`/g) ?? []).length % 2 === 1) cut += '`';
  return `${cut}…`;
}

// ---------------------------------------------------------------------------------------------------------
// The digest

/** IAM caps an alias at 63 characters and an account id is 12 digits; untrusted, so bounded anyway. */
const MAX_ACCOUNT_CHARS = 64;

function accountText(report: AuditReport): string {
  const id = code(truncate(report.accountId, MAX_ACCOUNT_CHARS));
  return report.accountAlias ? `${code(truncate(report.accountAlias, MAX_ACCOUNT_CHARS))} (${id})` : id;
}

function accountPlain(report: AuditReport): string {
  const id = truncate(report.accountId, MAX_ACCOUNT_CHARS);
  return report.accountAlias ? `${truncate(report.accountAlias, MAX_ACCOUNT_CHARS)} (${id})` : id;
}

function sourceText(report: AuditReport): string {
  return report.source.type === 'credential-report'
    ? `Source: credential report generated ${escapeText(report.source.generatedAt)}, verified live`
    : `Source: live IAM calls (${escapeText(truncate(report.source.reason, 500))})`;
}

/** What one digest covers: the whole report, one team's share of it, or all but some teams' shares. */
interface DigestView {
  report: AuditReport;
  /** The team a team's digest is for; null otherwise. */
  team: string | null;
  findings: Finding[];
  exempted: ExemptedFinding[];
  /** Resolved since the last audit; empty in a team's digest, as a resolved finding does not say whose it was. */
  resolved: ResolvedFinding[];
  /** For `exceptTeams`: the findings left to those teams' own channels, and the teams that have some. */
  elsewhere: { findings: number; teams: string[] };
}

function viewOf(report: AuditReport, audience: SlackAudience | undefined): DigestView {
  const resolved = report.changes?.resolved ?? [];
  const none = { findings: 0, teams: [] };
  const ownedBy = (team: string) => (f: Finding) => typeof f.owner === 'string' && sameTeam(f.owner, team);
  if (!audience) {
    const { findings, exempted } = report;
    return { report, team: null, findings, exempted, resolved, elsewhere: none };
  }
  if ('team' in audience) {
    const owned = ownedBy(audience.team);
    return {
      report,
      team: audience.team,
      findings: report.findings.filter(owned),
      exempted: report.exempted.filter(owned),
      resolved: [],
      elsewhere: none,
    };
  }
  const routed = audience.exceptTeams.map(ownedBy);
  const ours = (f: Finding) => !routed.some((owned) => owned(f));
  const findings = report.findings.filter(ours);
  const teams = audience.exceptTeams.filter((team) => report.findings.some(ownedBy(team)));
  return {
    report,
    team: null,
    findings,
    exempted: report.exempted.filter(ours),
    resolved,
    elsewhere: { findings: report.findings.length - findings.length, teams: [...teams].sort() },
  };
}

/**
 * True when a digest has nothing to tell its channel: no finding of its own and, but for a team's digest, no user
 * named in a re-audit missing, every user covered, nothing resolved since the last audit (good news is news) and
 * the state store answered. A team's channel hears only of its own findings: the account's news goes to the
 * default channel. Exempted findings, and findings sent to teams' own channels, do not count.
 */
export function hasNothingToTell(report: AuditReport, audience?: SlackAudience): boolean {
  return nothingToTell(viewOf(report, audience));
}

function nothingToTell(view: DigestView): boolean {
  const { report, findings } = view;
  if (view.team !== null) return findings.length === 0;
  return (
    isCleanAudit({ findings, usersNotFound: report.usersNotFound, incomplete: report.incomplete }) &&
    view.resolved.length === 0 &&
    report.changes?.stateError === undefined
  );
}

function ruleGroups(findings: Finding[]): { rule: RuleId; severity: Severity; findings: Finding[] }[] {
  const groups = new Map<RuleId, Finding[]>();
  for (const finding of findings) {
    const list = groups.get(finding.rule) ?? [];
    list.push(finding);
    groups.set(finding.rule, list);
  }
  return [...groups.entries()]
    .map(([rule, findings]) => ({ rule, severity: findings[0]!.severity, findings }))
    .sort(
      (a, b) =>
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
        RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule),
    );
}

function ruleMeaning(rule: RuleId, report: AuditReport): string {
  const { maxKeyAgeDays, warnDays, unusedDays } = report.thresholds;
  const meanings: Record<RuleId, string> = {
    'root-access-key': 'the root user holds an access key',
    'key-too-old': `active keys older than ${maxKeyAgeDays} days`,
    'key-expiring': `active keys turning ${maxKeyAgeDays} days old within ${warnDays} days`,
    'two-keys': 'users holding two keys',
    'key-unused': `active keys not used for more than ${unusedDays} days`,
    'inactive-key': 'inactive keys to delete',
    'invalid-exemption': 'exemptions that are not valid, so they exempt nothing',
    'exemption-expired': 'exemptions past their date, no longer exempting',
  };
  return meanings[rule];
}

/** Splits `label: a, b, c` into parts of at most `max` characters, each part whole names. */
export function listChunks(label: string, names: string[], max = MAX_SECTION_TEXT_CHARS): string[] {
  const chunks: string[] = [];
  let current = label;
  let first = true;
  for (const name of names) {
    const item = code(truncate(name, 512));
    const sep = first ? ' ' : ', ';
    if (current.length + sep.length + item.length > max && !first) {
      chunks.push(current);
      current = `${label} (continued) ${item}`;
    } else {
      current += sep + item;
    }
    first = false;
  }
  chunks.push(current);
  return chunks;
}

/** Joins lines into chunks of at most `max` characters, each line whole. */
export function lineChunks(lines: string[], max: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current && current.length + 1 + line.length > max) {
      chunks.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) chunks.push(current);
  return chunks;
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

export function context(texts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: texts
      .slice(0, MAX_CONTEXT_ELEMENTS)
      .map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, MAX_CONTEXT_ELEMENT_CHARS) })),
  };
}

function blockTextLength(block: KnownBlock): number {
  const b = block as {
    text?: { text?: string };
    elements?: { text?: string }[];
    fields?: { text?: string }[];
  };
  return (
    (b.text?.text?.length ?? 0) +
    (b.elements ?? []).reduce((n, e) => n + (e.text?.length ?? 0), 0) +
    (b.fields ?? []).reduce((n, f) => n + (f.text?.length ?? 0), 0)
  );
}

/** A group's heading, repeated as "(continued)" in a new message; `intro` opens the group's first placement only. */
export interface Heading {
  text: string;
  intro?: string;
}

/** An item's text, or a function that renders it given which mentions its message already holds. */
export type ItemText = string | ((mention: Mention) => string);

/**
 * Lays blocks out into messages within the limits: sections packed with whole items, headings repeated, and each
 * mention an item asks for sent once per message.
 */
export class MessagePacker {
  readonly messages: KnownBlock[][] = [];
  private blocks: KnownBlock[] = [];
  private chars = MAX_HEADER_TEXT_CHARS; // the header, added once the message count is known
  private buffer = '';
  private headingInMessage: string | null = null;
  private mentioned = new Set<string>();
  private readonly placed = new Map<string, number>();

  /** Blocks the first message opens with (summary, source); they must fit an empty message. */
  addFixed(block: KnownBlock): void {
    this.flushSection();
    this.blocks.push(block);
    this.chars += blockTextLength(block);
  }

  /** Adds one item (never split) under `heading`, repeated as "(continued)" at the top of a new message. */
  addItem(group: string, heading: Heading | null, item: ItemText): void {
    const needsHeading = heading !== null && this.headingInMessage !== group;
    const headingText = needsHeading ? this.headingText(group, heading) : '';
    const asked = new Set<string>();
    const text =
      typeof item === 'string'
        ? item
        : item((mention) => {
            if (this.mentioned.has(mention) || asked.has(mention)) return false;
            asked.add(mention);
            return true;
          });
    if (!this.fits(text, needsHeading ? headingText : null)) {
      this.newMessage();
      this.addItem(group, heading, item);
      return;
    }
    if (needsHeading) {
      this.flushSection();
      this.blocks.push(section(headingText));
      this.chars += headingText.length;
      this.headingInMessage = group;
    }
    if (this.buffer && this.buffer.length + 2 + text.length > MAX_SECTION_TEXT_CHARS) this.flushSection();
    this.chars += (this.buffer ? 2 : 0) + text.length;
    this.buffer = this.buffer ? `${this.buffer}\n\n${text}` : text;
    this.placed.set(group, (this.placed.get(group) ?? 0) + 1);
    for (const mention of asked) this.mentioned.add(mention);
  }

  finish(): KnownBlock[][] {
    this.flushSection();
    if (this.blocks.length) this.messages.push(this.blocks);
    return this.messages;
  }

  private headingText(group: string, heading: Heading): string {
    if ((this.placed.get(group) ?? 0) > 0) return `${heading.text} (continued)`;
    return heading.intro ? `${heading.intro}\n${heading.text}` : heading.text;
  }

  private fits(item: string, headingText: string | null): boolean {
    const sectionFull = !this.buffer || this.buffer.length + 2 + item.length > MAX_SECTION_TEXT_CHARS;
    const newSection = headingText !== null || sectionFull;
    const blocks =
      this.blocks.length + (this.buffer ? 1 : 0) + (headingText !== null ? 1 : 0) + (newSection ? 1 : 0);
    const chars = this.chars + (headingText?.length ?? 0) + (newSection ? 0 : 2) + item.length;
    const empty = this.blocks.length === 0 && !this.buffer;
    return empty || (blocks <= MAX_BLOCKS_PER_MESSAGE && chars <= MAX_MESSAGE_TEXT_CHARS);
  }

  private flushSection(): void {
    if (!this.buffer) return;
    this.blocks.push(section(this.buffer));
    this.buffer = '';
  }

  private newMessage(): void {
    this.flushSection();
    this.messages.push(this.blocks);
    this.blocks = [];
    this.chars = MAX_HEADER_TEXT_CHARS;
    this.headingInMessage = null;
    this.mentioned = new Set();
  }
}

export function header(text: string): HeaderBlock {
  // emoji off: the alias is untrusted, and `:name:` in it should read as text.
  return { type: 'header', text: { type: 'plain_text', text, emoji: false } };
}

function headerText(view: DigestView, part: string): string {
  const team = view.team === null ? '' : ` for team ${plainText(truncate(view.team, MAX_TEAM_CHARS))}`;
  const base = `IAM key audit${team}: ${plainText(accountPlain(view.report))}`;
  return truncate(base, MAX_HEADER_TEXT_CHARS - part.length) + part;
}

function countsText(findings: Finding[]): string {
  return ruleGroups(findings)
    .map((g) => `${g.rule} ${g.findings.length}`)
    .join(', ');
}

/** New, resolved and still open since the last audit; a team's digest leaves out resolved (they are not its own). */
function changeCounts(view: DigestView): { label: string; count: number }[] {
  const fresh = newFindingsCount(view.findings);
  return [
    { label: 'new', count: fresh },
    ...(view.team === null ? [{ label: 'resolved', count: view.resolved.length }] : []),
    { label: 'still open', count: view.findings.length - fresh },
  ];
}

/** `:mute: *3 findings exempted* (until 2026-12-31 at the earliest): not alerted, see the report.` */
function exemptedText(exempted: ExemptedFinding[]): string {
  const until = escapeText(truncate(exemptedUntilText(exempted), 64));
  return `:mute: *${plural(exempted.length, 'finding')} exempted* (${until}): not alerted, see the report.`;
}

function elsewhereText(elsewhere: DigestView['elsewhere']): string {
  const teams = elsewhere.teams.map((t) => code(truncate(t, MAX_TEAM_CHARS)));
  return (
    `:arrow_right: *${plural(elsewhere.findings, 'finding')}* of ${teams.length === 1 ? 'team' : 'teams'} ` +
    `${teams.join(', ')} went to their own channels.`
  );
}

function teamText(view: DigestView): string {
  return view.team === null ? '' : ` for team ${code(truncate(view.team, MAX_TEAM_CHARS))}`;
}

function summaryText(view: DigestView): string {
  const { report } = view;
  const { summary } = report;
  const total = view.findings.length;
  const head =
    `*${plural(total, 'finding')}*${teamText(view)} in ${plural(summary.usersScanned, 'user')} and ` +
    `${plural(summary.keysScanned, 'key')} of ${accountText(report)}`;
  const byRule = ruleGroups(view.findings)
    .map((g) => `*${g.rule}* ${g.findings.length}`)
    .join(' · ');
  if (!report.changes) return total ? `${head}: ${byRule}` : head;
  const escalated = view.findings.filter((f) => f.escalated).length;
  const changes = [
    ...changeCounts(view).map(({ label, count }) => `*${count} ${label}*`),
    ...(escalated ? [`:rotating_light: *${escalated} escalated*`] : []),
  ].join(' · ');
  return `${head}: ${changes}${total ? `\nBy rule: ${byRule}` : ''}`;
}

function fallbackText(view: DigestView): string {
  const { report } = view;
  const total = view.findings.length;
  const counts = report.changes
    ? ` (${changeCounts(view)
        .map(({ label, count }) => `${count} ${label}`)
        .join(', ')})`
    : total
      ? ` (${countsText(view.findings)})`
      : '';
  const team = view.team === null ? '' : ` for team ${escapeText(truncate(view.team, MAX_TEAM_CHARS))}`;
  return `IAM key audit of ${escapeText(accountPlain(report))}${team}: ${plural(total, 'finding')}${counts}`;
}

function healthyMessage(view: DigestView): SlackMessage {
  const { report } = view;
  const keys = plural(report.summary.keysScanned, 'key');
  const all = report.summary.keysScanned === 1 ? 'The 1 key' : `All ${keys}`;
  const scope =
    report.scope.type === 'users' ? ` (manual re-audit of ${plural(report.scope.users.length, 'user')})` : '';
  const account = accountPlain(report);
  // "Healthy" only when nothing was set aside: exempted findings, or findings sent to teams' own channels.
  const [sentence, text] =
    view.team !== null
      ? [
          `No findings for team ${code(truncate(view.team, MAX_TEAM_CHARS))} in ${accountText(report)}${scope}: nothing to do.`,
          `No findings for team ${escapeText(truncate(view.team, MAX_TEAM_CHARS))} in ${escapeText(account)}${scope}`,
        ]
      : view.exempted.length || view.elsewhere.findings
        ? [
            `Nothing to do here for the ${keys} of ${accountText(report)}${scope}.`,
            `Nothing to do here for the ${keys} of ${escapeText(account)}${scope}`,
          ]
        : [
            `${all} of ${accountText(report)} healthy${scope}: nothing to do.`,
            `${all} of ${escapeText(account)} healthy${scope}`,
          ];
  return {
    text: truncate(text, MAX_FALLBACK_TEXT_CHARS),
    blocks: [
      section(truncate(`:white_check_mark: ${sentence}`, MAX_SECTION_TEXT_CHARS)),
      ...(view.elsewhere.findings ? [section(elsewhereText(view.elsewhere))] : []),
      ...(view.exempted.length ? [section(exemptedText(view.exempted))] : []),
      context([sourceText(report), `Audited ${escapeText(report.auditedAt)}`]),
    ],
  };
}

/** Adds findings grouped by rule, most severe first; `part` keeps the groups of "new" and "still open" apart. */
function addFindings(
  packer: MessagePacker,
  view: DigestView,
  mentions: SlackMentions,
  findings: Finding[],
  part: { name: string; intro?: string; count: (n: number) => string },
): void {
  ruleGroups(findings).forEach((group, i) => {
    const heading: Heading = {
      text:
        `*${SEVERITY_LABEL[group.severity]} · ${group.rule}*: ${ruleMeaning(group.rule, view.report)} ` +
        `(${part.count(group.findings.length)})`,
      ...(i === 0 && part.intro ? { intro: part.intro } : {}),
    };
    for (const finding of group.findings) {
      packer.addItem(`${part.name}:${group.rule}`, heading, (mention) =>
        formatFinding(finding, MAX_SECTION_TEXT_CHARS, trackingLine(finding, mentions, mention)),
      );
    }
  });
}

/** A resolved finding in one line: rule, user, key and the day it was first seen. */
function resolvedLine(resolved: ResolvedFinding): string {
  return [
    `• *${escapeText(resolved.rule)}*`,
    code(truncate(resolved.userName, 128)),
    ...(resolved.accessKeyId ? [code(truncate(resolved.accessKeyId, 128))] : []),
    `first seen ${escapeText(resolved.firstSeenAt.slice(0, 10))}`,
  ].join(' · ');
}

/** Resolved findings go in sections of this many characters at most: a few dozen lines each. */
const RESOLVED_CHUNK_CHARS = 1500;

/**
 * The Slack digest of an audit: a header with the account, the counts and the source, then the findings grouped
 * by rule, most severe first, split into numbered messages ("(2/7)") within Slack's limits. With `changes`, the
 * findings new since the last audit come first, then those resolved, then those still open with their days open.
 * An audit with nothing to tell (`hasNothingToTell`) gives one short message, or none when `silent`.
 */
export function buildSlackDigest(report: AuditReport, options: SlackDigestOptions): SlackMessage[] {
  const view = viewOf(report, options.audience);
  if (nothingToTell(view)) {
    return options.clean === 'silent' ? [] : [healthyMessage(view)];
  }
  const mentions = options.mentions ?? {};
  const packer = new MessagePacker();
  const stateError = stateErrorText(report);
  if (stateError) packer.addFixed(section(`:warning: *${escapeText(stateError)}*`));
  packer.addFixed(section(summaryText(view)));
  packer.addFixed(context([sourceText(report), `Audited ${escapeText(report.auditedAt)}`]));
  const gap = incompleteText(report);
  if (gap) packer.addFixed(section(`:warning: *${escapeText(gap)}*`));
  if (view.elsewhere.findings) packer.addFixed(section(elsewhereText(view.elsewhere)));
  if (view.exempted.length) packer.addFixed(section(exemptedText(view.exempted)));
  if (report.scope.type === 'users') {
    for (const chunk of listChunks('*Manual re-audit* of', report.scope.users))
      packer.addItem('scope', null, chunk);
  }
  if (report.usersNotFound.length) {
    const label = `*Not found* (${plural(report.usersNotFound.length, 'user')}):`;
    for (const chunk of listChunks(label, report.usersNotFound)) packer.addItem('not-found', null, chunk);
  }
  if (report.changes) {
    const fresh = view.findings.filter((f) => f.isNew);
    const open = view.findings.filter((f) => !f.isNew);
    addFindings(packer, view, mentions, fresh, {
      name: 'new',
      intro: `:new: *New since the last audit*: ${plural(fresh.length, 'finding')}`,
      count: (n) => `${n} new`,
    });
    const resolvedHeading = {
      text: `:white_check_mark: *Resolved since the last audit*: ${plural(view.resolved.length, 'finding')}`,
    };
    const resolvedLines = [...view.resolved].sort(compareResolved).map(resolvedLine);
    for (const chunk of lineChunks(resolvedLines, RESOLVED_CHUNK_CHARS)) {
      packer.addItem('resolved', resolvedHeading, chunk);
    }
    addFindings(packer, view, mentions, open, {
      name: 'open',
      intro: `:hourglass: *Still open*: ${plural(open.length, 'finding')}`,
      count: (n) => `${n} still open`,
    });
  } else {
    addFindings(packer, view, mentions, view.findings, { name: 'all', count: (n) => plural(n, 'finding') });
  }
  const pages = packer.finish();
  const fallback = fallbackText(view);
  return pages.map((blocks, i) => {
    const part = pages.length > 1 ? ` (${i + 1}/${pages.length})` : '';
    return {
      text: truncate(fallback, MAX_FALLBACK_TEXT_CHARS - part.length) + part,
      blocks: [header(headerText(view, part)), ...blocks],
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Limits

/**
 * What in a message breaks Slack's limits (or our per-message text budget); empty when it is within them.
 * Reads the message defensively, so it also checks a JSON body received by a test server.
 */
export function checkSlackLimits(message: SlackMessage): string[] {
  const violations: string[] = [];
  const text: unknown = (message as { text?: unknown }).text;
  const blocks: unknown = (message as { blocks?: unknown }).blocks;
  if (typeof text !== 'string' || text.trim() === '')
    violations.push('text: missing (the notification fallback)');
  else if (text.length > MAX_FALLBACK_TEXT_CHARS) {
    violations.push(`text: ${text.length} characters (max ${MAX_FALLBACK_TEXT_CHARS})`);
  }
  if (!Array.isArray(blocks)) return [...violations, 'blocks: missing'];
  if (blocks.length > MAX_BLOCKS_PER_MESSAGE) {
    violations.push(`blocks: ${blocks.length} (max ${MAX_BLOCKS_PER_MESSAGE})`);
  }
  let total = 0;
  blocks.forEach((raw: unknown, i) => {
    const block = raw as {
      type?: unknown;
      text?: { type?: unknown; text?: unknown };
      elements?: unknown;
      fields?: unknown;
    };
    const at = `blocks[${i}] (${String(block?.type)})`;
    const own = typeof block?.text?.text === 'string' ? block.text.text : undefined;
    total += own?.length ?? 0;
    switch (block?.type) {
      case 'header':
        if (block.text?.type !== 'plain_text') violations.push(`${at}: text must be plain_text`);
        if (!own) violations.push(`${at}: empty text`);
        else if (own.length > MAX_HEADER_TEXT_CHARS) {
          violations.push(`${at}: ${own.length} characters (max ${MAX_HEADER_TEXT_CHARS})`);
        }
        break;
      case 'section': {
        const fields = Array.isArray(block.fields) ? (block.fields as { text?: unknown }[]) : [];
        if (own === undefined && fields.length === 0) violations.push(`${at}: no text and no fields`);
        if (own !== undefined && own.length === 0) violations.push(`${at}: empty text`);
        if (own !== undefined && own.length > MAX_SECTION_TEXT_CHARS) {
          violations.push(`${at}: ${own.length} characters (max ${MAX_SECTION_TEXT_CHARS})`);
        }
        if (fields.length > 10) violations.push(`${at}: ${fields.length} fields (max 10)`);
        fields.forEach((f, j) => {
          const t = typeof f?.text === 'string' ? f.text : '';
          total += t.length;
          if (t.length > 2000) violations.push(`${at}.fields[${j}]: ${t.length} characters (max 2000)`);
        });
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? (block.elements as { text?: unknown }[]) : [];
        if (elements.length === 0) violations.push(`${at}: no elements`);
        if (elements.length > MAX_CONTEXT_ELEMENTS) {
          violations.push(`${at}: ${elements.length} elements (max ${MAX_CONTEXT_ELEMENTS})`);
        }
        elements.forEach((e, j) => {
          const t = typeof e?.text === 'string' ? e.text : '';
          total += t.length;
          if (t.length > MAX_SECTION_TEXT_CHARS) {
            violations.push(`${at}.elements[${j}]: ${t.length} characters (max ${MAX_SECTION_TEXT_CHARS})`);
          }
        });
        break;
      }
      case 'divider':
        break;
      default:
        violations.push(`${at}: a block type this digest does not use`);
    }
  });
  if (total > MAX_MESSAGE_TEXT_CHARS) {
    violations.push(`blocks: ${total} characters of text in total (budget ${MAX_MESSAGE_TEXT_CHARS})`);
  }
  return violations;
}
