import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import type { JanitorFunctionOverrides } from '../../infra/janitor-function.ts';
import { outputSuffixes } from '../../infra/outputs.ts';
import { QueryJobJanitor } from '../../infra/query-job-janitor.ts';
import { QueryJanitorStack } from '../../infra/stack.ts';
import { type FleetConfig, parseFleet } from '../../lib/contract/fleet.ts';

/** Template tests skip esbuild (the bundle tests build the real thing). */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** The folders the tests made, removed when they are done. */
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh folder, removed after the tests. */
function freshFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'qj-config-'));
  folders.push(folder);
  return folder;
}

/** A configuration file in a fresh folder, for `-c config=<path>`. */
function configFile(config: unknown): string {
  const path = join(freshFolder(), 'query-janitor.config.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

function build(context: Record<string, unknown> = {}, id = 'QueryJanitor') {
  const app = new App({ context: { ...NO_BUNDLING, ...context } });
  return { app, stack: new QueryJanitorStack(app, id) };
}

function synth(context: Record<string, unknown> = {}) {
  const { app, stack } = build(context);
  return { app, stack, template: Template.fromStack(stack) };
}

function withConfig(config: FleetConfig) {
  return synth({ config: configFile(config) });
}

function functionId(template: Template, name: 'Sweep' | 'Cancel'): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith(`Janitor${name}Function`),
  );
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const resourcesOf = (template: Template, type: string) =>
  Object.values(template.findResources(type)).map((r) => r.Properties);
const statements = (template: Template) =>
  resourcesOf(template, 'AWS::IAM::Policy').flatMap((p) => p.PolicyDocument.Statement);

describe('a deployment without a configuration file', () => {
  const { stack, template } = synth();
  const sweep = functionId(template, 'Sweep');
  const cancel = functionId(template, 'Cancel');
  const queue = Object.keys(template.findResources('AWS::SQS::Queue'))[0] as string;
  const secret = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0] as string;
  const table = Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'))[0] as string;

  it('runs both functions on Node.js 24, arm64, JSON logs, without reserved concurrency', () => {
    for (const id of [sweep, cancel]) {
      expect(template.toJSON().Resources[id].Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringContaining('Logs') } },
      });
      // Reserved concurrency 1 fails to deploy in accounts with the default limit of 10.
      expect(
        template.toJSON().Resources[id].Properties.ReservedConcurrentExecutions,
      ).toBeUndefined();
    }
    expect(template.toJSON().Resources[sweep].Properties.Timeout).toBe(300);
    expect(template.toJSON().Resources[cancel].Properties.Timeout).toBe(120);
    for (const id of [sweep, cancel]) {
      const logGroup = template.toJSON().Resources[id].Properties.LoggingConfig.LogGroup.Ref;
      expect(template.toJSON().Resources[logGroup].Properties.RetentionInDays).toBe(30);
    }
  });

  it('serves one dry-run tenant, "default", whose secret the stack creates', () => {
    const env = template.toJSON().Resources[sweep].Properties.Environment.Variables;
    const document = JSON.parse(stack.janitor.fleetDocument);

    expect(env).toEqual({
      QUERY_JANITOR_FLEET: 'fleet.json',
      QUERY_JANITOR_LEASE_TABLE: { Ref: table },
      QUERY_JANITOR_SECRET_0: { Ref: secret },
      QUERY_JANITOR_EVENT_BUS: { Ref: expect.stringMatching(/^JanitorEventBus/) },
      POWERTOOLS_SERVICE_NAME: 'query-janitor',
      POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitor/QueryJanitor',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(document).toEqual({
      version: 1,
      config: { tenants: [{ name: 'default' }] },
      secrets: { default: { env: 'QUERY_JANITOR_SECRET_0' } },
    });
    expect(stack.janitor.fleet.tenants[0]).toMatchObject({ name: 'default', dryRun: true });
  });

  it('creates the secret with no value at all, kept on deletion, and outputs its name', () => {
    const created = template.toJSON().Resources[secret];

    expect(created.DeletionPolicy).toBe('Retain');
    expect(created.Properties).not.toHaveProperty('SecretString');
    expect(created.Properties).not.toHaveProperty('GenerateSecretString');
    const outputs = Object.entries(template.toJSON().Outputs as Record<string, unknown>);
    const secretName = outputs.find(([id]) => id.startsWith('JanitorSecretName'))?.[1];
    expect(JSON.stringify(secretName)).toContain(secret);
  });

  it('never retries asynchronous invocations and keeps failures in the encrypted queue', () => {
    const configs = resourcesOf(template, 'AWS::Lambda::EventInvokeConfig');

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

  it('schedules the tenant every 15 minutes in a flexible window, naming it in the input', () => {
    const [schedule] = resourcesOf(template, 'AWS::Scheduler::Schedule');

    expect(schedule.ScheduleExpression).toBe('rate(15 minutes)');
    expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 });
    expect(schedule.Target).toMatchObject({
      Arn: arnOf(sweep),
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
      DeadLetterConfig: { Arn: arnOf(queue) },
    });
    expect(JSON.parse(schedule.Target.Input)).toEqual({
      trigger: 'schedule',
      tenant: 'default',
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
  });

  it("routes each command from the janitor's own bus to its own function", () => {
    const rules = resourcesOf(template, 'AWS::Events::Rule').filter((rule) =>
      rule.EventPattern['detail-type'].some((type: string) => type.endsWith('Query Jobs')),
    );
    const bus = Object.keys(template.findResources('AWS::Events::EventBus'))[0] as string;

    expect(rules.map((rule) => [rule.EventPattern, rule.Targets[0].Arn])).toEqual(
      expect.arrayContaining([
        [{ source: ['query-janitor'], 'detail-type': ['Sweep Query Jobs'] }, arnOf(sweep)],
        [{ source: ['query-janitor'], 'detail-type': ['Cancel Query Jobs'] }, arnOf(cancel)],
      ]),
    );
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.EventBusName).toEqual({ Ref: bus });
      expect(rule.Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: arnOf(queue) },
      });
    }
  });

  it('denies commands on its bus to every principal the configuration does not name', () => {
    expect(resourcesOf(template, 'AWS::Events::EventBusPolicy')).toContainEqual(
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
    );
  });

  it('grants each function exactly its logs, the secret, the lease table and the failure queue', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    for (const name of ['Sweep', 'Cancel'] as const) {
      const id = functionId(template, name);
      const roleRef = template.toJSON().Resources[id].Properties.Role['Fn::GetAtt'][0];
      const attached = Object.values(policies).filter((policy) =>
        policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleRef),
      );
      expect(attached).toHaveLength(1);
      const logGroup = template.toJSON().Resources[id].Properties.LoggingConfig.LogGroup.Ref;
      expect(attached[0]?.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: arnOf(logGroup),
          },
          { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: secret } },
          {
            Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            Effect: 'Allow',
            Resource: arnOf(table),
          },
          {
            Action: 'events:PutEvents',
            Effect: 'Allow',
            Resource: arnOf(
              Object.keys(template.findResources('AWS::Events::EventBus'))[0] as string,
            ),
            Condition: {
              StringEquals: {
                'events:detail-type': [
                  'Query Jobs Swept',
                  'Query Job Cancelled',
                  'Query Job Would Be Cancelled',
                  'Query Job Cancel Failed',
                  'Query Job Will Be Cancelled',
                ],
                'events:source': 'query-janitor',
              },
            },
          },
          {
            Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
            Effect: 'Allow',
            Resource: arnOf(queue),
          },
        ]),
      );
      expect(attached[0]?.Properties.PolicyDocument.Statement).toHaveLength(5);
      expect(template.toJSON().Resources[roleRef].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('keeps the lease table on demand, with expiry, holding nothing worth keeping', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'tenant', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    });
  });

  it('alarms on errors, kept events, cancel failures, and a tenant that stops being swept', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
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
        ['QueryJanitor/QueryJanitor', 'JobsFailed', [{ Name: 'service', Value: 'query-janitor' }]],
        [
          'QueryJanitor/QueryJanitor',
          'SweepSucceeded',
          [
            { Name: 'service', Value: 'query-janitor' },
            { Name: 'tenant', Value: 'default' },
          ],
        ],
      ]),
    );
    const notRun = alarms.find((alarm) => alarm.MetricName === 'SweepSucceeded');
    expect(notRun).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
      Period: 900,
      // No data is the janitor not running: it must breach.
      TreatMissingData: 'breaching',
    });
    expect(notRun?.AlarmDescription).toMatch(/^Tenant default: no successful sweep/);
    for (const alarm of alarms) expect(alarm.AlarmDescription.length).toBeGreaterThan(20);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('a fleet configured by the file', () => {
  const config: FleetConfig = {
    defaults: { dryRun: false, staleAfter: '3h' },
    commandSenders: ['arn:aws:iam::123456789012:role/ops'],
    tenants: [
      {
        name: 'prod-us',
        secret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zuora/prod-us-AbCdEf',
        baseUrl: 'https://rest.na.zuora.com',
        protectCreatedBy: ['514f3ea1-6716-4f44-b6e0-9a8f0cf44bd2'],
      },
      {
        name: 'prod-eu',
        secret: {
          id: 'zuora/prod-eu',
          kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
        schedule: 'rate(1 hour)',
      },
      { name: 'sandbox', enabled: false, dryRun: true },
      { name: 'fresh' },
    ],
  };
  const { stack, template } = withConfig(config);
  const sweep = functionId(template, 'Sweep');

  it('schedules each enabled tenant with its own expression and a window that fits it', () => {
    const schedules = resourcesOf(template, 'AWS::Scheduler::Schedule').map((schedule) => ({
      tenant: JSON.parse(schedule.Target.Input).tenant,
      expression: schedule.ScheduleExpression,
      window: schedule.FlexibleTimeWindow.MaximumWindowInMinutes,
    }));

    expect(schedules).toEqual(
      expect.arrayContaining([
        { tenant: 'prod-us', expression: 'rate(15 minutes)', window: 5 },
        { tenant: 'prod-eu', expression: 'rate(1 hour)', window: 15 },
        { tenant: 'fresh', expression: 'rate(15 minutes)', window: 5 },
      ]),
    );
    expect(schedules).toHaveLength(3);
  });

  it('reads a secret by full ARN as that ARN, by name with its suffix, created by reference', () => {
    const secretStatements = statements(template).filter(
      (s) => s.Action === 'secretsmanager:GetSecretValue',
    );
    const resources = JSON.stringify(secretStatements[0]?.Resource);

    expect(secretStatements).toHaveLength(2);
    expect(resources).toContain(
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:zuora/prod-us-AbCdEf',
    );
    expect(resources).not.toContain(':secret:arn:aws');
    expect(resources).toContain(':secret:zuora/prod-eu-??????');
    expect(resources).toContain(':secret:zuora/prod-eu-??????');
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret'))).toHaveLength(2);
    expect(JSON.parse(stack.janitor.fleetDocument).secrets).toEqual({
      'prod-us': {
        id: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zuora/prod-us-AbCdEf',
      },
      'prod-eu': { id: 'zuora/prod-eu' },
      sandbox: { env: 'QUERY_JANITOR_SECRET_2' },
      fresh: { env: 'QUERY_JANITOR_SECRET_3' },
    });
  });

  it('outputs each secret it created under a key that names its tenant', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Description: string }>;

    expect(
      Object.keys(outputs)
        .filter((key) => key.startsWith('JanitorSecretName'))
        .sort(),
    ).toEqual(['JanitorSecretNameFresh', 'JanitorSecretNameSandbox']);
    expect(outputs.JanitorSecretNameFresh?.Description).toMatch(/of tenant fresh /);
  });

  it('tells apart tenants whose names read alike without their dashes, the same way each time', () => {
    expect(Object.fromEntries(outputSuffixes(['prod-eu', 'eu1', 'eu-1', 'a--b', 'a-b']))).toEqual({
      'prod-eu': 'ProdEu',
      'a--b': 'ABN1',
      'a-b': 'ABN2',
      'eu-1': 'Eu1N1',
      eu1: 'Eu1N2',
    });
    expect(() => outputSuffixes(['eu-1', 'eu1', 'eu1-n1'])).toThrow(
      'Tenants eu-1 and eu1-n1 would share the output key suffix Eu1N1: rename one',
    );
    const { template: alike } = withConfig({
      tenants: [{ name: 'eu-1' }, { name: 'eu1' }],
    });
    expect(
      Object.keys(alike.toJSON().Outputs as object).filter((key) => key.includes('SecretName')),
    ).toEqual(['JanitorSecretNameEu1N1', 'JanitorSecretNameEu1N2']);
  });

  it('lets the functions decrypt with the KMS key of an imported secret', () => {
    const decrypt = statements(template).filter((s) => s.Action === 'kms:Decrypt');

    expect(decrypt.map((s) => s.Resource)).toEqual([
      'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ]);
  });

  it('lets the named senders, and only them, send commands', () => {
    const policies = resourcesOf(template, 'AWS::Events::EventBusPolicy').map((p) => p.Statement);

    expect(policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Condition: expect.objectContaining({
            ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/ops'] },
          }),
        }),
        expect.objectContaining({
          Effect: 'Allow',
          Condition: expect.objectContaining({
            ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/ops'] },
          }),
        }),
      ]),
    );
  });

  it.each([
    ['rate(15 minutes)', 900, 2],
    ['rate(1 day)', 86_400, 2],
    ['cron(0/15 * * * ? *)', 900, 2],
    // Daily: two days of silence, not one hour (which alarmed most of every day).
    ['cron(0 6 * * ? *)', 86_400, 2],
    // Weekdays: the weekend is planned quiet; six days of silence is two of its periods.
    ['cron(0 9 ? * MON-FRI *)', 86_400, 6],
    // Weekly: the gap is not known from a week's sample: the longest window CloudWatch has.
    ['cron(0 9 ? * MON *)', 86_400, 7],
  ])('alarms on a tenant swept %s after two of its periods: %i s × %i', (schedule, period, n) => {
    const { template } = withConfig({ tenants: [{ name: 'only', schedule }] });
    const notRun = resourcesOf(template, 'AWS::CloudWatch::Alarm').filter(
      (alarm) => alarm.MetricName === 'SweepSucceeded',
    );
    expect(notRun).toEqual([
      expect.objectContaining({ Period: period, EvaluationPeriods: n, DatapointsToAlarm: n }),
    ]);
  });

  it('alarms per enabled tenant, over its own period', () => {
    const notRun = resourcesOf(template, 'AWS::CloudWatch::Alarm')
      .filter((alarm) => alarm.MetricName === 'SweepSucceeded')
      .map((alarm) => [alarm.Dimensions[1].Value, alarm.Period]);

    expect(notRun).toEqual(
      expect.arrayContaining([
        ['prod-us', 900],
        ['prod-eu', 3600],
        ['fresh', 900],
      ]),
    );
    expect(notRun).toHaveLength(3);
  });

  it('ships the file exactly as written in the code asset', () => {
    expect(JSON.parse(stack.janitor.fleetDocument).config).toEqual(config);
    expect(template.toJSON().Resources[sweep].Properties.Environment.Variables).toMatchObject({
      QUERY_JANITOR_FLEET: 'fleet.json',
    });
  });
});

