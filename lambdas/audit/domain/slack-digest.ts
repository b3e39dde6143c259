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
 */
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { CleanAuditMode } from './notification';
import { incompleteText } from './format';
import { isCleanAudit, type AuditReport } from './report';
import {
  RULE_IDS,
  SEVERITIES,
  type Finding,
  type KeyDetails,
  type LastUsed,
  type RotationStep,
  type RuleId,
  type Severity,
} from './types';

/** One Slack message: the `text` Slack shows in notifications, and the blocks it shows in the channel. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface SlackDigestOptions {
  /** What a clean audit (no findings, no users not found) produces: one short message, or nothing. */
  clean: CleanAuditMode;
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
function plainText(text: string): string {
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

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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

/**
 * The action, escaped as prose, with the values the rules embed in it shown as inline code: the user name
 * (and the `.YYYYMMDD` name of its re-created SES user), the key ids and the quoted description.
 */
function actionText(finding: Finding, maxDescription: number): string {
  const renderers: { pattern: string; render: (match: string) => string }[] = [];
  const word = (pattern: string) => `(?<![A-Za-z0-9])${pattern}(?![A-Za-z0-9])`;
  const asCode = (match: string) => code(match);
  const baseName = finding.userName.replace(/\.\d{8}$/, '');
  if (baseName) renderers.push({ pattern: word(`${escapeRegExp(baseName)}\\.\\d{8}`), render: asCode });
  if (finding.userName) renderers.push({ pattern: word(escapeRegExp(finding.userName)), render: asCode });
  const keyIds = [finding.accessKeyId, ...(finding.keys ?? []).map((k) => k.accessKeyId)];
  for (const id of new Set(keyIds)) {
    if (id) renderers.push({ pattern: word(escapeRegExp(id)), render: asCode });
  }
  const descriptions = [finding.description, ...(finding.keys ?? []).map((k) => k.description)];
  for (const description of new Set(descriptions)) {
    if (description) {
      renderers.push({
        pattern: escapeRegExp(`"${description}"`),
        render: () => `"${code(truncate(description, maxDescription))}"`,
      });
    }
  }
  // Longest first, so a name that contains another is matched whole.
  renderers.sort((a, b) => b.pattern.length - a.pattern.length);
  if (renderers.length === 0) return escapeText(finding.action);
  const re = new RegExp(renderers.map((r) => `(${r.pattern})`).join('|'), 'g');
  let out = '';
  let last = 0;
  for (const match of finding.action.matchAll(re)) {
    const index = match.index ?? 0;
    const which = match.slice(1).findIndex((group) => group !== undefined);
    out += escapeText(finding.action.slice(last, index)) + renderers[which]!.render(match[0]);
    last = index + match[0].length;
  }
  return out + escapeText(finding.action.slice(last));
}

function keyLine(key: KeyDetails, maxDescription: number): string {
  return (
    `• ${code(key.accessKeyId)} · ${key.status} · ${ageText(key.ageDays)} · ` +
    `${key.lastUsed ? `last used ${lastUsedText(key.lastUsed)}` : 'never used'} · ` +
    `where used: ${whereUsedText(key.description, maxDescription)}`
  );
}

function renderFinding(finding: Finding, maxDescription: number): string {
  const lines: string[] = [];
  if (finding.rule === 'root-access-key') {
    lines.push(
      `*Root account* (${code(finding.userName)}) · status ${finding.status ?? 'unknown'} · ${ageText(finding.ageDays)}`,
      `Last use: ${lastUsedText(finding.lastUsed)}`,
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
  return lines.join('\n');
}

/**
 * One finding as mrkdwn, within a section's 3,000 characters. Never split across sections. IAM caps a tag value
 * at 256 characters and a user name at 64, so a finding is far below the limit; should one still exceed it, its
 * description is truncated with an ellipsis, and as a last resort the text itself is cut (at a safe point).
 */
export function formatFinding(finding: Finding, maxChars = MAX_SECTION_TEXT_CHARS): string {
  let text = renderFinding(finding, Number.POSITIVE_INFINITY);
  if (text.length <= maxChars) return text;
  const longest = Math.max(
    0,
    ...[finding.description, ...(finding.keys ?? []).map((k) => k.description)].map((d) => d?.length ?? 0),
  );
  // The description can appear twice per key (where used, and quoted in the action); shorten it enough.
  const overflow = text.length - maxChars;
  const copies = 2 * Math.max(1, finding.keys?.length ?? 1);
  text = renderFinding(finding, Math.max(16, longest - Math.ceil(overflow / copies) - 1));
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

function ruleGroups(report: AuditReport): { rule: RuleId; severity: Severity; findings: Finding[] }[] {
  const groups = new Map<RuleId, Finding[]>();
  for (const finding of report.findings) {
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
function listChunks(label: string, names: string[], max = MAX_SECTION_TEXT_CHARS): string[] {
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

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function context(texts: string[]): ContextBlock {
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

/** Lays blocks out into messages within the limits: sections packed with whole items, headings repeated. */
class MessagePacker {
  readonly messages: KnownBlock[][] = [];
  private blocks: KnownBlock[] = [];
  private chars = MAX_HEADER_TEXT_CHARS; // the header, added once the message count is known
  private buffer = '';
  private headingInMessage: string | null = null;
  private readonly placed = new Map<string, number>();

  /** Blocks the first message opens with (summary, source); they must fit an empty message. */
  addFixed(block: KnownBlock): void {
    this.flushSection();
    this.blocks.push(block);
    this.chars += blockTextLength(block);
  }

  /** Adds one item (never split) under `heading`, repeated as "(continued)" at the top of a new message. */
  addItem(group: string, heading: string | null, item: string): void {
    const needsHeading = heading !== null && this.headingInMessage !== group;
    const headingText = needsHeading ? this.headingText(group, heading) : '';
    if (!this.fits(item, needsHeading ? headingText : null)) {
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
    if (this.buffer && this.buffer.length + 2 + item.length > MAX_SECTION_TEXT_CHARS) this.flushSection();
    this.chars += (this.buffer ? 2 : 0) + item.length;
    this.buffer = this.buffer ? `${this.buffer}\n\n${item}` : item;
    this.placed.set(group, (this.placed.get(group) ?? 0) + 1);
  }

  finish(): KnownBlock[][] {
    this.flushSection();
    if (this.blocks.length) this.messages.push(this.blocks);
    return this.messages;
  }

  private headingText(group: string, heading: string): string {
    return (this.placed.get(group) ?? 0) > 0 ? `${heading} (continued)` : heading;
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
  }
}

function header(text: string): HeaderBlock {
  // emoji off: the alias is untrusted, and `:name:` in it should read as text.
  return { type: 'header', text: { type: 'plain_text', text, emoji: false } };
}

function headerText(report: AuditReport, part: string): string {
  const base = `IAM key audit: ${plainText(accountPlain(report))}`;
  return truncate(base, MAX_HEADER_TEXT_CHARS - part.length) + part;
}

function countsText(report: AuditReport): string {
  const counts = ruleGroups(report).map((g) => `${g.rule} ${g.findings.length}`);
  return counts.join(', ');
}

function healthyMessage(report: AuditReport): SlackMessage {
  const keys = plural(report.summary.keysScanned, 'key');
  const all = report.summary.keysScanned === 1 ? 'The 1 key' : `All ${keys}`;
  const scope =
    report.scope.type === 'users' ? ` (manual re-audit of ${plural(report.scope.users.length, 'user')})` : '';
  return {
    text: truncate(`${all} of ${escapeText(accountPlain(report))} healthy${scope}`, MAX_FALLBACK_TEXT_CHARS),
    blocks: [
      section(
        truncate(
          `:white_check_mark: ${all} of ${accountText(report)} healthy${scope}: nothing to do.`,
          MAX_SECTION_TEXT_CHARS,
        ),
      ),
      context([sourceText(report), `Audited ${escapeText(report.auditedAt)}`]),
    ],
  };
}

/**
 * The Slack digest of an audit: a header with the account, the counts by rule and the source, then the findings
 * grouped by rule, most severe first, split into numbered messages ("(2/7)") within Slack's limits.
 * A clean audit (no findings, no users not found) gives one "all keys healthy" message, or none when `silent`.
 */
export function buildSlackDigest(report: AuditReport, options: SlackDigestOptions): SlackMessage[] {
  if (isCleanAudit(report)) {
    return options.clean === 'silent' ? [] : [healthyMessage(report)];
  }
  const { summary } = report;
  const packer = new MessagePacker();
  const findings = plural(summary.findings, 'finding');
  packer.addFixed(
    section(
      `*${findings}* in ${plural(summary.usersScanned, 'user')} and ${plural(summary.keysScanned, 'key')} of ` +
        `${accountText(report)}` +
        (summary.findings
          ? `: ${ruleGroups(report)
              .map((g) => `*${g.rule}* ${g.findings.length}`)
              .join(' · ')}`
          : ''),
    ),
  );
  packer.addFixed(context([sourceText(report), `Audited ${escapeText(report.auditedAt)}`]));
  const gap = incompleteText(report);
  if (gap) packer.addFixed(section(`:warning: *${escapeText(gap)}*`));
  if (report.scope.type === 'users') {
    for (const chunk of listChunks('*Manual re-audit* of', report.scope.users))
      packer.addItem('scope', null, chunk);
  }
  if (report.usersNotFound.length) {
    const label = `*Not found* (${plural(report.usersNotFound.length, 'user')}):`;
    for (const chunk of listChunks(label, report.usersNotFound)) packer.addItem('not-found', null, chunk);
  }
  for (const group of ruleGroups(report)) {
    const heading =
      `*${SEVERITY_LABEL[group.severity]} · ${group.rule}*: ${ruleMeaning(group.rule, report)} ` +
      `(${plural(group.findings.length, 'finding')})`;
    for (const finding of group.findings) packer.addItem(group.rule, heading, formatFinding(finding));
  }
  const pages = packer.finish();
  const fallback = `IAM key audit of ${escapeText(accountPlain(report))}: ${findings}${
    summary.findings ? ` (${countsText(report)})` : ''
  }`;
  return pages.map((blocks, i) => {
    const part = pages.length > 1 ? ` (${i + 1}/${pages.length})` : '';
    return {
      text: truncate(fallback, MAX_FALLBACK_TEXT_CHARS - part.length) + part,
      blocks: [header(headerText(report, part)), ...blocks],
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
