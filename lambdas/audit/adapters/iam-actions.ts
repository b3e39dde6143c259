/**
 * The IAM actions the engine calls: all read-only. The stack grants exactly these and nothing else.
 * Keep in step with adapters/iam.ts (a test checks every command the adapter sends is listed here).
 */
export const IAM_READ_ACTIONS = [
  'iam:GenerateCredentialReport',
  'iam:GetCredentialReport',
  'iam:GetAccountAuthorizationDetails',
  'iam:GetAccountSummary',
  'iam:ListAccountAliases',
  'iam:GetUser',
  'iam:ListAccessKeys',
  'iam:GetAccessKeyLastUsed',
] as const;