describe('the configuration file', () => {
  it('fails the synth naming the path of each problem', () => {
    expect(() =>
      withConfig({
        tenants: [{ name: 'a', staleAfter: '1m' }, { name: 'a' }, { dryrun: false } as never],
      }),
    ).toThrow(
      'QueryJobJanitor: tenants[0].staleAfter must be at least 5m; tenants[2].dryrun is not a known key; tenants[1].name "a" is used by another tenant; tenants[2].name is required when there is more than one tenant',
    );
  });

  it('fails the synth on a file that is not JSON, saying where', () => {
    expect(() => synth({ config: configFile('{"tenants": [}') })).toThrow(/is not valid JSON/);
  });

  it("reads the file as the CLI does: an editor's byte-order mark dropped, a folder refused", () => {
    const bom = configFile(`\uFEFF${JSON.stringify({ tenants: [{ name: 'prod-us' }] })}`);
    expect(synth({ config: bom }).stack.janitor.fleet.tenants.map((t) => t.name)).toEqual([
      'prod-us',
    ]);
    const folder = freshFolder();
    expect(() => synth({ config: folder })).toThrow(
      `Configuration file ${folder} (-c config) is not a file`,
    );
  });

  it.each([
    ['rate(2 hours)', 7_200],
    ['rate(6 hours)', 21_600],
    ['rate(7 hours)', 21_600],
    ['rate(1 day)', 21_600],
  ])('deploys a tenant swept every %s, its events kept %i s at most', (schedule, seconds) => {
    const { template } = withConfig({ tenants: [{ name: 'slow', schedule }] });
    const ages = resourcesOf(template, 'AWS::Lambda::EventInvokeConfig').map(
      (config) => config.MaximumEventAgeInSeconds,
    );
    // The sweep's age follows the period up to Lambda's 6 hours; the cancel's is an hour.
    expect(ages.sort((a, b) => Number(a) - Number(b))).toEqual(
      [seconds, 3_600].sort((a, b) => a - b),
    );
  });

  it('grants a secret given by partial ARN by its name, whatever suffix it has', () => {
    const partial = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zuora/prod-us';
    const { template } = withConfig({ tenants: [{ name: 'prod-us', secret: partial }] });

    const statements = resourcesOf(template, 'AWS::IAM::Policy').flatMap(
      (policy) => policy.PolicyDocument.Statement,
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'secretsmanager:GetSecretValue',
          Resource: `${partial}-??????`,
        }),
      ]),
    );
  });

  it("refuses more deploy-time secrets than Lambda's 4 KB environment holds, not the deploy", () => {
    const tenants = (count: number, secret?: (i: number) => string) =>
      Array.from({ length: count }, (_, i) => ({
        name: `tenant-${i}`,
        ...(secret ? { secret: secret(i) } : {}),
      }));
    // Each created secret's ARN travels as a variable of about 160 bytes: the file is refused
    // as `config validate` refuses it.
    expect(() => withConfig({ tenants: tenants(30) })).toThrow(
      /^QueryJobJanitor: tenants: 30 tenants' secrets would be known only at deploy time .* Lambda's 4 KB of variables \(at most 20\)/,
    );
    expect(parseFleet({ tenants: tenants(21) })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^tenants: 21 tenants' secrets/)],
    });
    // Secrets an app passes in travel the same way: the construct counts those too.
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Given');
    const given = tenants(23, (i) => `zuora/tenant-${i}`);
    expect(
      () =>
        new QueryJobJanitor(stack, 'Janitor', {
          config: { tenants: given },
          secrets: Object.fromEntries(
            given.map(({ name }) => [name, new secretsmanager.Secret(stack, `S-${name}`)]),
          ),
        }),
    ).toThrow(/^QueryJobJanitor: 23 tenants' secrets would be known only at deploy time/);
    // Named secrets are written into the code asset: a fleet of 30 has room to spare.
    const { template } = withConfig({ tenants: tenants(30, (i) => `zuora/tenant-${i}`) });
    for (const fn of resourcesOf(template, 'AWS::Lambda::Function')) {
      expect(JSON.stringify(fn.Environment).length).toBeLessThan(2_048);
    }
    expect(() => withConfig({ tenants: tenants(20) })).not.toThrow();
  });

  it('refuses a default configuration file that is a link to nothing, rather than deploying the default fleet', () => {
    const folder = freshFolder();
    symlinkSync(join(folder, 'gone.json'), join(folder, 'query-janitor.config.json'));
    const cwd = process.cwd();
    process.chdir(folder);
    try {
      expect(() => synth()).toThrow(/query-janitor\.config\.json does not exist/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('deploys schedules slower than a week, every alarm within what CloudWatch allows', () => {
    const { template, stack } = withConfig({
      tenants: [{ name: 'slow', schedule: 'rate(8 days)' }],
    });
    for (const alarm of resourcesOf(template, 'AWS::CloudWatch::Alarm')) {
      const period = alarm.Period ?? 300;
      expect(period).toBeLessThanOrEqual(86_400);
      expect(period * alarm.EvaluationPeriods).toBeLessThanOrEqual(7 * 86_400);
    }
    // Its "has not run" alarm cannot wait out 8 days: synth says so.
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp(
        'Tenant slow: its schedule \\(rate\\(8 days\\)\\) can leave more than 3.5 days',
      ),
    );
  });

  it('refuses a file that holds null, rather than deploying the default fleet in its place', () => {
    // `jq .missing > query-janitor.config.json` writes null: the default fleet would delete every
    // tenant's schedule and alarms.
    expect(() => synth({ config: configFile('null') })).toThrow(
      'QueryJobJanitor: Invalid input: expected object, received null',
    );
  });

  it('refuses a file too large to check with a message, not a stack overflow', () => {
    const tenants = Array.from({ length: 60_000 }, () => ({ name: 'NOT A SLUG', bogus: 1 }));
    expect(() => withConfig({ tenants } as never)).toThrow(
      'QueryJobJanitor: is too large or nested too deep to be checked',
    );
    let deep: unknown = { tenants: [] };
    for (let i = 0; i < 20_000; i++) deep = { x: deep };
    expect(() => new QueryJobJanitor(new Stack(new App()), 'J', { config: deep as never })).toThrow(
      /QueryJobJanitor: config cannot be written as JSON|is too large or nested too deep/,
    );
  });

  it('is required to exist when named with -c config', () => {
    expect(() => synth({ config: '/nonexistent/query-janitor.config.json' })).toThrow(
      /does not exist/,
    );
  });

  it.each([
    ['dryRun', 'false', '"dryRun"'],
    ['secretName', 'zuora/prod', 'the tenant\'s "secret"'],
    ['scheduleMinutes', '30', '"schedule"'],
    ['protectCreatedBy', 'u1', '"protectCreatedBy"'],
  ])('refuses the 0.1 context key -c %s, naming the file key', (key, value, replacement) => {
    expect(() => synth({ [key]: value })).toThrow(
      new RegExp(`-c ${key} → ${replacement.replace(/[()"]/g, '\\$&')}`),
    );
  });
});

describe('deployments side by side', () => {
  it('never share a bus or a metric namespace', () => {
    const app = new App({ context: NO_BUNDLING });
    const stacks = [new QueryJanitorStack(app, 'JanitorA'), new QueryJanitorStack(app, 'JanitorB')];
    const [first, second] = stacks.map((stack) => Template.fromStack(stack)) as [
      Template,
      Template,
    ];
    const namespace = (template: Template) =>
      Object.values(template.findResources('AWS::Lambda::Function'))[0]?.Properties.Environment
        .Variables.POWERTOOLS_METRICS_NAMESPACE;

    expect(namespace(first)).toBe('QueryJanitor/JanitorA');
    expect(namespace(second)).toBe('QueryJanitor/JanitorB');
    first.resourceCountIs('AWS::Events::EventBus', 1);
    second.resourceCountIs('AWS::Events::EventBus', 1);
    expect(resourcesOf(first, 'AWS::Events::EventBus')[0]?.Name).not.toEqual(
      resourcesOf(second, 'AWS::Events::EventBus')[0]?.Name,
    );
  });
});

describe('embedding the construct', () => {
  it('takes function overrides: memory, timeout, a VPC for a fixed egress IP, tags', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Platform');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    new QueryJobJanitor(stack, 'Janitor', {
      functionProps: {
        memorySize: 512,
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        tags: { team: 'billing-ops' },
      },
    });
    const template = Template.fromStack(stack);

    for (const fn of resourcesOf(template, 'AWS::Lambda::Function')) {
      expect(fn).toMatchObject({
        MemorySize: 512,
        VpcConfig: { SubnetIds: expect.any(Array), SecurityGroupIds: expect.any(Array) },
        Tags: expect.arrayContaining([{ Key: 'team', Value: 'billing-ops' }]),
      });
    }
  });

  it('refuses function overrides it does not offer, even past the type (house defaults, JavaScript)', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Platform');
    // A shared object with more keys type-checks when assigned through a variable.
    const houseDefaults = {
      memorySize: 512,
      environment: { LOG_LEVEL: 'debug' },
      retryAttempts: 2,
      role: { roleArn: 'arn:aws:iam::123456789012:role/admin' },
    };
    const functionProps: JanitorFunctionOverrides = houseDefaults;

    expect(() => new QueryJobJanitor(stack, 'Janitor', { functionProps })).toThrow(
      /^QueryJobJanitor: functionProps cannot set environment, retryAttempts, role \(it may set memorySize, /,
    );
  });

  it('keeps its own values for overrides set to undefined (a conditional left unset)', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Platform');
    const big = false;
    new QueryJobJanitor(stack, 'Janitor', {
      functionProps: { timeout: big ? Duration.minutes(10) : undefined, memorySize: undefined },
    });
    const template = Template.fromStack(stack);

    const timeouts = resourcesOf(template, 'AWS::Lambda::Function').map((fn) => [
      fn.Timeout,
      fn.MemorySize,
    ]);
    // Not Lambda's 3 s and 128 MB.
    expect(timeouts.sort()).toEqual([
      [120, 256],
      [300, 256],
    ]);
    const nearTimeout = resourcesOf(template, 'AWS::CloudWatch::Alarm')
      .filter((alarm) => alarm.MetricName === 'Duration')
      .map((alarm) => alarm.Threshold);
    expect(nearTimeout.sort()).toEqual([240_000, 96_000].sort());
  });

  it('alarms on 80% of the timeout the functions were given, not the default one', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Platform');
    new QueryJobJanitor(stack, 'Janitor', { functionProps: { timeout: Duration.minutes(15) } });
    const template = Template.fromStack(stack);

    const nearTimeout = resourcesOf(template, 'AWS::CloudWatch::Alarm').filter(
      (alarm) => alarm.MetricName === 'Duration',
    );
    expect(nearTimeout.map((alarm) => alarm.Threshold)).toEqual([720_000, 720_000]);
    for (const fn of resourcesOf(template, 'AWS::Lambda::Function')) expect(fn.Timeout).toBe(900);
  });

  it('refuses a secret for a tenant the configuration does not have (a typo)', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Platform');
    const secret = new secretsmanager.Secret(stack, 'Given');

    expect(
      () =>
        new QueryJobJanitor(stack, 'Janitor', {
          config: { tenants: [{ name: 'prod-us' }] },
          secrets: { 'prod-usa': secret },
        }),
    ).toThrow(
      'QueryJobJanitor: secrets names "prod-usa", not a configured tenant (tenants: prod-us)',
    );
  });

  it('refuses a second janitor in a stack writing the same metrics namespace', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Platform');
    new QueryJobJanitor(stack, 'Billing', { config: { tenants: [{ name: 'prod' }] } });

    // Its "has not run" alarm for tenant prod would be kept quiet by the first one's sweeps.
    expect(
      () => new QueryJobJanitor(stack, 'Finance', { config: { tenants: [{ name: 'prod' }] } }),
    ).toThrow(
      'QueryJobJanitor: Platform/Billing already writes metrics to QueryJanitor/Platform: give each janitor in a stack its own metricsNamespace',
    );
    const own = new QueryJobJanitor(stack, 'Treasury', {
      config: { tenants: [{ name: 'prod' }] },
      metricsNamespace: 'QueryJanitor/Treasury',
    });
    expect(own.metricsNamespace).toBe('QueryJanitor/Treasury');
    // Named alike, they would share it all the same.
    expect(
      () =>
        new QueryJobJanitor(stack, 'Audit', {
          config: { tenants: [{ name: 'prod' }] },
          metricsNamespace: 'QueryJanitor/Treasury',
        }),
    ).toThrow('Platform/Treasury already writes metrics to QueryJanitor/Treasury');
  });

  it('creates no alarms or dashboard when monitoring is off', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Quiet');
    new QueryJobJanitor(stack, 'Janitor', { monitoring: false });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('passes with every suppression justified', () => {
    for (const context of [
      {},
      {
        config: configFile({
          alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
          tenants: [
            { name: 'a', secret: 'zuora/a' },
            { name: 'b', protectQueryPattern: '(x)\\1' },
          ],
        }),
      },
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
