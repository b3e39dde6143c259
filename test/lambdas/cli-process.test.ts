/**
 * The CLI as a user runs it, in a child process (its code bundled, and once through `bin/iam-key-auditor.cjs`), its
 * IAM and STS endpoint a fake IAM (tools/fake-iam) on 127.0.0.1 given through the SDK's own AWS_ENDPOINT_URL, or a
 * closed port, or a socket that never answers. Nothing reaches AWS: the environment holds no real credentials and instance metadata is off.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import stringWidth from 'string-width';
import { buildSampleAccount, buildSyntheticAccount } from '../../tools/fake-iam/sample-account';
import { startFakeIamServer, type FakeIamServer } from '../../tools/fake-iam/server';

// Each test starts Node and runs the CLI; the unreachable endpoints take a few seconds to fail. The tests run at
// once (`it.concurrent`): each is its own process against a server that only answers, so that the six seconds the
// never-answering socket takes overlap the other runs.
jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'iam-key-auditor.cjs');
const NOW = new Date('2026-11-28T09:00:00Z');
const HOME = mkdtempSync(path.join(tmpdir(), 'cli-home-'));

/** An environment with nothing of the caller's AWS set-up: no profile, no keys, no instance metadata. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME,
    AWS_CONFIG_FILE: path.join(HOME, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(HOME, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CREDENTIAL_REPORT_WAIT_SECONDS: '5',
    ...extra,
  };
}

const FAKE_KEYS = { AWS_ACCESS_KEY_ID: 'AKIATESTTESTTESTTEST', AWS_SECRET_ACCESS_KEY: 'test-not-a-secret' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a shell command line (so that a pipe can be tested); `code` is the CLI's exit code, not the pipe's. */
function sh(command: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', `${command}; echo "exit=\${PIPESTATUS[0]}" >&2`],
      { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
      (_error, stdout, stderr) => {
        const code = Number(/exit=(\d+)\n$/.exec(stderr)?.[1] ?? NaN);
        resolve({ code, stdout, stderr: stderr.replace(/exit=\d+\n$/, '') });
      },
    );
  });
}

/**
 * The CLI's code bundled once by esbuild (as the Lambda's is), and a launcher that does what `bin/` does with it:
 * one file to load, so a run takes about a third of the CPU of loading each module through tsx. One test runs
 * `bin/iam-key-auditor.cjs` itself.
 */
const BUNDLED = path.join(HOME, 'iam-key-auditor.cjs');

const cli = (args: string, bin = BUNDLED) => `node ${bin} --now ${NOW.toISOString()} ${args}`;

let sample: FakeIamServer;
let large: FakeIamServer;

// A port below the ephemeral range, so that no server another test starts on port 0 can take it; the probe
// proves nothing listens there.
const CLOSED_PORT = 9;
let blackhole: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  // Through esbuild's command line: its JavaScript API refuses Jest's sandboxed Uint8Array.
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'esbuild'), [
    path.join(ROOT, 'lambdas', 'audit', 'cli.ts'),
    '--bundle',
    '--platform=node',
    '--target=node20',
    `--outfile=${path.join(HOME, 'cli.js')}`,
    '--log-level=warning',
  ]);
  writeFileSync(BUNDLED, "require('./cli.js').run();\n");
  sample = await startFakeIamServer(buildSampleAccount(NOW), { now: () => NOW });
  // Enough findings that the JSON report is far larger than a pipe's buffer.
  large = await startFakeIamServer(
    buildSyntheticAccount({ users: 400, flaggedShare: 0.5, now: NOW, seed: 13 }),
    { now: () => NOW },
  );
  // Each account has a credential report from earlier today, as an account something audits does: the CLI gets
  // it at once instead of polling 2 s twice (the polling is tested in faults.test.ts), and concurrent runs do not
  // race to generate it.
  for (const server of [sample, large]) server.account.generateCredentialReport(NOW);

  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(CLOSED_PORT, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => probe.close(resolve));
  // Accepts connections and never answers.
  blackhole = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  sockets.forEach((socket) => socket.destroy());
  await Promise.all([sample.close(), large.close(), new Promise((resolve) => blackhole.close(resolve))]);
  rmSync(HOME, { recursive: true, force: true });
});

const onFake = (server: FakeIamServer, extra: NodeJS.ProcessEnv = {}) =>
  cleanEnv({ ...FAKE_KEYS, AWS_ENDPOINT_URL: server.url, ...extra });

