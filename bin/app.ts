/**
 * The CDK app's stacks, from its context: one IamKeyAuditorStack per stage of `bin/stages.ts` with the deploy
 * config applied (`-c deployConfig=deploy.json`, see bin/deploy-config.ts) and, when organization mode is
 * configured (bin/organization-deployment.ts), the OrganizationAccessStack and the organization-mode auditor
 * stage; all checked by cdk-nag's AWS Solutions pack. Only bin/ reads context: the stacks get props.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IamKeyAuditorStack } from '../lib/iam-key-auditor-stack';
import { OrganizationAccessStack } from '../lib/organization-access-stack';
import { deployConfigFrom, notificationsFor, stagesWith } from './deploy-config';
import {
  DEFAULT_ORGANIZATION_STAGE,
  ORGANIZATION_ACCESS_STACK_ID,
  organizationDeploymentFrom,
  organizationStacks,
} from './organization-deployment';
import { STAGES, stackIdFor } from './stages';

/** Adds the app's stacks to `app`; `env` is the account and region the CDK CLI deploys to. */
export function buildApp(app: App, env: { account?: string; region?: string } = {}): App {
  const context = (key: string) => app.node.tryGetContext(key) as unknown;
  const organization = organizationDeploymentFrom(context);
  const stageNames = [
    ...STAGES.map((stage) => stage.stage),
    organization?.auditorStage ?? DEFAULT_ORGANIZATION_STAGE,
  ];
  const deploy = deployConfigFrom(context, stageNames);

  for (const props of stagesWith(STAGES, deploy)) {
    new IamKeyAuditorStack(app, stackIdFor(props.stage), { ...props, env });
  }

  // Organization mode, only when configured: each stack pinned to its own account.
  if (organization) {
    const { access, auditor } = organizationStacks(organization);
    if (STAGES.some((stage) => stage.stage === auditor.stage)) {
      throw new Error(
        `auditorStage ${JSON.stringify(auditor.stage)} is a single-account stage of bin/stages.ts: choose another`,
      );
    }
    new OrganizationAccessStack(app, ORGANIZATION_ACCESS_STACK_ID, access);
    new IamKeyAuditorStack(app, stackIdFor(auditor.stage), {
      ...auditor,
      notifications: notificationsFor(auditor.stage, deploy),
    });
  }

  // cdk-nag 3 is a policy-validation plugin: any unacknowledged finding fails `cdk synth`.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return app;
}
