/**
 * Owners: the team a user's tag names, and where each team's findings are sent. Pure.
 *
 * A user tag (key `team` unless configured) names the owning team. The stack props map a team to a Slack mention
 * and, optionally, its own incoming-webhook secret. A team with a webhook gets its findings in its own channel;
 * every other finding (a team with only a mention, a team the map does not know, a user without the tag) goes to
 * the default channel, with the team's mention where one is configured.
 */
import type { Finding } from './types';
import { IAM_TAG_VALUE, isSlackMention, SECRET_ARN } from './patterns';

/** The user tag naming the owning team, by default. */
export const DEFAULT_TEAM_TAG_KEY = 'team';

/** Where one team's findings go. */
export interface TeamRoute {
  /** A Slack user group (`<!subteam^S0123ABCD>`) or user (`<@U0123ABCD>`) mentioned with the team's findings. */
  mention?: string;
  /** The full ARN of a Secrets Manager secret holding the team's own Slack incoming-webhook URL. */
  webhookSecretArn?: string;
}

/** The default channel, or a team's own webhook. */
export type Destination = 'default' | { team: string; webhookSecretArn: string };

/** One team's findings (or the unowned ones) and where they go. */
export interface Route<F> {
  destination: Destination;
  /** The team as the map names it (or as the tag names it, for a team the map does not know); null: no owner. */
  team: string | null;
  /** The team's mention, where configured. */
  mention?: string;
  findings: F[];
}

/** Tag lookups are case-insensitive on the key: `Team` and `team` name the same tag. */
function tagValue(tags: Record<string, string>, tagKey: string): string | undefined {
  if (tagKey in tags) return tags[tagKey];
  const lower = tagKey.toLowerCase();
  return Object.entries(tags).find(([k]) => k.toLowerCase() === lower)?.[1];
}

/** The team the user's `teamTagKey` tag names (trimmed), or null when the tag is absent or blank. */
export function ownerOf(tags: Record<string, string>, teamTagKey: string): string | null {
  const value = tagValue(tags, teamTagKey)?.trim();
  return value ? value : null;
}

/**
 * The findings with `owner` set from their user's tags; null for users without the tag and for users whose tags
 * are not known (the root account, a user only the props name).
 */
export function assignOwners<F extends Finding>(
  findings: F[],
  tagsByUser: Record<string, Record<string, string>> | ReadonlyMap<string, Record<string, string>>,
  teamTagKey: string,
): F[] {
  const tagsOf = (userName: string): Record<string, string> | undefined =>
    tagsByUser instanceof Map
      ? tagsByUser.get(userName)
      : Object.prototype.hasOwnProperty.call(tagsByUser, userName)
        ? (tagsByUser as Record<string, Record<string, string>>)[userName]
        : undefined;
  return findings.map((finding) => {
    const tags = tagsOf(finding.userName);
    return { ...finding, owner: tags ? ownerOf(tags, teamTagKey) : null };
  });
}

/** The map's entry for a team: its own name first, then case-insensitively (`Platform` tags reach `platform`). */
function teamEntry(
  teams: Record<string, TeamRoute>,
  owner: string,
): { team: string; route: TeamRoute } | undefined {
  if (Object.prototype.hasOwnProperty.call(teams, owner)) return { team: owner, route: teams[owner]! };
  const lower = owner.toLowerCase();
  const found = Object.entries(teams).find(([name]) => name.toLowerCase() === lower);
  return found ? { team: found[0], route: found[1] } : undefined;
}

/**
 * Plans where the findings go: one route per team with its own webhook, then, for the default channel, one route
 * per other team (with its mention where configured) in the order of the map, then teams the map does not know (by
 * name), then the unowned findings (`team: null`). Routes without findings are left out; findings keep their order.
 */
