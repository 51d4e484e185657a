/**
 * The fleet as deployed: the real handlers load the configuration file from their "code asset",
 * take the tenant's lease in a real DynamoDB (dynalite), and serve one tenant per invocation.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_LEASE_MS, TenantLease } from '../../lib/aws/lease.ts';
import type { Report } from '../../lib/janitor/index.ts';
import { type Fleet, startFleet } from '../emulator/fleet.ts';
import { startFaultyTable, startHangingTable, startLeaseTable } from '../support/dynamodb.ts';
import { cancelEvent, sweepEvent } from '../support/events.ts';
import { captureOutput, jsonLines, lambdaContext, loadFunction } from '../support/lambda.ts';
import { runCliProcess } from '../support/processes.ts';

let fleet: Fleet;
let table: Awaited<ReturnType<typeof startLeaseTable>>;

beforeAll(async () => {
  table = await startLeaseTable();
});

afterAll(async () => {
  await table.close();
});

beforeEach(async () => {
  fleet = await startFleet(['prod-us', 'prod-eu', 'paused'], {
    defaults: { dryRun: false, protectCreatedBy: ['c0ffee00-0000-4000-8000-00000000c0fe'] },
    tenants: { paused: { enabled: false } },
  });
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fleet.close();
});

function handlerEnv(): Record<string, string> {
  return {
    ...fleet.env,
    QUERY_JANITOR_LEASE_TABLE: table.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: table.url,
  };
}

async function invoke(name: 'sweep' | 'cancel', event: unknown, remainingMs = 60_000) {
  const handler = await loadFunction(name, handlerEnv());
  return captureOutput(() => handler(event, lambdaContext(remainingMs)));
}

/** A lease on the test table, read through the SDK, by the clock `now` (the real one if none). */
function leaseOn(now?: () => number): TenantLease {
  return new TenantLease({
    tableName: table.tableName,
    client: new DynamoDBClient({ endpoint: table.url }),
    ...(now ? { now } : {}),
  });
}

describe('the tenant lease (DynamoDB, conditional on expiry)', () => {
  it('grants one holder at a time, honours expiry in its condition, and releases only its own', async () => {
    let now = 1_000_000;
    const lease = leaseOn(() => now);

    expect(await lease.acquire('t1', 'run-a', now + 5_000)).toBe(true);
    expect(await lease.acquire('t1', 'run-b', now + 5_000)).toBe(false);
    expect(await lease.acquire('t2', 'run-b', now + 5_000)).toBe(true);
    await lease.release('t1', 'run-b');
    expect(await lease.acquire('t1', 'run-c', now + 5_000)).toBe(false);
    // Expired (TTL would delete it only eventually): the condition itself lets the next one in.
    now += 6_000;
    expect(await lease.acquire('t1', 'run-c', now + 5_000)).toBe(true);
    await lease.release('t1', 'run-c');
    expect(await lease.acquire('t1', 'run-d', now + 5_000)).toBe(true);
    await lease.release('t1', 'run-d');
    await lease.release('t2', 'run-b');
  });

  it('takes over a lease that ends further ahead than any run could have written', async () => {
    let now = 2_000_000;
    const lease = leaseOn(() => now);
    // Written by a clock a year ahead: it would block the tenant for a year.
    const yearAhead = leaseOn(() => now + 365 * 86_400_000);
    expect(await yearAhead.acquire('t3', 'run-x', now + 365 * 86_400_000 + 60_000)).toBe(true);

    expect(await lease.acquire('t3', 'run-y', now + 60_000)).toBe(true);
    // A lease as long as a run can hold is honoured, to its end.
    expect(await lease.acquire('t3', 'run-z', now + 60_000)).toBe(false);
    await lease.release('t3', 'run-y');
    expect(await lease.acquire('t3', 'run-a', now + MAX_LEASE_MS)).toBe(true);
    now += MAX_LEASE_MS - 1_000;
    expect(await lease.acquire('t3', 'run-b', now + 60_000)).toBe(false);
    await expect(lease.acquire('t3', 'run-c', now + MAX_LEASE_MS + 1)).rejects.toThrow(RangeError);
    await lease.release('t3', 'run-a');
  });

  it.each([
    ['an end written as text', { until: { S: '1' } }],
    ['no end at all', {}],
  ])('takes over a lease made by hand with %s', async (_name, end) => {
    const lease = leaseOn();
    await new DynamoDBClient({ endpoint: table.url }).send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: { tenant: { S: 't4' }, owner: { S: 'by-hand' }, ...end },
      }),
    );

    expect(await lease.acquire('t4', 'run-a', Date.now() + 60_000)).toBe(true);
    expect(await lease.acquire('t4', 'run-b', Date.now() + 60_000)).toBe(false);
    await lease.release('t4', 'run-a');
  });
});

