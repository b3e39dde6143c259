import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stage, type App } from 'aws-cdk-lib';
import { SynthesisMessageLevel } from 'aws-cdk-lib/cx-api';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../bin/app';
import {
  DEPLOY_CONFIG_CONTEXT,
  deployConfigFrom,
  EXAMPLE_DEPLOY_CONFIG,
  notificationsFor,
  parseDeployConfig,
  stagesWith,
} from '../../bin/deploy-config';
import { STAGES, stackIdFor } from '../../bin/stages';
import type { IamKeyAuditorStack } from '../../lib/iam-key-auditor-stack';
import { newApp } from '../support/cdk';

const STAGE_NAMES = [...STAGES.map((s) => s.stage), 'organization'];
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:iam-key-auditor/slack-AbC123';

/** The app as `cdk synth -c deployConfig=<file>` builds it (bundling off, the same feature flags). */
function appWith(context: Record<string, unknown>): App {
  return buildApp(newApp(context));
}

function stackOf(app: App, stage: string): IamKeyAuditorStack {
  return app.node.findChild(stackIdFor(stage)) as IamKeyAuditorStack;
}

function subscriptions(stack: IamKeyAuditorStack): string[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::SNS::Subscription')).map(
    (r) => (r as { Properties: { Protocol: string; Endpoint: string } }).Properties.Endpoint,
  );
}

/**
 * The stack's warnings, from the app's one synth: `Annotations.fromStack` would synthesize the three stages again,
 * cdk-nag and all, for each stack.
 */
function warningsOf(stack: IamKeyAuditorStack): string[] {
  return Stage.of(stack)!
    .synth()
    .getStackArtifact(stack.artifactId)
    .messages.filter((message) => message.level === SynthesisMessageLevel.WARNING)
    .map((message) => String(message.entry.data));
}

describe('bin: the deploy config', () => {
  it('reads the file the context names, and nothing without it', () => {
    const read = jest.fn(() => '{"alertEmail":"sec@acme.example"}');
    expect(deployConfigFrom(() => undefined, STAGE_NAMES, read)).toBeUndefined();
    expect(read).not.toHaveBeenCalled();
    const config = deployConfigFrom(
      (key) => (key === DEPLOY_CONFIG_CONTEXT ? 'deploy.json' : undefined),
      STAGE_NAMES,
      read,
    );
    expect(read).toHaveBeenCalledWith('deploy.json');
    expect(config).toEqual({ alertEmail: 'sec@acme.example' });
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', [], /^deploy\.json: must be a JSON object$/],
    ['an unknown field', { alertEmail: 'a@b.co', webhookUrl: 'x' }, /unknown field\(s\) "webhookUrl"/],
    [
      'a bad email',
      { alertEmail: 'platform at acme' },
      /^deploy\.json: alertEmail must be an email address or "nobody"; got "platform at acme"$/,
    ],
    ['a number for an email', { alertEmail: 7 }, /alertEmail must be a string when given; got 7/],
    [
      'an unknown stage',
      { stages: { prod: { alertEmail: 'nobody' } } },
      /stages names "prod", which is not a stage of this app \(integration, staging, production, organization\)/,
    ],
    [
      "a stage's bad email",
      { stages: { staging: { alertEmail: 'x' } } },
      /stages\.staging\.alertEmail must be an email address or "nobody"; got "x"/,
    ],
    [
      "a stage's unknown field",
      { stages: { staging: { email: 'x@y.co' } } },
      /stages\.staging has unknown field\(s\) "email"/,
    ],
  ])('rejects %s, naming the file, the field and the value', (_name, raw, message) => {
    expect(() => parseDeployConfig(raw, 'deploy.json', STAGE_NAMES)).toThrow(message);
  });

  it('says which file is not JSON', () => {
    expect(() =>
      deployConfigFrom(
        () => 'deploy.json',
        STAGE_NAMES,
        () => '{alertEmail:',
      ),
    ).toThrow(/^deploy\.json: cannot read it as JSON: /);
    expect(() => deployConfigFrom(() => 42, STAGE_NAMES)).toThrow(
      /deployConfig must name a JSON file; got 42/,
    );
  });

  it('gives each stage the default email, its own, or nobody on purpose, and keeps what the stage sets', () => {
    const config = parseDeployConfig(
      {
        alertEmail: 'platform@acme.example',
        slackWebhookSecretArn: SECRET_ARN,
        stages: { integration: { alertEmail: 'nobody' }, production: { alertEmail: 'sec@acme.example' } },
      },
      'deploy.json',
      STAGE_NAMES,
    );
    expect(notificationsFor('staging', config)).toEqual({
      topic: { emailSubscriptions: ['platform@acme.example'] },
      slackWebhookSecret: { secretArn: SECRET_ARN },
    });
    expect(notificationsFor('integration', config).topic).toEqual({ noSubscribers: true });
    expect(notificationsFor('production', config).topic).toEqual({
      emailSubscriptions: ['sec@acme.example'],
    });
    expect(notificationsFor('staging', undefined, { slackWebhookSecret: false })).toEqual({
      slackWebhookSecret: false,
    });
    expect(stagesWith(STAGES, undefined).map((s) => s.stage)).toEqual(STAGES.map((s) => s.stage));
  });

  it('the documented example is a valid config', () => {
    const raw: unknown = JSON.parse(fs.readFileSync(EXAMPLE_DEPLOY_CONFIG, 'utf8'));
    expect(() => parseDeployConfig(raw, EXAMPLE_DEPLOY_CONFIG, STAGE_NAMES)).not.toThrow();
  });
});

