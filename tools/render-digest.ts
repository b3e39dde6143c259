/**
 * `npm run demo:picture`: draws the demo's own Slack messages (`out/demo/day-1/`, `out/demo/day-2/`, written by
 * `npm run demo`) as they read in Slack, side by side, and saves the picture the README shows
 * (`docs/digest.png`). An HTML mock of the blocks (header, sections, context; mrkdwn bold, code, links, the few
 * emoji the digest uses) rendered by headless Chromium (Debian: `apt-get install -y chromium`).
 *
 * Usage: `npx tsx tools/render-digest.ts [out.png]`. Writes `out/demo/digest.html` too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const DEMO = path.join(ROOT, 'out', 'demo');

const EMOJI: Record<string, string> = {
  new: '🆕',
  white_check_mark: '✅',
  hourglass: '⏳',
  rotating_light: '🚨',
  mute: '🔇',
  heavy_plus_sign: '➕',
  warning: '⚠️',
  office: '🏢',
  arrow_right: '➡️',
  page_facing_up: '📄',
  x: '❌',
};

interface Block {
  type: string;
  text?: { text: string };
  elements?: { text: string }[];
}

/** Slack mrkdwn as HTML. The text arrives with `&`, `<`, `>` already entities, except our links and mentions. */
export function mrkdwnToHtml(text: string): string {
  const codes: string[] = [];
  let html = text.replace(/`([^`]*)`/g, (_, inner: string) => {
    codes.push(`<code>${inner}</code>`);
    return `\uE000${codes.length - 1}\uE001`;
  });
  html = html
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, (_, _url: string, label: string) => `<a>${label}</a>`)
    .replace(/<(!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)>/g, '<span class="mention">@team</span>')
    .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
    .replace(/:([a-z_]+):/g, (m, name: string) => EMOJI[name] ?? m)
    .replace(/\n/g, '<br>');
  return html.replace(/\uE000(\d+)\uE001/g, (_, i: string) => codes[Number(i)] ?? '');
}

function blockHtml(block: Block): string {
  if (block.type === 'header') return `<div class="header">${block.text?.text ?? ''}</div>`;
  if (block.type === 'context') {
    return `<div class="context">${(block.elements ?? []).map((e) => mrkdwnToHtml(e.text)).join(' · ')}</div>`;
  }
  return `<div class="section">${mrkdwnToHtml(block.text?.text ?? '')}</div>`;
}

function dayHtml(day: string, title: string): string {
  const dir = path.join(DEMO, day);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^slack-message-\d+\.json$/.test(f))
        .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
    : [];
  if (files.length === 0) throw new Error(`no messages in ${dir}: run npm run demo first`);
  const messages = files.map((f) => {
    const { blocks } = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { blocks: Block[] };
    return `<div class="message">${blocks.map(blockHtml).join('')}</div>`;
  });
  return `<div class="day"><div class="title">${title}</div>${messages.join('')}</div>`;
}

const CSS = `
body { margin: 0; padding: 16px; background: #f8f8f8; font: 14px/1.45 -apple-system, 'Segoe UI', 'Noto Sans', 'DejaVu Sans', sans-serif; color: #1d1c1d; }
.row { display: flex; gap: 16px; align-items: flex-start; }
.day { width: 720px; }
.title { font-weight: 700; color: #616061; margin: 0 0 6px 4px; }
.message { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 12px 16px; margin-bottom: 12px; }
.header { font-size: 18px; font-weight: 900; margin-bottom: 6px; }
.section { margin: 6px 0; word-wrap: break-word; }
.context { color: #616061; font-size: 12px; margin: 4px 0; }
code { font: 12px 'DejaVu Sans Mono', monospace; color: #c01343; background: #f6f6f6; border: 1px solid #e0e0e0; border-radius: 3px; padding: 0 2px; }
a { color: #1264a3; }
.mention { background: #e8f5fa; color: #1264a3; }
`;

function main(): void {
  const out = process.argv[2] ?? path.join(ROOT, 'docs', 'digest.png');
  const html =
    `<!doctype html><meta charset="utf-8"><style>${CSS}</style><div class="row">` +
    dayHtml('day-1', 'Day one: the first audit (every finding new)') +
    dayHtml('day-2', 'Day two: new, escalated, resolved and still open') +
    `</div>`;
  const htmlFile = path.join(DEMO, 'digest.html');
  writeFileSync(htmlFile, html);
  const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((bin) => {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!chromium) throw new Error('chromium not found: apt-get install -y chromium');
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--force-device-scale-factor=1',
      '--window-size=1490,2000',
      `--screenshot=${path.resolve(out)}`,
      `file://${htmlFile}`,
    ],
    { stdio: 'inherit' },
  );
  console.error(`wrote ${path.relative(process.cwd(), htmlFile)} and ${path.relative(process.cwd(), out)}`);
}

main();
