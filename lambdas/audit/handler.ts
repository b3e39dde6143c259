/**
 * The Lambda entry point. A scheduled event runs a full audit; a manual invoke re-audits (named users, live)
 * and returns the report. The event is validated before any AWS call; configuration is built once per container.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { loadAuditConfig, type AuditConfig } from './config';
import { createAwsClients, type AwsClients } from './adapters/aws-clients';
import { IamGateway } from './adapters/iam';
import type { AuditReport } from './domain/report';
import { runAudit } from './engine';
import { parseInvocation } from './event';

export const logger = new Logger({ serviceName: 'iam-key-auditor' });

interface Runtime {
  config: AuditConfig;
  clients: AwsClients;
}

let runtime: Runtime | undefined;

/** Configuration and clients, built on the first invocation of a container and reused after. */
function getRuntime(): Runtime {
  if (!runtime) {
    const config = loadAuditConfig(process.env);
    runtime = { config, clients: createAwsClients({ maxAttempts: config.maxAttempts }) };
  }
  return runtime;
}

/** Forgets the cached configuration and clients (tests change the environment between cases). */
export function resetRuntime(): void {
  runtime = undefined;
}

export async function handler(event: unknown, context: Context): Promise<AuditReport> {
  logger.addContext(context);
  const invocation = parseInvocation(event);
  const { config, clients } = getRuntime();
  const started = Date.now();
  const before = clients.iamCalls.snapshot();
  const report = await runAudit(
    { iam: new IamGateway(clients.iam, clients.sts), config },
    {
      now: (invocation.kind === 'manual' && invocation.now) || new Date(),
      users: invocation.kind === 'manual' ? invocation.users : undefined,
      dryRun: invocation.dryRun,
    },
  );
  const after = clients.iamCalls.snapshot();
  logger.info('audit complete', {
    invocation: invocation.kind,
    scope: report.scope,
    source: report.source,
    summary: report.summary,
    usersNotFound: report.usersNotFound.length,
    durationMs: Date.now() - started,
    iamCalls: after.totalCalls - before.totalCalls,
    iamThrottled: after.throttled - before.throttled,
  });
  return report;
}
