import * as path from 'path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { configToEnv, type AuditConfig } from '../../lambdas/audit/config';
import { IAM_READ_ACTIONS } from '../../lambdas/audit/adapters/iam-actions';
import { SERVICE_NAME } from '../../lambdas/audit/metric-names';

/** The audit Lambda's entry point, resolved from the repository root. */
export const AUDIT_HANDLER_ENTRY = path.join(__dirname, '..', '..', 'lambdas', 'audit', 'handler.ts');

/** Defaults of {@link AuditFunctionProps}, in one place so the stack and the tests can name them. */
export const AUDIT_FUNCTION_DEFAULTS = {
  timeout: Duration.minutes(15),
  memorySize: 1024,
  logRetention: logs.RetentionDays.THREE_MONTHS,
  logRemovalPolicy: RemovalPolicy.RETAIN,
} as const;

/** The timeout a function may have, in seconds: at least a minute, at most Lambda's maximum. */
export const TIMEOUT_RANGE_SECONDS = { min: 60, max: 900 } as const;

/** The memory a function may have, in MB: Lambda's limits. */
export const MEMORY_RANGE_MB = { min: 128, max: 10240 } as const;

export interface AuditFunctionProps {
  /**
   * The validated audit configuration (`validateAuditConfig`); the function gets it as environment variables
   * through `configToEnv`, and builds it back once at cold start with `loadAuditConfig`. Required.
   */
  readonly config: AuditConfig;

  /**
   * How long the function may run. A 5,000-user account audited from the credential report takes seconds,
   * but when the report is late the engine falls back to live per-user IAM calls, which IAM throttles; the
   * whole run must still finish in one invocation, so the default is Lambda's maximum. 60 to 900 seconds.
   *
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;

  /**
   * Memory in MB (128 to 10240). Lambda gives CPU in proportion to memory; 1024 MB parses a 5,000-line
   * credential report and keeps eight live verifications (the default concurrency) and their SDK clients busy
   * without the run becoming CPU-bound; one run a day costs under a dollar a month even at the full 15 minutes.
   *
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Retention of the function's log group. Three months covers one whole default rotation period
   * (`maxKeyAgeDays` 90), so the daily summaries show a key's history from creation to rotation.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log group when the stack is deleted. Audit logs are evidence, so they are kept.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * A fixed name for the function's role, for roles in other accounts to trust by ARN (organization mode).
   *
   * @default a name CloudFormation generates
   */
  readonly roleName?: string;

  /**
   * Whether the function reads IAM in its own account (`IAM_READ_ACTIONS` on `*`). Organization mode audits every
   * account, its own included, through the member role the StackSet puts there, so its function reads no IAM
   * itself.
   *
   * @default true
   */
  readonly readsIam?: boolean;
}

/** Throws unless `timeout` is a whole number of seconds from 60 to 900; the message names the value. */
export function validateTimeout(timeout: Duration): Duration {
  if (timeout.isUnresolved()) {
    throw new Error(`timeout must be a concrete duration, not a token; got ${timeout.toString()}`);
  }
  const seconds = timeout.toSeconds({ integral: false });
  const { min, max } = TIMEOUT_RANGE_SECONDS;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new Error(
      `timeout must be a whole number of seconds from ${min} to ${max}; got ${timeout.toHumanString()} (${seconds} s)`,
    );
  }
  return timeout;
}

/** Lambda's limit on a function's environment variables, names and values together. */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;
/** Room kept for the variables the stack adds after the configuration: topic, secret and table names, ARNs. */
const ENVIRONMENT_RESERVE_BYTES = 1024;

/** Throws unless the configuration's variables leave room under Lambda's 4 KB; the message says what to move. */
export function validateEnvironmentSize(environment: Record<string, string>): Record<string, string> {
  const bytes = Object.entries(environment).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  const limit = LAMBDA_ENVIRONMENT_MAX_BYTES - ENVIRONMENT_RESERVE_BYTES;
  if (bytes > limit) {
    throw new Error(
      `the audit configuration takes ${bytes} bytes of environment variables, more than the ${limit} that fit beside the ` +
        `stack's own under Lambda's 4 KB: put exemptions on the users as tags (iam-key-auditor:exempt) rather than in the props`,
    );
  }
  return environment;
}

