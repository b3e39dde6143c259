/** Renders the benchmark's results as plain-text tables. Pure: results in, text out. */
import type { BudgetLine } from './budgets';
import type { BundleResult } from './bundle';
import { median } from './bundle';
import type { CaseResult, StrategyRun } from './run-case';

const int = (n: number) => n.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function renderTable(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      (
        indent +
        row
          .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
          .join('   ')
      ).trimEnd(),
    )
    .join('\n');
}

/** The IAM actions in the order the tables list them; any other action the fake IAM saw follows. */
const ACTION_ORDER = [
  'GenerateCredentialReport',
  'GetCredentialReport',
  'GetAccountAuthorizationDetails',
  'ListUsers',
  'ListAccessKeys',
  'GetAccessKeyLastUsed',
  'ListUserTags',
  'ListAccountAliases',
  'GetAccountSummary',
  'GetUser',
  'GetCallerIdentity',
];

function actionsOf(runs: StrategyRun[]): string[] {
  const seen = new Set(runs.flatMap((run) => Object.keys(run.server.calls)));
  return [
    ...ACTION_ORDER.filter((a) => seen.has(a)),
    ...[...seen].filter((a) => !ACTION_ORDER.includes(a)).sort(),
  ];
}

function wallTime(run: StrategyRun): string {
  return run.rateLimited ? seconds(run.wallMs) : `${seconds(run.wallMs)} *`;
}

function estimatedWallTime(run: StrategyRun): string {
  return run.estimatedWallMsAtRate === null ? '' : `>= ${seconds(run.estimatedWallMsAtRate)}`;
}

export function renderBudgets(lines: BudgetLine[]): string {
  return renderTable(
    lines.map((line) => [
      `${line.status.padEnd(4)}  ${line.budget}`,
      line.measured,
      line.status === 'n/a' ? '' : `limit ${line.limit}`,
      line.note ? `(${line.note})` : '',
    ]),
  );
}

export function renderCase(result: CaseResult): string {
  const strategies = (['engine', 'naive'] as const).filter((s) => result.runs[s] !== undefined);
  const runs = strategies.map((s) => result.runs[s] as StrategyRun);
  const both = runs.length === 2;
  const sameLimit = both && runs[0]?.rateLimited === runs[1]?.rateLimited;
  const ratio = (pick: (run: StrategyRun) => number) => {
    if (!both) return [];
    const [engine, naive] = runs as [StrategyRun, StrategyRun];
    const value = pick(engine) === 0 ? Number.NaN : pick(naive) / pick(engine);
    return [Number.isFinite(value) ? `${value.toFixed(2)}x` : ''];
  };
  const row = (label: string, cell: (run: StrategyRun) => string, ratioOf?: (run: StrategyRun) => number) => [
    label,
    ...runs.map(cell),
    ...(ratioOf ? ratio(ratioOf) : both ? [''] : []),
  ];
  const rows: string[][] = [
    ['', ...strategies, ...(both ? ['naive / engine'] : [])],
    row('rate limit', (run) => (run.rateLimited ? `${result.ratePerSecond} calls/s` : 'lifted')),
    row('users scanned', (run) => int(run.report.usersScanned)),
    row('flagged users', (run) => int(run.report.flaggedUsers)),
    row('findings', (run) => int(run.report.findings)),
    row(
      'IAM calls (served)',
      (run) => int(run.server.totalCalls),
      (run) => run.server.totalCalls,
    ),
    ...actionsOf(runs).map((action) =>
      row(`  ${action}${action === 'GetCallerIdentity' ? ' (STS)' : ''}`, (run) =>
        int(run.server.calls[action] ?? 0),
      ),
    ),
    row('throttled attempts', (run) => int(run.server.throttled)),
    row(
      'client counter: calls / attempts',
      (run) => `${int(run.client.totalCalls)} / ${int(run.client.attempts)}`,
    ),
    row('client counter: throttled', (run) => int(run.client.throttled)),
    row('wall time', wallTime, sameLimit ? (run) => run.wallMs : undefined),
    ...(runs.some((run) => !run.rateLimited)
      ? [row(`  at ${result.ratePerSecond} calls/s (estimated: calls / rate)`, estimatedWallTime)]
      : []),
    row(
      'peak RSS',
      (run) => mib(run.peakRssBytes),
      (run) => run.peakRssBytes,
    ),
    row('  RSS before the first call', (run) => mib(run.rssBeforeBytes)),
    row('  peak heap used (sampled)', (run) => mib(run.peakHeapUsedBytes)),
  ];
  const e = result.expected;
  const title =
    `${int(result.users)} users, ${percent(result.flaggedShare)} flagged, ${result.latencyMs} ms latency, ` +
    `${result.ratePerSecond} calls/s rate limit, seed ${result.seed}`;
  const notes = runs
    .filter((run) => !run.rateLimited)
    .map(
      (run) =>
        `  * ${run.strategy}: rate limit lifted (same latency): calls counted, wall time not comparable; ` +
        'the estimate is a floor (it ignores throttling and retries).',
    );
  for (const run of runs) {
    if (run.client.throttled !== run.server.throttled) {
      notes.push(
        `  * ${run.strategy}: the client's call counter saw ${int(run.client.throttled)} throttled attempts; ` +
          `the fake IAM answered ${int(run.server.throttled)} with Throttling.`,
      );
    }
  }
  const footnotes = notes.length > 0 ? `\n${notes.join('\n')}` : '';
  return [
    `=== ${title} ===`,
    `  expected (from the account, same rules): ${int(e.flaggedUsers)} flagged users, ${int(e.findings)} findings, ` +
      `${int(e.keysNeedingLastUse)} keys whose verdict depends on last use ` +
      `(${int(e.keysReportCannotSettle)} that the credential report cannot settle)`,
    '',
    renderTable(rows) + footnotes,
    '',
    '  budgets:',
    renderBudgets(result.budgets),
  ].join('\n');
}

