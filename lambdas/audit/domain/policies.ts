/**
 * What people have decided about findings: exemptions (from user tags and from the stack props) and owners (the
 * team tag). Pure: plain findings, users' tags and `now` in; the findings to alert and the exempted ones out.
 */
import { applyExemptions, parseTagExemptions } from './exemptions';
import { assignOwners, type TeamRoute } from './owners';
import type { Exemption, ExemptedFinding, Finding, RuleSettings } from './types';

export interface PolicySettings {
  settings: RuleSettings;
  exemptions: Exemption[];
  maxExemptionDays: number;
  teamTagKey: string;
  /** The teams of the props: an owner that matches one but for case is given the props' spelling. */
  teams: Record<string, TeamRoute>;
}

export function applyPolicies(
  findings: Finding[],
  users: readonly { userName: string; tags: Record<string, string> }[],
  now: Date,
  policy: PolicySettings,
  scopeUsers?: readonly string[],
): { alerting: Finding[]; exempted: ExemptedFinding[] } {
  const fromTags = users.map((user) => parseTagExemptions(user.userName, user.tags));
  const { alerting, exempted } = applyExemptions(
    findings,
    [...policy.exemptions, ...fromTags.flatMap((t) => t.exemptions)],
    fromTags.flatMap((t) => t.invalid),
    now,
    { maxExemptionDays: policy.maxExemptionDays, settings: policy.settings, scopeUsers },
  );
  const tags = new Map(users.map((user) => [user.userName, user.tags]));
  const known = new Map(Object.keys(policy.teams).map((team) => [team.toLowerCase(), team]));
  const canonical = <F extends Finding>(finding: F): F =>
    finding.owner ? { ...finding, owner: known.get(finding.owner.toLowerCase()) ?? finding.owner } : finding;
  return {
    alerting: assignOwners(alerting, tags, policy.teamTagKey).map(canonical),
    exempted: assignOwners(exempted, tags, policy.teamTagKey).map(canonical),
  };
}
