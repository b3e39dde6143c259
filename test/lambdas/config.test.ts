import * as fs from 'fs';
import * as path from 'path';
import {
  configToEnv,
  DEFAULT_AUDIT_OPTIONS,
  ENV,
  loadAuditConfig,
  loadChannelConfig,
  validateAuditConfig,
  type AuditConfig,
} from '../../lambdas/audit/config';
import { DEFAULT_RULE_SETTINGS } from '../../lambdas/audit/settings';
import { errorOf } from '../support/config-error';
import { SETTING_ROWS, settingsTableMarkdown } from '../../lambdas/audit/settings-table';
import { README, withSettingsTable } from '../../tools/settings-docs';

const DEFAULTS: AuditConfig = {
  settings: DEFAULT_RULE_SETTINGS,
  concurrency: 8,
  reportWaitSeconds: 60,
  maxAttempts: 10,
  notifyOnClean: 'healthy-message',
  notifyMode: 'daily',
  fullDigestWeekday: 1,
  escalationDays: 14,
  teamTagKey: 'team',
  teams: {},
  exemptions: [],
  maxExemptionDays: 180,
  keyIndexMaxAgeDays: 7,
  maxFindingLines: 50,
};

const CUSTOM: AuditConfig = validateAuditConfig({
  thresholds: { maxKeyAgeDays: 60, warnDays: 10, unusedDays: 30 },
  sesUserPatterns: ['^ses-smtp-user\\.', '^mail-(relay|bounce)$', 'a"b,c\\d+'],
  runbook: { url: 'https://wiki.example.com/iam/keys?lang=en&v=2', sections: { removeOldKey: '#remove-it' } },
  concurrency: 16,
  reportWaitSeconds: 0,
  maxAttempts: 3,
  notifyOnClean: 'silent',
  notifyMode: 'changes',
  fullDigestWeekday: 5,
  escalationDays: 21,
  maxFindingLines: 30,
  escalationMention: '<!subteam^S0SECOPS>',
  teamTagKey: 'owner-team',
  teams: {
    platform: { mention: '<!subteam^S0PLATFORM>' },
    data: {
      mention: '<@U0DATALEAD>',
      webhookSecretArn: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:data/slack-AbCdEf',
    },
  },
  exemptions: [
    { user: 'legacy-app', rules: ['key-too-old'], until: '2027-01-31', reason: 'vendor cannot rotate yet' },
  ],
  maxExemptionDays: 365,
});

describe('validateAuditConfig', () => {
  test('defaults: the default rule settings, 8 users at once, 60 s for the report, 10 attempts, a healthy message', () => {
    expect(validateAuditConfig()).toEqual(DEFAULTS);
    expect(DEFAULT_AUDIT_OPTIONS).toEqual({
      concurrency: 8,
      reportWaitSeconds: 60,
      maxAttempts: 10,
      notifyOnClean: 'healthy-message',
      notifyMode: 'daily',
      fullDigestWeekday: 1,
      escalationDays: 14,
      teamTagKey: 'team',
      maxExemptionDays: 180,
      keyIndexMaxAgeDays: 7,
      maxFindingLines: 50,
    });
  });

  test.each([
    [{ concurrency: 1, reportWaitSeconds: 0, maxAttempts: 1 }],
    [{ concurrency: 64, reportWaitSeconds: 600, maxAttempts: 20 }],
  ])('accepts the bounds %j', (input) => {
    expect(validateAuditConfig(input)).toMatchObject(input);
  });

  test.each([
    [{ concurrency: 0 }, 'concurrency must be a whole number from 1 to 64; got 0'],
    [{ concurrency: 65 }, 'concurrency must be a whole number from 1 to 64; got 65'],
    [{ concurrency: 2.5 }, 'concurrency must be a whole number from 1 to 64; got 2.5'],
    [{ reportWaitSeconds: -1 }, 'reportWaitSeconds must be a whole number from 0 to 600; got -1'],
    [{ reportWaitSeconds: 601 }, 'reportWaitSeconds must be a whole number from 0 to 600; got 601'],
    [{ maxAttempts: 0 }, 'maxAttempts must be a whole number from 1 to 20; got 0'],
    [{ maxAttempts: 21 }, 'maxAttempts must be a whole number from 1 to 20; got 21'],
    [{ thresholds: { warnDays: 100 } }, 'warnDays (100) must be less than maxKeyAgeDays (90)'],
    [{ notifyOnClean: 'loud' as never }, 'notifyOnClean must be one of healthy-message, silent; got "loud"'],
  ])('rejects %j: %s', (input, message) => {
    expect(errorOf(() => validateAuditConfig(input)).message).toBe(message);
  });
});

