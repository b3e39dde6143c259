/**
 * The Slack digest of an organization audit, a digest that fits on a screen: the counts across accounts, the
 * accounts that could not be audited and why, then one line per account with findings (most severe account
 * first: its counts by severity), then the new and escalated findings across accounts (most severe and oldest
 * first, at most `maxFindingLines`, the rest counted), then the accounts with nothing to tell in one list. Every
 * account's full findings are in its own report. Untrusted values are escaped as `slack-blocks.ts` says.
 *
 * Also here, shared with `org-sns.ts`: how accounts are ranked and the command that re-audits one.
 */
import { compareText, count, plural, SEVERITY_RANK } from './text';
import { fullFinding, runbookLink } from './slack';
import { pageSuffix } from './text';
import { compareForAttention, DEFAULT_MAX_FINDING_LINES } from './view';
import type { AccountResult, OrganizationReport } from '../domain/organization';
import type { CleanAuditMode } from '../domain/notification';
import {
  code,
  context,
  escapeText,
  header,
  lineChunks,
  listChunks,
  MAX_FALLBACK_TEXT_CHARS,
  MessagePacker,
  section,
  truncate,
  type SlackMessage,
} from './slack-blocks';
import { SEVERITIES, type Finding, type Severity } from '../domain/types';

export interface OrganizationDigestOptions {
  /** What a clean organization (no finding, no failed account) produces: one short message, or nothing. */
  clean: CleanAuditMode;
  /** The audit function's name, for the command that re-audits one account by hand. Default a placeholder. */
  functionName?: string;
  /** New and escalated findings shown at most, across accounts; default 50. */
  maxFindingLines?: number;
  /** Where the run's full report is (an S3 console URL); a line links to it when given. */
  reportLocation?: string;
  /** The run's full report could not be written: a line says so. */
  reportFailed?: boolean;
}

/** The line about the run's full report, or null when there is none to tell of. */
function fullReportText(options: OrganizationDigestOptions): string | null {
  if (options.reportLocation) {
    return `:page_facing_up: Full report of the run (JSON and CSV): ${runbookLink(options.reportLocation, 'open in the S3 console')}`;
  }
  return options.reportFailed
    ? ":warning: The run's full report could not be written this time (the audit function's log says why)."
    : null;
}

/** The header of every message of the digest. */
export const ORGANIZATION_DIGEST_TITLE = 'IAM key audit of the organization';

/** What the re-audit command names when no function name is given. */
export const DEFAULT_FUNCTION_NAME = '<audit function name>';

// ---------------------------------------------------------------------------------------------------------
// Shared with the SNS message

/** All the account's findings, listed or not: `findings` and `findingsOmitted`. */
export function accountFindingsTotal(account: AccountResult): number {
  return account.findings.length + account.findingsOmitted;
}

/**
 * The account's findings by severity: its summary's counts (which include the findings its result left out),
 * or, without a summary, those of the findings it lists.
 */
export function accountSeverityCounts(account: AccountResult): Record<Severity, number> {
  if (account.summary) return account.summary.bySeverity;
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const finding of account.findings) counts[finding.severity] += 1;
  return counts;
}

/** True when an audited account has something to tell: a finding (listed or not), or users it did not reach. */
export function accountHasFindings(account: AccountResult): boolean {
  return accountFindingsTotal(account) > 0 || (account.incomplete?.usersNotAudited ?? 0) > 0;
}

/**
 * Most severe account first: more critical findings, then more high, medium and low ones; then more findings in
 * all; then by name and id, so the order is stable.
 */
export function compareAccountsBySeverity(a: AccountResult, b: AccountResult): number {
  const sa = accountSeverityCounts(a);
  const sb = accountSeverityCounts(b);
  for (const severity of SEVERITIES) {
    if (sa[severity] !== sb[severity]) return sb[severity] - sa[severity];
  }
  return (
    accountFindingsTotal(b) - accountFindingsTotal(a) ||
    compareText(a.accountName, b.accountName) ||
    compareText(a.accountId, b.accountId)
  );
}

