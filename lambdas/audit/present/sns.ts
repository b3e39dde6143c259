/**
 * The SNS message of an audit: subject, the `MessageStructure: 'json'` envelope and the attributes a subscription
 * filters on. Pure: the report is all it reads (no SDK, no clock, no environment); `adapters/sns.ts` sends it.
 *
 * The envelope gives each kind of subscriber what it can use:
 * - `default`: a plain-text body a person can act on, written from the same view as the Slack digest
 *   (`email.ts`: summary, new and escalated in full, the rest one line per key, capped by `maxFindingLines`). SNS
 *   sends `default` to every protocol without a key of its own, so email subscribers get it;
 * - `sqs`, `lambda`, `https`: the JSON report, so machine subscribers get the data.
 *
 * Limits (Amazon SNS Publish API, https://docs.aws.amazon.com/sns/latest/api/API_Publish.html, and
 * https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html):
 * - the message is at most 256 KiB (262,144 bytes of UTF-8); every part of every message attribute (name, type,
 *   value) counts toward it. We also count the subject, to be safe. The envelope holds the (capped) text once and
 *   the JSON report three times, so a large audit's JSON keeps its most severe findings (the new ones first when
 *   the report has `changes`) and says how many it left out; the resolved and exempted lists are capped the same way.
 * - the subject is less than 100 characters, with no line breaks or control characters; older editions of the same
 *   page also say ASCII, beginning with a letter, number or punctuation mark. We keep to all of it.
 * - an SQS subscription with raw message delivery drops a message with more than 10 attributes
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html): we send 8, or 9 with `changes`.
 *
 * Filtering: a subscription's filter policy (scope `MessageAttributes`, the default) matches the attributes below.
 * For example, only audits that found something critical or high:
 * ```json
 * {"highestSeverity": ["critical", "high"]}
 * ```
 * or only scheduled audits (not manual re-audits) with a `key-too-old` finding:
 * ```json
 * {"scope": ["account"], "rules": ["key-too-old"]}
 * ```
 * The same page notes that attributes are *delivered* to subscribers only with a String message structure, not
 * JSON; a subscriber that needs the values reads them from the JSON report (`summary`, `findingsOmitted`).
 *
 * Changes since the last audit: when the report has `changes`, the text shows the new and escalated findings in
 * full, the resolved in one line each, then those still open one line per key; each finding names its owning team
 * (or "no owner") once owners are resolved.
 */
import { count, countBySeverity, plural, SEVERITY_RANK } from './text';
import { compareResolved, newFindingsCount } from './format';
import { buildEmailText, emailActionLine, emailFindingLine } from './email';
import type { AuditReport } from '../domain/report';
import {
  RULE_IDS,
  SEVERITIES,
  type ExemptedFinding,
  type Finding,
  type ResolvedFinding,
  type RuleId,
  type Severity,
} from '../domain/types';

/** SNS's limit for one publish: the message, its attributes and (to be safe) the subject, in UTF-8 bytes. */
export const SNS_MAX_PUBLISH_BYTES = 262_144;

/** The subject must be *less than* 100 characters. */
export const SNS_MAX_SUBJECT_LENGTH = 99;

/** What `publisher` says about every message; lets a shared topic's subscribers tell ours apart. */
export const SNS_PUBLISHER = 'iam-key-auditor';

export type SnsAttributeDataType = 'String' | 'Number' | 'String.Array';

export interface SnsAttribute {
  DataType: SnsAttributeDataType;
  StringValue: string;
}

