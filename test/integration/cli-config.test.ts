/**
 * The CLI with a configuration file: the tenant's settings rule exactly as the deployment
 * applies them; flags may only make a run more careful; errors name the source to fix.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { type Fleet, startFleet } from '../emulator/fleet.ts';
import { credentialsSecret, defaultClient } from '../emulator/zuora.ts';
import { runCliInProcess } from '../support/cli.ts';
import { EMULATED_AWS_ENV, runCliProcess } from '../support/processes.ts';

let fleet: Fleet;

beforeEach(async () => {
  fleet = await startFleet(['prod-us', 'prod-eu', 'lab'], {
    defaults: { staleAfter: '2h' },
    tenants: {
      'prod-us': { dryRun: false },
      'prod-eu': { pressure: { headroom: 2, staleAfter: '30m' }, warnBefore: '20m' },
      lab: { dryRun: false, eventStaleAfterFloor: '10m' },
    },
  });
  // The AWS SDK reads its endpoint from the process's environment, as in the real CLI.
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', fleet.secrets.url);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fleet.close();
});

const cli = (argv: string[], env: Record<string, string> = {}) =>
  runCliInProcess(argv, {
    ...EMULATED_AWS_ENV,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: fleet.secrets.url,
    ...env,
  });

const withConfig = (...argv: string[]) => [...argv, '--config', fleet.configPath];

describe('the configuration rules the CLI', () => {
  it("applies the tenant's settings, and stays dry-run without --no-dry-run", async () => {
    const job = fleet.tenant('prod-us').addJob({ ageMinutes: 300 });

    const { code, stdout } = await cli(withConfig('sweep', '--tenant', 'prod-us', '--json'));

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      tenant: 'prod-us',
      dryRun: true,
      counts: { wouldCancel: 1 },
    });
    expect(fleet.tenant('prod-us').job(job.id)?.queryStatus).toBe('accepted');
  });

  it('cancels with --no-dry-run on a live tenant', async () => {
    const job = fleet.tenant('prod-us').addJob({ ageMinutes: 300 });

    const { code } = await cli(withConfig('sweep', '--tenant', 'prod-us', '--no-dry-run'));

    expect(code).toBe(0);
    expect(fleet.tenant('prod-us').job(job.id)?.queryStatus).toBe('cancelled');
  });

  it.each([
    [
      ['sweep', '--tenant', 'prod-eu', '--no-dry-run'],
      /--no-dry-run refused: tenant prod-eu is dry-run/,
    ],
    [
      ['cancel', crypto.randomUUID(), '--tenant', 'prod-eu', '--no-dry-run'],
      /--no-dry-run refused/,
    ],
    [
      ['sweep', '--tenant', 'prod-us', '--stale-after', '30m'],
      /--stale-after 30m refused: tenant prod-us's floor is 2h/,
    ],
    [['sweep'], /--tenant is required: .* has 3 tenants \(prod-us, prod-eu, lab\)/],
    [
      ['sweep', '--tenant', 'prod-apac'],
      /no tenant "prod-apac" in .*\(tenants: prod-us, prod-eu, lab\)/,
    ],
  ])('refuses %j with exit 2: flags may only make a run more careful', async (argv, message) => {
    const { code, stderr } = await cli(withConfig(...argv));

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    for (const emulator of fleet.zuora.values()) expect(emulator.requests).toEqual([]);
  });

  it('allows a longer --stale-after, and a shorter one down to the floor', async () => {
    fleet.tenant('lab').addJob({ ageMinutes: 20 });

    const { code, stdout } = await cli(
      withConfig('sweep', '--tenant', 'lab', '--stale-after', '15m', '--json'),
    );

    expect(code).toBe(0);
    expect(JSON.parse(stdout).counts.wouldCancel).toBe(1);
  });

  it('refuses the JANITOR_* and ZUORA_* configuration variables alongside --config', async () => {
    const { code, stderr } = await cli(withConfig('list', '--tenant', 'lab'), {
      JANITOR_DRY_RUN: 'false',
      ZUORA_ENTITY_IDS: 'e1',
    });

    expect(code).toBe(2);
    expect(stderr).toContain(
      "ZUORA_ENTITY_IDS, JANITOR_DRY_RUN are set, but with --config the file's settings rule: unset them",
    );
  });

  it('sweeps every enabled tenant in parallel with --all-tenants, one failing alone', async () => {
    fleet.tenant('prod-us').addJob({ ageMinutes: 300 });
    fleet.tenant('lab').addJob({ ageMinutes: 300 });
    await fleet.tenant('prod-eu').close();

    const { code, stdout } = await cli(
      withConfig('sweep', '--all-tenants', '--json', '--timeout', '15s'),
    );

    const results = JSON.parse(stdout) as Array<Report | { tenant: string; error: string }>;
    expect(code).toBe(1);
    expect(results.map((result) => result.tenant)).toEqual(['prod-us', 'prod-eu', 'lab']);
    expect(results[1]).toMatchObject({
      error: expect.stringMatching(/could not reach Zuora|timed out|not sent/),
    });
    expect((results[0] as Report).counts.wouldCancel).toBe(1);
    expect((results[2] as Report).counts.wouldCancel).toBe(1);
  }, 30_000);

  it('prints one table per tenant with --all-tenants', async () => {
    const { code, stdout } = await cli(withConfig('list', '--all-tenants'));

    expect(code).toBe(0);
    expect(stdout.match(/^== tenant /gm)).toHaveLength(3);
  });
});

describe('what the CLI refuses, as a usage error', () => {
  it('a live run of a disabled tenant; its dry run still goes', async () => {
    const config = JSON.parse(readFileSync(fleet.configPath, 'utf8'));
    config.tenants[0].enabled = false;
    writeFileSync(fleet.configPath, JSON.stringify(config));
    fleet.tenant('prod-us').addJob({ ageMinutes: 300 });

    const live = await cli(withConfig('sweep', '--tenant', 'prod-us', '--no-dry-run'));
    const dry = await cli(withConfig('sweep', '--tenant', 'prod-us', '--json'));

    expect(live.code).toBe(2);
    expect(live.stderr).toMatch(/tenant prod-us is disabled/);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, tenant: 'prod-us' });
    expect(fleet.tenant('prod-us').requestsTo('cancel')).toEqual([]);
  });

  it('a directory for a file, and a file with no enabled tenant for --all-tenants', async () => {
    const directory = await cli(['sweep', '--config', dirname(fleet.configPath)]);
    expect(directory).toMatchObject({ code: 2, stderr: expect.stringMatching(/is not a file/) });

    const config = JSON.parse(readFileSync(fleet.configPath, 'utf8'));
    for (const tenant of config.tenants) tenant.enabled = false;
    writeFileSync(fleet.configPath, JSON.stringify(config));
    const none = await cli(withConfig('sweep', '--all-tenants'));
    expect(none).toMatchObject({ code: 2, stderr: expect.stringMatching(/no enabled tenant/) });
  });

  it('nothing about a byte-order mark an editor put in front of the file', async () => {
    writeFileSync(fleet.configPath, `\uFEFF${readFileSync(fleet.configPath, 'utf8')}`);
    const { code, stdout } = await cli(withConfig('config', 'validate'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/is valid/);
  });
});

describe('config validate and config show', () => {
  it('says a good file is valid', async () => {
    const { code, stdout } = await cli(withConfig('config', 'validate'));

    expect(code).toBe(0);
    expect(stdout).toMatch(/is valid: 3 tenants \(prod-us, prod-eu, lab\)/);
  });

  it('names every problem of a bad file by its path, exit 2', async () => {
    const config = JSON.parse(readFileSync(fleet.configPath, 'utf8'));
    config.tenants[1].staleAfter = '4m';
    config.tenants[2].dryrun = true;
    writeFileSync(fleet.configPath, JSON.stringify(config));

    const { code, stderr } = await cli(withConfig('config', 'validate'));

    expect(code).toBe(2);
    expect(stderr).toContain(
      'tenants[1].staleAfter must be at least 5m; tenants[2].dryrun is not a known key',
    );
  });

  it('shows the effective settings, defaults applied, secrets by name only', async () => {
    fleet.secrets.put('zuora/prod-us', credentialsSecret(fleet.tenant('prod-us').url));

    const { code, stdout } = await cli(withConfig('config', 'show', '--json'));

    const shown = JSON.parse(stdout);
    expect(code).toBe(0);
    expect(shown.tenants[0]).toMatchObject({
      name: 'prod-us',
      dryRun: false,
      staleAfterAccepted: '2h',
      secret: 'zuora/prod-us',
      schedule: 'rate(15 minutes)',
    });
    expect(shown.tenants[2].eventStaleAfterFloor).toBe('10m');
    expect(shown.tenants[1]).toMatchObject({
      warnBefore: '20m',
      seesAllJobs: true,
      capacityLimits: { LIVE: { running: 5, queued: 10 }, WAREHOUSE: { running: 15, queued: 30 } },
      pressure: 'headroom 2, after 30m, retried after 30m (retries start at 3)',
    });
    expect(shown.tenants[0].pressure).toBeNull();
    expect(shown.auditLogRetentionDays).toBe(365);
    expect(stdout).not.toContain(defaultClient.clientSecret);
    expect(fleet.secrets.requests).toEqual([]);
  });
});

describe('the CLI as operators expect', () => {
  it('prints its version and help per command', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

    expect((await cli(['--version'])).stdout).toBe(`${pkg.version}\n`);
    expect((await cli(['sweep', '--help'])).stdout).toMatch(/^Usage: query-janitor sweep/);
    expect((await cli(['config', '--help'])).stdout).toMatch(/^Usage: query-janitor config/);
  });

  it('says where to put a base URL missing from both the secret and the file', async () => {
    fleet.secrets.put(
      'zuora/lab',
      JSON.stringify({
        clientId: defaultClient.clientId,
        clientSecret: defaultClient.clientSecret,
      }),
    );

    const { code, stderr } = await cli(withConfig('list', '--tenant', 'lab'));

    expect(code).toBe(2);
    expect(stderr).toMatch(
      /No Zuora base URL: set baseUrl in the secret zuora\/lab or the baseUrl of tenant lab in .*query-janitor.config.json/,
    );
  });

  it('names the tenant whose secret the stack created, and how to reach it', async () => {
    const config = JSON.parse(readFileSync(fleet.configPath, 'utf8'));
    delete config.tenants[2].secret;
    writeFileSync(fleet.configPath, JSON.stringify(config));

    const { code, stderr } = await cli(withConfig('list', '--tenant', 'lab'));

    expect(code).toBe(2);
    expect(stderr).toMatch(
      /tenant lab has no secret in .* pass --secret-id with the stack's SecretName output/,
    );
  });

  it('refuses credential variables for a tenant whose secret the file names, and takes them for one it does not', async () => {
    const leftOver = {
      ZUORA_CLIENT_ID: defaultClient.clientId,
      ZUORA_CLIENT_SECRET: defaultClient.clientSecret,
    };
    const refused = await cli(withConfig('list', '--tenant', 'lab'), leftOver);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /tenant lab reads its credentials from secret \S+ in .*: unset ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET/,
    );
    expect(fleet.tenant('lab').requests).toEqual([]);

    const config = JSON.parse(readFileSync(fleet.configPath, 'utf8'));
    delete config.tenants[2].secret;
    config.tenants[2].baseUrl = fleet.tenant('lab').url;
    writeFileSync(fleet.configPath, JSON.stringify(config));
    const taken = await cli(withConfig('list', '--tenant', 'lab'), leftOver);
    expect(taken.code).toBe(0);
    expect(taken.stderr).toContain(
      'query-janitor: warning: tenant lab: using ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET from the environment',
    );
    expect(fleet.tenant('lab').requestsTo('token')).toHaveLength(1);
  });

  it('does not speak of reloading a secret when the credentials came from the environment', async () => {
    const { code, stderr } = await cli(['list'], {
      POWERTOOLS_LOG_LEVEL: 'debug',
      ZUORA_CLIENT_ID: defaultClient.clientId,
      ZUORA_CLIENT_SECRET: 'wrong-secret',
      ZUORA_BASE_URL: fleet.tenant('lab').url,
    });

    expect(code).toBe(1);
    expect(stderr).not.toMatch(/reload/i);
    expect(fleet.tenant('lab').requestsTo('token')).toHaveLength(1);
  });

  it('runs from a process: list --config with a real file', async () => {
    fleet.tenant('lab').addJob({ ageMinutes: 300 });

    const result = await runCliProcess(
      ['list', '--config', fleet.configPath, '--tenant', 'lab', '--json'],
      {
        env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: fleet.secrets.url },
      },
    );

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      tenant: 'lab',
      jobs: [expect.objectContaining({ stale: true })],
    });
  });
});
