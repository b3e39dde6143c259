/**
 * Organization mode's deployment, when it is configured: a typed JSON file named by the CDK context value
 * `organizationConfig` (`npx cdk deploy -c organizationConfig=organization.json <stack>`, or the same key in
 * cdk.context.json), or the context value `organization` holding the same object. Without either, the app deploys
 * the single-account stages only.
 *
 * From it the app creates two stacks: {@link ORGANIZATION_ACCESS_STACK_ID} for the management (or delegated
 * administrator) account, and the auditor stage `IamKeyAuditor-<auditorStage>` in organization mode for the
 * tooling account. Each field is checked here (a bad one throws naming it); the stacks validate the values.
 */
import * as fs from 'fs';
import type { OrganizationAccessStackProps } from '../lib/organization-access-stack';
import type { OrganizationModeProps } from '../lib/props';

/** The context key naming the config file. */
export const ORGANIZATION_CONFIG_CONTEXT = 'organizationConfig';
/** The context key holding the config itself. */
export const ORGANIZATION_CONTEXT = 'organization';
/** The construct id (and stack name) of the organization access stack. */
export const ORGANIZATION_ACCESS_STACK_ID = 'IamKeyAuditorOrganizationAccess';

/** What `organization.json` holds. */
export interface OrganizationDeployment {
  /** The organization's id, `o-…`. */
  readonly organizationId: string;
  /** The external id both stacks share (a confused-deputy guard, not a secret). */
  readonly externalId: string;
  /** The management account: the access stack goes there unless `accessAccountId` says otherwise. */
  readonly managementAccountId: string;
  /**
   * Where the access stack is deployed: the management account, or a delegated administrator for StackSets (then
   * set `callAs: 'DELEGATED_ADMIN'`); its reader role lists the accounts.
   *
   * @default managementAccountId
   */
  readonly accessAccountId?: string;
  /** The tooling account the auditor runs in. */
  readonly toolingAccountId: string;
  /** The auditor's region in the tooling account. */
  readonly region: string;
  /** The OUs (or the root) whose accounts get the member role. */
  readonly organizationalUnitIds: readonly string[];
  /**
   * The auditor stage that runs organization mode: its stack is `IamKeyAuditor-<auditorStage>`, its role
   * `iam-key-auditor-<auditorStage>`. Not one of the single-account stages.
   *
   * @default 'organization'
   */
  readonly auditorStage?: string;
  readonly callAs?: OrganizationAccessStackProps['callAs'];
  readonly memberRoleRegion?: string;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly maxConcurrency?: number;
  readonly distributedMapAbove?: number;
}

const REQUIRED_STRINGS = [
  'organizationId',
  'externalId',
  'managementAccountId',
  'toolingAccountId',
  'region',
] as const;
const OPTIONAL_STRINGS = ['accessAccountId', 'auditorStage', 'callAs', 'memberRoleRegion'] as const;
const OPTIONAL_LISTS = ['include', 'exclude'] as const;
const OPTIONAL_NUMBERS = ['maxConcurrency', 'distributedMapAbove'] as const;
const KNOWN = new Set<string>([
  ...REQUIRED_STRINGS,
  ...OPTIONAL_STRINGS,
  ...OPTIONAL_LISTS,
  ...OPTIONAL_NUMBERS,
  'organizationalUnitIds',
]);

