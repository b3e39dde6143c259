/**
 * The SNS message of an audit: subject, the `MessageStructure: 'json'` envelope and the attributes a subscription
 * filters on. Pure: the report is all it reads (no SDK, no clock, no environment); `adapters/sns.ts` sends it.
 *
 * The envelope gives each kind of subscriber what it can use:
 * - `default`: a plain-text body a person can act on. SNS sends `default` to every protocol without a key of its
 *   own, so email subscribers get it; an `email` copy would only take room from the findings;
 * - `sqs`, `lambda`, `https`: the JSON report, so machine subscribers get the data.
 *
 * Limits (Amazon SNS Publish API, https://docs.aws.amazon.com/sns/latest/api/API_Publish.html, and
 * https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html):
 * - the message is at most 256 KiB (262,144 bytes of UTF-8); every part of every message attribute (name, type,
 *   value) counts toward it. We also count the subject, to be safe. The envelope holds the text once and the
 *   report three times, so a large audit keeps its most severe findings and says how many it left out.
 * - the subject is less than 100 characters, with no line breaks or control characters; older editions of the same
 *   page also say ASCII, beginning with a letter, number or punctuation mark. We keep to all of it.
 * - an SQS subscription with raw message delivery drops a message with more than 10 attributes
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html): we send 8.
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
 */
import { accountText, incompleteText, lastUsedText, scopeText, sourceText } from './format';
import type { AuditReport } from './report';
import {
  RULE_IDS,
  SEVERITIES,
  type Finding,
  type KeyDetails,
  type RotationStep,
  type RuleId,
  type Severity,
} from './types';

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
 * The attributes of every message (8; SNS allows 10 for raw-delivery SQS subscriptions):
 * - `highestSeverity` (String): `critical`, `high`, `medium`, `low`, or `none` for a clean audit;
 * - `severities` (String.Array): the severities with findings, most severe first; `["none"]` for a clean audit;
 * - `rules` (String.Array): the rules with findings (`["key-too-old","two-keys"]`); `["none"]` for a clean audit;
 * - `findings` (Number): how many findings the audit made (all of them, listed or not);
 * - `findingsOmitted` (Number): how many of those the message leaves out to fit SNS's size limit;
 * - `accountId` (String): the audited account (a String: account ids can start with 0);
 * - `scope` (String): `account` for a whole-account audit, `users` for a manual re-audit of named users;
 * - `publisher` (String): always `iam-key-auditor`.
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
>;

export interface SnsMessage {
  /** ASCII, one line, at most `SNS_MAX_SUBJECT_LENGTH` characters. */
  subject: string;
  /** The `MessageStructure: 'json'` envelope: `default`, `sqs`, `lambda` and `https`, each a string. */
  message: string;
  attributes: SnsAttributes;
  /** The findings the message lists, most severe first (the text and the JSON report alike). */
  findingsIncluded: number;
  /** The findings left out to fit `SNS_MAX_PUBLISH_BYTES`; 0 when the message lists them all. */
  findingsOmitted: number;
}

/**
 * The report as the `sqs`, `lambda` and `https` keys carry it: the audit's report without `notifications` (not
 * sent yet), its `findings` the first (most severe) `findings.length` of `summary.findings`, and `findingsOmitted`
 * the rest. `summary` always counts every finding.
 */
export type SnsReport = Omit<AuditReport, 'notifications'> & { findingsOmitted: number };

export interface SnsMessageOptions {
  /** The publish size limit in bytes. Default `SNS_MAX_PUBLISH_BYTES` (the topic's default MaximumMessageSize). */
  maxBytes?: number;
  /** The audit function's name, for the command that fetches a full report. Default a placeholder. */
  functionName?: string;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

const ROTATION_STEP_TEXT: Record<RotationStep, string> = {
  'replace-uses': 'both keys are in use: replace the uses of one with the other first',
  'deactivate-old-key':
    'the older key has not been used since the newer one was created: deactivate, then delete it',
  'delete-inactive-key': 'one key is inactive: delete it',
  'remove-unused-key': 'one key has never been used: remove it',
};

/** Line breaks and other control characters in untrusted text become spaces, so it stays on its line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

/** Printable ASCII only: controls become spaces, other characters `?`, runs of spaces one space. */
function printableAscii(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/[^\x20-\x7e]/gu, '?')
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

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
  const counts = severityCounts(report);
  const head = counts.length
    ? `${prefix}: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')} in `
    : `${prefix}${report.incomplete ? ': no findings so far' : ' healthy'} in `;
  const id = printableAscii(report.accountId);
  const alias = report.accountAlias === null ? '' : printableAscii(report.accountAlias);
  const full = alias ? `${head}${alias} (${id})` : `${head}${id}`;
  if (full.length <= SNS_MAX_SUBJECT_LENGTH) return full;
  const room = SNS_MAX_SUBJECT_LENGTH - head.length - ` (${id})`.length - '...'.length;
  const shortened = room > 0 ? `${head}${alias.slice(0, room).trimEnd()}... (${id})` : `${head}${id}`;
  return shortened.slice(0, SNS_MAX_SUBJECT_LENGTH);
}

