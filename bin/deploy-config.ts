/**
 * Who a deployment tells: a typed JSON file named by the CDK context value `deployConfig`
 * (`npx cdk deploy -c deployConfig=deploy.json <stack>`, or the same key in cdk.context.json). `deploy.example.json`
 * is the documented one. Each field is checked here (a bad one throws naming the file, the field and the value);
 * the stacks validate the values again.
 *
 * ```json
 * { "alertEmail": "platform-team@example.com", "stages": { "integration": { "alertEmail": "nobody" } } }
 * ```
 *
 * The Slack webhook URL is never here (it would end up in the template): it goes into the stack's secret with the
 * command the stack outputs (`SlackWebhookCommand`). Without the file, every stage synthesizes with a warning that
 * nobody is told of its findings and alarms.
 */
import * as fs from 'fs';
import type { NotificationChannelsProps } from '../lib/constructs/notification-channels';
import type { StageProps } from './stages';

/** The context key naming the config file. */
export const DEPLOY_CONFIG_CONTEXT = 'deployConfig';

/** The `alertEmail` that says, on purpose, that nobody is subscribed (no warning at synth). */
export const NOBODY = 'nobody';

/** The documented config, synthesized by the tests: `npx cdk deploy -c deployConfig=deploy.example.json`. */
export const EXAMPLE_DEPLOY_CONFIG = 'deploy.example.json';

/** Who one stage tells. */
export interface StageDeployConfig {
  /**
   * The email address subscribed to the stage's findings topic, which also receives its alarms; or `"nobody"`,
   * to say that nobody is told, on purpose.
   */
  readonly alertEmail?: string;
  /**
   * An existing secret (full ARN) holding the Slack webhook URL, instead of the one the stack creates.
   *
   * @default a created secret, holding the not-configured marker until its URL is put in
   */
  readonly slackWebhookSecretArn?: string;
}

/** What `deploy.json` holds: the defaults of every stage, and per-stage overrides. */
export interface DeployConfig extends StageDeployConfig {
  /** Per stage (by name: `integration`, `staging`, `production`, the organization stage), what differs. */
  readonly stages?: Readonly<Record<string, StageDeployConfig>>;
}

const STAGE_FIELDS = ['alertEmail', 'slackWebhookSecretArn'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkStageFields(value: Record<string, unknown>, where: string, fail: (m: string) => never): void {
  for (const key of STAGE_FIELDS) {
    if (value[key] !== undefined && typeof value[key] !== 'string') {
      fail(`${where}${key} must be a string when given; got ${JSON.stringify(value[key])}`);
    }
  }
  const email = value.alertEmail;
  if (typeof email === 'string' && email !== NOBODY && !EMAIL.test(email)) {
    fail(`${where}alertEmail must be an email address or "${NOBODY}"; got ${JSON.stringify(email)}`);
  }
}

/** Checks the shape of a parsed config; `source` names it in the errors; `stages` are the names it may use. */
export function parseDeployConfig(raw: unknown, source: string, stages: readonly string[]): DeployConfig {
  const fail = (message: string): never => {
    throw new Error(`${source}: ${message}`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const unknownFields = (v: Record<string, unknown>, known: readonly string[]) =>
    Object.keys(v).filter((key) => !known.includes(key));
  if (!isObject(raw)) return fail('must be a JSON object');
  const extra = unknownFields(raw, [...STAGE_FIELDS, 'stages']);
  if (extra.length > 0) fail(`unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  checkStageFields(raw, '', fail);
  if (raw.stages !== undefined) {
    if (!isObject(raw.stages))
      return fail(`stages must be an object by stage name; got ${JSON.stringify(raw.stages)}`);
    for (const [stage, value] of Object.entries(raw.stages)) {
      if (!stages.includes(stage)) {
        fail(
          `stages names ${JSON.stringify(stage)}, which is not a stage of this app (${stages.join(', ')})`,
        );
      }
      if (!isObject(value)) fail(`stages.${stage} must be an object; got ${JSON.stringify(value)}`);
      const extraInStage = unknownFields(value as Record<string, unknown>, STAGE_FIELDS);
      if (extraInStage.length > 0) {
        fail(`stages.${stage} has unknown field(s) ${extraInStage.map((k) => JSON.stringify(k)).join(', ')}`);
      }
      checkStageFields(value as Record<string, unknown>, `stages.${stage}.`, fail);
    }
  }
  return raw as DeployConfig;
}

/** The deploy config the context names, or undefined when it names none. */
export function deployConfigFrom(
  context: (key: string) => unknown,
  stages: readonly string[],
  readFile: (file: string) => string = (file) => fs.readFileSync(file, 'utf8'),
): DeployConfig | undefined {
  const file = context(DEPLOY_CONFIG_CONTEXT);
  if (file === undefined) return undefined;
  if (typeof file !== 'string' || file === '') {
    throw new Error(`${DEPLOY_CONFIG_CONTEXT} must name a JSON file; got ${JSON.stringify(file)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFile(file));
  } catch (error) {
    throw new Error(`${file}: cannot read it as JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseDeployConfig(parsed, file, stages);
}

/**
 * A stage's notification props from the deploy config: its email subscribed to a created topic (or `nobody`, on
 * purpose), its webhook secret. Props the stage sets in code (`bin/stages.ts`) are kept where the config is silent.
 */
export function notificationsFor(
  stage: string,
  config: DeployConfig | undefined,
  base: NotificationChannelsProps = {},
): NotificationChannelsProps {
  const own = config?.stages?.[stage] ?? {};
  const alertEmail = own.alertEmail ?? config?.alertEmail;
  const secretArn = own.slackWebhookSecretArn ?? config?.slackWebhookSecretArn;
  return {
    ...base,
    ...(alertEmail === NOBODY
      ? { topic: { noSubscribers: true } }
      : alertEmail !== undefined
        ? { topic: { emailSubscriptions: [alertEmail] } }
        : {}),
    ...(secretArn !== undefined ? { slackWebhookSecret: { secretArn } } : {}),
  };
}

/** The stages with the deploy config applied: what `bin/iam-key-auditor.ts` deploys. */
export function stagesWith(stages: readonly StageProps[], config: DeployConfig | undefined): StageProps[] {
  return stages.map((props) => ({
    ...props,
    notifications: notificationsFor(props.stage, config, props.notifications),
  }));
}