/**
 * The attributes of every message (8, and `newFindings` when the report has `changes`; SNS allows 10 for
 * raw-delivery SQS subscriptions):
 * - `highestSeverity` (String): `critical`, `high`, `medium`, `low`, or `none` for a clean audit;
 * - `severities` (String.Array): the severities with findings, most severe first; `["none"]` for a clean audit;
 * - `rules` (String.Array): the rules with findings (`["key-too-old","two-keys"]`); `["none"]` for a clean audit;
 * - `findings` (Number): how many findings the audit made (all of them, listed or not);
 * - `findingsOmitted` (Number): how many of those the message leaves out to fit SNS's size limit;
 * - `accountId` (String): the audited account (a String: account ids can start with 0);
 * - `scope` (String): `account` for a whole-account audit, `users` for a manual re-audit of named users;
 * - `publisher` (String): always `iam-key-auditor`;
 * - `newFindings` (Number): how many findings are new since the last audit; only when the report has `changes`
 *   (a filter such as `{"newFindings": [{"numeric": [">", 0]}]}` then matches only audits that found something new).
 */
export type SnsAttributes = Record<
  | 'highestSeverity'
  | 'severities'
  | 'rules'
  | 'findings'
  | 'findingsOmitted'
  | 'accountId'
  | 'scope'
  | 'publisher',
  SnsAttribute
> & { newFindings?: SnsAttribute };

export interface SnsMessage {
  /** ASCII, one line, at most `SNS_MAX_SUBJECT_LENGTH` characters. */
  subject: string;
  /** The `MessageStructure: 'json'` envelope: `default`, `sqs`, `lambda` and `https`, each a string. */
  message: string;
  attributes: SnsAttributes;
  /**
   * The findings the JSON report lists, most severe first (with `changes`, the new ones first, then those still
   * open). The text has its own cap (`maxFindingLines`) and counts the rest.
   */
  findingsIncluded: number;
  /** The findings left out to fit `SNS_MAX_PUBLISH_BYTES`; 0 when the message lists them all. */
  findingsOmitted: number;
}

/**
 * The report as the `sqs`, `lambda` and `https` keys carry it: the audit's report without `notifications` (not
 * sent yet), its `findings` the `findingsIncluded` the text lists (in the report's order), and `findingsOmitted`
 * the rest. `summary` always counts every finding. Likewise `exempted` and `changes.resolved` may be cut short
 * to fit: `exemptedOmitted` and `resolvedOmitted` then say by how many (absent when nothing was left out).
 */
export type SnsReport = Omit<AuditReport, 'notifications'> & {
  findingsOmitted: number;
  exemptedOmitted?: number;
  resolvedOmitted?: number;
};

export interface SnsMessageOptions {
  /** The publish size limit in bytes. Default `SNS_MAX_PUBLISH_BYTES` (the topic's default MaximumMessageSize). */
  maxBytes?: number;
  /** The audit function's name, for the command that fetches a full report. Default a placeholder. */
  functionName?: string;
  /** Finding lines the email text shows at most (the JSON carries every finding that fits). Default 50. */
  maxFindingLines?: number;
  /** Lines said under the header, e.g. that Slack is not configured yet (`notify.ts`). */
  notices?: readonly string[];
  /** Where the full report is (its S3 console URL): the text names it. */
  reportLocation?: string;
  /** The full report could not be written this time: the text says so. */
  reportFailed?: boolean;
}

/** The text's line about the full report: where it is, that it could not be written, or null when it is off. */
export function fullReportLine(
  options: Pick<SnsMessageOptions, 'reportLocation' | 'reportFailed'>,
): string | null {
  if (options.reportLocation) {
    return `Full report (every finding, CSV; the JSON is beside it): ${oneLine(options.reportLocation)}`;
  }
  if (options.reportFailed) {
    return "Full report: could not be written this time (the audit function's log says why).";
  }
  return null;
}

/** Line breaks and other control characters in untrusted text become spaces, so it stays on its line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

/** Printable ASCII only: controls become spaces, other characters `?`, runs of spaces one space. */
export function printableAscii(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/[^\x20-\x7e]/gu, '?')
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}

/** Severities with findings, most severe first, with their counts. */
function severityCounts(report: AuditReport): [Severity, number][] {
  return SEVERITIES.map((s): [Severity, number] => [s, report.summary.bySeverity[s]]).filter(
    ([, n]) => n > 0,
  );
}

