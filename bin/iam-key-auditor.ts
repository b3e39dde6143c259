#!/usr/bin/env node
/** The CDK app: one IamKeyAuditorStack per stage, checked by cdk-nag's AWS Solutions pack. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IamKeyAuditorStack } from '../lib/iam-key-auditor-stack';
import { STAGES, stackIdFor } from './stages';

const app = new App();

// The CDK CLI sets these from the profile it deploys with; reading them is the one environment access allowed.
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

for (const props of STAGES) {
  new IamKeyAuditorStack(app, stackIdFor(props.stage), { ...props, env });
}

// cdk-nag 3 is a policy-validation plugin: any unacknowledged finding fails `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