describe('the CLI as a child process', () => {
  // First, so that its wait starts at once.
  it.concurrent(
    'cannot reach a socket that never answers: timed out, one line, exit 1 (the check gives up after 2 attempts of 3 s)',
    async () => {
      const { port } = blackhole.address() as { port: number };
      const url = `http://127.0.0.1:${port}`;
      const run = await sh(cli(''), cleanEnv({ ...FAKE_KEYS, AWS_ENDPOINT_URL: url }));
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `error: could not reach ${url} (timed out after 2 attempt(s)); check the network, HTTPS_PROXY, AWS_REGION and any AWS_ENDPOINT_URL variable\n`,
      );
    },
  );

  it.concurrent(
    'runs from bin/ as npx runs it: bad usage exits 2, naming the option and what it allows',
    async () => {
      const run = await sh(cli('--fail-on severe', BIN), onFake(sample));
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        /^error: --fail-on must be one of critical, high, medium, low, never; got "severe"\n/,
      );
    },
  );

  it.concurrent('cannot reach a closed port: one line naming the endpoint, exit 1', async () => {
    const url = `http://127.0.0.1:${CLOSED_PORT}`;
    const run = await sh(cli(''), cleanEnv({ ...FAKE_KEYS, AWS_ENDPOINT_URL: url }));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: could not reach ${url} (connection refused after 2 attempt(s)); check the network, HTTPS_PROXY, AWS_REGION and any AWS_ENDPOINT_URL variable\n`,
    );
  });

  it.concurrent('ends quietly, exit 0, when the reader of --json closes the pipe early', async () => {
    const run = await sh(`${cli('--json --fail-on never')} | head -c 10`, onFake(large));
    expect(run.stdout).toBe('{\n  "audit');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it.concurrent(
    'writes only the JSON report to stdout with --json, and nothing to stderr when it is not a terminal',
    async () => {
      const run = await sh(cli('--json'), onFake(sample));
      expect(JSON.parse(run.stdout)).toMatchObject({ accountAlias: 'acme-staging' });
      expect(run.stderr).toBe('');
    },
  );

  it.concurrent.each([
    ['findings at or above high (the default)', '', 3],
    ['findings, but none at or above --fail-on', '--fail-on never', 0],
    ['a user without findings', '--users deploy-bot-ghost', 0],
    ['bad usage', '--fail-on severe', 2],
    ['an unknown option', '--dry-run', 2],
  ])('exits with the code for %s', async (_case, args, expected) => {
    const run = await sh(cli(args), onFake(sample));
    expect(run.code).toBe(expected);
    if (expected === 2) expect(run.stdout).toBe('');
  });

  it.concurrent.each([[80], [120]])('keeps the table within %i columns (COLUMNS)', async (columns) => {
    const run = await sh(cli(''), onFake(sample, { COLUMNS: String(columns) }));
    expect(run.code).toBe(3);
    const lines = run.stdout.split('\n');
    const table = lines.slice(
      lines.findIndex((line) => line.startsWith('#')),
      lines.indexOf('What to do:'),
    );
    expect(table.length).toBeGreaterThan(10);
    // Every line fits, but a word that cannot be broken (a runbook URL on its own line).
    const tooWide = lines.filter((line) => stringWidth(line) > columns && line.trim().includes(' '));
    expect(tooWide).toEqual([]);
    expect(table.some((line) => line.includes('…'))).toBe(true);
    expect(run.stdout).not.toContain('\u001b[');
  });

  describe('on a terminal (a pseudo-terminal from util-linux `script`)', () => {
    /** Runs the CLI with stdout and stderr on one pseudo-terminal; returns what the terminal received. */
    const onTerminal = (env: NodeJS.ProcessEnv) =>
      sh(`script -qec ${JSON.stringify(cli(''))} /dev/null`, onFake(sample, { COLUMNS: '100', ...env }));
    // SGR colour sequences (ESC [ n m); progress also moves the cursor, which is not colour.
    const ESC = '\u001b';
    const COLOUR = new RegExp(`${ESC}\\[\\d+(;\\d+)*m`);

    it.concurrent('colours the severities and draws progress on stderr', async () => {
      const run = await onTerminal({ TERM: 'xterm-256color' });
      expect(run.stdout).toContain(`${ESC}[31mHIGH`);
      expect(run.stdout).toMatch(COLOUR);
      expect(run.stdout).toContain('Auditing: ');
      expect(run.stdout).toContain('IAM calls');
    });

    it.concurrent('never colours with NO_COLOR', async () => {
      const run = await onTerminal({ TERM: 'xterm-256color', NO_COLOR: '1' });
      expect(run.stdout).toMatch(/HIGH {4} {2}key-too-old/);
      expect(run.stdout).not.toMatch(COLOUR);
    });
  });

  it.concurrent('says in one line that no credentials were found, and where it looked', async () => {
    const run = await sh(cli(''), cleanEnv());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: no AWS credentials found \(tried: .*AWS_PROFILE.*\).*aws sso login/);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
  });

  it.concurrent('names a profile that does not exist', async () => {
    const run = await sh(cli(''), cleanEnv({ AWS_PROFILE: 'nope' }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: no AWS credentials: AWS_PROFILE=nope, but .* no such profile/);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