interface RuleCount {
  rule: RuleId;
  severity: Severity;
  count: number;
}

/** Rules with findings, most severe first (then in the order of `RULE_IDS`), with their severity and count. */
function ruleCounts(report: AuditReport): RuleCount[] {
  const rules = RULE_IDS.filter((rule) => report.summary.byRule[rule] > 0);
  const severityOf = new Map<RuleId, Severity>();
  for (const finding of report.findings) {
    if (!severityOf.has(finding.rule)) severityOf.set(finding.rule, finding.severity);
    if (severityOf.size === rules.length) break;
  }
  return rules
    .map((rule) => ({ rule, severity: severityOf.get(rule) ?? 'low', count: report.summary.byRule[rule] }))
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule),
    );
}

/** `IAM keys: 3 high, 2 medium in acme-staging (123456789012)`: ASCII, one line, under 100 characters. */
export function buildSubject(report: AuditReport): string {
  const prefix = `${report.scope.type === 'users' ? 'IAM key re-audit' : 'IAM keys'}${report.incomplete ? ' (incomplete)' : ''}`;
  // The findings the message alerts (as the text counts them): an expired exemption is alerted once, so on later
  // days the summary may count one the message does not list.
  const bySeverity = countBySeverity(report.findings);
  const counts = SEVERITIES.map((s): [Severity, number] => [s, bySeverity[s]]).filter(([, n]) => n > 0);
  const fresh = report.changes ? ` (${newFindingsCount(report.findings)} new)` : '';
  const resolved = report.changes?.resolved.length ? `, ${report.changes.resolved.length} resolved` : '';
  const head = counts.length
    ? `${prefix}: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}${fresh} in `
    : `${prefix}${report.incomplete ? ': no findings so far' : ' healthy'}${resolved} in `;
  const id = printableAscii(report.accountId);
  const alias = report.accountAlias === null ? '' : printableAscii(report.accountAlias);
  const full = alias ? `${head}${alias} (${id})` : `${head}${id}`;
  if (full.length <= SNS_MAX_SUBJECT_LENGTH) return full;
  const room = SNS_MAX_SUBJECT_LENGTH - head.length - ` (${id})`.length - '...'.length;
  const shortened = room > 0 ? `${head}${alias.slice(0, room).trimEnd()}... (${id})` : `${head}${id}`;
  return shortened.slice(0, SNS_MAX_SUBJECT_LENGTH);
}

export function attribute(DataType: SnsAttributeDataType, value: string | number | string[]): SnsAttribute {
  return { DataType, StringValue: Array.isArray(value) ? JSON.stringify(value) : String(value) };
}

function buildAttributes(report: AuditReport, rules: RuleCount[], findingsOmitted: number): SnsAttributes {
  const severities = severityCounts(report).map(([s]) => s);
  return {
    highestSeverity: attribute('String', severities[0] ?? 'none'),
    severities: attribute('String.Array', severities.length ? severities : ['none']),
    rules: attribute('String.Array', rules.length ? rules.map((r) => r.rule) : ['none']),
    findings: attribute('Number', report.summary.findings),
    findingsOmitted: attribute('Number', findingsOmitted),
    accountId: attribute('String', report.accountId),
    scope: attribute('String', report.scope.type),
    publisher: attribute('String', SNS_PUBLISHER),
    ...(report.changes ? { newFindings: attribute('Number', newFindingsCount(report.findings)) } : {}),
  };
}

/** The bytes SNS counts for a publish: message, subject, and each attribute's name, type and value. */
export function publishSizeBytes(message: Pick<SnsMessage, 'subject' | 'message' | 'attributes'>): number {
  let bytes = Buffer.byteLength(message.message) + Buffer.byteLength(message.subject);
  for (const [name, value] of Object.entries(message.attributes)) {
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue);
  }
  return bytes;
}

/** One finding as a text lists it: its line and its action (the organization message lists findings so). */
export function findingBlock(finding: Finding): string {
  return `${emailFindingLine(finding)}\n${emailActionLine(finding)}`;
}