describe('one invocation, one tenant', () => {
  it('sweeps the tenant the schedule names, and no other', async () => {
    const us = fleet.tenant('prod-us').addJob({ ageMinutes: 300 });
    const eu = fleet.tenant('prod-eu').addJob({ ageMinutes: 300 });

    const { result } = await invoke('sweep', { trigger: 'schedule', tenant: 'prod-us' });

    expect((result as Report).tenant).toBe('prod-us');
    expect(fleet.tenant('prod-us').job(us.id)?.queryStatus).toBe('cancelled');
    expect(fleet.tenant('prod-eu').job(eu.id)?.queryStatus).toBe('accepted');
    expect(fleet.tenant('prod-eu').requests).toEqual([]);
  });

  it('keeps a failing tenant from delaying or failing another', async () => {
    const eu = fleet.tenant('prod-eu').addJob({ ageMinutes: 300 });
    await fleet.tenant('prod-us').close();
    const handler = await loadFunction('sweep', handlerEnv());

    const [us, euRun] = await Promise.all([
      captureOutput(() =>
        handler({ trigger: 'schedule', tenant: 'prod-us' }, lambdaContext(20_000)),
      ),
      captureOutput(() =>
        handler({ trigger: 'schedule', tenant: 'prod-eu' }, lambdaContext(20_000)),
      ),
    ]);

    expect((us.error as Error).name).toMatch(/^Zuora/);
    expect((euRun.result as Report).counts).toMatchObject({ stale: 1, cancelled: 1 });
    expect(fleet.tenant('prod-eu').job(eu.id)?.queryStatus).toBe('cancelled');
  });

  it.each([
    ['no tenant, when there are several', sweepEvent({}), /tenant is required/],
    ['an unknown tenant', sweepEvent({ tenant: 'prod-apac' }), /no tenant "prod-apac"/],
    ['a disabled tenant', sweepEvent({ tenant: 'paused' }), /disabled/],
    ['a tenant that is not a slug', sweepEvent({ tenant: 'Prod US' }), /detail.tenant/],
    [
      'a cancel for an unknown tenant',
      cancelEvent({ tenant: 'x', jobIds: [crypto.randomUUID()] }),
      /no tenant "x"/,
    ],
  ])('refuses %s before any call, keeping the event', async (_name, event, message) => {
    const { error } = await invoke(
      event['detail-type'] === 'Cancel Query Jobs' ? 'cancel' : 'sweep',
      event,
    );

    expect((error as Error).name).toBe('InvalidEventError');
    expect((error as Error).message).toMatch(message);
    for (const emulator of fleet.zuora.values()) expect(emulator.requests).toEqual([]);
    expect(fleet.secrets.requests).toEqual([]);
  });
});

