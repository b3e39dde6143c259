/**
 * Helpers for the CDK tests: an app that synthesizes like `cdk synth` (bundling off, and without CDK's built-in
 * CloudFormation validation, which `test/e2e/cloudformation-validation.e2e.ts` runs once on the whole app), and
 * template readers.
 *
 * `Template.fromStack` reuses the app's synth, but `Annotations.fromStack` synthesizes the whole app again (with
 * cdk-nag, when the app registers it): a test reads a stack's annotations once.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { IamKeyAuditorStack } from '../../lib/iam-key-auditor-stack';
import type { IamKeyAuditorStackProps } from '../../lib/props';

/** The feature flags `cdk synth` runs with, so that these templates are the ones that deploy. */
export const CDK_CONTEXT = (
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

export const STACK_ID = 'IamKeyAuditor-test';

/**
 * Where this test file's apps write their cloud assemblies, removed when the file's tests end. Without an `outdir`,
 * each app writes about 90 KB to a temporary directory that nobody removes: tens of thousands of them in `/tmp`
 * after a day of test runs. (Registered as the module loads: Jest refuses a hook added inside a test.)
 */
const ASSEMBLIES = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-key-auditor-cdk-'));
afterAll(() => fs.rmSync(ASSEMBLIES, { recursive: true, force: true }));

/**
 * A new app with bundling off (the entry must exist, esbuild does not run) and the built-in CloudFormation
 * validation off: its engine takes about 2 s to start in each test file and half a second a synth, and what it
 * checks does not change with the props these tests vary. `test/e2e/cloudformation-validation.e2e.ts` runs it on
 * every stack `cdk synth` builds. The constructs' stack traces (metadata, not in the templates) are off too. The
 * app writes to a directory of its own, removed after the test file.
 */
export function newApp(context: Record<string, unknown> = {}): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(ASSEMBLIES, 'app-')),
    context: {
      ...CDK_CONTEXT,
      'aws:cdk:bundling-stacks': [],
      'aws:cdk:disable-stack-trace': true,
      'aws:cdk:disable-creation-stack-traces': true,
      ...context,
    },
    builtinCloudFormationValidation: false,
  });
}

export function synth(props: Partial<IamKeyAuditorStackProps> = {}): {
  stack: IamKeyAuditorStack;
  template: Template;
} {
  const stack = new IamKeyAuditorStack(newApp(), STACK_ID, { stage: 'test', ...props });
  return { stack, template: Template.fromStack(stack) };
}

/**
 * `make()`'s result, made on the first call and returned again after. For a stack the tests of a file only read:
 * each synth takes a tenth of a second or more. (Each test file has its own module registry, so its own result.)
 */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** The stack with the default props, synthesized once per test file, for tests that only read it. */
export const synthDefault = once(() => synth());

/** The one resource of a type, by logical id; fails unless there is exactly one. */
export function onlyResource(
  template: Template,
  type: string,
): [string, { Properties: Record<string, unknown> }] {
  const entries = Object.entries(template.findResources(type));
  expect(entries).toHaveLength(1);
  return entries[0] as [string, { Properties: Record<string, unknown> }];
}

export interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
}

/** Every policy statement granted to principals in the stack, from every kind of policy resource. */
export function allStatements(template: Template): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).map(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument,
  );
  const inline = Object.values(template.findResources('AWS::IAM::Role')).flatMap((role) =>
    (
      (role as { Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }).Properties
        .Policies ?? []
    ).map((policy) => policy.PolicyDocument),
  );
  return [...policies, ...inline].flatMap((document) => document.Statement);
}

export function actionsOf(statement: Statement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

/** A `Fn::Join` rendered as text, references shown as `<LogicalId>`. */
export function renderJoin(value: unknown): string {
  const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`))
    .join(separator);
}

/** The template with the asset hash (which depends on the checkout's absolute path) replaced. */
export function snapshotOf(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(/"[0-9a-f]{64}\.zip"/g, '"[asset-hash].zip"'));
}

/** Every `Validations.of(x).acknowledge(...)` in the tree: the construct's path and the rule ids. */
export function acknowledgements(root: IConstruct): { path: string; ids: string[] }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((entry) => ({
        path: construct.node.path,
        ids: Object.keys(entry.data as Record<string, string>).map((id) => id.replace(/^annotation::/i, '')),
      })),
  );
}
