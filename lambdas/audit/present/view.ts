/**
 * One channel-neutral view of an account audit: whose findings, the counts a summary gives, which findings are
 * shown in full (new and escalated), which as one line per key grouped by rule and step, and what the
 * `maxFindingLines` cap leaves to the full report, counted. Every renderer writes its own words from it. Pure.
 */
import { isCleanAudit, type AuditReport } from '../domain/report';
import {
  RULE_IDS,
  type ActionStep,
  type ExemptedFinding,
  type Finding,
  type ResolvedFinding,
  type RuleId,
  type Severity,
} from '../domain/types';
import { compareSeverity, compareText, countBySeverity, SEVERITY_RANK } from './text';

/** Finding lines a digest shows at most, by default: the rest are counted and are in the full report. */
export const DEFAULT_MAX_FINDING_LINES = 50;

/** Whose findings a digest is for: a team's own channel, or the default channel less the teams with their own. */
export type Audience = { team: string } | { exceptTeams: string[] };

export interface ViewOptions {
  audience?: Audience;
  /** Finding lines at most (new and escalated in full count one each). Default `DEFAULT_MAX_FINDING_LINES`. */
  maxFindingLines?: number;
  /** Where the full report is (an S3 console URL); rendered when present. */
  reportLocation?: string;
  /** The full report could not be written this time; rendered as a warning. */
  reportFailed?: boolean;
}

/** Still-open findings that take one step: the action and runbook step are written once for all. */
export interface FindingGroup {
  step: ActionStep;
  /** The rules that decided its findings, in `RULE_IDS` order. */
  rules: RuleId[];
  /** The most severe of its findings. */
  severity: Severity;
  runbookUrl: string;
  findings: Finding[];
}

export interface AccountView {
  report: AuditReport;
  /** The team a team's digest is for; null otherwise. */
  team: string | null;
  /** The audience's alerting findings, most severe first. */
  findings: Finding[];
  exempted: ExemptedFinding[];
  /** Resolved since the last audit; empty in a team's digest (a resolved finding does not say whose it was). */
  resolved: ResolvedFinding[];
  /** For `exceptTeams`: the findings left to those teams' own channels, and the teams that have some. */
  elsewhere: { findings: number; teams: string[] };
  /** True when the state store tracks findings across audits (new / resolved / escalated are known). */
  tracked: boolean;
  /** A first tracked audit: every finding new, nothing resolved (shown grouped, like an untracked one). */
  firstAudit: boolean;
  counts: {
    bySeverity: Record<Severity, number>;
    /** Findings per owning team, most first; `null` for findings without an owner. */
    byTeam: { team: string | null; count: number }[];
    fresh: number;
    escalated: number;
    stillOpen: number;
    /** New or escalated findings, shown in full (before the cap). */
    full: number;
    /** The others, one line each (before the cap). */
    lines: number;
  };
  /** New or escalated findings, shown in full, most severe and oldest first. */
  full: Finding[];
  /** Still-open findings, one line per key, grouped by rule and step, most severe group first. */
  groups: FindingGroup[];
  /** Finding lines past the cap: not shown, counted, in the full report. */
  omitted: { total: number; bySeverity: Record<Severity, number> };
  resolvedShown: ResolvedFinding[];
  exemptedShown: ExemptedFinding[];
  maxFindingLines: number;
  reportLocation?: string;
  reportFailed?: boolean;
}

/** A tag names a team in any case (`Platform` is the map's `platform`), as the routing of findings has it. */
export function sameTeam(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Most severe first, then the oldest (longest open, then oldest key), then user and key: the order a person works. */
export function compareForAttention(a: Finding, b: Finding): number {
  return (
    compareSeverity(a.severity, b.severity) ||
    (b.openDays ?? 0) - (a.openDays ?? 0) ||
    (b.ageDays ?? 0) - (a.ageDays ?? 0) ||
    compareText(a.userName, b.userName) ||
    compareText(a.accessKeyId ?? '', b.accessKeyId ?? '')
  );
}

/** Resolved findings in a stable order: by rule (as `RULE_IDS` lists them), then user, then key. */
export function compareResolved(a: ResolvedFinding, b: ResolvedFinding): number {
  return (
    RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule) ||
    compareText(a.userName, b.userName) ||
    compareText(a.accessKeyId ?? '', b.accessKeyId ?? '')
  );
}

