import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('cdk synth', () => {
  it('synthesizes the app offline from the configuration file, without AWS credentials or Docker, with cdk-nag passing', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'qj-synth-'));
    const config = join(outdir, 'query-janitor.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        defaults: { dryRun: false },
        tenants: [
          { name: 'prod-us', secret: 'zuora/prod-us' },
          { name: 'sandbox', dryRun: true },
        ],
      }),
    );
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
        [
          'synth',
          '--quiet',
          '--no-notices',
          '-o',
          join(outdir, 'cdk.out'),
          '-c',
          `config=${config}`,
        ],
        { env, timeout: 120_000 },
      );
      const template = JSON.parse(
        readFileSync(join(outdir, 'cdk.out', 'QueryJanitor.template.json'), 'utf8'),
      );
      const functions = Object.values(
        template.Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>,
      ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
      expect(functions).toHaveLength(2);
      for (const fn of functions) {
        // Each function's code asset holds its bundle and the file it will load at start-up.
        const asset = join(outdir, 'cdk.out', fn.Metadata?.['aws:asset:path'] as string);
        expect(existsSync(join(asset, 'index.mjs'))).toBe(true);
        const document = JSON.parse(readFileSync(join(asset, 'fleet.json'), 'utf8'));
        expect(document.config.tenants.map((t: { name: string }) => t.name)).toEqual([
          'prod-us',
          'sandbox',
        ]);
      }
      expect(existsSync(join(outdir, 'cdk.out', 'manifest.json'))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