// A bound well under the test runner's own: without its 2 s and 1 s limits, a call waits on.
describe('a lease table that hangs', { timeout: 8_000 }, () => {
  async function sweepWith(hang: string[]) {
    // A table of its own: the lease this run never gives back must not hold the other tests'.
    const own = await startLeaseTable();
    const hanging = await startHangingTable(own.url, hang);
    try {
      fleet.tenant('prod-us').addJob({ ageMinutes: 300 });
      const handler = await loadFunction('sweep', {
        ...handlerEnv(),
        QUERY_JANITOR_LEASE_TABLE: own.tableName,
        AWS_ENDPOINT_URL_DYNAMODB: hanging.url,
      });
      const run = await captureOutput(() =>
        handler({ trigger: 'schedule', tenant: 'prod-us' }, lambdaContext()),
      );
      return { ...run, received: [...hanging.received] };
    } finally {
      await hanging.close();
      await own.close();
    }
  }

  it('gives up on a release that does not answer, once, and returns the report', async () => {
    // The SDK's request timeout only warns: without a bound the invocation waits to its end.
    const { result, output, received } = await sweepWith(['DeleteItem']);

    expect((result as Report).counts).toMatchObject({ stale: 1, cancelled: 1 });
    expect(output).toContain('could not release the tenant lease');
    expect(received).toEqual(['PutItem', 'DeleteItem']);
  });

  it('fails the run before any Zuora call when the lease cannot be taken', async () => {
    const { error, received, output } = await sweepWith(['PutItem']);

    expect((error as Error).name).toBe('LeaseUnavailableError');
    expect((error as Error).message).toBe(
      'Could not take the lease of tenant prod-us: no answer before its 2 s limit',
    );
    expect(received).toEqual(['PutItem']);
    expect(fleet.tenant('prod-us').requests).toEqual([]);
    expect(jsonLines(output).find((line) => line.message === 'run failed')?.error).toBe(
      (error as Error).message,
    );
  });
});

describe('a tenant whose lease is held', () => {
  it('fails a cancel that waited its share of the run, logging and counting it', async () => {
    const job = fleet.tenant('prod-us').addJob({ ageMinutes: 1 });
    const holder = leaseOn();
    expect(await holder.acquire('prod-us', 'another-run', Date.now() + 60_000)).toBe(true);
    try {
      const { error, output } = await invoke(
        'cancel',
        cancelEvent({ tenant: 'prod-us', jobIds: [job.id] }),
        8_000,
      );

      expect((error as Error).name).toBe('TenantBusyError');
      const lines = jsonLines(output);
      expect(lines.find((line) => line.message === 'run failed')).toMatchObject({
        error: (error as Error).message,
        errorName: 'TenantBusyError',
      });
      expect(lines.find((line) => 'RunFailed' in line)?.RunFailed).toBe(1);
      expect(fleet.tenant('prod-us').job(job.id)?.queryStatus).toBe('accepted');
    } finally {
      await holder.release('prod-us', 'another-run');
    }
  });
});

describe('a lease table that fails', () => {
  it.each(['ThrottlingException', 'AccessDeniedException', 'ResourceNotFoundException'])(
    'says why (%s), logs the run as failed and counts it',
    async (type) => {
      const faulty = await startFaultyTable(table.url, { PutItem: { status: 400, type } });
      const why = `${type}, HTTP 400`;
      try {
        const handler = await loadFunction('sweep', {
          ...handlerEnv(),
          AWS_ENDPOINT_URL_DYNAMODB: faulty.url,
          // The SDK's own retries of throttling wait up to seconds: one try is enough here.
          AWS_MAX_ATTEMPTS: '1',
        });
        const { error, output } = await captureOutput(() =>
          handler({ trigger: 'schedule', tenant: 'prod-us' }, lambdaContext()),
        );

        const message = `Could not take the lease of tenant prod-us: ${why}`;
        expect((error as Error).message).toBe(message);
        const lines = jsonLines(output);
        expect(lines.find((line) => line.message === 'run failed')).toMatchObject({
          error: message,
          errorName: 'LeaseUnavailableError',
        });
        expect(lines.find((line) => 'RunFailed' in line)?.RunFailed).toBe(1);
        expect(fleet.tenant('prod-us').requests).toEqual([]);
      } finally {
        await faulty.close();
      }
    },
  );
});

describe('a fleet of one disabled tenant', () => {
  it('refuses a command that leaves the tenant out, as it refuses one that names it', async () => {
    const only = await startFleet(['paused'], {
      defaults: { dryRun: false },
      tenants: { paused: { enabled: false } },
    });
    try {
      const job = only.tenant('paused').addJob({ ageMinutes: 300 });
      const handler = await loadFunction('cancel', {
        ...only.env,
        QUERY_JANITOR_LEASE_TABLE: table.tableName,
        AWS_ENDPOINT_URL_DYNAMODB: table.url,
      });

      for (const event of [
        cancelEvent({ jobIds: [job.id] }),
        cancelEvent({ tenant: 'paused', jobIds: [job.id] }),
      ]) {
        const { error } = await captureOutput(() => handler(event, lambdaContext()));
        expect((error as Error).name).toBe('InvalidEventError');
        expect((error as Error).message).toMatch(/tenant "paused" is disabled/);
      }
      expect(only.tenant('paused').requests).toEqual([]);
      expect(only.tenant('paused').job(job.id)?.queryStatus).toBe('accepted');
    } finally {
      await only.close();
    }
  });
});

