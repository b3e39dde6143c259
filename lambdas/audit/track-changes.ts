/**
 * What changed since the last audit: reads the open findings the state store holds, marks today's findings
 * new or open (and for how long), lists the resolved ones, and after the notifications writes the state back.
 * A store that cannot be read never loses findings: every finding is then shown as new, and the report says why.
 */
import type { OpenFindingState, StateUpdate } from './domain/changes';
import { diffFindings, markAlerted, withoutState } from './domain/changes';
import type { AuditReport } from './domain/report';

/** The state store as this module uses it; `adapters/state-store.ts` implements it over DynamoDB. */
export interface StatePort {
  load(accountId: string, options: { userNames?: string[]; now?: Date }): Promise<OpenFindingState[]>;
  save(accountId: string, upserts: OpenFindingState[], deletes: string[]): Promise<void>;
}

export interface Tracked {
  report: AuditReport;
  /**
   * Writes the state back (nothing on a dry run, or when it could not be read): `alerted` says whether the
   * findings were posted. Resolves to why it could not write, or undefined.
   */
  commit(alerted: boolean): Promise<string | undefined>;
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
    commit: async (alerted) => {
      if (report.dryRun) return undefined;
      const next: StateUpdate = {
        upserts: alerted ? markAlerted(diff.next.upserts, tracked.findings, now) : diff.next.upserts,
        deletes: diff.next.deletes,
      };
      try {
        await store.save(report.accountId, next.upserts, next.deletes);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  };
}