/** The account's findings most severe first; the contract already orders them, so this only copies then. */
export function findingsBySeverity(findings: Finding[]): Finding[] {
  const sorted = findings.every(
    (f, i) => i === 0 || SEVERITY_RANK[findings[i - 1]!.severity] <= SEVERITY_RANK[f.severity],
  );
  // Array.prototype.sort is stable: findings of one severity keep their order.
  return sorted
    ? findings
    : [...findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

/** The command that audits one account again as a dry run (it sends no notifications) and saves its report. */
export function reauditCommand(accountId: string, functionName: string): string {
  const payload = JSON.stringify({ accountId, dryRun: true });
  return (
    `aws lambda invoke --function-name ${functionName} --cli-binary-format raw-in-base64-out ` +
    `--payload '${payload}' report.json`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Text

/** Organizations caps an account's name at 50 characters and IAM an alias at 63; untrusted, so bounded anyway. */
const MAX_ACCOUNT_CHARS = 64;
/** An account's error is an error message: kept to this many characters. */
const MAX_ERROR_CHARS = 300;

/** `` `acme-prod` (`123456789012`) ``, with the IAM alias when it is not the account's name. */
function accountLabel(account: AccountResult): string {
  const alias =
    account.accountAlias && account.accountAlias !== account.accountName
      ? ` alias ${code(truncate(account.accountAlias, MAX_ACCOUNT_CHARS))}`
      : '';
  return (
    `${code(truncate(account.accountName, MAX_ACCOUNT_CHARS))} ` +
    `(${code(truncate(account.accountId, MAX_ACCOUNT_CHARS))})${alias}`
  );
}

/** `*3 critical* · *12 high*` (severities with findings only), or '' when there are none. */
function severitiesText(counts: Record<Severity, number>): string {
  return SEVERITIES.filter((s) => counts[s] > 0)
    .map((s) => `*${count(counts[s])} ${s}*`)
    .join(' · ');
}

/** `:office: *Account* `acme-prod` (`123…`): *12 findings*: *2 critical* · *10 high* · 3 exempted` */
function accountHeading(account: AccountResult): string {
  const total = accountFindingsTotal(account);
  const severities = severitiesText(accountSeverityCounts(account));
  return (
    `:office: *Account* ${accountLabel(account)}: *${plural(total, 'finding')}*` +
    (severities ? `: ${severities}` : '') +
    (account.exempted ? ` · ${count(account.exempted)} exempted` : '')
  );
}

/** The findings in the header's words: `*15 findings* in 40 accounts (38 audited, *2 failed*): *3 critical* · …`. */
function summaryText(report: OrganizationReport): string {
  const { summary } = report;
  const failed = summary.accountsFailed ? `*${count(summary.accountsFailed)} failed*` : '0 failed';
  const severities = severitiesText(summary.bySeverity);
  const lines = [
    `*${summary.findings ? plural(summary.findings, 'finding') : 'No findings'}* in ` +
      `${plural(summary.accounts, 'account')} (${count(summary.accountsAudited)} audited, ${failed})` +
      (severities ? `: ${severities}` : ''),
    `Scanned ${plural(summary.usersScanned, 'user')} and ${plural(summary.keysScanned, 'key')}.`,
  ];
  const capped = report.accounts.filter((a) => a.findingsOmitted > 0);
  if (capped.length) {
    const omitted = capped.reduce((n, a) => n + a.findingsOmitted, 0);
    lines.push(
      `:warning: ${plural(omitted, 'finding')} of ${plural(capped.length, 'account')} ` +
        `${omitted === 1 ? 'is' : 'are'} not in ${capped.length === 1 ? 'its' : 'their'} results ` +
        `(each keeps its most severe): ${capped.length === 1 ? 'that account says' : 'those accounts say'} ` +
        'how to re-audit by hand.',
    );
  }
  const incomplete = report.accounts.filter((a) => (a.incomplete?.usersNotAudited ?? 0) > 0);
  if (incomplete.length) {
    lines.push(`:warning: ${plural(incomplete.length, 'account')} not fully audited: see below.`);
  }
  return lines.join('\n');
}

function exemptedText(report: OrganizationReport): string | null {
  const accounts = report.accounts.filter((a) => a.exempted > 0);
  const exempted = accounts.reduce((n, a) => n + a.exempted, 0);
  return exempted
    ? `:mute: *${plural(exempted, 'finding')} exempted* in ${plural(accounts.length, 'account')}: ` +
        'not alerted, see the report.'
    : null;
}

function runContext(report: OrganizationReport) {
  return context([`Run ${code(truncate(report.runId, 200))}`, `Audited ${escapeText(report.auditedAt)}`]);
}

function fallbackText(report: OrganizationReport): string {
  const { summary } = report;
  const severities = SEVERITIES.filter((s) => summary.bySeverity[s] > 0)
    .map((s) => `${count(summary.bySeverity[s])} ${s}`)
    .join(', ');
  return (
    `${ORGANIZATION_DIGEST_TITLE}: ${plural(summary.findings, 'finding')}` +
    (severities ? ` (${severities})` : '') +
    ` in ${plural(summary.accounts, 'account')}` +
    (summary.accountsFailed ? `, ${count(summary.accountsFailed)} failed` : '')
  );
}

/** The line of a failed account: who, and the error (untrusted: escaped, one line, bounded). */
function failedLine(account: AccountResult): string {
  const error = account.error ? escapeText(truncate(account.error, MAX_ERROR_CHARS)) : 'no error recorded';
  return `• ${accountLabel(account)}: ${error}`;
}

/** A clean organization: every key healthy (or nothing left to do but exempted findings), in one message. */
function healthyMessage(report: OrganizationReport): SlackMessage {
  const { summary } = report;
  const keys = plural(summary.keysScanned, 'key');
  const accounts = plural(summary.accounts, 'account');
  const exempted = exemptedText(report);
  const sentence = exempted
    ? `Nothing to do here for the ${keys} in ${accounts} of the organization.`
    : `${summary.keysScanned === 1 ? 'The 1 key' : `All ${keys}`} in ${accounts} of the organization healthy: nothing to do.`;
  return {
    text: `${ORGANIZATION_DIGEST_TITLE}: ${exempted ? 'nothing to do' : 'healthy'} (${accounts}, ${keys})`,
    blocks: [
      section(`:white_check_mark: ${sentence}`),
      ...(exempted ? [section(exempted)] : []),
      runContext(report),
    ],
  };
}

/** Failed accounts' lines go in sections of this many characters at most. */
const FAILED_CHUNK_CHARS = 2000;

/**
 * The Slack digest of an organization audit: the counts across accounts, the failed accounts with their errors,
 * then each account with findings (most severe first) and its findings, most severe first; then the accounts
 * with nothing to tell. Numbered messages ("(2/7)") within Slack's limits, nothing dropped. An account whose
 * findings would take more than `MAX_ACCOUNT_MESSAGES_IN_DIGEST` messages gets numbered messages of its own,
 * after the digest. A clean organization (no finding, no failed account, every account fully audited) gives one
 * short message, or none when `silent`.
 */
export function buildOrganizationDigest(
  report: OrganizationReport,
  options: OrganizationDigestOptions,
): SlackMessage[] {
  const functionName = options.functionName ?? DEFAULT_FUNCTION_NAME;
  const failed = report.accounts
    .filter((a) => a.status === 'failed')
    .sort((a, b) => compareText(a.accountName, b.accountName) || compareText(a.accountId, b.accountId));
  const withFindings = report.accounts.filter(accountHasFindings).sort(compareAccountsBySeverity);
  const clean = report.accounts
    .filter((a) => a.status !== 'failed' && !accountHasFindings(a))
    .sort((a, b) => compareText(a.accountName, b.accountName) || compareText(a.accountId, b.accountId));
  const nothingToTell =
    report.accounts.length > 0 &&
    failed.length === 0 &&
    withFindings.length === 0 &&
    report.summary.findings === 0;
  if (nothingToTell) return options.clean === 'silent' ? [] : [healthyMessage(report)];

  const packer = new MessagePacker();
  packer.addFixed(section(summaryText(report)));
  packer.addFixed(runContext(report));
  const fullReport = fullReportText(options);
  if (fullReport) packer.addFixed(section(fullReport));
  const exempted = exemptedText(report);
  if (exempted) packer.addFixed(section(exempted));
  if (report.accounts.length === 0) packer.addFixed(section(':warning: *No account was audited.*'));

  if (failed.length) {
    const heading = {
      text:
        `:x: *${plural(failed.length, 'account')} not audited*, so ${failed.length === 1 ? 'its' : 'their'} ` +
        `keys are unknown; re-audit one by hand with ${code(reauditCommand('<account id>', functionName))}`,
    };
    for (const chunk of lineChunks(failed.map(failedLine), FAILED_CHUNK_CHARS)) {
      packer.addItem('failed', heading, chunk);
    }
  }

  // One line per account with findings, most severe account first; then its new and escalated findings.
  const accountLines = withFindings.map((account) => `• ${accountHeading(account)}`);
  const accountsHeading = {
    text: `:office: *${plural(withFindings.length, 'account')} with findings*, most severe first`,
  };
  for (const chunk of lineChunks(accountLines, FAILED_CHUNK_CHARS))
    packer.addItem('accounts', accountsHeading, chunk);

  const maxLines = Math.max(1, options.maxFindingLines ?? DEFAULT_MAX_FINDING_LINES);
  // With a state store, the new and escalated findings; without one (nothing is known new), the most severe.
  const tracked = withFindings.some((a) => a.findings.some((f) => f.isNew !== undefined));
  const fresh = withFindings.flatMap((account) =>
    findingsBySeverity(account.findings)
      .filter((f) => !tracked || f.isNew || f.escalated)
      .map((finding) => ({ account, finding })),
  );
  fresh.sort((a, b) => compareForAttention(a.finding, b.finding));
  const shown = fresh.slice(0, maxLines);
  shown.forEach(({ account, finding }) => {
    const heading = {
      text: tracked
        ? `:new: *New and escalated* (${count(fresh.length)})`
        : `*Most severe findings* (${count(shown.length)} of ${count(fresh.length)})`,
    };
    packer.addItem('fresh', heading, `${accountLabel(account)}\n${fullFinding(finding, account.auditedAt)}`);
  });
  if (fresh.length > shown.length) {
    packer.addItem(
      'fresh-more',
      null,
      `:heavy_plus_sign: *and ${count(fresh.length - shown.length)} more*: in ${options.reportLocation ? runbookLink(options.reportLocation, 'the full report') : "each account's report"}.`,
    );
  }
  const incomplete = withFindings.filter((a) => (a.incomplete?.usersNotAudited ?? 0) > 0);
  for (const account of incomplete) {
    packer.addItem(
      'incomplete',
      null,
      `:warning: ${accountLabel(account)}: ${plural(account.incomplete!.usersNotAudited, 'user')} not audited (the audit stopped early): ` +
        `re-audit it by hand: ${code(reauditCommand(account.accountId, functionName))}`,
    );
  }

  if (clean.length) {
    const label = `:white_check_mark: *No findings* in ${plural(clean.length, 'account')}:`;
    const names = clean.map((a) => `${a.accountName} (${a.accountId})`);
    for (const chunk of listChunks(label, names)) packer.addItem('clean', null, chunk);
  }

  const pages = packer.finish();
  const fallback = fallbackText(report);
  const digest = pages.map((blocks, i) => {
    const part = pageSuffix(i, pages.length);
    return {
      text: truncate(fallback, MAX_FALLBACK_TEXT_CHARS - part.length) + part,
      blocks: [header(ORGANIZATION_DIGEST_TITLE + part), ...blocks],
    };
  });
  return digest;
}