function audienceOf(report: AuditReport, audience: Audience | undefined) {
  const resolved = report.changes?.resolved ?? [];
  const none = { findings: 0, teams: [] as string[] };
  const ownedBy = (team: string) => (f: Finding) => typeof f.owner === 'string' && sameTeam(f.owner, team);
  if (!audience) {
    return { team: null, findings: report.findings, exempted: report.exempted, resolved, elsewhere: none };
  }
  if ('team' in audience) {
    const owned = ownedBy(audience.team);
    return {
      team: audience.team,
      findings: report.findings.filter(owned),
      exempted: report.exempted.filter(owned),
      resolved: [],
      elsewhere: none,
    };
  }
  const routed = audience.exceptTeams.map(ownedBy);
  const ours = (f: Finding) => !routed.some((owned) => owned(f));
  const findings = report.findings.filter(ours);
  const teams = audience.exceptTeams.filter((team) => report.findings.some(ownedBy(team)));
  return {
    team: null,
    findings,
    exempted: report.exempted.filter(ours),
    resolved,
    elsewhere: { findings: report.findings.length - findings.length, teams: [...teams].sort(compareText) },
  };
}

function groupsOf(findings: Finding[]): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const finding of findings) {
    const key = finding.action.step;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, {
        step: finding.action.step,
        rules: [finding.rule],
        severity: finding.severity,
        runbookUrl: finding.runbookUrl,
        findings: [finding],
      });
    } else {
      group.findings.push(finding);
      if (!group.rules.includes(finding.rule)) {
        group.rules.push(finding.rule);
        group.rules.sort((a, b) => RULE_IDS.indexOf(a) - RULE_IDS.indexOf(b));
      }
      if (SEVERITY_RANK[finding.severity] < SEVERITY_RANK[group.severity]) group.severity = finding.severity;
    }
  }
  return [...groups.values()].sort(
    (a, b) =>
      compareSeverity(a.severity, b.severity) ||
      RULE_IDS.indexOf(a.rules[0]!) - RULE_IDS.indexOf(b.rules[0]!) ||
      compareText(a.step, b.step),
  );
}

function teamCounts(findings: Finding[]): { team: string | null; count: number }[] {
  const counts = new Map<string | null, number>();
  for (const f of findings) {
    const team = typeof f.owner === 'string' ? f.owner : null;
    counts.set(team, (counts.get(team) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([team, count]) => ({ team, count }))
    .sort(
      (a, b) =>
        b.count - a.count || (a.team === null ? 1 : b.team === null ? -1 : compareText(a.team, b.team)),
    );
}

/** Builds the view of an account audit for one audience. */
export function buildAccountView(report: AuditReport, options: ViewOptions = {}): AccountView {
  const maxFindingLines = Math.max(1, options.maxFindingLines ?? DEFAULT_MAX_FINDING_LINES);
  const { team, findings, exempted, resolved, elsewhere } = audienceOf(report, options.audience);
  const tracked = report.changes !== undefined;
  // A first audit (every finding new, nothing resolved) is grouped like an untracked one: all in full is too long.
  const firstAudit = findings.every((f) => f.isNew) && resolved.length === 0;
  const isFull = (f: Finding) => tracked && !firstAudit && (f.isNew === true || f.escalated === true);
  const full = findings.filter(isFull).sort(compareForAttention);
  const open = findings.filter((f) => !isFull(f)).sort(compareForAttention);
  const shownFull = full.slice(0, maxFindingLines);
  const shownOpen = open.slice(0, Math.max(0, maxFindingLines - shownFull.length));
  const hidden = [...full.slice(shownFull.length), ...open.slice(shownOpen.length)];
  const maxOtherLines = Math.max(5, Math.floor(maxFindingLines / 5));
  return {
    report,
    team,
    findings,
    exempted,
    resolved,
    elsewhere,
    tracked,
    firstAudit: tracked && firstAudit,
    counts: {
      bySeverity: countBySeverity(findings),
      byTeam: teamCounts(findings),
      fresh: findings.filter((f) => f.isNew).length,
      escalated: findings.filter((f) => f.escalated).length,
      stillOpen: findings.filter((f) => !f.isNew).length,
      full: full.length,
      lines: open.length,
    },
    full: shownFull,
    groups: groupsOf(shownOpen),
    omitted: { total: hidden.length, bySeverity: countBySeverity(hidden) },
    resolvedShown: [...resolved].sort(compareResolved).slice(0, maxOtherLines),
    exemptedShown: [...exempted].sort(compareForAttention).slice(0, maxOtherLines),
    maxFindingLines,
    ...(options.reportLocation ? { reportLocation: options.reportLocation } : {}),
    ...(options.reportFailed ? { reportFailed: true } : {}),
  };
}

/**
 * True when a digest has nothing to tell its channel: no finding of its own and, but for a team's digest, no user
 * named in a re-audit missing, every user covered, nothing resolved since the last audit (good news is news) and
 * the state store answered. Exempted findings, and findings sent to teams' own channels, do not count.
 */
export function nothingToTell(view: AccountView): boolean {
  const { report, findings } = view;
  if (view.team !== null) return findings.length === 0;
  return (
    isCleanAudit({ findings, usersNotFound: report.usersNotFound, incomplete: report.incomplete }) &&
    view.resolved.length === 0 &&
    report.changes?.stateError === undefined
  );
}
