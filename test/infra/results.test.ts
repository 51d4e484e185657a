/** Telling people, in the template: result events, audit trail, archive, notifications, alarms, outputs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { QueryJanitorStack } from '../../infra/stack.ts';

const RESULTS = [
  'Query Jobs Swept',
  'Query Job Cancelled',
  'Query Job Would Be Cancelled',
  'Query Job Cancel Failed',
  'Query Job Will Be Cancelled',
];

function synth(config?: unknown) {
  const context: Record<string, unknown> = { 'aws:cdk:bundling-stacks': [] };
  if (config) {
    const path = join(mkdtempSync(join(tmpdir(), 'qj-config-')), 'query-janitor.config.json');
    writeFileSync(path, JSON.stringify(config));
    context.config = path;
  }
  return Template.fromStack(new QueryJanitorStack(new App({ context }), 'QueryJanitor'));
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation templates are untyped JSON.
type Resource = { id: string; [key: string]: any };
const resources = (template: Template, type: string): Resource[] =>
  Object.entries(template.findResources(type)).map(([id, r]) => ({ id, ...r }));

describe('result events', () => {
  const template = synth();
  const bus = resources(template, 'AWS::Events::EventBus')[0]?.id as string;

  it('may be published on the bus by the janitor functions only', () => {
    const policies = resources(template, 'AWS::Events::EventBusPolicy').map(
      (p) => p.Properties.Statement,
    );
    const results = policies.find((statement) => statement.Sid?.includes('DenyResultsFromOthers'));

    expect(results).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:PutEvents',
      Condition: {
        StringEquals: { 'events:detail-type': RESULTS },
        ArnNotLike: {
          'aws:PrincipalArn': [
            { 'Fn::GetAtt': [expect.stringMatching(/^JanitorSweepFunctionRole/), 'Arn'] },
            { 'Fn::GetAtt': [expect.stringMatching(/^JanitorCancelFunctionRole/), 'Arn'] },
          ],
        },
      },
    });
  });

  it('go to an audit log group kept a year and past the stack, written only by their rule', () => {
    const [audit] = resources(template, 'AWS::Events::Rule').filter((rule) =>
      rule.Properties.Description?.includes('audit'),
    );
    const logGroup = resources(template, 'AWS::Logs::LogGroup').find((group) =>
      group.id.startsWith('JanitorAuditLog'),
    );
    const [policy] = resources(template, 'AWS::Logs::ResourcePolicy');

    expect(audit?.Properties).toMatchObject({
      EventBusName: { Ref: bus },
      EventPattern: { source: ['query-janitor'], 'detail-type': RESULTS },
    });
    expect(JSON.stringify(audit?.Properties.Targets[0].Arn)).toContain(':log-group:');
    expect(JSON.stringify(audit?.Properties.Targets[0].Arn)).not.toContain(':*');
    expect(logGroup).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: 365 },
    });
    expect(JSON.parse(JSON.stringify(policy?.Properties.PolicyDocument))).toBeDefined();
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('events.amazonaws.com');
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('aws:SourceArn');
    // No custom-resource Lambda was installed to write that policy.
    template.resourceCountIs('AWS::Lambda::Function', 2);
  });

  it('are archived for replay, never the commands', () => {
    const [archive] = resources(template, 'AWS::Events::Archive');

    expect(archive?.Properties).toMatchObject({
      SourceArn: { 'Fn::GetAtt': [bus, 'Arn'] },
      EventPattern: { source: ['query-janitor'], 'detail-type': RESULTS },
      RetentionDays: 365,
    });
  });

  it('follow the configured audit retention', () => {
    const configured = synth({ auditLogRetentionDays: 731, tenants: [{ name: 'a' }] });

    expect(
      resources(configured, 'AWS::Logs::LogGroup').find((group) =>
        group.id.startsWith('JanitorAuditLog'),
      )?.Properties.RetentionInDays,
    ).toBe(731);
  });
});

describe('notifications', () => {
  const template = synth({
    tenants: [{ name: 'prod-us' }, { name: 'prod-eu' }],
    notifications: [
      { topicArn: 'arn:aws:sns:us-east-1:123456789012:janitor-ops', on: ['cancelled', 'failed'] },
      {
        topicArn: 'arn:aws:sns:us-east-1:123456789012:eu-owners',
        on: ['warned'],
        tenants: ['prod-eu'],
      },
    ],
  });
  const rules = resources(template, 'AWS::Events::Rule').filter((rule) =>
    JSON.stringify(rule.Properties.Targets).includes('arn:aws:sns'),
  );

  it('fire on the per-run summary only: at most one message per run per topic', () => {
    expect(rules.map((rule) => rule.Properties.EventPattern)).toEqual([
      {
        source: ['query-janitor'],
        'detail-type': ['Query Jobs Swept'],
        detail: {
          $or: [
            { counts: { cancelled: [{ numeric: ['>', 0] }] } },
            { counts: { failed: [{ numeric: ['>', 0] }] } },
          ],
        },
      },
      {
        source: ['query-janitor'],
        'detail-type': ['Query Jobs Swept'],
        detail: { tenant: ['prod-eu'], warnings: [{ numeric: ['>', 0] }] },
      },
    ]);
  });

  it('say in one line what the run did', () => {
    const transformer = rules[0]?.Properties.Targets[0].InputTransformer;

    expect(transformer.InputTemplate).toMatch(/tenant <detail-tenant>: run <detail-runId>/);
    expect(transformer.InputTemplate).toMatch(/cancelled <detail-counts-cancelled>/);
  });

  it('refuse a tenant that is not configured', () => {
    expect(() =>
      synth({
        tenants: [{ name: 'a' }],
        notifications: [
          { topicArn: 'arn:aws:sns:us-east-1:123456789012:t', on: ['failed'], tenants: ['b'] },
        ],
      }),
    ).toThrow('notifications[0].tenants[0] "b" is not a configured tenant');
  });
});

describe('alarms that catch a janitor that stopped', () => {
  const template = synth();
  const alarms = resources(template, 'AWS::CloudWatch::Alarm').map((alarm) => alarm.Properties);

  it('treat missing data as breaching only where silence is the failure', () => {
    const byMissing = Object.fromEntries(
      alarms.map((alarm) => [
        alarm.MetricName ?? alarm.Metrics?.[0]?.Label ?? 'math',
        alarm.TreatMissingData,
      ]),
    );

    expect(byMissing.SweepSucceeded).toBe('breaching');
    expect(byMissing.ResultEventsUnpublished).toBe('notBreaching');
    expect(byMissing.Errors).toBe('notBreaching');
    expect(byMissing.Duration).toBe('notBreaching');
  });

  it('watch throttles, runs close to their timeout, and unpublished events', () => {
    const throttles = alarms.find((alarm) =>
      JSON.stringify(alarm.Metrics ?? []).includes('Throttles'),
    );
    const nearTimeout = alarms.filter((alarm) => alarm.MetricName === 'Duration');

    expect(throttles).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(
      nearTimeout.map((alarm) => [alarm.ExtendedStatistic ?? alarm.Statistic, alarm.Threshold]),
    ).toEqual([
      ['Maximum', 240_000],
      ['Maximum', 96_000],
    ]);
    expect(alarms.find((alarm) => alarm.MetricName === 'ResultEventsUnpublished')).toBeDefined();
    // Each names its cause and the action, as the runbook's line for it does.
    for (const alarm of alarms) expect(alarm.AlarmDescription).toMatch(/Cause: .+ Action: /);
  });
});

describe('operating it', () => {
  const template = synth();
  const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);

  it('outputs what the kill switch, the runbook and the redrive need', () => {
    for (const name of [
      'SweepFunctionName',
      'CancelFunctionName',
      'SweepLogGroupName',
      'CancelLogGroupName',
      'FailedEventsQueueUrl',
      'EventBusName',
      'EventBusArn',
      'ResultArchiveName',
      'ResultArchiveArn',
      'AuditRuleArn',
      'AuditLogGroupName',
      'DashboardName',
      'SecretName',
    ]) {
      // Under the very key the README and a describe-stacks query use: no path, no hash.
      expect(outputs).toContain(`Janitor${name}`);
    }
  });

  it('leaves reserved concurrency to the kill switch: the template never sets it, so a deploy keeps it', () => {
    for (const fn of resources(template, 'AWS::Lambda::Function')) {
      expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    }
  });
});
