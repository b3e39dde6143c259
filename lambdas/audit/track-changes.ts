/**
 * What changed since the last audit: reads the open findings the state store holds, marks today's findings
 * new or open (and for how long), lists the resolved ones, and writes the state back when asked (`commit`).
 * A store that cannot be read never loses findings: every finding is then shown as new, and the report says why.
 *
 * `commit` records what the audit saw (first and last seen, resolved); whether a finding was alerted is recorded
 * apart, per channel, once that channel accepted a message carrying it (`StatePort.markAlerted`).
 */
import type { OpenFindingState } from './domain/changes';
import { diffFindings, withoutState } from './domain/changes';
import type { Channel } from './domain/notification';
import type { AuditReport } from './domain/report';

/** The state store as this module uses it; `adapters/state-store.ts` implements it over DynamoDB. */
export interface StatePort {
  load(accountId: string, options: { userNames?: string[]; now?: Date }): Promise<OpenFindingState[]>;
  /**
   * Writes what the audit at `observedAt` saw; each write is conditional, so state a newer audit wrote is left
   * alone (`stale`).
   */
  save(
    accountId: string,
    upserts: OpenFindingState[],
    deletes: string[],
    options?: { observedAt?: Date },
  ): Promise<{ written: number; stale: number } | void>;
  /** Records that `channel` accepted, at `at`, a message carrying the findings `ids`. */
  markAlerted(accountId: string, ids: readonly string[], channel: Channel, at: Date): Promise<void>;
}

export interface Tracked {
  report: AuditReport;
  /**
   * Writes the state back (nothing on a dry run, or when it could not be read), as seen at the audit's time.
   * Resolves to why it could not write, or undefined. Extra writes that belong to the same commit (another
   * store's items) go beside this call in the pipeline's commit step.
   */
  commit(): Promise<string | undefined>;
}

const nothingToCommit = async (): Promise<undefined> => undefined;

export async function trackChanges(
  report: AuditReport,
  store: StatePort | undefined,
  now: Date,
  options: { escalationDays: number },
): Promise<Tracked> {
  if (!store) return { report, commit: nothingToCommit };
  const scopeUsers = report.scope.type === 'users' ? report.scope.users : undefined;
  let previous: OpenFindingState[];
  try {
    previous = await store.load(report.accountId, { userNames: scopeUsers, now });
  } catch (error) {
    const { findings, changes } = withoutState(report.findings, (error as Error).message);
    return { report: { ...report, findings, changes }, commit: nothingToCommit };
  }
  const diff = diffFindings(previous, report.findings, now, {
    escalationDays: options.escalationDays,
    scopeUsers,
    // An audit that stopped early resolves nothing: a finding it did not reach is not fixed.
    notAuditedUsers: report.incomplete ? previous.map((state) => state.userName) : undefined,
    exempted: report.exempted,
  });
  const tracked = { ...report, findings: diff.findings, changes: diff.changes };
  return {
    report: tracked,
    commit: async () => {
      if (report.dryRun) return undefined;
      try {
        await store.save(report.accountId, diff.next.upserts, diff.next.deletes, { observedAt: now });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  };
}