function attribute(DataType: SnsAttributeDataType, value: string | number | string[]): SnsAttribute {
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

function ageText(ageDays: number | null | undefined): string {
  return ageDays === null || ageDays === undefined ? 'age unknown' : `${plural(ageDays, 'day')} old`;
}

function useText(lastUsed: Finding['lastUsed']): string {
  return lastUsed ? `last used ${oneLine(lastUsedText(lastUsed))}` : 'never used';
}

function lastUsedLine(lastUsed: Finding['lastUsed']): string {
  return lastUsed ? oneLine(lastUsedText(lastUsed)) : 'never';
}

function whereText(description: string | null): string {
  return description
    ? `"${oneLine(description)}" (the key's description tag)`
    : 'not recorded (no description tag)';
}

function twoKeyLine(key: KeyDetails, index: number): string {
  return (
    `  Key ${index + 1}: ${key.accessKeyId} (${key.status}), ${ageText(key.ageDays)}, ${useText(key.lastUsed)}; ` +
    `where used: ${whereText(key.description)}`
  );
}

/** One finding as the text lists it: who, which key(s), what to do, and the runbook on its own line. */
function findingBlock(finding: Finding): string {
  const lines = [`- ${oneLine(finding.userName)}${finding.sesSmtpUser ? ' [SES SMTP user]' : ''}`];
  if (finding.keys?.length) {
    lines.push(...finding.keys.map(twoKeyLine));
    if (finding.rotationStep) {
      lines.push(`  Rotation step: ${finding.rotationStep} (${ROTATION_STEP_TEXT[finding.rotationStep]})`);
    }
  } else if (finding.rule === 'root-access-key') {
    lines.push(
      `  Key: root account access key (${finding.status ?? 'status unknown'}), ${ageText(finding.ageDays)}`,
      `  Last used: ${lastUsedLine(finding.lastUsed)}`,
    );
  } else {
    lines.push(
      `  Key: ${finding.accessKeyId ?? '-'} (${finding.status ?? 'status unknown'}), ${ageText(finding.ageDays)}`,
      `  Last used: ${lastUsedLine(finding.lastUsed)}`,
      `  Where used: ${whereText(finding.description)}`,
    );
  }
  lines.push(`  Action: ${oneLine(finding.action)}`);
  if (finding.sesSmtpUser) {
    lines.push(
      '  SES SMTP user: rotating means re-creating the user (its name with a .YYYYMMDD suffix) and switching to ' +
        'its SMTP credentials; a second access key does not rotate them.',
    );
  }
  lines.push(`  Runbook: ${finding.runbookUrl}`);
  return lines.join('\n');
}

/** The header: account, scope, source, counts by severity and by rule, users not found. */
function headerText(report: AuditReport, rules: RuleCount[]): string {
  const { summary } = report;
  const lines = [
    `IAM access key audit of ${oneLine(accountText(report))}, ${oneLine(scopeText(report))}, at ${report.auditedAt}`,
    `Source: ${oneLine(sourceText(report))}`,
    ...[incompleteText(report)].filter((gap): gap is string => gap !== null).map(oneLine),
    `Scanned ${plural(summary.usersScanned, 'user')} and ${plural(summary.keysScanned, 'key')}: ` +
      (summary.findings
        ? `${plural(summary.findings, 'finding')} (${severityCounts(report)
            .map(([s, n]) => `${n.toLocaleString('en-US')} ${s}`)
            .join(', ')}).`
        : 'no findings.'),
  ];
  if (report.usersNotFound.length) lines.push(`Not found: ${oneLine(report.usersNotFound.join(', '))}`);
  if (rules.length) {
    const width = Math.max(...rules.map((r) => r.rule.length));
    lines.push('', 'Findings by rule:');
    for (const { rule, severity, count } of rules) {
      lines.push(
        `  ${severity.toUpperCase().padEnd(8)}  ${rule.padEnd(width)}  ${count.toLocaleString('en-US')}`,
      );
    }
  } else {
    lines.push('', 'All keys healthy: nothing to do.');
  }
  return lines.join('\n');
}

function omittedText(report: AuditReport, included: number, omitted: number, functionName: string): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const payload = JSON.stringify({ dryRun: true, now: report.auditedAt });
  return [
    `This message lists the ${count(included)} most severe of ${count(report.summary.findings)} findings: ` +
      `${count(omitted)} ${omitted === 1 ? 'is' : 'are'} left out to fit SNS's 256 KiB message limit ` +
      `(the JSON report in this message lists the same ${count(included)}).`,
    "The full report is the audit Lambda's return value. Run the audit again as a dry run (it sends no notifications):",
    `  aws lambda invoke --function-name ${functionName} --cli-binary-format raw-in-base64-out --payload '${payload}' report.json`,
    `or run the CLI with your credentials: npm run audit -- --json --now ${report.auditedAt}`,
  ].join('\n');
}

