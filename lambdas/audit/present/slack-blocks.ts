/**
 * Slack Block Kit primitives every Slack renderer shares: escaping, blocks, limits, and the packer that lays
 * items out into messages within Slack's limits. Pure.
 *
 * ## Untrusted values
 * Everything that comes from AWS (user names, key descriptions, service and region, the account alias, the
 * live source's reason) is untrusted. One scheme covers it:
 * - A value shown on its own goes in inline code (`code()`): Slack formats nothing inside a code span, so
 *   `*`, `_` and `~` stay literal and names copy exactly; a backtick in the value becomes `ˋ` (U+02CB) so it
 *   cannot close the span, and line breaks become spaces.
 * - Our prose is escaped as text (`escapeText()`): `*`, `_`, `~` and backtick become look-alikes (∗ U+2217,
 *   ˍ U+02CD, ∼ U+223C, ˋ U+02CB). Actions come as parts (`present/action.ts`): prose, and values shown as code;
 *   nothing is parsed back out of prose.
 * - Every mrkdwn text object is `verbatim: true`, so Slack turns no bare URL into a link and no bare name into a
 *   mention.
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
 */
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { CleanAuditMode } from '../domain/notification';
import type { Audience } from './view';

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
export type SlackAudience = Audience;

/** Answers whether an item should carry this mention: true the first time in a message, false after. */
export type Mention = (mention: string) => boolean;

export interface SlackDigestOptions {
  /** What an audit with nothing to tell produces (see `hasNothingToTell`): one short message, or nothing. */
  clean: CleanAuditMode;
  mentions?: SlackMentions;
  audience?: SlackAudience;
  /** Finding lines at most; default 50. */
  maxFindingLines?: number;
  /** Where the full report is; a line links to it when given. */
  reportLocation?: string;
  /** The full report could not be written this time: a line says so. */
  reportFailed?: boolean;
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
export function linkUrl(url: string): string {
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
export function mentionText(mention: string): string {
  return isSlackMention(mention) ? mention : code(mention);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
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

/** A mrkdwn section; `verbatim`, so Slack links no URL and resolves no mention that the text does not mark up. */
export function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text, verbatim: true } };
}

export function context(texts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: texts.slice(0, MAX_CONTEXT_ELEMENTS).map((text) => ({
      type: 'mrkdwn' as const,
      text: truncate(text, MAX_CONTEXT_ELEMENT_CHARS),
      verbatim: true,
    })),
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
