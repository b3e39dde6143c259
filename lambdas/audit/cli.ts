/**
 * The command line: `npx iam-key-auditor [--users a,b] [--now ISO] [--json] [--fail-on high] [--region r]`
 * (or `npm run -s audit -- ...`). Runs the same engine as the Lambda with the local AWS credential chain.
 * stdout carries the report alone (the table, or JSON with --json); errors, notes and progress go to stderr.
 * Exit codes: 0 no finding at or above --fail-on, 3 some, 1 error, 2 bad usage. See USAGE.
 */
import { parseArgs } from 'node:util';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { loadAuditConfig } from './config';
import { createAwsClients } from './adapters/aws-clients';
import { IamGateway } from './adapters/iam';
import type { AuditReport } from './domain/report';
import { SEVERITIES } from './domain/types';
import { formatReportTable } from './present/table';
import { runAudit, type IamPort } from './engine';
import { parseInstant, parseUserNames } from './event';
import { describeError } from './cli/errors';
import { AUDIT_HTTP, checkConnection, EndpointRecorder, profileMissing } from './cli/connection';
import { Progress } from './cli/progress';
import { paintSeverity, showsColours, terminalWidth, type OutputStream } from './cli/terminal';

export const EXIT = { ok: 0, error: 1, usage: 2, findings: 3 } as const;

const FAIL_ON = [...SEVERITIES, 'never'] as const;
type FailOn = (typeof FAIL_ON)[number];

export const USAGE = `Usage: npx iam-key-auditor [options]      (or: npm run -s audit -- [options])

Audits the IAM access keys of the AWS account your credentials belong to (AWS_PROFILE, the AWS_* variables,
or the default profile) and prints the findings with what to do.

Options:
  --users a,b       re-audit only these IAM users, with live calls (comma-separated)
  --now ISO         audit as of this ISO 8601 instant, e.g. 2026-11-28T09:00:00Z (default: now)
  --json            print the JSON report instead of the table (stdout holds only the JSON)
  --fail-on LEVEL   exit 3 when a finding is at or above LEVEL: critical, high, medium, low,
                    or never (default: high)
  --region REGION   the region of the IAM/STS endpoints (default: us-east-1)
  --help            show this help

Exit codes:
  0  no finding at or above --fail-on
  3  findings at or above --fail-on
  1  error (credentials, network, AWS)
  2  bad usage (unknown option, bad value, bad setting in the environment)

The report goes to stdout; progress (on a terminal), notes and errors to stderr. The table fits the
terminal (or COLUMNS); colours only on a terminal and never with NO_COLOR.
Thresholds and other settings come from the environment (MAX_KEY_AGE_DAYS, WARN_DAYS, UNUSED_DAYS, ...;
see the README).`;

export interface CliOptions {
  env: NodeJS.ProcessEnv;
  /** stdout: the report, nothing else. */
  write: (text: string) => void;
  /** stderr: errors and notes. */
  writeError: (text: string) => void;
  /** stdout, to fit its width and colour it when it is a terminal. Default: neither. */
  stdout?: OutputStream;
  /** stderr, when it is a terminal: progress is drawn on it. */
  progressStream?: NodeJS.WritableStream;
  /** Overrides for the demo and tests: an IAM/STS endpoint and the credentials to sign with. */
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
  /** The credential report poll interval (the demo's fake account answers at once). */
  pollIntervalMs?: number;
}

export interface CliResult {
  code: number;
  report?: AuditReport;
}

/** The exit code of a report: 3 when some finding is at or above `failOn`. */
export function exitCodeOf(report: AuditReport, failOn: FailOn): number {
  if (failOn === 'never') return EXIT.ok;
  const bar = SEVERITIES.indexOf(failOn);
  return report.findings.some((f) => SEVERITIES.indexOf(f.severity) <= bar) ? EXIT.findings : EXIT.ok;
}

