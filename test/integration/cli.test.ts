import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { defaultClient, queryError } from '../emulator/zuora.ts';
import { runCliInProcess } from '../support/cli.ts';
import { useWorld } from '../support/lambda.ts';
import { EMULATED_AWS_ENV } from '../support/processes.ts';

const world = useWorld();

function envCredentials(): Record<string, string> {
  return {
    ZUORA_CLIENT_ID: defaultClient.clientId,
    ZUORA_CLIENT_SECRET: defaultClient.clientSecret,
    ZUORA_BASE_URL: world.zuora.url,
  };
}

const cli = (argv: string[], env: Record<string, string | undefined> = envCredentials()) =>
  runCliInProcess(argv, { ...EMULATED_AWS_ENV, ...env });

describe('query-janitor CLI', () => {
  it('sweeps in dry-run by default and prints a table', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });

    const { code, stdout } = await cli(['sweep']);

    expect(code).toBe(0);
    expect(stdout).toContain(job.id);
    expect(stdout).toContain('would-cancel');
    expect(stdout).toMatch(/cli dry-run run qj-[0-9a-f-]+: scanned 1, stale 1, would cancel 1/);
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('prints exactly the report on stdout with --json, logs on stderr', async () => {
    world.zuora.addJob({ ageMinutes: 300 });

    const { code, stdout, stderr } = await cli(['sweep', '--json', '--no-dry-run'], {
      ...envCredentials(),
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });

    const report = JSON.parse(stdout) as Report;
    expect(code).toBe(0);
    expect(report).toMatchObject({ trigger: 'cli', dryRun: false, counts: { cancelled: 1 } });
    expect(Object.keys(report)).toEqual([
      'runId',
      'tenant',
      'trigger',
      'dryRun',
      'startedAt',
      'finishedAt',
      'durationMs',
      'counts',
      'truncated',
      'capacity',
      'jobs',
    ]);
    expect(report.capacity).toEqual({
      LIVE: {
        limits: { running: 5, queued: 10 },
        before: { running: 0, queued: 1 },
        after: { running: 0, queued: 0 },
      },
      WAREHOUSE: {
        limits: { running: 15, queued: 30 },
        before: { running: 0, queued: 0 },
        after: { running: 0, queued: 0 },
      },
    });
    expect(stderr).toContain('"message":"query job"');
  });

  it('goes live with JANITOR_DRY_RUN=false as with --no-dry-run', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });

    const { code } = await cli(['sweep'], { ...envCredentials(), JANITOR_DRY_RUN: 'false' });

    expect(code).toBe(0);
    expect(world.zuora.job(job.id)?.queryStatus).toBe('cancelled');
  });

  it('honours --stale-after', async () => {
    world.zuora.addJob({ ageMinutes: 20 });

    const { stdout } = await cli(['sweep', '--json', '--stale-after', '15m']);

    expect((JSON.parse(stdout) as Report).counts.wouldCancel).toBe(1);
  });

  it('lists running jobs with their verdict', async () => {
    const stale = world.zuora.addJob({ ageMinutes: 300 });
    const fresh = world.zuora.addJob({ ageMinutes: 3, queryStatus: 'in_progress' });

    const { code, stdout } = await cli(['list', '--json']);

    const listing = JSON.parse(stdout) as { jobs: Array<{ id: string; stale: boolean }> };
    expect(code).toBe(0);
    expect(listing.jobs.map((job) => [job.id, job.stale])).toEqual([
      [stale.id, true],
      [fresh.id, false],
    ]);
  });

  it('lists a job whose status Zuora does not document, held with the reason', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1, wire: { queryStatus: 'queued' } });

    const { code, stdout } = await cli(['list', '--json']);

    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { jobs: unknown[] }).jobs).toEqual([
      expect.objectContaining({
        id: job.id,
        status: 'queued',
        stale: false,
        protected: 'status "queued" is not one Zuora documents: not judged',
      }),
    ]);
  });

  it('lists no more than a page when Zuora ignores pageSize, and says older jobs may be hidden', async () => {
    for (let i = 0; i < 150; i++) world.zuora.addJob({ ageMinutes: 300 - i });
    world.zuora.ignorePageSize = true;

    const { code, stdout, stderr } = await cli(['list', '--json']);

    const listing = JSON.parse(stdout) as { jobs: unknown[]; truncated: boolean };
    expect(code).toBe(0);
    expect(listing.jobs).toHaveLength(100);
    expect(listing.truncated).toBe(true);
    expect(stderr).toContain('Zuora answered more list entries than asked for');
  });

  it('cancels named jobs with the secret from --secret-id', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1 });
    // The AWS SDK reads its endpoint from the process environment, as it does for real use.
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', world.secrets.url);

    const { code, stdout } = await cli(
      ['cancel', job.id, '--no-dry-run', '--secret-id', 'query-janitor/zuora'],
      {},
    );

    expect(code).toBe(0);
    expect(stdout).toContain('cancelled');
    expect(world.zuora.job(job.id)?.queryStatus).toBe('cancelled');
    expect(world.secrets.requests).toHaveLength(1);
  });

  it('defers a named job still submitted, and exits 0 since none failed', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1, queryStatus: 'submitted' });

    const { code, stdout } = await cli(['cancel', job.id, '--no-dry-run', '--json']);

    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Report).jobs).toEqual([
      expect.objectContaining({
        id: job.id,
        outcome: 'deferred',
        reason: 'submitted when read before the cancel: Zuora has not accepted it yet; ask again',
      }),
    ]);
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('exits 1 when some jobs failed', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(queryError(400, 1002, 'nope'), { route: 'cancel', jobId: job.id });

    const { code, stdout } = await cli(['sweep', '--no-dry-run']);

    expect(code).toBe(1);
    expect(stdout).toContain('failed');
  });

  it('exits 1 when Zuora cannot be reached', async () => {
    const { code, stderr } = await cli(['list'], {
      ...envCredentials(),
      ZUORA_BASE_URL: 'http://127.0.0.1:9',
    });

    expect(code).toBe(1);
    expect(stderr).toContain('could not reach Zuora');
  });

  it.each([
    [['frobnicate'], 'unknown command'],
    [[], 'a command is required'],
    [['cancel'], '"cancel" takes 1 to 100 job ids'],
    [['cancel', 'not-a-uuid'], '"not-a-uuid" is not a job id'],
    [['sweep', '--stale-after', '2m'], '--stale-after must be a duration of at least 5m'],
    [['sweep', '--bogus'], "Unknown option '--bogus'"],
    [['list', '--timeout', '500ms'], '--timeout must be a duration from 1s to 24h'],
    // Past 24.8 days Node's timers fire at once: a Retry-After would not be waited out.
    [['sweep', '--timeout', '50d'], '--timeout must be a duration from 1s to 24h'],
    [['sweep', '--timeout', '25h'], '--timeout must be a duration from 1s to 24h'],
  ])('exits 2 for %j with a clear message', async (argv, message) => {
    const { code, stderr } = await cli(argv);

    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(world.zuora.requests).toEqual([]);
  });

  it('exits 2 naming the variable for bad configuration', async () => {
    const { code, stderr } = await cli(['sweep'], {
      ...envCredentials(),
      JANITOR_MAX_CANCELS_PER_RUN: 'lots',
    });

    expect(code).toBe(2);
    expect(stderr).toContain('JANITOR_MAX_CANCELS_PER_RUN must be a whole number');
  });

  it('takes a --timeout of 24h, the longest', async () => {
    const { code, stderr } = await cli(['list', '--timeout', '24h']);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(world.zuora.requestsTo('list').length).toBeGreaterThan(0);
  });

  it('exits 2 when no credentials are given', async () => {
    const { code, stderr } = await cli(['list'], {});

    expect(code).toBe(2);
    expect(stderr).toContain('no credentials');
  });

  it('runs as a real process through the package bin', async () => {
    world.zuora.addJob({ ageMinutes: 300 });

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bin/query-janitor.ts', 'sweep', '--json'],
      {
        env: { ...process.env, ...envCredentials() },
      },
    );

    expect((JSON.parse(stdout) as Report).counts.wouldCancel).toBe(1);
  });

  it('shows a status Zuora does not document in the table of a real process', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300, wire: { queryStatus: 'Accepted' } });

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bin/query-janitor.ts', 'sweep', '--no-dry-run'],
      { env: { ...process.env, ...envCredentials() } },
    );

    const row = stdout.split('\n').find((line) => line.startsWith(job.id));
    expect(row).toMatch(
      / Accepted +5h +\S+ +\S+ +protected +status "Accepted" is not one Zuora documents: not judged$/,
    );
    expect(stdout).toMatch(/scanned 1, stale 1, cancelled 0, .*protected 1/);
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });
});