/** What the JSON report left out, counted (`findingsOmitted`, `resolvedOmitted`, `exemptedOmitted`). */
interface JsonOmissions {
  findings: number;
  resolved: number;
  exempted: number;
}

/**
 * The note a message carries when its JSON report leaves something out to fit: what, how many, and how to get the
 * full report. The text above it is bounded by its own cap; this says what machine subscribers miss.
 */
function omittedText(
  report: AuditReport,
  omitted: JsonOmissions,
  functionName: string,
  reportLocation: string | undefined,
): string {
  const payload = JSON.stringify({ dryRun: true, now: report.auditedAt });
  const total = report.findings.length;
  const kept = report.changes
    ? 'it keeps the new ones first, then the most severe'
    : 'it keeps the most severe';
  const cuts = [
    ...(omitted.findings ? [`${count(omitted.findings)} of ${plural(total, 'finding')} (${kept})`] : []),
    ...(omitted.resolved
      ? [`${count(omitted.resolved)} of ${count(report.changes?.resolved.length ?? 0)} resolved`]
      : []),
    ...(omitted.exempted ? [`${count(omitted.exempted)} of ${count(report.exempted.length)} exempted`] : []),
  ];
  const head =
    `The JSON report in this message (for machine subscribers) leaves out ${cuts.join(', ')} to fit SNS's ` +
    '256 KiB message limit (findingsOmitted, resolvedOmitted, exemptedOmitted).';
  if (reportLocation) return `${head}\nEvery finding is in the full report: ${oneLine(reportLocation)}`;
  return [
    head,
    "The full report is the audit Lambda's return value. Run the audit again as a dry run (it sends no notifications):",
    `  aws lambda invoke --function-name ${functionName} --cli-binary-format raw-in-base64-out --payload '${payload}' report.json`,
    `or run the CLI with your credentials: npm run audit -- --json --now ${report.auditedAt}`,
  ].join('\n');
}

/** The JSON text of `value` as it appears inside a JSON string, in UTF-8 bytes. */
export function escapedBytes(value: string): number {
  return Buffer.byteLength(JSON.stringify(value)) - 2;
}

/** One item of a list the message carries: its text (if the text lists it), its JSON, and its place in the report. */
interface Part<T> {
  item: T;
  text: string | null;
  json: string;
  /** Its index in the report's list: the JSON lists the included items in the report's order. */
  at: number;
  /** What it adds to the envelope: its text once and its JSON three times, escaped, with their separators. */
  cost: number;
}

/** A list the message carries some of, in the order it includes them; each item measured once, when first needed. */
class MeasuredList<T> {
  private readonly parts: Part<T>[] = [];

  constructor(
    private readonly items: readonly T[],
    /** `order[i]` is the report's index of the i-th item to include. */
    private readonly order: readonly number[],
    private readonly textOf: (item: T) => string | null,
  ) {}

  get length(): number {
    return this.order.length;
  }

  part(i: number): Part<T> {
    while (this.parts.length <= i) {
      const at = this.order[this.parts.length]!;
      const item = this.items[at]!;
      const text = this.textOf(item);
      const json = JSON.stringify(item);
      const cost = (text === null ? 0 : escapedBytes(`${text}\n\n`)) + 3 * escapedBytes(`${json},`);
      this.parts.push({ item, text, json, at, cost });
    }
    return this.parts[i]!;
  }

  /** The first `n` to include. */
  first(n: number): Part<T>[] {
    return Array.from({ length: n }, (_, i) => this.part(i));
  }

  /** How many after the first `from` fit in `room` bytes. */
  fitting(from: number, room: number): number {
    let n = from;
    for (let used = 0; n < this.length && used + this.part(n).cost <= room; n += 1) used += this.part(n).cost;
    return n - from;
  }
}

/** The included items' JSON, in the report's order. */
function jsonArray(parts: Part<unknown>[]): string {
  return `[${[...parts]
    .sort((a, b) => a.at - b.at)
    .map((p) => p.json)
    .join(',')}]`;
}