describe('bin: the app, synthesized with the documented context', () => {
  it(`subscribes the email of ${EXAMPLE_DEPLOY_CONFIG} in every stage, with no warning, and passes cdk-nag`, () => {
    const app = appWith({ [DEPLOY_CONFIG_CONTEXT]: EXAMPLE_DEPLOY_CONFIG });
    expect(() => app.synth()).not.toThrow();
    const example = JSON.parse(fs.readFileSync(EXAMPLE_DEPLOY_CONFIG, 'utf8')) as { alertEmail: string };
    for (const { stage } of STAGES) {
      const stack = stackOf(app, stage);
      expect(subscriptions(stack)).toEqual([example.alertEmail]);
      expect(warningsOf(stack)).toEqual([]);
      // The alarms go to that topic: a person is told of them.
      const [topicId] = Object.keys(Template.fromStack(stack).findResources('AWS::SNS::Topic'));
      Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [{ Ref: topicId }],
      });
    }
  });

  it('every stage has a subscription or says nobody, on purpose, without a warning', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-config-'));
    const file = path.join(dir, 'deploy.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ alertEmail: 'sec@acme.example', stages: { integration: { alertEmail: 'nobody' } } }),
    );
    try {
      const app = appWith({ [DEPLOY_CONFIG_CONTEXT]: file });
      expect(() => app.synth()).not.toThrow();
      expect(STAGES.map(({ stage }) => [stage, subscriptions(stackOf(app, stage))])).toEqual([
        ['integration', []],
        ['staging', ['sec@acme.example']],
        ['production', ['sec@acme.example']],
      ]);
      for (const { stage } of STAGES) {
        expect(warningsOf(stackOf(app, stage))).toEqual([]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a deploy config, warns in every stage that nobody will be told, naming the fix', () => {
    const app = appWith({});
    app.synth();
    for (const { stage } of STAGES) {
      const stack = stackOf(app, stage);
      expect(subscriptions(stack)).toEqual([]);
      const nobody = warningsOf(stack).filter((warning) => warning.includes('nobody is subscribed'));
      expect(nobody).toHaveLength(1);
      expect(nobody[0]).toMatch(/-c deployConfig=deploy\.json/);
    }
  });
});