describe('two sweeps of one tenant never overlap', () => {
  it('runs one and skips the other scheduled one; none cancels twice; other tenants run meanwhile', async () => {
    const us = fleet.tenant('prod-us');
    us.latencyMs = 150;
    for (let i = 0; i < 6; i++) us.addJob({ ageMinutes: 300 + i });
    fleet.tenant('prod-eu').addJob({ ageMinutes: 300 });
    const handler = await loadFunction('sweep', handlerEnv());
    const schedule = { trigger: 'schedule', tenant: 'prod-us' };

    const runs = await Promise.all([
      captureOutput(() => handler(schedule, lambdaContext())),
      captureOutput(() => handler(schedule, lambdaContext())),
      captureOutput(() => handler({ trigger: 'schedule', tenant: 'prod-eu' }, lambdaContext())),
    ]);

    const results = runs.slice(0, 2).map((run) => run.result as Report & { skipped?: boolean });
    expect(results.filter((result) => result.skipped === true)).toHaveLength(1);
    expect(results.find((result) => !result.skipped)?.counts.cancelled).toBe(6);
    expect((runs[2] as { result?: Report }).result?.counts.cancelled).toBe(1);
    const deletes = us.requestsTo('cancel').map((request) => request.jobId);
    expect(new Set(deletes).size).toBe(deletes.length);
  });

  it('queues an on-demand sweep behind a running one, then runs it', async () => {
    const us = fleet.tenant('prod-us');
    us.latencyMs = 200;
    for (let i = 0; i < 4; i++) us.addJob({ ageMinutes: 300 + i });
    const handler = await loadFunction('sweep', handlerEnv());

    const [scheduled, onDemand] = await Promise.all([
      captureOutput(() => handler({ trigger: 'schedule', tenant: 'prod-us' }, lambdaContext())),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
        captureOutput(() => handler(sweepEvent({ tenant: 'prod-us' }), lambdaContext())),
      ),
    ]);

    expect((scheduled.result as Report).counts.cancelled).toBe(4);
    // It waited for the lease instead of being dropped, and found nothing left to do.
    expect((onDemand.result as Report).trigger).toBe('sweep-event');
    expect((onDemand.result as Report).counts.cancelled).toBe(0);
    const deletes = us.requestsTo('cancel').map((request) => request.jobId);
    expect(new Set(deletes).size).toBe(4);
  });
});

describe('the CLI and the deployed sweep', () => {
  it('give the same verdicts for the same tenant and file', async () => {
    const us = fleet.tenant('prod-us');
    const jobs = [
      us.addJob({ ageMinutes: 300 }),
      us.addJob({ ageMinutes: 30 }),
      us.addJob({ ageMinutes: 400, createdBy: 'C0FFEE00-0000-4000-8000-00000000C0FE' }),
      us.addJob({ ageMinutes: 500, queryStatus: 'in_progress', wire: { updatedOn: 'Nov 28' } }),
    ];

    const cli = await runCliProcess(
      ['sweep', '--json', '--config', fleet.configPath, '--tenant', 'prod-us'],
      { env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: fleet.secrets.url } },
    );
    const deployed = await invoke('sweep', sweepEvent({ tenant: 'prod-us', dryRun: true }));

    // The same outcome and reason; a job's age moves on between the two runs.
    const verdicts = (report: Report) =>
      Object.fromEntries(
        report.jobs.map((job) => [
          job.id,
          [job.outcome, job.reason?.replace(/for \w+,/, 'for <age>,')],
        ]),
      );
    const fromCli = JSON.parse(cli.stdout) as Report;
    expect(verdicts(fromCli)).toEqual(verdicts(deployed.result as Report));
    expect(Object.keys(verdicts(fromCli)).sort()).toEqual(
      [jobs[0]?.id, jobs[2]?.id, jobs[3]?.id].sort(),
    );
    expect(fromCli.counts).toMatchObject({ wouldCancel: 1, protected: 2 });
  });
});
