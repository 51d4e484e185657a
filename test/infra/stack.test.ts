import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { QueryJobJanitor } from '../../infra/query-job-janitor.ts';
import { QueryJanitorStack } from '../../infra/stack.ts';

/** Template tests skip esbuild (the bundle test builds the real thing). */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function build(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...NO_BUNDLING, ...context } });
  return { app, stack: new QueryJanitorStack(app, 'QueryJanitor') };
}

function synth(context: Record<string, unknown> = {}) {
  const { app, stack } = build(context);
  return { app, stack, template: Template.fromStack(stack) };
}

function functionId(template: Template, name: 'Sweep' | 'Cancel'): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith(`Janitor${name}Function`),
  );
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('QueryJobJanitor template', () => {
  const { template } = synth();
  const sweep = functionId(template, 'Sweep');
  const cancel = functionId(template, 'Cancel');
  const queue = Object.keys(template.findResources('AWS::SQS::Queue'))[0] as string;
  const secret = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0] as string;

  it('runs both functions on Node.js 24, arm64, ESM bundles, JSON logs', () => {
    for (const id of [sweep, cancel]) {
      expect(template.toJSON().Resources[id].Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringContaining('Logs') } },
      });
    }
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('configures the functions from the props, dry-run by default', () => {
    const env = template.toJSON().Resources[sweep].Properties.Environment.Variables;

    expect(env).toEqual({
      ZUORA_SECRET_ID: { Ref: secret },
      JANITOR_DRY_RUN: 'true',
      POWERTOOLS_SERVICE_NAME: 'query-janitor',
      POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitor',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('gives the sweep function reserved concurrency 1 and timeouts that fit the work', () => {
    const resources = template.toJSON().Resources;

    expect(resources[sweep].Properties.ReservedConcurrentExecutions).toBe(1);
    expect(resources[cancel].Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(resources[sweep].Properties.Timeout).toBe(300);
    expect(resources[cancel].Properties.Timeout).toBe(120);
  });

  it('never retries asynchronous invocations and keeps failures in the encrypted queue', () => {
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map(
      (r) => r.Properties,
    );

    expect(configs).toEqual(
      expect.arrayContaining([
        {
          FunctionName: { Ref: sweep },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 0,
          MaximumEventAgeInSeconds: 900,
          DestinationConfig: { OnFailure: { Destination: arnOf(queue) } },
        },
        {
          FunctionName: { Ref: cancel },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 0,
          MaximumEventAgeInSeconds: 3600,
          DestinationConfig: { OnFailure: { Destination: arnOf(queue) } },
        },
      ]),
    );
    expect(configs).toHaveLength(2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('schedules the sweep every 15 minutes with its own retry policy and dead-letter queue', () => {
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0]
      ?.Properties;

    expect(schedule.ScheduleExpression).toBe('rate(15 minutes)');
    expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(schedule.Target).toMatchObject({
      Arn: arnOf(sweep),
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
      DeadLetterConfig: { Arn: arnOf(queue) },
    });
    expect(JSON.parse(schedule.Target.Input)).toEqual({
      trigger: 'schedule',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
    });
  });

  it("routes each command from the janitor's own bus to its own function", () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map(
      (r) => r.Properties,
    );

    expect(rules.map((rule) => [rule.EventPattern, rule.Targets[0].Arn])).toEqual(
      expect.arrayContaining([
        [{ source: ['query-janitor'], 'detail-type': ['Sweep Query Jobs'] }, arnOf(sweep)],
        [{ source: ['query-janitor'], 'detail-type': ['Cancel Query Jobs'] }, arnOf(cancel)],
      ]),
    );
    expect(rules).toHaveLength(2);
    const bus = Object.keys(template.findResources('AWS::Events::EventBus'))[0] as string;
    for (const rule of rules) {
      expect(rule.EventBusName).toEqual({ Ref: bus });
      expect(rule.Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: arnOf(queue) },
      });
    }
  });

  it('denies commands on its bus to every principal the configuration does not name', () => {
    const policies = Object.values(template.findResources('AWS::Events::EventBusPolicy')).map(
      (r) => r.Properties,
    );

    expect(policies).toEqual([
      expect.objectContaining({
        StatementId: expect.stringContaining('DenyCommandsFromOthers'),
        Statement: expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Action: 'events:PutEvents',
          // No sender configured: no exception, the deny covers everyone.
          Condition: {
            StringEquals: { 'events:detail-type': ['Sweep Query Jobs', 'Cancel Query Jobs'] },
          },
        }),
      }),
    ]);
  });

  it('grants each function exactly logs, GetSecretValue on the one secret, and the failure queue', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    for (const name of ['Sweep', 'Cancel'] as const) {
      const id = functionId(template, name);
      const roleRef = template.toJSON().Resources[id].Properties.Role['Fn::GetAtt'][0];
      const attached = Object.values(policies).filter((policy) =>
        policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleRef),
      );
      expect(attached).toHaveLength(1);
      const logGroup = template.toJSON().Resources[id].Properties.LoggingConfig.LogGroup.Ref;
      expect(attached[0]?.Properties.PolicyDocument.Statement).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: arnOf(logGroup),
        },
        { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: secret } },
        {
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Effect: 'Allow',
          Resource: arnOf(queue),
        },
      ]);
      expect(template.toJSON().Resources[roleRef].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('alarms on function errors, kept events and cancel failures', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (r) => r.Properties,
    );
    const described = alarms.map((alarm) => [alarm.Namespace, alarm.MetricName, alarm.Dimensions]);

    expect(described).toEqual(
      expect.arrayContaining([
        ['AWS/Lambda', 'Errors', [{ Name: 'FunctionName', Value: { Ref: sweep } }]],
        ['AWS/Lambda', 'Errors', [{ Name: 'FunctionName', Value: { Ref: cancel } }]],
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        ],
        ['QueryJanitor', 'JobsFailed', [{ Name: 'service', Value: 'query-janitor' }]],
      ]),
    );
    expect(alarms).toHaveLength(4);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmDescription.length).toBeGreaterThan(20);
    }
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('creates an empty secret for ops, kept on stack deletion, and outputs its name', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: { SecretString: '{"clientId":"","clientSecret":""}' },
    });
    const outputs = template.toJSON().Outputs;
    expect(
      Object.values(outputs).some(
        (output) =>
          (output as { Value: unknown }).Value !== undefined &&
          JSON.stringify(output).includes(secret),
      ),
    ).toBe(true);
  });
});

