import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('npm start', () => {
  it('sweeps a fleet of three tenants three times; the one with rejected credentials fails alone', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/demo.ts'], {
      timeout: 60_000,
    });

    const fleetLines = stdout.split('\n').filter((line) => line.startsWith('fleet: '));
    expect(fleetLines).toEqual([
      'fleet: prod-us would cancel 13; prod-eu would cancel 13; sandbox failed',
      'fleet: prod-us cancelled 12; prod-eu cancelled 12; sandbox failed',
      'fleet: prod-us cancelled 0; prod-eu cancelled 0; sandbox failed',
    ]);
    const summaries = stdout
      .split('\n')
      .filter((line) => /^(sweep-event|schedule) (dry-run|live) run /.test(line));
    expect(summaries).toHaveLength(6);
    expect(summaries[2]).toMatch(
      /live run .*cancelled 12, already finished 1, .*protected 4, deferred 0, failed 0/,
    );
    expect(stdout).toContain('failed: POST /oauth/token failed with HTTP 401');
    expect(stdout).toMatch(/prod-us 14, prod-eu 14, sandbox 2\./);
  });
});