describe('loadAuditConfig', () => {
  test('an empty environment gives the defaults', () => {
    expect(loadAuditConfig({})).toEqual(DEFAULTS);
  });

  test('variables set to the empty string take their defaults', () => {
    const env = Object.fromEntries(Object.values(ENV).map((name) => [name, '']));
    delete env[ENV.runbookUrl];
    expect(loadAuditConfig(env)).toEqual(DEFAULTS);
  });

  test('reads every variable', () => {
    const config = loadAuditConfig({
      MAX_KEY_AGE_DAYS: '60',
      WARN_DAYS: ' 10 ',
      UNUSED_DAYS: '30',
      SES_USER_PATTERNS: '["^smtp-"]',
      RUNBOOK_URL: 'https://wiki.example.com/keys',
      RUNBOOK_SECTIONS: '{"sesSmtp":"#ses"}',
      AUDIT_CONCURRENCY: '4',
      CREDENTIAL_REPORT_WAIT_SECONDS: '120',
      IAM_MAX_ATTEMPTS: '5',
      NOTIFY_ON_CLEAN: 'silent',
      NOTIFY_MODE: 'changes',
      FULL_DIGEST_WEEKDAY: '0',
      ESCALATION_DAYS: '7',
      ESCALATION_MENTION: '<@U0ONCALL>',
      TEAM_TAG_KEY: 'squad',
      TEAMS: '{"payments":{"mention":"<!subteam^S0PAY>"}}',
      EXEMPTIONS: '[{"user":"bob","until":"2027-01-01","reason":"migrating to roles"}]',
      MAX_EXEMPTION_DAYS: '90',
      KEY_INDEX_MAX_AGE_DAYS: '3',
      MAX_FINDING_LINES: '20',
      EXEMPTIONS_URL: 'https://wiki.example.com/keys/exemptions',
    });
    expect(config).toEqual({
      settings: {
        thresholds: { maxKeyAgeDays: 60, warnDays: 10, unusedDays: 30 },
        sesUserPatterns: ['^smtp-'],
        runbook: {
          url: 'https://wiki.example.com/keys',
          sections: { ...DEFAULT_RULE_SETTINGS.runbook.sections, sesSmtp: '#ses' },
        },
        exemptionsUrl: 'https://wiki.example.com/keys/exemptions',
      },
      concurrency: 4,
      reportWaitSeconds: 120,
      maxAttempts: 5,
      notifyOnClean: 'silent',
      notifyMode: 'changes',
      fullDigestWeekday: 0,
      escalationDays: 7,
      escalationMention: '<@U0ONCALL>',
      teamTagKey: 'squad',
      teams: { payments: { mention: '<!subteam^S0PAY>' } },
      exemptions: [{ userName: 'bob', until: '2027-01-01', reason: 'migrating to roles', source: 'props' }],
      maxExemptionDays: 90,
      keyIndexMaxAgeDays: 3,
      maxFindingLines: 20,
    });
  });

  test.each([
    ['MAX_KEY_AGE_DAYS', 'abc', 'environment variable MAX_KEY_AGE_DAYS must be a whole number; got "abc"'],
    ['WARN_DAYS', '7.5', 'environment variable WARN_DAYS must be a whole number; got "7.5"'],
    ['UNUSED_DAYS', '45 days', 'environment variable UNUSED_DAYS must be a whole number; got "45 days"'],
    ['AUDIT_CONCURRENCY', '1e1', 'environment variable AUDIT_CONCURRENCY must be a whole number; got "1e1"'],
    [
      'CREDENTIAL_REPORT_WAIT_SECONDS',
      '60s',
      'environment variable CREDENTIAL_REPORT_WAIT_SECONDS must be a whole number; got "60s"',
    ],
    ['IAM_MAX_ATTEMPTS', 'ten', 'environment variable IAM_MAX_ATTEMPTS must be a whole number; got "ten"'],
    [
      'SES_USER_PATTERNS',
      '^ses-smtp-user\\.',
      'environment variable SES_USER_PATTERNS must be a list of regular expressions in JSON; got "^ses-smtp-user\\\\."',
    ],
    [
      'RUNBOOK_SECTIONS',
      '{sesSmtp: "#ses"}',
      'environment variable RUNBOOK_SECTIONS must be an object of section anchors in JSON; got "{sesSmtp: \\"#ses\\"}"',
    ],
  ])('%s=%s is rejected naming the variable', (name, value, message) => {
    expect(errorOf(() => loadAuditConfig({ [name]: value })).message).toBe(message);
  });

  test.each([
    ['MAX_KEY_AGE_DAYS', '0', 'maxKeyAgeDays must be a whole number of days from 1 to 3650; got 0'],
    ['WARN_DAYS', '-1', 'warnDays must be a whole number of days from 0 to 3650; got -1'],
    ['WARN_DAYS', '90', 'warnDays (90) must be less than maxKeyAgeDays (90)'],
    ['AUDIT_CONCURRENCY', '100', 'concurrency must be a whole number from 1 to 64; got 100'],
    ['SES_USER_PATTERNS', '"^ses"', 'sesUserPatterns must be a list of regular expressions; got "^ses"'],
    ['SES_USER_PATTERNS', '["("]', 'sesUserPatterns[0] is not a valid regular expression: "("'],
    ['RUNBOOK_URL', '', 'runbook.url must be an http(s) URL without a #fragment or spaces; got ""'],
    [
      'RUNBOOK_URL',
      'wiki/keys',
      'runbook.url must be an http(s) URL without a #fragment or spaces; got "wiki/keys"',
    ],
    ['RUNBOOK_SECTIONS', '{"remove":"#x"}', 'runbook.sections has an unknown section "remove"; allowed: '],
    ['NOTIFY_ON_CLEAN', 'never', 'notifyOnClean must be one of healthy-message, silent; got "never"'],
  ])('%s=%s is rejected: %s', (name, value, message) => {
    expect(errorOf(() => loadAuditConfig({ [name]: value })).message).toContain(message);
  });
});