/** How many of the resolved and exempted lists a message carries. */
interface ListCounts {
  resolved: number;
  exempted: number;
}

const indices = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Builds the message for any number of included findings, resolved and exempted findings. */
class MessageBuilder {
  readonly findings: MeasuredList<Finding>;
  readonly resolved: MeasuredList<ResolvedFinding>;
  readonly exempted: MeasuredList<ExemptedFinding>;
  private readonly rules: RuleCount[];
  private readonly reportHead: string;
  private readonly changesHead: string | null;

  constructor(
    private readonly report: AuditReport,
    private readonly functionName: string,
    /** The email text, from the same view as the Slack digest: bounded by its own cap, whatever the JSON holds. */
    private readonly email: string,
    private readonly reportLocation?: string,
  ) {
    this.rules = ruleCounts(report);
    // With changes, the new findings come first; each part keeps the report's order (most severe first).
    const all = indices(report.findings.length);
    const order = report.changes
      ? [...all.filter((i) => report.findings[i]!.isNew), ...all.filter((i) => !report.findings[i]!.isNew)]
      : all;
    this.findings = new MeasuredList(report.findings, order, () => null);
    const resolved = report.changes?.resolved ?? [];
    this.resolved = new MeasuredList(
      resolved,
      indices(resolved.length).sort((a, b) => compareResolved(resolved[a]!, resolved[b]!)),
      () => null,
    );
    this.exempted = new MeasuredList(report.exempted, indices(report.exempted.length), () => null);
    // `undefined` values are left out: the lists (appended in `build`) and notifications.
    const rest = JSON.stringify({
      ...report,
      findings: undefined,
      exempted: undefined,
      changes: undefined,
      notifications: undefined,
    });
    this.reportHead = rest.slice(0, -1);
    this.changesHead = report.changes
      ? JSON.stringify({ ...report.changes, resolved: undefined }).slice(1, -1)
      : null;
  }

  build(included: number, lists: ListCounts): SnsMessage {
    const { report } = this;
    const omitted = report.findings.length - included;
    const findings = this.findings.first(included);
    const resolved = this.resolved.first(lists.resolved);
    const exempted = this.exempted.first(lists.exempted);
    const exemptedOmitted = this.exempted.length - exempted.length;
    const resolvedOmitted = this.resolved.length - resolved.length;
    const cut = { findings: omitted, resolved: resolvedOmitted, exempted: exemptedOmitted };
    const text = [
      this.email,
      ...(omitted + resolvedOmitted + exemptedOmitted > 0
        ? [omittedText(report, cut, this.functionName, this.reportLocation)]
        : []),
    ].join('\n\n');
    const changes =
      this.changesHead === null
        ? ''
        : `,"changes":{${this.changesHead}${this.changesHead ? ',' : ''}"resolved":${jsonArray(resolved)}}`;
    const json =
      `${this.reportHead},"exempted":${jsonArray(exempted)}${changes},"findingsOmitted":${omitted}` +
      (exemptedOmitted > 0 ? `,"exemptedOmitted":${exemptedOmitted}` : '') +
      (resolvedOmitted > 0 ? `,"resolvedOmitted":${resolvedOmitted}` : '') +
      `,"findings":${jsonArray(findings)}}`;
    const envelope = { default: `${text}\n`, sqs: json, lambda: json, https: json };
    return {
      subject: buildSubject(report),
      message: JSON.stringify(envelope),
      attributes: buildAttributes(report, this.rules, omitted),
      findingsIncluded: included,
      findingsOmitted: omitted,
    };
  }
}

/**
 * The message with the most items that fits `maxBytes`. `fitting(from, room)` guesses how many items after the
 * first `from` fit in `room` bytes from their measured costs; the guess leaves an allowance for what varies with
 * the count (titles, the omission note, digits), is corrected until the message fits, then is topped up with any
 * room left. `build(0)`, the message without items, must fit.
 */
