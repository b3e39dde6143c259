/**
 * The stages this app deploys, each with its props set in code (one template per stage, no CloudFormation
 * parameters). `bin/iam-key-auditor.ts` creates one stack per entry; the stack tests snapshot every entry.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IamKeyAuditorStackProps } from '../lib/props';

/** A stage's stack props, everything but the account and region, which come from the CDK CLI. */
export type StageProps = Omit<IamKeyAuditorStackProps, 'env'>;

/** Staging runs what production runs, so a change to the audit is seen there first. */
const PRODUCTION_LIKE: Omit<StageProps, 'stage'> = {
  // Two weeks' notice before a key is too old: rotating a key deployed to several services takes planning.
  audit: { thresholds: { maxKeyAgeDays: 90, warnDays: 14, unusedDays: 45 } },
  logRetention: RetentionDays.SIX_MONTHS,
};

export const STAGES: readonly StageProps[] = [
  {
    stage: 'integration',
    // Working days only: nobody reads an integration report at the weekend.
    schedule: 'cron(0 7 ? * MON-FRI *)',
    // Friday's audit to Monday's is 72 hours: the staleness alarm must not fire every weekend.
    monitoring: { maxHoursWithoutAudit: 74 },
    logRetention: RetentionDays.TWO_WEEKS,
  },
  { stage: 'staging', ...PRODUCTION_LIKE },
  { stage: 'production', ...PRODUCTION_LIKE },
];

/** The construct id (and so the CloudFormation stack name) of a stage's stack. */
export function stackIdFor(stage: string): string {
  return `IamKeyAuditor-${stage}`;
}
