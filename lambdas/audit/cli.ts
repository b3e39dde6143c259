/**
 * The command line: `npm run audit -- [--users a,b] [--now ISO] [--json] [--dry-run]`.
 * Runs the same engine as the Lambda with the local AWS credential chain; `--endpoint` points it elsewhere
 * (the demo serves a sample account on 127.0.0.1).
 */
import { parseArgs } from 'node:util';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { loadAuditConfig } from './config';
import { createAwsClients } from './adapters/aws-clients';
import { IamGateway } from './adapters/iam';
import type { AuditReport } from './domain/report';
import { formatReportTable } from './domain/table';
import { runAudit } from './engine';
import { parseInstant, parseUserNames } from './event';

export const USAGE = `Usage: npm run audit -- [--users alice,bob] [--now 2026-11-28T09:00:00Z] [--json] [--region us-east-1]

  --users     re-audit only these IAM users, with live calls (comma-separated)
  --now       audit as of this ISO 8601 instant (default: the current time)
  --json      print the JSON report instead of the table
  --region    the region of the IAM/STS endpoints (default: us-east-1)
  --help      show this help

Thresholds and other settings come from the environment (MAX_KEY_AGE_DAYS, WARN_DAYS, UNUSED_DAYS, ...; see the README).`;

export interface CliOptions {
  env: NodeJS.ProcessEnv;
  write: (text: string) => void;
  /** Overrides for the demo and tests: an IAM/STS endpoint and the credentials to sign with. */
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
  /** The credential report poll interval (the demo's fake account answers at once). */
  pollIntervalMs?: number;
}

/** Runs the CLI; returns the process exit code (0 ok, 2 bad arguments or configuration). */
export async function main(
  argv: string[],
  options: CliOptions,
): Promise<{ code: number; report?: AuditReport }> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        users: { type: 'string' },
        now: { type: 'string' },
        json: { type: 'boolean', default: false },
        region: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    options.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return { code: 2 };
  }
  if (args.help) {
    options.write(`${USAGE}\n`);
    return { code: 0 };
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
    options.write(`error: ${(error as Error).message}\n`);
    return { code: 2 };
  }
  const clients = createAwsClients({
    maxAttempts: config.maxAttempts,
    region: args.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
  });
  const report = await runAudit(
    { iam: IamGateway.fromClients(clients), config, pollIntervalMs: options.pollIntervalMs },
    request,
  );
  options.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReportTable(report));
  return { code: 0, report };
}

if (require.main === module) {
  main(process.argv.slice(2), { env: process.env, write: (text) => process.stdout.write(text) }).then(
    ({ code }) => {
      process.exitCode = code;
    },
    (error: Error) => {
      console.error(`error: ${error.name}: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
