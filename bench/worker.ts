/**
 * One audit in a process of its own, so its peak RSS is its own: `run.ts` bundles this file with esbuild (as the
 * stack bundles the handler), forks it with plain `node` and sends it a `WorkerJob`; it audits the fake IAM at
 * `endpoint` with one strategy and answers one `WorkerOutcome`, then exits. The fake IAM runs in the parent.
 */
import { createAwsClients } from '../lambdas/audit/adapters/aws-clients';
import type { CallCounts } from '../lambdas/audit/adapters/call-counter';
import { IamGateway } from '../lambdas/audit/adapters/iam';
import { validateAuditConfig } from '../lambdas/audit/config';
import type { AuditReport } from '../lambdas/audit/domain/report';
import { runAudit } from '../lambdas/audit/engine';
import { runNaiveAudit } from './naive-audit';

export type Strategy = 'engine' | 'naive';

export interface WorkerJob {
  strategy: Strategy;
  endpoint: string;
  /** The audit's `now`, ISO 8601. */
  now: string;
  concurrency: number;
  maxAttempts: number;
  pollIntervalMs: number;
  reportWaitSeconds: number;
}

export interface WorkerResult {
  ok: true;
  /** From just before the audit to just after (process start and module loading excluded). */
  wallMs: number;
  /** RSS once the modules are loaded and the clients built, before the first call. */
  rssBeforeBytes: number;
  /** `process.resourceUsage().maxRSS` when the audit returned: the process's peak RSS. */
  peakRssBytes: number;
  /** `heapUsed` when the audit returned, garbage included. */
  heapUsedBytes: number;
  /** The largest `heapUsed` seen, sampled every 10 ms during the audit. */
  peakHeapUsedBytes: number;
  /** The client-side counter of IAM calls (STS is not counted there). */
  client: CallCounts;
  report: AuditReport;
}

export type WorkerOutcome = WorkerResult | { ok: false; error: string };

/** Fake credentials: the fake IAM does not check signatures. */
const BENCH_CREDENTIALS = { accessKeyId: 'AKIABENCHBENCHBENCH0', secretAccessKey: 'bench-not-a-secret' };

async function audit(job: WorkerJob): Promise<WorkerResult> {
  const config = validateAuditConfig({
    concurrency: job.concurrency,
    maxAttempts: job.maxAttempts,
    reportWaitSeconds: job.reportWaitSeconds,
  });
  const clients = createAwsClients({
    maxAttempts: config.maxAttempts,
    endpoint: job.endpoint,
    credentials: BENCH_CREDENTIALS,
  });
  const now = new Date(job.now);
  const rssBeforeBytes = process.memoryUsage.rss();
  let peakHeapUsedBytes = 0;
  const sampler = setInterval(() => {
    peakHeapUsedBytes = Math.max(peakHeapUsedBytes, process.memoryUsage().heapUsed);
  }, 10);
  const started = performance.now();
  const report =
    job.strategy === 'engine'
      ? await runAudit(
          {
            iam: IamGateway.fromClients(clients),
            config,
            pollIntervalMs: job.pollIntervalMs,
          },
          { now, dryRun: true },
        )
      : await runNaiveAudit({ iam: clients.iam, sts: clients.sts, config }, now);
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  // Read before the report is serialised for the parent, which would add to the peak.
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return {
    ok: true,
    wallMs,
    rssBeforeBytes,
    peakRssBytes,
    heapUsedBytes: process.memoryUsage().heapUsed,
    peakHeapUsedBytes,
    client: clients.iamCalls.snapshot(),
    report,
  };
}

function reply(outcome: WorkerOutcome): void {
  if (!process.send) throw new Error('bench worker must be forked with an IPC channel');
  process.send(outcome, () => process.disconnect());
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.once('message', (job: WorkerJob) => {
  audit(job).then(reply, (error: Error) => reply({ ok: false, error: `${error.name}: ${error.message}` }));
});
