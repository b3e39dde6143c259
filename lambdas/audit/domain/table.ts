/** Formats a report as the plain-text table the CLI prints. Pure: the report is all it reads. */
import { accountText, lastUsedText, scopeText, sourceText } from './format';
import type { AuditReport } from './report';
import type { Finding } from './types';

function keyText(finding: Finding): string {
  if (finding.accessKeyId) return finding.accessKeyId;
  if (finding.keys) return finding.keys.map((k) => `${k.accessKeyId} (${k.status.toLowerCase()})`).join(', ');
  return '-';
}

function row(finding: Finding, index: number): string[] {
  const twoKeys = finding.keys ?? [];
  return [
    String(index + 1),
    finding.severity.toUpperCase(),
    finding.rule,
    finding.userName + (finding.sesSmtpUser ? ' [SES SMTP]' : ''),
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
    finding.description ??
      (twoKeys.some((k) => k.description) ? twoKeys.map((k) => k.description ?? '-').join(' / ') : '-'),
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
    `Scanned ${summary.usersScanned} users and ${summary.keysScanned} keys: ${summary.findings} finding(s)` +
      (summary.findings
        ? ` (${Object.entries(summary.byRule)
            .filter(([, n]) => n > 0)
            .map(([rule, n]) => `${rule} ${n}`)
            .join(', ')})`
        : ''),
  ];
  if (report.usersNotFound.length) lines.push(`Not found: ${report.usersNotFound.join(', ')}`);
  if (report.findings.length === 0) {
    lines.push('', 'All keys healthy: nothing to do.');
    return lines.join('\n') + '\n';
  }
  const header = ['#', 'SEVERITY', 'RULE', 'USER', 'KEY', 'AGE', 'LAST USED', 'WHERE USED (description)'];
  lines.push('', ...columns([header, ...report.findings.map(row)]), '', 'What to do:');
  report.findings.forEach((finding, i) => {
    lines.push(`${String(i + 1).padStart(3)}. ${finding.action}`, `     ${finding.runbookUrl}`);
  });
  return lines.join('\n') + '\n';
}