describe('configToEnv', () => {
  test('writes one string variable per setting (the channel ARNs are the stack’s to write)', () => {
    const env = configToEnv(CUSTOM);
    const channels: string[] = [ENV.slackWebhookSecretArn, ENV.snsTopicArn, ENV.stateTableName];
    expect(Object.keys(env).sort()).toEqual(
      Object.values(ENV)
        .filter((name) => !channels.includes(name))
        .sort(),
    );
    expect(env).toMatchObject({
      MAX_KEY_AGE_DAYS: '60',
      WARN_DAYS: '10',
      UNUSED_DAYS: '30',
      RUNBOOK_URL: 'https://wiki.example.com/iam/keys?lang=en&v=2',
      AUDIT_CONCURRENCY: '16',
      CREDENTIAL_REPORT_WAIT_SECONDS: '0',
      IAM_MAX_ATTEMPTS: '3',
      NOTIFY_ON_CLEAN: 'silent',
    });
    expect(JSON.parse(env.SES_USER_PATTERNS!)).toEqual(CUSTOM.settings.sesUserPatterns);
  });

  test.each([
    ['the defaults', DEFAULTS],
    ['a custom configuration', CUSTOM],
    ['no SES patterns', validateAuditConfig({ sesUserPatterns: [] })],
  ])('loadAuditConfig(configToEnv(config)) gives back %s', (_label, config) => {
    expect(loadAuditConfig(configToEnv(config))).toEqual(config);
  });
});

describe('loadChannelConfig', () => {
  const SECRET = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:iam-key-auditor/slack-AbCdEf';
  const TOPIC = 'arn:aws:sns:eu-west-2:123456789012:iam-key-auditor';

  test('a channel whose variable is unset or empty is not configured', () => {
    expect(loadChannelConfig({})).toEqual({ slackWebhookSecretArn: undefined, snsTopicArn: undefined });
    expect(loadChannelConfig({ SLACK_WEBHOOK_SECRET_ARN: '', SNS_TOPIC_ARN: '' })).toEqual({
      slackWebhookSecretArn: undefined,
      snsTopicArn: undefined,
    });
  });

  test('reads both ARNs', () => {
    expect(loadChannelConfig({ SLACK_WEBHOOK_SECRET_ARN: SECRET, SNS_TOPIC_ARN: TOPIC })).toEqual({
      slackWebhookSecretArn: SECRET,
      snsTopicArn: TOPIC,
    });
  });

  test.each([
    [
      'SLACK_WEBHOOK_SECRET_ARN',
      TOPIC,
      'environment variable SLACK_WEBHOOK_SECRET_ARN must be an secretsmanager ARN',
    ],
    ['SNS_TOPIC_ARN', SECRET, 'environment variable SNS_TOPIC_ARN must be an sns ARN'],
    [
      'SNS_TOPIC_ARN',
      'iam-key-auditor',
      'environment variable SNS_TOPIC_ARN must be an sns ARN; got "iam-key-auditor"',
    ],
  ])('%s=%s is rejected naming the variable', (name, value, message) => {
    expect(errorOf(() => loadChannelConfig({ [name]: value })).message).toContain(message);
  });
});

describe('the settings table', () => {
  test('the README’s configuration table is the one the rows give (npm run docs:settings writes it)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(readme).toContain(settingsTableMarkdown());
    expect(withSettingsTable(readme)).toBe(readme);
  });

  test('every setting has its row, its own variable, and its doc line on its AuditConfigInput field', () => {
    const source = fs.readFileSync(path.join(__dirname, '../../lambdas/audit/config.ts'), 'utf8');
    const input = source.slice(source.indexOf('export interface AuditConfigInput'));
    const body = input.slice(0, input.indexOf('\n}\n'));
    const docs = Object.fromEntries(
      [...body.matchAll(/\/\*\* (.+?) \*\/\n\s+(\w+)\?:/g)].map((match) => [match[2], match[1]]),
    );
    for (const [name, row] of SETTING_ROWS) {
      expect([name, docs[name.split('.').pop()!]]).toEqual([name, row.doc]);
    }
    expect(Object.keys(docs)).toHaveLength(SETTING_ROWS.length);
    const envs = SETTING_ROWS.map(([, row]) => row.env);
    expect(new Set(envs).size).toBe(envs.length);
  });
});
