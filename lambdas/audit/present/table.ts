/**
 * Formats a report as the plain-text table the CLI prints. Pure: the report and the options are all it reads.
 * Once some finding has an owner (a user with a team tag) the table has an OWNER column; with `changes` (a state store) a STATE column says
 * whether each finding is new or how long it has been open, and the resolved findings follow the actions.
 * Given a `width` (the terminal's), the table's rows fit it: the widest cells are cut first, ending in "…";
 * a row never wraps. Cell widths are terminal columns (`string-width`: a CJK tag value takes two per character).
 */
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
} from './format';
import { actionParts } from './action';
import { plainParts, runbookLabel } from './text';
import type { AuditReport } from '../domain/report';
import type { Finding, Severity } from '../domain/types';
import stringWidth from 'string-width';

export interface TableOptions {
  /** The terminal's width in columns: each table row fits it. Default: no limit. */
  width?: number;
  /** Paints a severity cell (the CLI passes colours only to a terminal that shows them). Default: plain text. */
  paintSeverity?: (severity: Severity, text: string) => string;
}

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

const ELLIPSIS = '…';
const GAP = '  ';

/** Cuts `text` to `width` terminal columns, ending in "…" when it was longer. */
export function truncateCell(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + ELLIPSIS;
}

/**
 * How narrow each column may get. The short fixed ones (#, SEVERITY, AGE) never shrink. The others first give way
 * down to a comfortable width (a whole rule id, a whole key id, the date of the last use), then, on a narrow
 * terminal, down to a few characters.
 */
const FIXED_COLUMNS = new Set(['#', 'SEVERITY', 'AGE']);
const COMFORTABLE_WIDTH: Record<string, number> = {
  STATE: 9,
  RULE: 17,
  USER: 14,
  OWNER: 10,
  KEY: 20,
  'LAST USED': 10,
};
const DEFAULT_COMFORTABLE_WIDTH = 12;
const MIN_WIDTH = 5;

/** Takes one column at a time off the widest column above its floor until the row fits; returns the row's width. */
function shrink(widths: number[], floors: number[], total: number, width: number): number {
  while (total > width) {
    let widest = -1;
    widths.forEach((w, c) => {
      if (w > floors[c]! && (widest < 0 || w > widths[widest]!)) widest = c;
    });
    if (widest < 0) break;
    widths[widest]! -= 1;
    total -= 1;
  }
  return total;
}

/** The column widths: each column's widest cell, then shrunk (see above) while the row is wider than `width`. */
function columnWidths(header: string[], rows: string[][], width: number | undefined): number[] {
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => stringWidth(r[c]!))));
  if (width === undefined) return widths;
  const floor = (least: (title: string) => number) =>
    header.map((title, c) => (FIXED_COLUMNS.has(title) ? widths[c]! : Math.min(widths[c]!, least(title))));
  const total = widths.reduce((sum, w) => sum + w, 0) + GAP.length * (widths.length - 1);
  shrink(
    widths,
    floor(() => MIN_WIDTH),
    shrink(
      widths,
      floor((title) => COMFORTABLE_WIDTH[title] ?? DEFAULT_COMFORTABLE_WIDTH),
      total,
      width,
    ),
    width,
  );
  return widths;
}

/**
 * Wraps a line of prose at spaces to `width` columns; the lines it continues on are indented under its text (under
 * the text after "  3. " for a numbered action). A word longer than the line (a URL) stays whole.
 */
export function wrapText(line: string, width: number): string[] {
  if (stringWidth(line) <= width) return [line];
  const indent = ' '.repeat(/^\s*(?:\d+\.\s+)?/.exec(line)![0].length);
  const lines: string[] = [];
  let current = '';
  for (const word of line.trimStart().split(' ')) {
    const start =
      current === ''
        ? lines.length === 0
          ? line.slice(0, line.length - line.trimStart().length)
          : indent
        : '';
    const candidate = current === '' ? start + word : `${current} ${word}`;
    if (current !== '' && current.trim() !== '' && stringWidth(candidate) > width) {
      lines.push(current);
      current = indent + word;
    } else {
      current = candidate;
    }
  }
  lines.push(current);
  return lines;
}

/** The columns a narrow terminal hides first, before the ones a person acts on (rule, user, key) are cut. */
const HIDDEN_FIRST = ['WHERE USED (description)', 'LAST USED', 'OWNER', 'STATE'];

