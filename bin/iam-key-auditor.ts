#!/usr/bin/env node
/**
 * The CDK app: one IamKeyAuditorStack per stage and, when organization mode is configured (see
 * bin/organization-deployment.ts), the OrganizationAccessStack and the organization-mode auditor stage; all
 * checked by cdk-nag's AWS Solutions pack.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IamKeyAuditorStack } from '../lib/iam-key-auditor-stack';
import { OrganizationAccessStack } from '../lib/organization-access-stack';
import {
  ORGANIZATION_ACCESS_STACK_ID,
  organizationDeploymentFrom,
  organizationStacks,
} from './organization-deployment';
import { STAGES, stackIdFor } from './stages';

const app = new App();

// The CDK CLI sets these from the profile it deploys with; reading them is the one environment access allowed.
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

for (const props of STAGES) {
  new IamKeyAuditorStack(app, stackIdFor(props.stage), { ...props, env });
}

// Organization mode, only when configured: each stack pinned to its own account.
const deployment = organizationDeploymentFrom((key) => app.node.tryGetContext(key));
if (deployment) {
  const { access, auditor } = organizationStacks(deployment);
  if (STAGES.some((stage) => stage.stage === auditor.stage)) {
    throw new Error(
      `auditorStage ${JSON.stringify(auditor.stage)} is a single-account stage of bin/stages.ts: choose another`,
    );
  }
  new OrganizationAccessStack(app, ORGANIZATION_ACCESS_STACK_ID, access);
  new IamKeyAuditorStack(app, stackIdFor(auditor.stage), auditor);
}

// cdk-nag 3 is a policy-validation plugin: any unacknowledged finding fails `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