describe('QueryJanitorStack context', () => {
  it('reads the settings from CDK context', () => {
    const { template } = synth({
      dryRun: 'false',
      staleAfter: '3h',
      staleAfterAccepted: '90m',
      maxCancelsPerRun: '10',
      concurrency: '2',
      protectCreatedBy: 'u1,u2',
      protectQueryPattern: 'nightly',
      entityIds: 'e1,e2',
      baseUrl: 'https://rest.eu.zuora.com',
      scheduleMinutes: '30',
      eventSource: 'ops.janitor',
    });
    const sweep = functionId(template, 'Sweep');
    const env = template.toJSON().Resources[sweep].Properties.Environment.Variables;

    expect(env).toMatchObject({
      JANITOR_DRY_RUN: 'false',
      JANITOR_STALE_AFTER: '3h',
      JANITOR_STALE_AFTER_ACCEPTED: '90m',
      JANITOR_MAX_CANCELS_PER_RUN: '10',
      JANITOR_CONCURRENCY: '2',
      JANITOR_PROTECT_CREATED_BY: 'u1,u2',
      JANITOR_PROTECT_QUERY_PATTERN: 'nightly',
      ZUORA_ENTITY_IDS: 'e1,e2',
      ZUORA_BASE_URL: 'https://rest.eu.zuora.com',
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(30 minutes)',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['ops.janitor'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: sweep },
      MaximumEventAgeInSeconds: 1800,
    });
  });

  it('uses an existing secret by name and grants only on it', () => {
    const { template } = synth({ secretName: 'zuora/prod' });

    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const secretStatements = statements.filter((s) =>
      String(s.Action).startsWith('secretsmanager'),
    );
    expect(secretStatements).toHaveLength(2);
    for (const statement of secretStatements) {
      expect(statement.Action).toBe('secretsmanager:GetSecretValue');
      expect(JSON.stringify(statement.Resource)).toContain(':secret:zuora/prod-??????');
      expect(JSON.stringify(statement.Resource)).not.toContain('*');
    }
  });

  it('refuses invalid context with a clear error', () => {
    expect(() => synth({ dryRun: 'nope' })).toThrow(
      'Context dryRun must be true or false (got "nope")',
    );
    expect(() => synth({ concurrency: 'many' })).toThrow(
      'Context concurrency must be a whole number',
    );
    expect(() => synth({ staleAfter: 'two hours' })).toThrow(/staleAfter must be a duration/);
  });
});

describe('command senders', () => {
  it('are the only principals the bus lets send commands', () => {
    const { template } = synth({
      commandSenders: 'arn:aws:iam::123456789012:role/ops,arn:aws:iam::210987654321:role/oncall-*',
    });
    const statements = Object.values(template.findResources('AWS::Events::EventBusPolicy')).map(
      (r) => r.Properties.Statement,
    );
    const senders = [
      'arn:aws:iam::123456789012:role/ops',
      'arn:aws:iam::210987654321:role/oncall-*',
    ];

    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Condition: expect.objectContaining({ ArnNotLike: { 'aws:PrincipalArn': senders } }),
        }),
        expect.objectContaining({
          Effect: 'Allow',
          Condition: expect.objectContaining({ ArnLike: { 'aws:PrincipalArn': senders } }),
        }),
      ]),
    );
  });
});

describe('embedding the construct', () => {
  it('adds kms:Decrypt on a customer key and notifies an alarm topic', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Platform');
    const key = new kms.Key(stack, 'Key');
    const secret = new secretsmanager.Secret(stack, 'Creds', { encryptionKey: key });
    const topic = new sns.Topic(stack, 'Alarms');

    new QueryJobJanitor(stack, 'Janitor', { secret, alarmTopic: topic, dryRun: false });
    const template = Template.fromStack(stack);

    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(statements.filter((s) => s.Action === 'kms:Decrypt')).toHaveLength(2);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(
      alarms.every((alarm) => JSON.stringify(alarm.Properties.AlarmActions).includes('Alarms')),
    ).toBe(true);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('passes with every suppression justified', () => {
    for (const context of [
      {},
      { secretName: 'zuora/prod', alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops' },
    ]) {
      const { app } = build(context);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      expect(() => app.synth()).not.toThrow();
    }
  });

  it('fails synthesis on an unacknowledged finding (the check is live)', () => {
    const { app, stack } = build();
    new sqs.Queue(stack, 'UnencryptedQueueWithoutDlq', {
      encryption: sqs.QueueEncryption.UNENCRYPTED,
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });
});
