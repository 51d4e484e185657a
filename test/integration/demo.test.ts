import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('npm start', () => {
  it('runs a dry run, a live run and a second live run that cancels nothing, then exits', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/demo.ts'], {
      timeout: 60_000,
    });

    const summaries = stdout
      .split('\n')
      .filter((line) => /^(sweep-event|schedule) (dry-run|live) run /.test(line));
    expect(summaries).toHaveLength(3);
    expect(summaries[0]).toMatch(/dry-run run .*would cancel 13, .*protected 4/);
    expect(summaries[1]).toMatch(
      /live run .*cancelled 12, already finished 1, .*protected 4, deferred 0, failed 0/,
    );
    expect(summaries[2]).toMatch(/live run .*stale 4, cancelled 0, .*protected 4/);
  });
});