/** Throws unless `memorySize` is a whole number of MB from 128 to 10240; the message names the value. */
export function validateMemorySize(memorySize: number): number {
  const { min, max } = MEMORY_RANGE_MB;
  if (!Number.isInteger(memorySize) || memorySize < min || memorySize > max) {
    throw new Error(`memorySize must be a whole number of MB from ${min} to ${max}; got ${memorySize}`);
  }
  return memorySize;
}

/**
 * The audit Lambda: one `NodejsFunction` with everything it needs around it.
 *
 * Defaults, each overridable only where {@link AuditFunctionProps} says so:
 * - runtime `nodejs22.x` (the project's standard), architecture `arm64`;
 * - entry `lambdas/audit/handler.ts`, export `handler`, bundled by esbuild with minify and source maps
 *   (`NODE_OPTIONS=--enable-source-maps`, so stack traces point at the TypeScript), and with the AWS SDK
 *   bundled too rather than taken from the runtime, so the deployed code runs the SDK versions the lock file
 *   pins and the tests ran;
 * - an explicit log group (retention three months, retained on delete) that the function logs to;
 * - its own role, with no managed policy: write to its log group (a grant), and one statement allowing exactly
 *   `IAM_READ_ACTIONS` on `*` (none with `readsIam: false`);
 * - no asynchronous retries (a failed audit is seen by its alarm, not silently run again); no reserved
 *   concurrency, which would fail to deploy in accounts still at the default concurrency limit, and a second
 *   audit running alongside is harmless (every call is a read);
 * - timeout 15 minutes and 1024 MB, sized for a 5,000-user account;
 * - environment `configToEnv(config)` plus `POWERTOOLS_SERVICE_NAME=iam-key-auditor`.
 */
export class AuditFunction extends Construct {
  /** The function itself. */
  readonly function: NodejsFunction;
  /** The log group the function writes to. */
  readonly logGroup: logs.LogGroup;
  /** The function's execution role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AuditFunctionProps) {
    super(scope, id);

    const timeout = validateTimeout(props.timeout ?? AUDIT_FUNCTION_DEFAULTS.timeout);
    const memorySize = validateMemorySize(props.memorySize ?? AUDIT_FUNCTION_DEFAULTS.memorySize);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? AUDIT_FUNCTION_DEFAULTS.logRetention,
      removalPolicy: props.logRemovalPolicy ?? AUDIT_FUNCTION_DEFAULTS.logRemovalPolicy,
    });

    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the IAM key audit: writes its own logs and reads IAM users, keys and reports.',
    });
    this.logGroup.grantWrite(this.role);
    if (props.readsIam ?? true) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadIamUsersAndKeys',
          actions: [...IAM_READ_ACTIONS],
          resources: ['*'],
        }),
      );
      // cdk-nag 3 reads acknowledgements from construct metadata: one finding, on the one policy that holds it.
      Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The credential report and account-level IAM reads have no resource-level permissions, and the per-user reads must cover every user in the account.',
      });
    }

    this.function = new NodejsFunction(this, 'Function', {
      entry: AUDIT_HANDLER_ENTRY,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      role: this.role,
      logGroup: this.logGroup,
      timeout,
      memorySize,
      retryAttempts: 0,
      description: 'Audits the IAM access keys of this account against the rotation rules.',
      environment: {
        ...validateEnvironmentSize(configToEnv(props.config)),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.CJS,
        target: 'node22',
        externalModules: [],
      },
    });
    Validations.of(this.function.node.findChild('Resource')).acknowledge({
      id: 'AwsSolutions-L1',
      reason: "The runtime is pinned to nodejs22.x by the project's standard, not left to follow the newest.",
    });
  }
}
