/** A report as on its second tracked day: for the digest and email budgets. */
import type { AuditReport } from '../../lambdas/audit/domain/report';
import type { Finding, ResolvedFinding } from '../../lambdas/audit/domain/types';
import { daysAgo, NOW } from './builders';

/**
 * Day two: the first `fresh` findings new, the next `escalated` open past the threshold, `resolved` gone since
 * yesterday; `owner`, when given, names each finding's team by its index.
 */
export function dayTwo(
  report: AuditReport,
  fresh: number,
  resolved: number,
  escalated = 0,
  owner?: (index: number) => string | null,
): AuditReport {
  const findings = report.findings.map((f, i): Finding => ({
    ...f,
    ...(owner ? { owner: owner(i) } : {}),
    isNew: i < fresh,
    openDays: i < fresh ? 0 : 1 + (i % 30),
    firstSeenAt: daysAgo(i < fresh ? 0 : 1 + (i % 30)),
    escalated: i >= fresh && i < fresh + escalated,
  }));
  const gone: ResolvedFinding[] = Array.from({ length: resolved }, (_, i) => ({
    rule: 'key-unused',
    userName: `gone-${i}`,
    accessKeyId: `AKIAGONE${String(i).padStart(12, '0')}`,
    firstSeenAt: daysAgo(10),
    resolvedAt: NOW.toISOString(),
  }));
  return {
    ...report,
    findings,
    changes: { newFindings: fresh, openFindings: findings.length - fresh, resolved: gone },
  };
}