/** The row's width with every column at its comfortable width (or narrower where its widest cell is). */
function comfortableWidth(header: string[], rows: string[][]): number {
  return header.reduce((sum, title, c) => {
    const widest = Math.max(...[header, ...rows].map((r) => stringWidth(r[c]!)));
    const floor = FIXED_COLUMNS.has(title)
      ? widest
      : Math.min(widest, COMFORTABLE_WIDTH[title] ?? DEFAULT_COMFORTABLE_WIDTH);
    return sum + floor + (c ? GAP.length : 0);
  }, 0);
}

/**
 * Hides columns, least useful first ({@link HIDDEN_FIRST}), while the row cannot fit `width` with every column at
 * its comfortable width; returns what is left and the titles hidden.
 */
function visibleColumns(
  header: string[],
  rows: string[][],
  width: number | undefined,
): { header: string[]; rows: string[][]; hidden: string[] } {
  const hidden: string[] = [];
  for (const title of HIDDEN_FIRST) {
    if (width === undefined || comfortableWidth(header, rows) <= width) break;
    const c = header.indexOf(title);
    if (c < 0) continue;
    header = header.filter((_, i) => i !== c);
    rows = rows.map((r) => r.filter((_, i) => i !== c));
    hidden.push(title.replace(/ \(.*\)$/, ''));
  }
  return { header, rows, hidden };
}

function tableLines(
  header: string[],
  findings: Finding[],
  rows: string[][],
  options: TableOptions,
): string[] {
  const widths = columnWidths(header, rows, options.width);
  const severityColumn = header.indexOf('SEVERITY');
  // The columns before SEVERITY (#, STATE) are ASCII: its offset in characters is its offset in columns.
  const severityAt = widths.slice(0, severityColumn).reduce((sum, w) => sum + w + GAP.length, 0);
  const severityEnd = severityAt + widths[severityColumn]!;
  const line = (cells: string[], finding?: Finding) => {
    let text = cells
      .map((cell, c) => {
        const cut = truncateCell(cell, widths[c]!);
        return c === cells.length - 1 ? cut : cut + ' '.repeat(widths[c]! - stringWidth(cut));
      })
      .join(GAP)
      .trimEnd();
    // The floors may still be wider than a very narrow terminal: the row is cut rather than wrapped.
    if (options.width !== undefined) text = truncateCell(text, options.width);
    if (!finding || !options.paintSeverity || text.length < severityEnd) return text;
    const painted = options.paintSeverity(finding.severity, text.slice(severityAt, severityEnd));
    return text.slice(0, severityAt) + painted + text.slice(severityEnd);
  };
  return [line(header), ...rows.map((cells, i) => line(cells, findings[i]))];
}

export function formatReportTable(report: AuditReport, options: TableOptions = {}): string {
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
  let findingRows: string[] = [];
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
    const shown = visibleColumns(
      header,
      report.findings.map((f, i) => row(f, i, optional)),
      options.width,
    );
    findingRows = tableLines(shown.header, report.findings, shown.rows, options);
    lines.push('', ...findingRows);
    if (shown.hidden.length) {
      lines.push(`(${shown.hidden.join(', ')} hidden to fit the terminal: widen it, or use --json)`);
    }
    lines.push('', 'What to do:');
    report.findings.forEach((finding, i) => {
      lines.push(
        `${String(i + 1).padStart(3)}. ${plainParts(actionParts(finding))} (${runbookLabel(finding.runbookUrl).replace(/ /g, '\u00a0')})`,
      );
    });
    // Each runbook section once: a 160-character URL under every action is more URL than advice.
    const sections = [...new Set(report.findings.map((f) => f.runbookUrl))]
      .filter((url) => /^https?:\/\//.test(url))
      .sort();
    if (sections.length)
      lines.push('', 'Runbook:', ...sections.map((url) => `  ${runbookLabel(url)}: ${url}`));
  }
  const resolved = report.changes?.resolved ?? [];
  if (resolved.length) {
    lines.push(
      '',
      'Resolved since the last audit:',
      ...[...resolved].sort(compareResolved).map((r) => `  ${resolvedText(r)}`),
    );
  }
  const width = options.width;
  // Table rows already fit; prose lines (the header, the actions) are wrapped at spaces rather than by the terminal.
  const tableRows = new Set(findingRows);
  const fitted =
    width === undefined
      ? lines
      : lines.flatMap((line) => (tableRows.has(line) ? [line] : wrapText(line, width)));
  return fitted.join('\n') + '\n';
}
