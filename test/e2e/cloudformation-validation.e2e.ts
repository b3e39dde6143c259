/**
 * CDK's built-in CloudFormation validation (the cfn-lint rules, compiled to WebAssembly) on every stack that
 * `cdk synth` builds: the three single-account stages with the documented deploy config, and both stacks of
 * organization mode. The CDK tests of `npm test` turn it off (`newApp`): its engine takes seconds of CPU to start
 * in each test file. Here it runs strict (cdk.json's `@aws-cdk/core:strictCfnValidateErrors`), as `cdk synth` does,
 * so that any violation fails the synth.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { buildApp } from '../../bin/app';
import { DEPLOY_CONFIG_CONTEXT, EXAMPLE_DEPLOY_CONFIG } from '../../bin/deploy-config';
import { ORGANIZATION_CONTEXT } from '../../bin/organization-deployment';
import { CDK_CONTEXT } from '../support/cdk';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** An app as `cdk synth` makes it (validation on, bundling off), writing to a fresh directory. */
function validatingApp(context: Record<string, unknown> = {}): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-validate-'));
  const app = new App({ outdir, context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  return { app, outdir };
}

/** Synthesizes `app`; the thrown error, if any, and the rule ids CloudFormation Validate reported, by path. */
function validate(app: App, outdir: string): { error?: Error; violations: string[] } {
  let error: Error | undefined;
  try {
    app.synth();
  } catch (caught) {
    error = caught as Error;
  }
  const file = path.join(outdir, 'validation-report.json');
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport;
  const violations = report.pluginReports
    .filter((plugin) => plugin.pluginName === 'CloudFormation Validate')
    .flatMap((plugin) => plugin.violations)
    .flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`));
  return { error, violations };
}

afterAll(() => {
  for (const dir of fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('cfn-validate-'))) {
    fs.rmSync(path.join(os.tmpdir(), dir), { recursive: true, force: true });
  }
});

describe('CloudFormation validation', () => {
  it('finds nothing in any stack of the app: the three stages and organization mode', () => {
    const { app, outdir } = validatingApp({
      [DEPLOY_CONFIG_CONTEXT]: EXAMPLE_DEPLOY_CONFIG,
      [ORGANIZATION_CONTEXT]: {
        organizationId: 'o-exampleorg1',
        externalId: 'iam-key-auditor-example',
        managementAccountId: '111111111111',
        toolingAccountId: '222222222222',
        region: 'eu-west-2',
        organizationalUnitIds: ['r-ab12'],
      },
    });
    buildApp(app);
    const { error, violations } = validate(app, outdir);
    expect(violations).toEqual([]);
    expect(error).toBeUndefined();
    expect(app.node.children.filter((child) => child instanceof Stack).map((stack) => stack.node.id)).toEqual(
      [
        'IamKeyAuditor-integration',
        'IamKeyAuditor-staging',
        'IamKeyAuditor-production',
        'IamKeyAuditorOrganizationAccess',
        'IamKeyAuditor-organization',
      ],
    );
  });

  it('fails the synth on a template CloudFormation would refuse, naming the rule and the construct', () => {
    const { app, outdir } = validatingApp();
    const stack = new Stack(app, 'Invalid');
    new CfnResource(stack, 'Topic', { type: 'AWS::SNS::Topic', properties: { TopicNmae: 'typo' } });
    const { error, violations } = validate(app, outdir);
    expect(violations).toEqual(['F3002 Invalid/Topic']);
    expect(error?.message).toMatch(/strict mode considers these errors[^]*TopicNmae[^]*Invalid\/Topic/);
  });
});