function parseCommandLine(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
      'fail-on': { type: 'string', default: 'high' },
      region: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const failOn = values['fail-on'];
  if (!(FAIL_ON as readonly string[]).includes(failOn)) {
    throw new Error(`--fail-on must be one of ${FAIL_ON.join(', ')}; got "${failOn}"`);
  }
  return { ...values, failOn: failOn as FailOn };
}

/** Runs the CLI; returns the process exit code and, when the audit ran, its report. */
export async function main(argv: string[], options: CliOptions): Promise<CliResult> {
  let args;
  try {
    args = parseCommandLine(argv);
  } catch (error) {
    options.writeError(`error: ${(error as Error).message}\nRun with --help for the options.\n`);
    return { code: EXIT.usage };
  }
  if (args.help) {
    options.write(`${USAGE}\n`);
    return { code: EXIT.ok };
  }
  let request;
  let config;
  try {
    request = {
      now: args.now !== undefined ? parseInstant(args.now) : new Date(),
      users:
        args.users !== undefined
          ? parseUserNames(
              args.users
                .split(',')
                .map((u) => u.trim())
                .filter(Boolean),
            )
          : undefined,
    };
    config = loadAuditConfig(options.env);
  } catch (error) {
    options.writeError(`error: ${(error as Error).message}\n`);
    return { code: EXIT.usage };
  }

  const region = args.region ?? 'us-east-1';
  const recorder = new EndpointRecorder();
  let progress: Progress | undefined;
  let clients: ReturnType<typeof createAwsClients> | undefined;
  try {
    const credentials = await checkConnection({
      region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      recorder,
    });
    clients = createAwsClients({
      maxAttempts: config.maxAttempts,
      region,
      endpoint: options.endpoint,
      credentials,
      requestHandler: AUDIT_HTTP,
    });
    for (const client of [clients.iam, clients.reportIam, clients.sts]) recorder.attach(client);
    const counter = clients.iamCalls;
    let iam: IamPort = IamGateway.fromClients(clients);
    if (options.progressStream) {
      progress = new Progress(options.progressStream, () => counter.snapshot().totalCalls);
      iam = progress.watch(iam);
      progress.start();
    }
    const report = await runAudit({ iam, config, pollIntervalMs: options.pollIntervalMs }, request);
    progress?.stop();
    const stdout = options.stdout ?? {};
    options.write(
      args.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : formatReportTable(report, {
            width: terminalWidth(stdout, options.env),
            paintSeverity: showsColours(stdout, options.env) ? paintSeverity : undefined,
          }),
    );
    return { code: exitCodeOf(report, args.failOn), report };
  } catch (error) {
    progress?.stop();
    options.writeError(
      `${describeError(error, {
        env: options.env,
        endpoint: recorder.endpointOf(error),
        profileMissing: await profileMissing(options.env).catch(() => false),
      })}\n`,
    );
    return { code: EXIT.error };
  } finally {
    clients?.iam.destroy();
    clients?.reportIam.destroy();
    clients?.sts.destroy();
  }
}

/**
 * Writes to stdout or stderr; a reader that went away (`| head`) ends the run quietly: no EPIPE stack trace, and
 * nothing more is written there.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

/**
 * The CLI's options for this process: stdout and stderr as they are, progress only when stderr is a terminal.
 * The SDK's notice about future Node versions is not the CLI's news (the SDK's documented switch turns it off).
 */
export function processOptions(): CliOptions {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return {
    env: process.env,
    write: quietOnClosedPipe(process.stdout),
    writeError: quietOnClosedPipe(process.stderr),
    stdout: process.stdout,
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
  };
}

/** Runs the CLI in this process and sets its exit code (the `bin` script and `npm run audit` call this). */
export function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  return main(argv, processOptions()).then(
    ({ code }) => {
      process.exitCode = code;
    },
    (error: Error) => {
      process.stderr.write(`error: ${error.name}: ${error.message}\n`);
      process.exitCode = EXIT.error;
    },
  );
}

if (require.main === module) void run();