export function renderBundle(bundle: BundleResult, budgets: BudgetLine[]): string {
  const times = (values: number[]) =>
    `median ${median(values).toFixed(0)} ms, max ${Math.max(...values).toFixed(0)} ms (${values.map((v) => v.toFixed(0)).join(', ')})`;
  return [
    `=== Deployed bundle (${bundle.entry}, esbuild as the stack: minify, node22, cjs, source map beside it) ===`,
    renderTable([
      ['minified .js', `${int(bundle.bytes)} B`],
      ['gzip', `${int(bundle.gzipBytes)} B`],
      ['source map (not counted)', `${int(bundle.sourceMapBytes)} B`],
      ['cold require, node --enable-source-maps (as deployed)', times(bundle.requireMs.sourceMaps)],
      ['cold require, plain node', times(bundle.requireMs.plain)],
    ]),
    '  largest inputs in the output:',
    renderTable(
      bundle.largestInputs.map((input) => [input.name, `${int(input.bytes)} B`]),
      '    ',
    ),
    '',
    '  budgets:',
    renderBudgets(budgets),
  ].join('\n');
}

/** `twoDayBudgets`: the two-day key index case's lines, counted in the verdict. */
export function renderSummary(
  cases: CaseResult[],
  bundleBudgets: BudgetLine[],
  twoDayBudgets: BudgetLine[] = [],
): string {
  const rows = [
    [
      'users',
      'engine calls',
      'naive calls',
      'naive / engine',
      'engine wall',
      'naive wall',
      'engine peak RSS',
      'budgets',
    ],
    ...cases.map((c) => {
      const { engine, naive } = c.runs;
      const wall = (run: StrategyRun | undefined) => (run === undefined ? '-' : wallTime(run));
      const passed = c.budgets.filter((b) => b.status === 'PASS').length;
      const judged = c.budgets.filter((b) => b.status !== 'n/a').length;
      return [
        int(c.users),
        engine ? int(engine.server.totalCalls) : '-',
        naive ? int(naive.server.totalCalls) : '-',
        c.callRatio === null ? '-' : `${c.callRatio.toFixed(2)}x`,
        wall(engine),
        wall(naive),
        engine ? mib(engine.peakRssBytes) : '-',
        `${passed}/${judged} pass`,
      ];
    }),
  ];
  const all = [
    ...cases.flatMap((c) => c.budgets.map((b) => ({ ...b, budget: `${int(c.users)} users: ${b.budget}` }))),
    ...bundleBudgets.map((b) => ({ ...b, budget: `bundle: ${b.budget}` })),
    ...twoDayBudgets.map((b) => ({ ...b, budget: `two days: ${b.budget}` })),
  ];
  const failed = all.filter((b) => b.status === 'FAIL');
  const judged = all.filter((b) => b.status !== 'n/a').length;
  const verdict =
    failed.length === 0
      ? `Overall: PASS (${judged} budget lines)`
      : `Overall: FAIL, ${failed.length} of ${judged} budget lines:\n` +
        failed.map((b) => `  FAIL  ${b.budget}: ${b.measured} (limit ${b.limit})`).join('\n');
  return [
    '=== Summary ===',
    renderTable(rows),
    '  * rate limit lifted: wall time not comparable.',
    '',
    verdict,
  ].join('\n');
}