/** Checks the shape of a parsed config; `source` names it in the errors. */
export function parseOrganizationDeployment(raw: unknown, source: string): OrganizationDeployment {
  const fail = (message: string): never => {
    throw new Error(`${source}: ${message}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('must be a JSON object');
  const value = raw as Record<string, unknown>;
  const unknown = Object.keys(value).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) fail(`unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  for (const key of REQUIRED_STRINGS) {
    if (typeof value[key] !== 'string') fail(`${key} must be a string; got ${JSON.stringify(value[key])}`);
  }
  for (const key of OPTIONAL_STRINGS) {
    if (value[key] !== undefined && typeof value[key] !== 'string') {
      fail(`${key} must be a string when given; got ${JSON.stringify(value[key])}`);
    }
  }
  const isStringList = (v: unknown) => Array.isArray(v) && v.every((e) => typeof e === 'string');
  if (!isStringList(value.organizationalUnitIds)) {
    fail(
      `organizationalUnitIds must be a list of OU ids; got ${JSON.stringify(value.organizationalUnitIds)}`,
    );
  }
  for (const key of OPTIONAL_LISTS) {
    if (value[key] !== undefined && !isStringList(value[key])) {
      fail(`${key} must be a list of account ids when given; got ${JSON.stringify(value[key])}`);
    }
  }
  for (const key of OPTIONAL_NUMBERS) {
    if (value[key] !== undefined && typeof value[key] !== 'number') {
      fail(`${key} must be a number when given; got ${JSON.stringify(value[key])}`);
    }
  }
  return value as unknown as OrganizationDeployment;
}

/** The organization deployment the context configures, or undefined: single-account stages only. */
export function organizationDeploymentFrom(
  context: (key: string) => unknown,
  readFile: (file: string) => string = (file) => fs.readFileSync(file, 'utf8'),
): OrganizationDeployment | undefined {
  const file = context(ORGANIZATION_CONFIG_CONTEXT);
  const inline = context(ORGANIZATION_CONTEXT);
  if (file !== undefined && inline !== undefined) {
    throw new Error(
      `set either the context value ${ORGANIZATION_CONFIG_CONTEXT} or ${ORGANIZATION_CONTEXT}, not both`,
    );
  }
  if (file !== undefined) {
    if (typeof file !== 'string' || file === '') {
      throw new Error(`${ORGANIZATION_CONFIG_CONTEXT} must name a JSON file; got ${JSON.stringify(file)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFile(file));
    } catch (error) {
      throw new Error(`${file}: cannot read it as JSON: ${(error as Error).message}`, { cause: error });
    }
    return parseOrganizationDeployment(parsed, file);
  }
  if (inline === undefined) return undefined;
  // `-c organization='{...}'` arrives as a string; cdk.json's context as an object.
  const parsed = typeof inline === 'string' ? (JSON.parse(inline) as unknown) : inline;
  return parseOrganizationDeployment(parsed, `context ${ORGANIZATION_CONTEXT}`);
}

export const DEFAULT_ORGANIZATION_STAGE = 'organization';

/** The two stacks' props: the access stack's and the organization-mode auditor's. */
export function organizationStacks(deployment: OrganizationDeployment): {
  access: OrganizationAccessStackProps;
  auditor: { stage: string; env: { account: string; region: string }; organization: OrganizationModeProps };
} {
  const stage = deployment.auditorStage ?? DEFAULT_ORGANIZATION_STAGE;
  const accessAccount = deployment.accessAccountId ?? deployment.managementAccountId;
  return {
    access: {
      env: { account: accessAccount, region: deployment.memberRoleRegion ?? 'us-east-1' },
      auditorStage: stage,
      toolingAccountId: deployment.toolingAccountId,
      organizationId: deployment.organizationId,
      externalId: deployment.externalId,
      organizationalUnitIds: deployment.organizationalUnitIds,
      ...(deployment.memberRoleRegion && { memberRoleRegion: deployment.memberRoleRegion }),
      ...(deployment.callAs && { callAs: deployment.callAs }),
    },
    auditor: {
      stage,
      env: { account: deployment.toolingAccountId, region: deployment.region },
      organization: {
        organizationId: deployment.organizationId,
        externalId: deployment.externalId,
        managementAccountId: deployment.managementAccountId,
        ...(accessAccount !== deployment.managementAccountId && { readerAccountId: accessAccount }),
        ...(deployment.include && { include: deployment.include }),
        ...(deployment.exclude && { exclude: deployment.exclude }),
        ...(deployment.maxConcurrency !== undefined && { maxConcurrency: deployment.maxConcurrency }),
        ...(deployment.distributedMapAbove !== undefined && {
          distributedMapAbove: deployment.distributedMapAbove,
        }),
      },
    },
  };
}