/** The findings' groups in the text: by rule, most severe first, each with its count (and how many are shown). */
function groupsText(report: AuditReport, rules: RuleCount[], blocks: string[]): string {
  const byRule = new Map<RuleId, string[]>();
  blocks.forEach((block, i) => {
    const rule = report.findings[i]!.rule;
    byRule.set(rule, [...(byRule.get(rule) ?? []), block]);
  });
  const count = (n: number) => n.toLocaleString('en-US');
  const parts: string[] = [];
  for (const { rule, severity, count: total } of rules) {
    const list = byRule.get(rule);
    if (!list) continue;
    const title = `${severity.toUpperCase()}: ${rule} (${list.length === total ? count(total) : `${count(list.length)} of ${count(total)} shown`})`;
    parts.push(`${title}\n${'='.repeat(title.length)}\n${list.join('\n\n')}`);
  }
  return parts.join('\n\n');
}

/** The JSON text of `value` as it appears inside a JSON string, in UTF-8 bytes. */
function escapedBytes(value: string): number {
  return Buffer.byteLength(JSON.stringify(value)) - 2;
}

/** Builds the message for any number of included findings; each finding is rendered once, when first needed. */
class MessageBuilder {
  private readonly parts: { block: string; json: string; cost: number }[] = [];
  private readonly rules: RuleCount[];
  private readonly header: string;
  private readonly reportHead: string;

  constructor(
    private readonly report: AuditReport,
    private readonly functionName: string,
  ) {
    this.rules = ruleCounts(report);
    this.header = headerText(report, this.rules);
    // `undefined` values are left out: the report without its findings (appended in `build`) and notifications.
    const rest = JSON.stringify({ ...report, findings: undefined, notifications: undefined });
    this.reportHead = rest.slice(0, -1);
  }

  /**
   * Finding `i` as the text lists it, as JSON, and what it adds to the envelope: its text once and its JSON three
   * times, each escaped as a JSON string value, with their separators.
   */
  private part(i: number): { block: string; json: string; cost: number } {
    while (this.parts.length <= i) {
      const finding = this.report.findings[this.parts.length]!;
      const block = findingBlock(finding);
      const json = JSON.stringify(finding);
      this.parts.push({ block, json, cost: escapedBytes(`${block}\n\n`) + 3 * escapedBytes(`${json},`) });
    }
    return this.parts[i]!;
  }

  /** How many findings after the first `from` fit in `room` bytes. */
  fitting(from: number, room: number): number {
    let n = from;
    for (let used = 0; n < this.report.findings.length && used + this.part(n).cost <= room; n += 1) {
      used += this.part(n).cost;
    }
    return n - from;
  }

  build(included: number): SnsMessage {
    const { report } = this;
    const omitted = report.findings.length - included;
    const parts = Array.from({ length: included }, (_, i) => this.part(i));
    const text = [
      this.header,
      ...(omitted > 0 ? [omittedText(report, included, omitted, this.functionName)] : []),
      ...(included > 0
        ? [
            groupsText(
              report,
              this.rules,
              parts.map((p) => p.block),
            ),
          ]
        : []),
    ].join('\n\n');
    const json =
      `${this.reportHead},"findingsOmitted":${omitted},` +
      `"findings":[${parts.map((p) => p.json).join(',')}]}`;
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
 * The SNS message of an audit. When everything does not fit `maxBytes`, the message keeps the most severe findings
 * that fit (the report's order) in the text and the JSON report alike, says how many it left out and how to get the
 * full report. Each finding's size is measured once, and only as far as the limit reaches; the envelope is built a
 * few times at most, so 20,000 findings cost little more than 200.
 */
export function buildSnsMessage(report: AuditReport, options: SnsMessageOptions = {}): SnsMessage {
  const maxBytes = options.maxBytes ?? SNS_MAX_PUBLISH_BYTES;
  const builder = new MessageBuilder(report, oneLine(options.functionName ?? '<audit function name>'));
  const none = builder.build(0);
  const base = publishSizeBytes(none);
  if (base > maxBytes) {
    throw new RangeError(
      `the SNS message has no room for any finding: ${base} bytes without them, limit ${maxBytes}`,
    );
  }
  // The costs leave out what varies with the count (group titles, the omission note, digits): allow for it.
  let allowance = 2048;
  let best = none;
  let included = builder.fitting(0, maxBytes - base - allowance);
  while (included > 0) {
    const message = builder.build(included);
    const size = publishSizeBytes(message);
    if (size <= maxBytes) {
      best = message;
      break;
    }
    allowance += size - maxBytes;
    included = Math.min(included - 1, builder.fitting(0, maxBytes - base - allowance));
  }
  // Then once more with the room left, in case the allowance was generous.
  const more = builder.fitting(best.findingsIncluded, maxBytes - publishSizeBytes(best) - 512);
  if (more > 0) {
    const bigger = builder.build(best.findingsIncluded + more);
    if (publishSizeBytes(bigger) <= maxBytes) best = bigger;
  }
  return best;
}
