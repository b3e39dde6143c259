/**
 * The SNS message of an organization audit: the aggregate, in one publish. Pure: the organization report is all
 * it reads; `adapters/sns.ts` sends it like an account's message.
 *
 * The envelope rules are those of `sns-message.ts`: `MessageStructure: 'json'`, a plain-text `default` (what
 * email subscribers get) and the JSON report for `sqs`, `lambda` and `https`; the subject ASCII, one line, under
 * 100 characters; the whole publish (message, subject, attributes) within 256 KiB; at most 10 attributes (9 here).
 *
 * What fits: the JSON report is in the envelope three times, so a large organization cannot send every account,
 * let alone every finding. The message keeps, in this order, as many as fit:
 * 1. the failed accounts (their entries are small, and the aggregate must say which accounts it could not see);
 * 2. the findings most severe first across the organization: every account's critical findings, then the high
 *    ones and so on; within a severity, one finding of each account in turn (most severe account first), so the
 *    message covers as many accounts as it can; an account's entry comes with its first finding;
 * 3. the entries of the remaining accounts, most severe first, the clean ones last.
 * The text opens with an overview of the failed accounts and those with findings, one line each, most severe first
 * (a quarter of the room at most). Every count stays true: each account's `findingsOmitted` in the JSON adds what
 * this message leaves out to what its result already left out; the report's `findingsOmitted` and
 * `accountsOmitted` count what the message does not list, and the text says how to get an account's findings.
 *
 * Attributes (a subscription's filter policy matches them):
 * - `highestSeverity`, `severities`, `rules`, `findings`, `findingsOmitted`, `publisher`: as for an account;
 * - `scope` (String): `organization`, so a filter `{"scope": ["account"]}` keeps receiving only accounts' audits;
 * - `accountId` (String.Array): the accounts with findings or that failed, most severe first (`["none"]` when
 *   none), so `{"accountId": ["123456789012"]}` also receives the aggregates that concern that account;
 * - `accountsFailed` (Number): how many accounts could not be audited (`{"accountsFailed": [{"numeric": [">", 0]}]}`).
 */
import { count, plural, runbookLabel, SEVERITY_RANK } from './text';
import type { AccountResult, OrganizationReport } from '../domain/organization';
import {
  accountFindingsTotal,
  accountHasFindings,
  accountSeverityCounts,
  compareAccountsBySeverity,
  DEFAULT_FUNCTION_NAME,
  findingsBySeverity,
  reauditCommand,
} from './org-slack';
import {
  attribute,
  escapedBytes,
  findingBlock,
  fullReportLine,
  oneLine,
  printableAscii,
  publishSizeBytes,
  SNS_MAX_PUBLISH_BYTES,
  SNS_MAX_SUBJECT_LENGTH,
  SNS_PUBLISHER,
  type SnsAttribute,
  type SnsAttributes,
  type SnsMessage,
  type SnsMessageOptions,
  largestMessageUnder,
} from './sns';
import { RULE_IDS, SEVERITIES, type Finding, type RuleId, type Severity } from '../domain/types';

/** An account's attributes (`scope` is `organization`, `accountId` a String.Array) and `accountsFailed`: 9. */
export type OrganizationSnsAttributes = SnsAttributes & { accountsFailed: SnsAttribute };

export interface OrganizationSnsMessage extends SnsMessage {
  attributes: OrganizationSnsAttributes;
  /** The accounts the JSON report lists (in part or whole), most severe first. */
  accountsIncluded: number;
  /** The accounts left out to fit `SNS_MAX_PUBLISH_BYTES`. */
  accountsOmitted: number;
}

/**
 * The organization report as the `sqs`, `lambda` and `https` keys carry it: `accounts` the ones that fit, most
 * severe first (the failed ones first), each with the findings that fit and a `findingsOmitted` that counts all of
 * its findings not listed; `findingsOmitted` and `accountsOmitted` what the message leaves out in all. `summary`
 * always counts everything.
 */
export type SnsOrganizationReport = Omit<OrganizationReport, 'accounts'> & {
  findingsOmitted: number;
  accountsOmitted: number;
  accounts: AccountResult[];
};