export function largestMessageUnder<M extends SnsMessage>(
  maxBytes: number,
  build: (count: number) => M,
  fitting: (from: number, room: number) => number,
): M {
  const empty = build(0);
  const base = publishSizeBytes(empty);
  let allowance = 2048;
  let best = empty;
  let bestCount = 0;
  let count = fitting(0, maxBytes - base - allowance);
  while (count > 0) {
    const message = build(count);
    const size = publishSizeBytes(message);
    if (size <= maxBytes) {
      best = message;
      bestCount = count;
      break;
    }
    allowance += size - maxBytes;
    count = Math.min(count - 1, fitting(0, maxBytes - base - allowance));
  }
  const more = fitting(bestCount, maxBytes - publishSizeBytes(best) - 512);
  if (more > 0) {
    const bigger = build(bestCount + more);
    if (publishSizeBytes(bigger) <= maxBytes) best = bigger;
  }
  return best;
}

/** The message with as many findings as fit beside `lists`, or null when not even none do. */
function fitFindings(builder: MessageBuilder, maxBytes: number, lists: ListCounts): SnsMessage | null {
  if (publishSizeBytes(builder.build(0, lists)) > maxBytes) return null;
  return largestMessageUnder(
    maxBytes,
    (count) => builder.build(count, lists),
    (from, room) => builder.findings.fitting(from, room),
  );
}

/**
 * The SNS message of an audit. The text (`email.ts`) is bounded by its own cap (`maxFindingLines`). When the JSON
 * report does not fit `maxBytes`, it keeps the findings that fit (the report's order; with `changes`, the new ones
 * first), and the text says what it left out and how to get the full report. The resolved and exempted lists first get a share of the room (an
 * eighth, a sixteenth), then whatever the findings leave. Each item's size is measured once, and only as far as the
 * limit reaches; the envelope is built a few times at most, so 20,000 findings cost little more than 200.
 */
export function buildSnsMessage(report: AuditReport, options: SnsMessageOptions = {}): SnsMessage {
  const maxBytes = options.maxBytes ?? SNS_MAX_PUBLISH_BYTES;
  const email = buildEmailText(report, {
    ...(options.maxFindingLines !== undefined ? { maxFindingLines: options.maxFindingLines } : {}),
    ...(options.reportLocation ? { reportLocation: options.reportLocation } : {}),
    ...(options.reportFailed ? { reportFailed: true } : {}),
    ...(options.notices?.length ? { notices: options.notices } : {}),
  });
  const builder = new MessageBuilder(
    report,
    oneLine(options.functionName ?? '<audit function name>'),
    email,
    options.reportLocation,
  );
  const empty: ListCounts = { resolved: 0, exempted: 0 };
  const base = publishSizeBytes(builder.build(0, empty));
  if (base > maxBytes) {
    throw new RangeError(
      `the SNS message has no room for any finding: ${base} bytes without them, limit ${maxBytes}`,
    );
  }
  // Before the findings, the resolved list may take an eighth of the room, the exempted one (JSON only) a
  // sixteenth: the findings are what a person acts on.
  const room = maxBytes - base;
  let lists: ListCounts = {
    resolved: builder.resolved.fitting(0, Math.floor(room / 8)),
    exempted: builder.exempted.fitting(0, Math.floor(room / 16)),
  };
  let best = fitFindings(builder, maxBytes, lists);
  if (best === null) {
    lists = empty;
    best = fitFindings(builder, maxBytes, lists)!;
  }
  if (best.findingsOmitted === 0) {
    for (const list of ['resolved', 'exempted'] as const) {
      const more = builder[list].fitting(lists[list], maxBytes - publishSizeBytes(best) - 512);
      if (more === 0) continue;
      const grown = { ...lists, [list]: lists[list] + more };
      const bigger = builder.build(best.findingsIncluded, grown);
      if (publishSizeBytes(bigger) <= maxBytes) {
        best = bigger;
        lists = grown;
      }
    }
  }
  return best;
}
