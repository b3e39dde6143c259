import { validateAuditConfig, type AuditConfigInput } from '../../lambdas/audit/config';
import { DEFAULT_RULE_SETTINGS, DEFAULT_RUNBOOK } from '../../lambdas/audit/settings';
import { errorOf } from '../support/config-error';

type RuleSettingsInput = Pick<AuditConfigInput, 'thresholds' | 'sesUserPatterns' | 'runbook'>;

/** The rule settings as the stack and the function validate them: through the settings table. */
const validateRuleSettings = (input: RuleSettingsInput = {}) => validateAuditConfig(input).settings;
const validateThresholds = (thresholds: RuleSettingsInput['thresholds'] = {}) =>
  validateAuditConfig({ thresholds }).settings.thresholds;

const SECTIONS = 'findIfUsed, findWhereUsed, createAndDeploy, sesSmtp, ensureNewKeyUsed, removeOldKey';

describe('defaults', () => {
  test('90 days, warned 7 days before, unused after 45; SES users by ses-smtp-user.; the GOV.UK runbook', () => {
    expect(validateRuleSettings()).toEqual({
      thresholds: { maxKeyAgeDays: 90, warnDays: 7, unusedDays: 45 },
      sesUserPatterns: ['^ses-smtp-user\\.'],
      runbook: DEFAULT_RUNBOOK,
      exemptionsUrl: 'README.md#exemptions',
    });
    expect(validateRuleSettings({})).toEqual(DEFAULT_RULE_SETTINGS);
  });

  test('the default runbook anchors are the GOV.UK page’s sections', () => {
    expect(DEFAULT_RUNBOOK.url).toMatch(
      /^https:\/\/github\.com\/alphagov\/govuk-developer-docs\/.*aws-iam-key-rotation/,
    );
    expect(DEFAULT_RUNBOOK.sections).toEqual({
      findIfUsed: '#2-find-out-if-the-key-is-used',
      findWhereUsed: '#3-find-where-the-key-is-used',
      createAndDeploy: '#4-create-and-deploy-new-key',
      sesSmtp: '#rotating-ses-smtp-credentials',
      ensureNewKeyUsed: '#5-ensure-new-key-is-being-used',
      removeOldKey: '#6-remove-the-old-key',
    });
  });
});

describe('validateThresholds', () => {
  test.each([
    [{}, { maxKeyAgeDays: 90, warnDays: 7, unusedDays: 45 }],
    [{ maxKeyAgeDays: 60 }, { maxKeyAgeDays: 60, warnDays: 7, unusedDays: 45 }],
    [
      { maxKeyAgeDays: undefined, warnDays: 0 },
      { maxKeyAgeDays: 90, warnDays: 0, unusedDays: 45 },
    ],
    [
      { maxKeyAgeDays: 8, warnDays: 7 },
      { maxKeyAgeDays: 8, warnDays: 7, unusedDays: 45 },
    ],
    [
      { maxKeyAgeDays: 1, warnDays: 0, unusedDays: 1 },
      { maxKeyAgeDays: 1, warnDays: 0, unusedDays: 1 },
    ],
    [
      { maxKeyAgeDays: 3650, unusedDays: 3650 },
      { maxKeyAgeDays: 3650, warnDays: 7, unusedDays: 3650 },
    ],
  ])('accepts %j as %j', (input, expected) => {
    expect(validateThresholds(input)).toEqual(expected);
  });

  test.each([
    [{ warnDays: 90 }, 'warnDays (90) must be less than maxKeyAgeDays (90)'],
    [{ maxKeyAgeDays: 30, warnDays: 45 }, 'warnDays (45) must be less than maxKeyAgeDays (30)'],
    [{ maxKeyAgeDays: 1.5 }, 'maxKeyAgeDays must be a whole number of days from 1 to 3650; got 1.5'],
    [{ maxKeyAgeDays: 0 }, 'maxKeyAgeDays must be a whole number of days from 1 to 3650; got 0'],
    [{ maxKeyAgeDays: 3651 }, 'maxKeyAgeDays must be a whole number of days from 1 to 3650; got 3651'],
    [
      { maxKeyAgeDays: '90' as unknown as number },
      'maxKeyAgeDays must be a whole number of days from 1 to 3650; got "90"',
    ],
    [{ warnDays: -1 }, 'warnDays must be a whole number of days from 0 to 3650; got -1'],
    [{ warnDays: 2.5 }, 'warnDays must be a whole number of days from 0 to 3650; got 2.5'],
    [{ unusedDays: -45 }, 'unusedDays must be a whole number of days from 1 to 3650; got -45'],
    [{ unusedDays: 0 }, 'unusedDays must be a whole number of days from 1 to 3650; got 0'],
  ])('rejects %j: %s', (input, message) => {
    expect(errorOf(() => validateThresholds(input)).message).toBe(message);
  });
});

