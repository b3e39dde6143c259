/** What the CLI asks of the terminal: its width, whether it shows colours, and the severity colours. */
import { styleText } from 'node:util';
import type { Severity } from '../domain/types';

/** The parts of a process stream the CLI reads (a `tty.WriteStream` on a terminal). */
export interface OutputStream {
  isTTY?: boolean;
  columns?: number;
  hasColors?: (env?: object) => boolean;
}

/**
 * The width the table must fit: COLUMNS when set (as `ls` and Python honour it), else the terminal's width; none
 * when the output is a file or a pipe.
 */
export function terminalWidth(stream: OutputStream, env: NodeJS.ProcessEnv): number | undefined {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return stream.isTTY && stream.columns ? stream.columns : undefined;
}

/**
 * Colours only on a terminal, and never with NO_COLOR (or NODE_DISABLE_COLORS, TERM=dumb): Node's own
 * `tty.WriteStream.hasColors()` reads them.
 */
export function showsColours(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY && stream.hasColors?.(env));
}

const SEVERITY_STYLE: Record<Severity, Parameters<typeof styleText>[0]> = {
  critical: 'magenta',
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
};

export function paintSeverity(severity: Severity, text: string): string {
  return styleText(SEVERITY_STYLE[severity], text);
}