/** An account's error is an error message: kept to this many characters in the text. */
const MAX_ERROR_CHARS = 300;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 3))}...`;
}

/** `acme-prod (123456789012)`, one line; `, alias x` when the IAM alias is not the account's name. */
function accountName(account: AccountResult): string {
  const alias =
    account.accountAlias && account.accountAlias !== account.accountName
      ? `, alias ${oneLine(truncate(account.accountAlias, 64))}`
      : '';
  return `${oneLine(truncate(account.accountName, 64))} (${oneLine(truncate(account.accountId, 64))})${alias}`;
}

/** `3 critical, 12 high`, or '' without findings. */
function severitiesText(counts: Record<Severity, number>): string {
  return SEVERITIES.filter((s) => counts[s] > 0)
    .map((s) => `${count(counts[s])} ${s}`)
    .join(', ');
}

/** `12 findings (2 critical, 10 high)`, and `, 3 exempted` */
function findingsText(account: AccountResult): string {
  const total = accountFindingsTotal(account);
  const severities = severitiesText(accountSeverityCounts(account));
  return (
    `${plural(total, 'finding')}${severities ? ` (${severities})` : ''}` +
    (account.exempted ? `, ${count(account.exempted)} exempted` : '')
  );
}

// ---------------------------------------------------------------------------------------------------------
// Subject and attributes

/**
 * `IAM keys: 3 critical, 12 high in 40 accounts (2 failed)`; `IAM keys healthy in 40 accounts` when nothing was
 * found and every account was audited. ASCII, one line, under 100 characters.
 */
export function buildOrganizationSubject(report: OrganizationReport): string {
  const { summary } = report;
  const incomplete = report.accounts.some((a) => (a.incomplete?.usersNotAudited ?? 0) > 0);
  const prefix = `IAM keys${incomplete ? ' (incomplete)' : ''}`;
  const where =
    ` in ${summary.accounts} account${summary.accounts === 1 ? '' : 's'}` +
    (summary.accountsFailed ? ` (${summary.accountsFailed} failed)` : '');
  const counts = SEVERITIES.filter((s) => summary.bySeverity[s] > 0).map(
    (s) => `${summary.bySeverity[s]} ${s}`,
  );
  const candidates = counts.length
    ? [
        `${prefix}: ${counts.join(', ')}${where}`,
        `${prefix}: ${summary.findings} findings, ${counts[0]}${where}`,
        `${prefix}: ${summary.findings} findings${where}`,
      ]
    : [
        summary.accountsFailed || incomplete || summary.accounts === 0
          ? `${prefix}: no findings${where}`
          : `${prefix} healthy${where}`,
      ];
  const subject = candidates.map(printableAscii).find((s) => s.length <= SNS_MAX_SUBJECT_LENGTH);
  return subject ?? printableAscii(candidates.at(-1)!).slice(0, SNS_MAX_SUBJECT_LENGTH);
}

interface RuleCount {
  rule: RuleId;
  severity: Severity;
  count: number;
}

/**
 * The organization's findings by rule, most severe first: each account's summary counts (which include what its
 * result left out), or, for an account without a summary, the findings it lists.
 */
function ruleCounts(report: OrganizationReport): RuleCount[] {
  const totals = new Map<RuleId, number>();
  const severityOf = new Map<RuleId, Severity>();
  for (const account of report.accounts) {
    if (account.summary) {
      for (const rule of RULE_IDS) totals.set(rule, (totals.get(rule) ?? 0) + account.summary.byRule[rule]);
    } else {
      for (const f of account.findings) totals.set(f.rule, (totals.get(f.rule) ?? 0) + 1);
    }
    for (const f of account.findings) {
      if (!severityOf.has(f.rule)) severityOf.set(f.rule, f.severity);
      if (severityOf.size === RULE_IDS.length) break;
    }
  }
  return RULE_IDS.filter((rule) => (totals.get(rule) ?? 0) > 0)
    .map((rule) => ({ rule, severity: severityOf.get(rule) ?? 'low', count: totals.get(rule)! }))
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule),
    );
}

function buildAttributes(
  report: OrganizationReport,
  rules: RuleCount[],
  concerned: string[],
  findingsOmitted: number,
): OrganizationSnsAttributes {
  const severities = SEVERITIES.filter((s) => report.summary.bySeverity[s] > 0);
  return {
    highestSeverity: attribute('String', severities[0] ?? 'none'),
    severities: attribute('String.Array', severities.length ? severities : ['none']),
    rules: attribute('String.Array', rules.length ? rules.map((r) => r.rule) : ['none']),
    findings: attribute('Number', report.summary.findings),
    findingsOmitted: attribute('Number', findingsOmitted),
    accountId: attribute('String.Array', concerned.length ? concerned : ['none']),
    scope: attribute('String', 'organization'),
    publisher: attribute('String', SNS_PUBLISHER),
    accountsFailed: attribute('Number', report.summary.accountsFailed),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Text

function headerText(report: OrganizationReport, rules: RuleCount[], reportLine: string | null): string {
  const { summary } = report;
  const severities = severitiesText(summary.bySeverity);
  const lines = [
    `IAM access key audit of the organization at ${oneLine(report.auditedAt)} (run ${oneLine(truncate(report.runId, 200))})`,
    `Accounts: ${count(summary.accounts)} (${count(summary.accountsAudited)} audited, ${count(summary.accountsFailed)} failed)`,
    `Scanned ${plural(summary.usersScanned, 'user')} and ${plural(summary.keysScanned, 'key')}: ` +
      (summary.findings ? `${plural(summary.findings, 'finding')} (${severities}).` : 'no findings.'),
    ...(reportLine ? [reportLine] : []),
  ];
  const exemptedIn = report.accounts.filter((a) => a.exempted > 0);
  if (exemptedIn.length) {
    const exempted = exemptedIn.reduce((n, a) => n + a.exempted, 0);
    lines.push(
      `${plural(exempted, 'finding')} exempted in ${plural(exemptedIn.length, 'account')}: not alerted; ` +
        'each account in the JSON report counts them under "exempted".',
    );
  }
  const incomplete = report.accounts.filter((a) => (a.incomplete?.usersNotAudited ?? 0) > 0);
  if (incomplete.length) {
    const users = incomplete.reduce((n, a) => n + (a.incomplete?.usersNotAudited ?? 0), 0);
    lines.push(
      `Incomplete: ${plural(incomplete.length, 'account')} not fully audited (${plural(users, 'user')} not audited).`,
    );
  }
  if (rules.length) {
    const width = Math.max(...rules.map((r) => r.rule.length));
    lines.push('', 'Findings by rule:');
    for (const { rule, severity, count: n } of rules) {
      lines.push(`  ${severity.toUpperCase().padEnd(8)}  ${rule.padEnd(width)}  ${count(n)}`);
    }
  } else if (!summary.accountsFailed && summary.accounts > 0 && !incomplete.length) {
    lines.push('', 'All keys healthy: nothing to do.');
  }
  return lines.join('\n');
}

/** The overview's line of an account: failed and why, or its findings. */
function overviewLine(account: AccountResult): string {
  if (account.status === 'failed') {
    const error = account.error ? oneLine(truncate(account.error, MAX_ERROR_CHARS)) : 'no error recorded';
    return `- ${accountName(account)}: FAILED, not audited: ${error}`;
  }
  const notAudited = account.incomplete?.usersNotAudited ?? 0;
  return (
    `- ${accountName(account)}: ${findingsText(account)}` +
    (notAudited ? `; incomplete, ${plural(notAudited, 'user')} not audited` : '')
  );
}

function overviewText(lines: string[], shown: number): string {
  const title =
    shown === lines.length
      ? `Accounts with findings or failed, most severe first (${count(lines.length)}):`
      : `Accounts with findings or failed, most severe first (${count(shown)} of ${count(lines.length)} shown):`;
  const more = lines.length - shown;
  return [title, ...lines.slice(0, shown), ...(more > 0 ? [`and ${plural(more, 'more account')}`] : [])].join(
    '\n',
  );
}

/** A finding as the account's message lists it, with its severity and rule: `- HIGH key-too-old: alice ...`. */
function findingText(finding: Finding): string {
  return `- ${finding.severity.toUpperCase()} ${finding.rule}: ${findingBlock(finding).slice(2)}`;
}

/** An account's title, underlined: `Account acme-prod (123…): 12 findings (2 critical, 10 high), 3 shown`. */
function accountTitle(account: AccountResult, shown: number): string {
  const total = accountFindingsTotal(account);
  const title = `Account ${accountName(account)}: ${findingsText(account)}${shown < total ? `, ${count(shown)} shown` : ''}`;
  return `${title}\n${'='.repeat(Math.min(title.length, 120))}`;
}

/** What an account's entry leaves out, and how to see it all. */
function accountMore(account: AccountResult, shown: number, functionName: string): string | null {
  const lines: string[] = [];
  const total = accountFindingsTotal(account);
  if (shown < total) {
    const here = account.findings.length - shown;
    const why = [
      ...(account.findingsOmitted ? [`${count(account.findingsOmitted)} by the account's result`] : []),
      ...(here ? [`${count(here)} to fit SNS's message limit`] : []),
    ].join(', ');
    lines.push(`and ${plural(total - shown, 'more finding')} (left out: ${why}).`);
  }
  const notAudited = account.incomplete?.usersNotAudited ?? 0;
  if (notAudited)
    lines.push(`Incomplete: ${plural(notAudited, 'user')} not audited (the audit stopped early).`);
  if (!lines.length) return null;
  lines.push(
    'Re-audit this account by hand (a dry run: it sends no notifications):',
    `  ${reauditCommand(account.accountId, functionName)}`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// What fits

/** An account, its findings most severe first and where each severity's findings start. */
interface Ranked {
  account: AccountResult;
  findings: Finding[];
  /** The findings of `SEVERITIES[k]` are `findings[bounds[k]]` to `findings[bounds[k + 1] - 1]`. */
  bounds: number[];
}

function ranked(account: AccountResult): Ranked {
  const findings = findingsBySeverity(account.findings);
  const bounds = [0];
  let i = 0;
  for (const severity of SEVERITIES) {
    while (i < findings.length && findings[i]!.severity === severity) i += 1;
    bounds.push(i);
  }
  return { account, findings, bounds };
}

/** One step of what the message includes: an account's entry (`finding` null), or one of its findings. */
interface Step {
  account: number;
  finding: number | null;
}

/** The order of inclusion (see the module's comment): a step for an account already included is skipped later. */
function* stepOrder(accounts: Ranked[]): Generator<Step> {
  for (let i = 0; i < accounts.length; i += 1) {
    if (accounts[i]!.account.status === 'failed') yield { account: i, finding: null };
  }
  for (let k = 0; k < SEVERITIES.length; k += 1) {
    let active = accounts
      .map((_, i) => i)
      .filter((i) => accounts[i]!.bounds[k + 1]! > accounts[i]!.bounds[k]!);
    for (let round = 0; active.length > 0; round += 1) {
      const next: number[] = [];
      for (const i of active) {
        const { bounds } = accounts[i]!;
        const j = bounds[k]! + round;
        yield { account: i, finding: j };
        if (j + 1 < bounds[k + 1]!) next.push(i);
      }
      active = next;
    }
  }
  for (let i = 0; i < accounts.length; i += 1) yield { account: i, finding: null };
}

/** A step with its text and JSON, and what it adds to the envelope (an account's entry with its first step). */
interface Part extends Step {
  text: string | null;
  json: string | null;
  cost: number;
}

/** The JSON of an account without its findings and `findingsOmitted`, open at the end: `{"accountId":…`. */
function accountHead(account: AccountResult): string {
  return JSON.stringify({ ...account, findings: undefined, findingsOmitted: undefined }).slice(0, -1);
}

/** The steps in order, each measured once, when first needed. */
class MeasuredSteps {
  private readonly parts: Part[] = [];
  private readonly opened = new Set<number>();
  private readonly order: Generator<Step>;

  constructor(
    private readonly accounts: Ranked[],
    private readonly functionName: string,
  ) {
    this.order = stepOrder(accounts);
  }

  /** The `i`-th step, or undefined past the last. */
  part(i: number): Part | undefined {
    while (this.parts.length <= i) {
      const next = this.order.next();
      if (next.done) return undefined;
      const step = next.value;
      const opens = !this.opened.has(step.account);
      if (step.finding === null && !opens) continue;
      this.opened.add(step.account);
      const finding = step.finding === null ? null : this.accounts[step.account]!.findings[step.finding]!;
      const text = finding ? findingText(finding) : null;
      const json = finding ? JSON.stringify(finding) : null;
      let cost =
        (text === null ? 0 : escapedBytes(`${text}\n\n`)) +
        (json === null ? 0 : 3 * escapedBytes(`${json},`));
      if (opens) cost += this.entryCost(step.account);
      this.parts.push({ ...step, text, json, cost });
    }
    return this.parts[i];
  }

  /** How many steps after the first `from` fit in `room` bytes. */
  fitting(from: number, room: number): number {
    let n = from;
    for (let used = 0; ; n += 1) {
      const part = this.part(n);
      if (!part || used + part.cost > room) break;
      used += part.cost;
    }
    return n - from;
  }

  first(n: number): Part[] {
    return Array.from({ length: n }, (_, i) => this.part(i)!);
  }

  /** An account's entry: its title and what it leaves out in the text (or its name in the clean list), its JSON. */
  private entryCost(i: number): number {
    const { account } = this.accounts[i]!;
    const text = accountHasFindings(account)
      ? `${accountTitle(account, 0)}\n\n${accountMore(account, 0, this.functionName) ?? ''}\n\n`
      : account.status === 'failed'
        ? ''
        : `${accountName(account)}, `;
    const json = `${accountHead(account)},"findingsOmitted":${account.findingsOmitted},"findings":[]},`;
    return escapedBytes(text) + 3 * escapedBytes(json);
  }
}

class OrganizationMessageBuilder {
  readonly steps: MeasuredSteps;
  readonly overview: string[];
  private readonly accounts: Ranked[];
  private readonly rules: RuleCount[];
  private readonly header: string;
  private readonly reportHead: string;
  private readonly total: number;
  private readonly concerned: string[];

  constructor(
    private readonly report: OrganizationReport,
    private readonly functionName: string,
    notices: readonly string[] = [],
    reportLine: string | null = null,
  ) {
    const failed = report.accounts.filter((a) => a.status === 'failed');
    const withFindings = report.accounts.filter((a) => a.status !== 'failed' && accountHasFindings(a));
    const clean = report.accounts.filter((a) => a.status !== 'failed' && !accountHasFindings(a));
    const order = [failed, withFindings, clean].flatMap((list) => [...list].sort(compareAccountsBySeverity));
    this.accounts = order.map(ranked);
    this.steps = new MeasuredSteps(this.accounts, functionName);
    this.rules = ruleCounts(report);
    this.header = [headerText(report, this.rules, reportLine), ...notices.map(oneLine)].join('\n\n');
    const concerned = order.filter((a) => a.status === 'failed' || accountHasFindings(a));
    this.overview = concerned.map(overviewLine);
    this.concerned = concerned.map((a) => a.accountId);
    this.reportHead = JSON.stringify({ ...report, accounts: undefined }).slice(0, -1);
    this.total = report.accounts.reduce((n, a) => n + accountFindingsTotal(a), 0);
  }

  build(overview: number, steps: number): OrganizationSnsMessage {
    const { report, accounts, functionName } = this;
    // Per account (by rank) included: the texts and JSON of its findings that fit, in its order.
    const included = new Map<number, Part[]>();
    for (const part of this.steps.first(steps)) {
      const list = included.get(part.account) ?? [];
      if (part.finding !== null) list.push(part);
      included.set(part.account, list);
    }
    const ranks = [...included.keys()].sort((a, b) => a - b);
    const listed = [...included.values()].reduce((n, list) => n + list.length, 0);
    const findingsOmitted = this.total - listed;
    const accountsOmitted = accounts.length - ranks.length;

    const details: string[] = [];
    const clean: string[] = [];
    for (const i of ranks) {
      const { account } = accounts[i]!;
      const parts = included.get(i)!;
      if (accountHasFindings(account)) {
        const more = accountMore(account, parts.length, functionName);
        details.push(
          [accountTitle(account, parts.length), ...parts.map((p) => p.text!), ...(more ? [more] : [])].join(
            '\n\n',
          ),
        );
      } else if (account.status !== 'failed') {
        clean.push(accountName(account));
      }
    }
    // Each runbook section the listed findings refer to (`(step 3)`), linked once at the end.
    const links = [
      ...new Set(
        ranks.flatMap((i) => included.get(i)!.map((p) => accounts[i]!.findings[p.finding!]!.runbookUrl)),
      ),
    ]
      .filter((url) => /^https?:\/\//.test(url))
      .sort();
    const cleanTotal = accounts.filter(
      (r) => r.account.status !== 'failed' && !accountHasFindings(r.account),
    ).length;
    const text = [
      this.header,
      ...(this.overview.length ? [overviewText(this.overview, overview)] : []),
      ...(findingsOmitted > 0 || accountsOmitted > 0
        ? [this.omittedText(listed, findingsOmitted, ranks.length)]
        : []),
      ...details,
      ...(clean.length
        ? [
            `No findings (${clean.length === cleanTotal ? count(cleanTotal) : `${count(clean.length)} of ${count(cleanTotal)} shown`}): ` +
              clean.join(', '),
          ]
        : []),
      ...(links.length
        ? [['RUNBOOK', ...links.map((url) => `${runbookLabel(url)}: ${url}`)].join('\n')]
        : []),
    ].join('\n\n');

    const entries = ranks.map((i) => {
      const { account } = accounts[i]!;
      const parts = included.get(i)!;
      const omitted = accountFindingsTotal(account) - parts.length;
      return `${accountHead(account)},"findingsOmitted":${omitted},"findings":[${parts.map((p) => p.json).join(',')}]}`;
    });
    const json =
      `${this.reportHead},"findingsOmitted":${findingsOmitted},"accountsOmitted":${accountsOmitted},` +
      `"accounts":[${entries.join(',')}]}`;
    const envelope = { default: `${text}\n`, sqs: json, lambda: json, https: json };
    return {
      subject: buildOrganizationSubject(report),
      message: JSON.stringify(envelope),
      attributes: buildAttributes(report, this.rules, this.concerned, findingsOmitted),
      findingsIncluded: listed,
      findingsOmitted,
      accountsIncluded: ranks.length,
      accountsOmitted,
    };
  }

  private omittedText(listed: number, omitted: number, accountsListed: number): string {
    const capped = this.report.accounts.reduce((n, a) => n + a.findingsOmitted, 0);
    const here = omitted - capped;
    const why = [
      ...(here > 0 ? [`${count(here)} to fit SNS's 256 KiB message limit`] : []),
      ...(capped > 0
        ? [`${count(capped)} by the accounts' results, which keep each account's most severe`]
        : []),
    ].join(', ');
    const accounts = this.accounts.length;
    return [
      `This message lists the ${count(listed)} most severe of ${count(this.total)} findings, in ${count(accountsListed)} ` +
        `of ${plural(accounts, 'account')}` +
        (omitted > 0 ? `: ${count(omitted)} ${omitted === 1 ? 'is' : 'are'} left out (${why})` : '') +
        '. The JSON report in this message lists the same, and counts what it leaves out per account and in all ' +
        '("findingsOmitted", "accountsOmitted").',
      "To see an account's findings in full, re-audit it as a dry run (it sends no notifications):",
      `  ${reauditCommand('<account id>', this.functionName)}`,
    ].join('\n');
  }
}

/**
 * The SNS message of an organization audit: the aggregate report, within `maxBytes`, with the failed accounts,
 * then the most severe findings across accounts, then the remaining accounts, as many as fit (see the module's
 * comment), and true counts of what it leaves out. Each step is measured once, and only as far as the limit
 * reaches, so 300 accounts of 500 findings cost little more than 3.
 */
export function buildOrganizationSnsMessage(
  report: OrganizationReport,
  options: SnsMessageOptions = {},
): OrganizationSnsMessage {
  const maxBytes = options.maxBytes ?? SNS_MAX_PUBLISH_BYTES;
  const builder = new OrganizationMessageBuilder(
    report,
    oneLine(options.functionName ?? DEFAULT_FUNCTION_NAME),
    options.notices,
    fullReportLine(options),
  );
  const base = publishSizeBytes(builder.build(0, 0));
  if (base > maxBytes) {
    throw new RangeError(
      `the SNS message has no room for any account: ${base} bytes without them, limit ${maxBytes}`,
    );
  }
  // The overview takes at most a quarter of the room; the accounts and findings have the rest.
  const room = maxBytes - base;
  let overview = 0;
  for (let used = 0; overview < builder.overview.length; overview += 1) {
    const cost = escapedBytes(`${builder.overview[overview]!}\n`);
    if (used + cost > room / 4) break;
    used += cost;
  }
  if (publishSizeBytes(builder.build(overview, 0)) > maxBytes) return builder.build(0, 0);
  return largestMessageUnder(
    maxBytes,
    (steps) => builder.build(overview, steps),
    (from, room) => builder.steps.fitting(from, room),
  );
}
