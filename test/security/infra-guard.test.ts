/**
 * Guards on the deployment's security posture: they fail if any IAM permission appears beyond
 * the short allowlist, if a statement targets `*`, or if the no-retry, keep-the-failure settings
 * change (or reserved concurrency comes back: overlap is the tenant lease's job).
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
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'events:PutEvents',
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
    // `*` alone or anywhere in a list of resources. (`<function ARN>:*`, the versions and aliases
    // of one function, is a Fn::Join on that function's ARN, not `*`.)
    expect(statements.filter((statement) => [statement.Resource].flat().includes('*'))).toEqual([]);
  });

  it('never retries an invocation, keeps its failures, and relies on no reserved concurrency', () => {
    const functions = Object.entries(resources).filter(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function',
    );
    const invokeConfigs = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::EventInvokeConfig',
    );

    // Overlap is prevented by the tenant lease; reserved concurrency 1 fails to deploy in an
    // account with the default concurrency limit of 10.
    for (const [, fn] of functions)
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(invokeConfigs).toHaveLength(2);
    for (const config of invokeConfigs) {
      expect(config.Properties.MaximumRetryAttempts).toBe(0);
      expect(config.Properties.DestinationConfig?.OnFailure?.Destination).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/FailedEvents/), 'Arn'],
      });
    }
  });
});
