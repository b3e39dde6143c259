/**
 * Formats a report as the plain-text table the CLI prints. Pure: the report is all it reads.
 * Once some finding has an owner (a user with a team tag) the table has an OWNER column; with `changes` (a state store) a STATE column says
 * whether each finding is new or how long it has been open, and the resolved findings follow the actions.
 */
import { actionParts } from '../present/action';
import { plainParts } from '../present/text';
import {
  accountText,
  changesText,
  compareResolved,
  exemptedText,
  exemptionDescription,
  lastUsedText,
  resolvedText,
  scopeText,
  sourceText,
  stateErrorText,
} from '../present/format';
import type { AuditReport } from './report';
import type { Finding } from './types';

function keyText(finding: Finding): string {
  if (finding.accessKeyId) return finding.accessKeyId;
  if (finding.keys) return finding.keys.map((k) => `${k.accessKeyId} (${k.status.toLowerCase()})`).join(', ');
  return '-';
}

/** `new`, `open 20d`, `open 20d escalated`, or `-` when the state does not say. */
function stateText(finding: Finding): string {
  if (finding.isNew) return 'new';
  const open = finding.openDays === undefined ? 'open' : `open ${finding.openDays}d`;
  if (finding.escalated) return `${open} escalated`;
  return finding.openDays === undefined ? '-' : open;
}

function ownerText(finding: Finding): string {
  return finding.owner === null ? 'no owner' : (finding.owner ?? '-');
}

interface Columns {
  state: boolean;
  owner: boolean;
}

function row(finding: Finding, index: number, optional: Columns): string[] {
  const twoKeys = finding.keys ?? [];
  return [
    String(index + 1),
    ...(optional.state ? [stateText(finding)] : []),
    finding.severity.toUpperCase(),
    finding.rule,
    finding.userName + (finding.sesSmtpUser ? ' [SES SMTP]' : ''),
    ...(optional.owner ? [ownerText(finding)] : []),
    keyText(finding),
    finding.ageDays === undefined || finding.ageDays === null
      ? twoKeys.length
        ? twoKeys.map((k) => `${k.ageDays}d`).join('/')
        : '-'
      : `${finding.ageDays}d`,
    twoKeys.length
      ? twoKeys.map((k) => lastUsedText(k.lastUsed)).join(' / ')
      : finding.accessKeyId || finding.rule === 'root-access-key'
        ? lastUsedText(finding.lastUsed)
        : '-',
    finding.exemption
      ? `exemption ${exemptionDescription(finding.exemption)}`
      : (finding.description ??
        (twoKeys.some((k) => k.description) ? twoKeys.map((k) => k.description ?? '-').join(' / ') : '-')),
  ];
}

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function formatReportTable(report: AuditReport): string {
  const { summary } = report;
  const lines = [
    `IAM access key audit of ${accountText(report)}, ${scopeText(report)}, at ${report.auditedAt}`,
    `Source: ${sourceText(report)}`,
    ...[stateErrorText(report)].filter((line): line is string => line !== null),
    `Scanned ${summary.usersScanned} users and ${summary.keysScanned} keys: ${summary.findings} finding(s)` +
      (summary.findings
        ? ` (${Object.entries(summary.byRule)
            .filter(([, n]) => n > 0)
            .map(([rule, n]) => `${rule} ${n}`)
            .join(', ')})`
        : ''),
  ];
  const changes = changesText(report);
  if (changes) lines.push(changes);
  const exempted = exemptedText(report);
  if (exempted) {
    lines.push(
      `${exempted}: not alerted; --json lists ${report.exempted.length === 1 ? 'it' : 'them'} under "exempted"`,
    );
  }
  if (report.usersNotFound.length) lines.push(`Not found: ${report.usersNotFound.join(', ')}`);
  if (report.findings.length === 0) {
    lines.push('', exempted ? 'No finding to act on: nothing to do.' : 'All keys healthy: nothing to do.');
  } else {
    const optional: Columns = {
      state: report.changes !== undefined,
      // Once some user has a team tag: a column of "no owner" alone would say nothing.
      owner: report.findings.some((f) => typeof f.owner === 'string'),
    };
    const header = [
      '#',
      ...(optional.state ? ['STATE'] : []),
      'SEVERITY',
      'RULE',
      'USER',
      ...(optional.owner ? ['OWNER'] : []),
      'KEY',
      'AGE',
      'LAST USED',
      'WHERE USED (description)',
    ];
    lines.push(
      '',
      ...columns([header, ...report.findings.map((f, i) => row(f, i, optional))]),
      '',
      'What to do:',
    );
    report.findings.forEach((finding, i) => {
      lines.push(
        `${String(i + 1).padStart(3)}. ${plainParts(actionParts(finding))}`,
        `     ${finding.runbookUrl}`,
      );
    });
  }
  const resolved = report.changes?.resolved ?? [];
  if (resolved.length) {
    lines.push(
      '',
      'Resolved since the last audit:',
      ...[...resolved].sort(compareResolved).map((r) => `  ${resolvedText(r)}`),
    );
  }
  return lines.join('\n') + '\n';
}
