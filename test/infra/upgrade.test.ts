/**
 * Upgrades keep what CloudFormation must not replace. The template of release 0.1.0 (bundling
 * stubbed) is kept in `fixtures/`; the stack synthesized today must match it resource for
 * resource, logical ids and properties, once asset hashes are masked.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { QueryJanitorStack } from '../../infra/stack.ts';

const before = JSON.parse(
  readFileSync(new URL('./fixtures/template-0.1.0.json', import.meta.url), 'utf8'),
) as { Resources: Record<string, unknown> };

/** Replaces asset hashes (content-addressed S3 keys) with a placeholder. */
function masked(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}(\.zip)?/g, '<asset>$1'));
}

describe('the template against release 0.1.0', () => {
  const now = Template.fromStack(
    new QueryJanitorStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'QueryJanitor'),
  ).toJSON();

  it('keeps every logical id', () => {
    expect(Object.keys(now.Resources).sort()).toEqual(Object.keys(before.Resources).sort());
  });

  it('keeps every property once asset hashes are masked', () => {
    expect(masked(now)).toEqual(masked(before));
  });
});
