/**
 * Bundles with esbuild as the stack's `NodejsFunction` does (bundle, minify, platform node, target node22, CJS,
 * linked source map, the AWS SDK included), then times a cold `require` of the result in fresh `node` processes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

export const HANDLER_ENTRY = 'lambdas/audit/handler.ts';

export interface BundleResult {
  entry: string;
  /** The minified `.js`, without its source map. */
  bytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  /** The packages (or `(project)`) that weigh most in the output, heaviest first. */
  largestInputs: { name: string; bytes: number }[];
  /** Cold `require` times in ms, one fresh process each: plain `node`, and with `--enable-source-maps` as deployed. */
  requireMs: { plain: number[]; sourceMaps: number[] };
}

/** `node_modules/@aws-sdk/client-iam/dist-cjs/index.js` → `@aws-sdk/client-iam`. */
export function packageOf(inputPath: string): string {
  const at = inputPath.lastIndexOf('node_modules/');
  if (at < 0) return '(project)';
  return /^(?:@[^/]+\/)?[^/]+/.exec(inputPath.slice(at + 'node_modules/'.length))?.[0] ?? '(project)';
}

function largestInputs(metafile: Metafile, outfile: string, top: number): { name: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(outfile))?.[1];
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const name = packageOf(path);
    byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

/** Builds `entry` into `outdir/<name>.js` as the stack would; returns the output path and esbuild's metafile. */
export async function bundleLikeTheStack(
  entry: string,
  outfile: string,
  target = 'node22',
): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target,
    format: 'cjs',
    sourcemap: true,
    metafile: true,
    logLevel: 'error',
  });
  return result.metafile;
}

/** Milliseconds a fresh `node` spends in `require(path)`. */
function timeColdRequire(path: string, nodeOptions: string[]): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(path)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const output = execFileSync(process.execPath, [...nodeOptions, '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const ms = Number(output.trim().split('\n').pop());
  if (!Number.isFinite(ms)) throw new Error(`cold require printed ${JSON.stringify(output)}`);
  return ms;
}

export async function measureHandlerBundle(outdir: string, runs: number): Promise<BundleResult> {
  const outfile = join(outdir, 'handler', 'index.js');
  const metafile = await bundleLikeTheStack(HANDLER_ENTRY, outfile);
  const requireMs = { plain: [] as number[], sourceMaps: [] as number[] };
  // Interleaved, so that a burst of machine noise does not land on one variant only.
  for (let i = 0; i < runs; i++) {
    requireMs.plain.push(timeColdRequire(outfile, []));
    requireMs.sourceMaps.push(timeColdRequire(outfile, ['--enable-source-maps']));
  }
  return {
    entry: HANDLER_ENTRY,
    bytes: statSync(outfile).size,
    gzipBytes: gzipSync(readFileSync(outfile)).length,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    largestInputs: largestInputs(metafile, 'handler/index.js', 8),
    requireMs,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
