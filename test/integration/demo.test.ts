import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

describe('npm start', () => {
  let stdout: string;
  beforeAll(async () => {
    ({ stdout } = await promisify(execFile)(process.execPath, ['scripts/demo.ts'], {
      timeout: 60_000,
    }));
  });

  it('sweeps a fleet of three tenants three times; the one with rejected credentials fails alone', () => {
    const fleetLines = stdout.split('\n').filter((line) => line.startsWith('fleet: '));
    expect(fleetLines).toEqual([
      'fleet: prod-us would cancel 13; prod-eu would cancel 13; sandbox failed',
      'fleet: prod-us cancelled 12; prod-eu cancelled 12; sandbox failed',
      'fleet: prod-us cancelled 0; prod-eu cancelled 0; sandbox failed',
    ]);
    const summaries = stdout
      .split('\n')
      .filter((line) => /^(sweep-event|schedule) (dry-run|live) run /.test(line));
    expect(summaries).toHaveLength(7); // and one for the fourth tenant, below
    expect(summaries[2]).toMatch(
      /live run .*cancelled 12, already finished 1, .*protected 4, deferred 0, failed 0/,
    );
    expect(stdout).toContain('failed: POST /oauth/token failed with HTTP 401');
    expect(stdout).toMatch(/prod-us 14, prod-eu 14, sandbox 2\./);
    // The capacity each run found, and what it left.
    expect(stdout).toContain(
      'Capacity: LIVE 0/5 running, 0/10 queued; WAREHOUSE 13/15 running, 15/30 queued -> 8/15 running, 7/30 queued',
    );
  });

  it('relieves a full queue in one run, and shows the capacity before and after', () => {
    const part = stdout.slice(stdout.indexOf('== 4.'));
    expect(part.match(/ cancelled {2}pressure: LIVE queue 10 of 10/g)).toHaveLength(2);
    expect(part).toContain('over 10m (retried by Zuora: 1 of 3 retries left)');
    expect(part).toContain(
      'Capacity: LIVE 5/5 running, 10/10 queued -> 3/5 running, 10/10 queued; WAREHOUSE 0/15 running, 0/30 queued',
    );
  });
});
