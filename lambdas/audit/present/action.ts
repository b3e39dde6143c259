/**
 * The words of an action, written from the rules' structured verdict (`Finding.action`): once per group
 * (`stepText`, no key ids) and in full for one finding (`actionParts`, key ids and facts as values).
 * The rules write no English; no renderer parses any back.
 */
import { EXAMPLE_REASON, EXEMPT_TAG_KEY } from '../domain/exemptions';
import type { ActionStep, Exemption, Finding } from '../domain/types';
import { count, plural, value, type Part } from './text';

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

/** What to do, for every finding of a step alike: written once per group, short. */
export const STEP_TEXT: Record<ActionStep, string> = {
  'delete-root-key': "delete the root user's access key",
  'rotate-key': 'deploy a new key, confirm it is used, delete the old one',
  'plan-rotation': 'plan the rotation before the age limit',
  'recreate-ses-user': 're-create the user (.YYYYMMDD), switch to it, delete the old user',
  'deploy-new-key': 'rotation in progress: deploy the new key, confirm it is used; keep it',
  'replace-uses': 'move every use to the newer key, then remove the older',
  'deactivate-old-key': 'older key idle since the newer one: deactivate, then delete it',
  'remove-unused-key': 'never used: deactivate, then delete it',
  'confirm-unused-then-remove': 'confirm nothing uses it, then deactivate and delete it',
  'delete-inactive-key': 'delete the inactive key',
  'fix-exemption': 'fix it; until then it exempts nothing',
  'renew-or-remove-exemption': 'ended: remove it, or renew it if the reason holds',
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
        `Rotate the key (${age ?? '?'} old, limit ${count(facts.maxKeyAgeDays ?? 0)}): deploy a new key, confirm it is used, delete the old one.`,
      ];
    case 'plan-rotation':
      return [
        `Plan the rotation: the key turns ${plural(facts.maxKeyAgeDays ?? 0, 'day')} old on ${facts.dueDate ?? '?'}.`,
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
        ' is used, confirm it is used, then remove the old one. Keep the new key.',
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
      return finding.keys
        ? ['Remove ', key, `: never used in ${age ?? '?'}; deactivate it, then delete it.`]
        : [`Remove the key: never used in ${age ?? '?'}; deactivate it, then delete it.`];
    case 'confirm-unused-then-remove':
      return [`Confirm nothing still uses the key (${used}), then deactivate and delete it.`];
    case 'delete-inactive-key':
      return finding.keys
        ? ['Delete the inactive key ', key, ` (${used}).`]
        : [`Delete the inactive key (${used}).`];
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