describe('validateRuleSettings', () => {
  test('merges overrides onto the defaults, one section at a time', () => {
    const result = validateRuleSettings({
      thresholds: { unusedDays: 30 },
      sesUserPatterns: ['^smtp-', 'mailer$'],
      runbook: { url: 'https://wiki.example.com/iam/keys?lang=en', sections: { removeOldKey: '#remove' } },
    });
    expect(result).toEqual({
      thresholds: { maxKeyAgeDays: 90, warnDays: 7, unusedDays: 30 },
      sesUserPatterns: ['^smtp-', 'mailer$'],
      runbook: {
        url: 'https://wiki.example.com/iam/keys?lang=en',
        sections: { ...DEFAULT_RUNBOOK.sections, removeOldKey: '#remove' },
      },
      exemptionsUrl: 'README.md#exemptions',
    });
  });

  test('accepts no SES patterns (no user is an SES SMTP user) and an http URL', () => {
    expect(
      validateRuleSettings({ sesUserPatterns: [], runbook: { url: 'http://wiki.internal/keys' } }),
    ).toMatchObject({
      sesUserPatterns: [],
      runbook: { url: 'http://wiki.internal/keys' },
    });
  });

  test.each<[string, RuleSettingsInput, string]>([
    [
      'warnDays >= maxKeyAgeDays',
      { thresholds: { maxKeyAgeDays: 7 } },
      'warnDays (7) must be less than maxKeyAgeDays (7)',
    ],
    [
      'a non-integer threshold',
      { thresholds: { unusedDays: 44.5 } },
      'unusedDays must be a whole number of days from 1 to 3650; got 44.5',
    ],
    [
      'a bad regular expression',
      { sesUserPatterns: ['^ses-smtp-user\\.', '(unclosed'] },
      'sesUserPatterns[1] is not a valid regular expression: "(unclosed"',
    ],
    [
      'an empty pattern',
      { sesUserPatterns: [''] },
      'sesUserPatterns[0] must be a non-empty regular expression; got ""',
    ],
    [
      'a pattern that is not text',
      { sesUserPatterns: [42 as unknown as string] },
      'sesUserPatterns[0] must be a non-empty regular expression; got 42',
    ],
    [
      'patterns that are not a list',
      { sesUserPatterns: '^ses' as unknown as string[] },
      'sesUserPatterns must be a list of regular expressions; got "^ses"',
    ],
    [
      'an empty runbook url',
      { runbook: { url: '' } },
      'runbook.url must be an http(s) URL without a #fragment or spaces; got ""',
    ],
    [
      'a relative runbook url',
      { runbook: { url: '/manual/aws-iam-key-rotation.html' } },
      'runbook.url must be an http(s) URL without a #fragment or spaces; got "/manual/aws-iam-key-rotation.html"',
    ],
    [
      'a runbook url with a fragment',
      { runbook: { url: 'https://wiki.example.com/keys#rotation' } },
      'runbook.url must be an http(s) URL without a #fragment or spaces; got "https://wiki.example.com/keys#rotation"',
    ],
    [
      'a runbook url with an empty fragment',
      { runbook: { url: 'https://wiki.example.com/keys#' } },
      'runbook.url must be an http(s) URL without a #fragment or spaces; got "https://wiki.example.com/keys#"',
    ],
    [
      'a runbook url with a trailing newline',
      { runbook: { url: 'https://wiki.example.com/keys\n' } },
      'runbook.url must be an http(s) URL without a #fragment or spaces; got "https://wiki.example.com/keys\\n"',
    ],
    [
      'a runbook url that is not http(s)',
      { runbook: { url: 'ftp://wiki.example.com/keys' } },
      'runbook.url must be an http(s) URL without a #fragment or spaces; got "ftp://wiki.example.com/keys"',
    ],
    [
      'an unknown section',
      { runbook: { sections: { rotateKey: '#rotate' } as never } },
      `runbook.sections has an unknown section "rotateKey"; allowed: ${SECTIONS}`,
    ],
    [
      'an anchor without #',
      { runbook: { sections: { removeOldKey: '6-remove-the-old-key' } } },
      'runbook.sections.removeOldKey must be an anchor such as "#6-remove-the-old-key"; got "6-remove-the-old-key"',
    ],
    [
      'an anchor with a space',
      { runbook: { sections: { sesSmtp: '#rotating ses' } } },
      'runbook.sections.sesSmtp must be an anchor such as "#6-remove-the-old-key"; got "#rotating ses"',
    ],
    [
      'an anchor with two #',
      { runbook: { sections: { findIfUsed: '#a#b' } } },
      'runbook.sections.findIfUsed must be an anchor such as "#6-remove-the-old-key"; got "#a#b"',
    ],
    [
      'a bare #',
      { runbook: { sections: { findIfUsed: '#' } } },
      'runbook.sections.findIfUsed must be an anchor such as "#6-remove-the-old-key"; got "#"',
    ],
    [
      'an anchor that is null',
      { runbook: { sections: { createAndDeploy: null as unknown as string } } },
      'runbook.sections.createAndDeploy must be an anchor such as "#6-remove-the-old-key"; got null',
    ],
  ])('rejects %s', (_label, input, message) => {
    const error = errorOf(() => validateRuleSettings(input));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(message);
  });
});
