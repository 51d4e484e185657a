import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('cdk synth', () => {
  it('synthesizes the app offline, without AWS credentials or Docker, with cdk-nag passing', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'qj-synth-'));
    const env: Record<string, string> = {
      PATH: `${join(process.cwd(), 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      HOME: outdir,
      CDK_DISABLE_VERSION_CHECK: '1',
      // Nothing to reach: no credentials, no instance metadata.
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    try {
      await promisify(execFile)(
        'cdk',
        ['synth', '--quiet', '--no-notices', '-o', outdir, '-c', 'dryRun=false'],
        {
          env,
          timeout: 120_000,
        },
      );
      const template = JSON.parse(readFileSync(join(outdir, 'QueryJanitor.template.json'), 'utf8'));
      const functions = Object.values(
        template.Resources as Record<
          string,
          { Type: string; Properties: { Environment: { Variables: Record<string, string> } } }
        >,
      ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
      expect(functions).toHaveLength(2);
      expect(
        functions.every((fn) => fn.Properties.Environment.Variables.JANITOR_DRY_RUN === 'false'),
      ).toBe(true);
      expect(existsSync(join(outdir, 'manifest.json'))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
