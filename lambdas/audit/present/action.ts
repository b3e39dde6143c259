/**
 * The words of an action, written from the rules' structured verdict (`Finding.action`): once per group
 * (`stepText`, no key ids) and in full for one finding (`actionParts`, key ids and facts as values).
 * The rules write no English; no renderer parses any back.
 */
import { EXAMPLE_REASON, EXEMPT_TAG_KEY } from '../domain/exemptions';
import type { ActionStep, Exemption, Finding } from '../domain/types';
import { plural, value, type Part } from './text';

/** A short name per step, for group headings and CSV. */
export const STEP_LABEL: Record<ActionStep, string> = {
  'delete-root-key': 'Delete the root access key',
  'rotate-key': 'Rotate',
  'plan-rotation': 'Plan the rotation',
  'recreate-ses-user': 'Re-create the SES SMTP user',
  'deploy-new-key': 'Rotation in progress: deploy the new key',
  'replace-uses': 'Both keys in use: replace the older',
  'deactivate-old-key': 'Deactivate the older key',
  'remove-unused-key': 'Remove the unused key',
  'confirm-unused-then-remove': 'Confirm unused, then remove',
  'delete-inactive-key': 'Delete the inactive key',
  'fix-exemption': 'Fix the exemption',
  'renew-or-remove-exemption': 'Remove or renew the exemption',
};

/** What to do, for every finding of a step alike: written once per group. */
export const STEP_TEXT: Record<ActionStep, string> = {
  'delete-root-key':
    "Delete the root user's access key (sign in as root, Security credentials); give whatever uses it an IAM role instead.",
  'rotate-key':
    'Find where the key is used, create and deploy a new key, confirm the new key is used, then deactivate and delete the old one.',
  'plan-rotation':
    'The key reaches the age limit soon: find where it is used and plan its rotation before then.',
  'recreate-ses-user':
    'SMTP credentials cannot be rotated: create a new user with a .YYYYMMDD suffix, switch the application to its SMTP credentials, then delete the old user.',
  'deploy-new-key':
    'A new key was created and has not been used yet: deploy it where the old key is used, confirm it is used, then remove the old key. Do not remove the new key.',
  'replace-uses':
    'Both keys are in use: replace every use of the older key with the newer one, confirm the older is no longer used, then remove it.',
  'deactivate-old-key':
    'The older key has not been used since the newer one was created: deactivate it, then delete it.',
  'remove-unused-key': 'The key has never been used: deactivate it, then delete it. Nothing to rotate.',
  'confirm-unused-then-remove':
    'The key has not been used for a long time: confirm nothing still uses it, then deactivate and delete it.',
  'delete-inactive-key': 'The key is inactive: delete it.',
  'fix-exemption':
    'Fix the exemption (its tag on the user, or the stack props); until then it exempts nothing.',
  'renew-or-remove-exemption':
    'The exemption has ended: remove it, or renew it if the reason still holds; until then its findings alert.',
};

/** Where an exemption is: `tag <key> on <user>`, or `the stack props`. */
function exemptionWhere(exemption: Exemption): Part[] {
  return exemption.source === 'tag'
    ? ['tag ', value(exemption.tagKey ?? EXEMPT_TAG_KEY), ' on ', value(exemption.userName)]
    : ['the stack props (exemptions) for ', value(exemption.userName)];
}

/** The action of one finding in full: the step's words with its keys and facts. */
export function actionParts(finding: Finding): Part[] {
  const { action } = finding;
  const { facts } = action;
  const key = action.accessKeyId ? value(action.accessKeyId) : value('?');
  const keep = action.keepAccessKeyId ? value(action.keepAccessKeyId) : value('?');
  const age = facts.ageDays === null || facts.ageDays === undefined ? null : plural(facts.ageDays, 'day');
  const used =
    facts.lastUsedDaysAgo === null || facts.lastUsedDaysAgo === undefined
      ? 'never used'
      : `last used ${plural(facts.lastUsedDaysAgo, 'day')} ago`;
  switch (action.step) {
    case 'delete-root-key':
      return [
        facts.statusUnknown ? 'The root account holds an access key (status unknown). ' : '',
        STEP_TEXT['delete-root-key'],
      ];
    case 'rotate-key':
      return [
        'Rotate ',
        key,
        ` (${age ?? '?'} old, limit ${plural(facts.maxKeyAgeDays ?? 0, 'day')}): find where it is used, create and deploy a new key, confirm the new key is used, then deactivate and delete the old one.`,
      ];
    case 'plan-rotation':
      return [
        'Plan the rotation of ',
        key,
        `: it turns ${plural(facts.maxKeyAgeDays ?? 0, 'day')} old on ${facts.dueDate ?? '?'}.`,
      ];
    case 'recreate-ses-user':
      return [
        facts.dueDate ? `Due ${facts.dueDate}. ` : `${age ?? '?'} old. `,
        'SMTP credentials cannot be rotated: create user ',
        value(facts.newUserName ?? '?'),
        ', switch the application to its SMTP credentials, then delete ',
        value(finding.userName),
        '.',
      ];
    case 'deploy-new-key':
      return [
        'Rotation in progress: deploy the new key ',
        keep,
        ' where ',
        key,
        ' is used, confirm the new key is used, then remove ',
        key,
        '. Keep the new key.',
      ];
    case 'replace-uses':
      return [
        'Both keys are in use: replace every use of ',
        key,
        ' with ',
        keep,
        ', confirm the old key is no longer used, then remove it.',
      ];
    case 'deactivate-old-key':
      return [
        'Deactivate ',
        key,
        ', then delete it: not used since ',
        keep,
        ` was created on ${facts.keepCreatedOn ?? '?'}.`,
      ];
    case 'remove-unused-key':
      return ['Remove ', key, `: never used in ${age ?? '?'}; deactivate it, then delete it.`];
    case 'confirm-unused-then-remove':
      return ['Confirm nothing still uses ', key, ` (${used}), then deactivate and delete it.`];
    case 'delete-inactive-key':
      return ['Delete the inactive key ', key, ` (${used}).`];
    case 'fix-exemption': {
      const exemption = finding.exemption;
      return [
        'Fix ',
        ...(exemption ? exemptionWhere(exemption) : ['the exemption']),
        ': ',
        ...(facts.problems ?? []).flatMap((p, i) => (i ? ['; ', value(p)] : [value(p)])),
        `. Write YYYY-MM-DD <reason> with a date on or before ${facts.latestUntil ?? '?'}, e.g. "${facts.latestUntil ?? '?'} ${EXAMPLE_REASON}". Until then it exempts nothing.`,
      ];
    }
    case 'renew-or-remove-exemption': {
      const exemption = finding.exemption;
      return [
        'The exemption in ',
        ...(exemption ? exemptionWhere(exemption) : ['?']),
        ` ended on ${exemption?.until ?? '?'} (reason `,
        value(exemption?.reason ?? ''),
        `): remove it, or renew it with a date on or before ${facts.latestUntil ?? '?'} if the reason still holds.`,
      ];
    }
  }
}
