/**
 * Guards on the deployment's security posture: they fail if any IAM permission appears beyond
 * the short allowlist, if a statement targets `*`, or if the sweep's one-at-a-time, no-retry,
 * keep-the-failure settings change.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { QueryJanitorStack } from '../../infra/stack.ts';

const template = Template.fromStack(
  new QueryJanitorStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'QueryJanitor'),
);
interface Statement {
  Action: string | string[];
  Resource: unknown;
}
interface Resource {
  Type: string;
  Properties: {
    PolicyDocument?: { Statement: Statement[] };
    ReservedConcurrentExecutions?: number;
    MaximumRetryAttempts?: number;
    DestinationConfig?: { OnFailure?: { Destination?: unknown } };
    FunctionName?: { Ref?: string };
  };
}
const resources = template.toJSON().Resources as Record<string, Resource>;
const statements = Object.values(resources)
  .filter((resource) => resource.Type === 'AWS::IAM::Policy')
  .flatMap((policy) => policy.Properties.PolicyDocument?.Statement ?? []);

describe('deployment guard rails', () => {
  it('grants no action outside the allowlist', () => {
    const allowed = new Set([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'lambda:InvokeFunction',
    ]);
    const actions = statements.flatMap((statement) => [statement.Action].flat());

    expect(actions.filter((action) => !allowed.has(action))).toEqual([]);
  });

  it('reads only the one secret, with GetSecretValue only', () => {
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const secretStatements = statements.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')),
    );

    expect(secretId).toHaveLength(1);
    expect(secretStatements.map((statement) => [statement.Action, statement.Resource])).toEqual([
      ['secretsmanager:GetSecretValue', { Ref: secretId[0] }],
      ['secretsmanager:GetSecretValue', { Ref: secretId[0] }],
    ]);
  });

  it('never targets every resource', () => {
    expect(statements.filter((statement) => JSON.stringify(statement.Resource) === '"*"')).toEqual(
      [],
    );
  });

  it('keeps the sweep single-instance, never retried, with its failures kept', () => {
    const [sweepId, sweep] = Object.entries(resources).find(
      ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.includes('SweepFunction'),
    ) as [string, Resource];
    const invokeConfigs = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::EventInvokeConfig',
    );

    expect(sweep.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(invokeConfigs).toHaveLength(2);
    for (const config of invokeConfigs) {
      expect(config.Properties.MaximumRetryAttempts).toBe(0);
      expect(config.Properties.DestinationConfig?.OnFailure?.Destination).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/FailedEvents/), 'Arn'],
      });
    }
    expect(invokeConfigs.some((config) => config.Properties.FunctionName?.Ref === sweepId)).toBe(
      true,
    );
  });
});
