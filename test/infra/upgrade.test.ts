/**
 * Upgrades keep what CloudFormation must not replace. The template of release 0.1.0 (bundling
 * stubbed) is kept in `fixtures/`: every stateful resource in it (the secret, the failed-events
 * queue, the log groups, the functions and their roles) must keep its logical id and type, and
 * the ones whose replacement would lose data must keep their properties.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { QueryJanitorStack } from '../../infra/stack.ts';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
}
const before = JSON.parse(
  readFileSync(new URL('./fixtures/template-0.1.0.json', import.meta.url), 'utf8'),
) as { Resources: Record<string, Resource> };

const STATEFUL = new Set([
  'AWS::SecretsManager::Secret',
  'AWS::SQS::Queue',
  'AWS::Logs::LogGroup',
  'AWS::Lambda::Function',
  'AWS::IAM::Role',
]);
/** Replacing these loses data (credentials, kept events, logs): their properties stay too. */
const KEEP_PROPERTIES = new Set(['AWS::SQS::Queue', 'AWS::Logs::LogGroup']);

describe('the template against release 0.1.0', () => {
  const now = Template.fromStack(
    new QueryJanitorStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'QueryJanitor'),
  ).toJSON() as { Resources: Record<string, Resource> };
  const stateful = Object.entries(before.Resources).filter(([, r]) => STATEFUL.has(r.Type));

  it('keeps the logical id and type of every stateful resource', () => {
    expect(stateful.length).toBeGreaterThanOrEqual(8);
    for (const [id, resource] of stateful) expect(now.Resources[id]?.Type).toBe(resource.Type);
  });

  it('keeps the properties of the resources whose replacement would lose data', () => {
    for (const [id, resource] of stateful.filter(([, r]) => KEEP_PROPERTIES.has(r.Type))) {
      expect(now.Resources[id]).toEqual(resource);
    }
  });

  it('keeps the secret retained on stack deletion', () => {
    for (const [id, resource] of stateful.filter(([, r]) => r.Type.includes('Secret'))) {
      expect(now.Resources[id]?.DeletionPolicy).toBe(resource.DeletionPolicy);
      expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('keeps each function on its role and log group', () => {
    for (const [id, resource] of stateful.filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
      const { Role, LoggingConfig, Handler, Runtime, Architectures } = resource.Properties ?? {};
      expect(now.Resources[id]?.Properties).toMatchObject({
        Role,
        LoggingConfig,
        Handler,
        Runtime,
        Architectures,
      });
    }
  });
});
