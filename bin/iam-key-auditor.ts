#!/usr/bin/env node
/** The CDK app (`cdk.json`): its stacks are built from the context by `buildApp` (bin/app.ts). */
import { App } from 'aws-cdk-lib';
import { buildApp } from './app';

// The CDK CLI sets these from the profile it deploys with; reading them is the one environment access allowed.
buildApp(new App(), { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