export function routeFindings<F extends Pick<Finding, 'owner'>>(
  findings: F[],
  teams: Record<string, TeamRoute>,
): Route<F>[] {
  const routes = new Map<string, Route<F>>();
  const unowned: F[] = [];
  for (const finding of findings) {
    const owner = finding.owner?.trim();
    if (!owner) {
      unowned.push(finding);
      continue;
    }
    const entry = teamEntry(teams, owner);
    const team = entry?.team ?? owner;
    let route = routes.get(team);
    if (!route) {
      const { mention, webhookSecretArn } = entry?.route ?? {};
      route = {
        destination: webhookSecretArn ? { team, webhookSecretArn } : 'default',
        team,
        ...(mention ? { mention } : {}),
        findings: [],
      };
      routes.set(team, route);
    }
    route.findings.push(finding);
  }
  const order = Object.keys(teams);
  const position = (team: string | null): number => {
    const index = order.indexOf(team ?? '');
    return index === -1 ? order.length : index;
  };
  const isDefault = (route: Route<F>): number => (route.destination === 'default' ? 1 : 0);
  const name = (route: Route<F>): string => route.team ?? '';
  const sorted = [...routes.values()].sort(
    (a, b) =>
      isDefault(a) - isDefault(b) ||
      position(a.team) - position(b.team) ||
      (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0),
  );
  return unowned.length > 0 ? [...sorted, { destination: 'default', team: null, findings: unowned }] : sorted;
}

/**
 * Validates the stack's map of teams at synth: each name a tag value IAM allows (no two differing only in case),
 * each entry a mention, a webhook secret or both, a mention `<!subteam^ID>` or `<@U…>`/`<@W…>`, a webhook secret
 * a full Secrets Manager ARN (with the 6-character suffix). Throws an Error naming the team, the field and the
 * value; returns the map.
 */
export function validateTeams(teams: Record<string, TeamRoute> = {}): Record<string, TeamRoute> {
  if (teams === null || typeof teams !== 'object' || Array.isArray(teams)) {
    throw new Error(
      `teams must map a team name to { mention?, webhookSecretArn? }; got ${JSON.stringify(teams)}`,
    );
  }
  const seen = new Map<string, string>();
  for (const [team, route] of Object.entries(teams)) {
    const name = `teams[${JSON.stringify(team)}]`;
    if (!IAM_TAG_VALUE.test(team) || team.trim() !== team) {
      throw new Error(
        `${name}: a team name must be what the team tag holds: 1 to 256 letters, digits, spaces or _.:/=+-@, ` +
          `without leading or trailing spaces`,
      );
    }
    const other = seen.get(team.toLowerCase());
    if (other !== undefined) {
      throw new Error(
        `${name}: differs from teams[${JSON.stringify(other)}] only in case; tags match either`,
      );
    }
    seen.set(team.toLowerCase(), team);
    if (route === null || typeof route !== 'object') {
      throw new Error(`${name} must be { mention?, webhookSecretArn? }; got ${JSON.stringify(route)}`);
    }
    if (route.mention === undefined && route.webhookSecretArn === undefined) {
      throw new Error(
        `${name} must have a mention, a webhookSecretArn or both; got ${JSON.stringify(route)}`,
      );
    }
    if (
      route.mention !== undefined &&
      !(typeof route.mention === 'string' && isSlackMention(route.mention))
    ) {
      throw new Error(
        `${name}.mention must be a Slack user group <!subteam^ID> or user <@U…> (IDs in capitals and digits, ` +
          `e.g. <!subteam^S0123ABCD>); got ${JSON.stringify(route.mention)}`,
      );
    }
    if (
      route.webhookSecretArn !== undefined &&
      !(typeof route.webhookSecretArn === 'string' && SECRET_ARN.test(route.webhookSecretArn))
    ) {
      throw new Error(
        `${name}.webhookSecretArn must be the full ARN of a Secrets Manager secret, with its 6-character suffix ` +
          `(arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf); got ${JSON.stringify(route.webhookSecretArn)}`,
      );
    }
  }
  return teams;
}
