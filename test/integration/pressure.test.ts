/**
 * Pressure-aware sweeping through the real sweep handler: a tenant whose LIVE queue is full is
 * relieved in one run, the report shows its capacity before and after, the summary event and
 * the metrics carry it, and the rule stays still wherever the capacity cannot be seen.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CAPACITY_METRICS } from '../../lib/contract/names.ts';
import type { Report } from '../../lib/janitor/index.ts';
import { type Fleet, startFleet } from '../emulator/fleet.ts';
import type { EmulatedJob, ZuoraEmulator } from '../emulator/zuora.ts';
import { credentialsSecret } from '../emulator/zuora.ts';
import { sweepEvent } from '../support/events.ts';
import { captureOutput, jsonLines, lambdaContext, loadFunction } from '../support/lambda.ts';
import { runCliProcess } from '../support/processes.ts';

const PRESSURE = { headroom: 2, staleAfter: '30m', retriedStaleAfter: '10m' };
let fleet: Fleet;

beforeEach(async () => {
  fleet = await startFleet(['busy', 'calm', 'limited', 'dry'], {
    defaults: { dryRun: false, staleAfter: '2h' },
    tenants: {
      busy: { pressure: PRESSURE },
      limited: { pressure: PRESSURE },
      dry: { pressure: PRESSURE, dryRun: true },
    },
  });
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fleet.close();
});

/** A full LIVE queue: five running (three of them for 35 to 55 minutes), ten waiting. */
function fillLiveQueue(zuora: ZuoraEmulator) {
  const running = [55, 45, 35, 8, 3].map((ageMinutes) =>
    zuora.addJob({ queryStatus: 'in_progress', ageMinutes }),
  );
  const waiting = Array.from({ length: 10 }, (_, i) =>
    zuora.addJob({ queryStatus: 'accepted', ageMinutes: 20 - i }),
  );
  const warehouse = zuora.addJob({
    queryStatus: 'in_progress',
    ageMinutes: 50,
    sourceData: 'WAREHOUSE',
  });
  return { running, waiting, warehouse };
}

async function sweep(tenant: string, event: unknown = { trigger: 'schedule', tenant }) {
  const handler = await loadFunction('sweep', fleet.env);
  const { result, output, error } = await captureOutput(() =>
    handler(event, lambdaContext(60_000)),
  );
  expect(error).toBeUndefined();
  return { report: result as Report, output };
}

const statusOf = (zuora: ZuoraEmulator, job: EmulatedJob) => zuora.job(job.id)?.queryStatus;

describe('a full queue', () => {
  it('is relieved in one run: the oldest running jobs past the pressure threshold, two of them', async () => {
    const zuora = fleet.tenant('busy');
    const { running, waiting, warehouse } = fillLiveQueue(zuora);

    const { report, output } = await sweep('busy');

    expect(running.map((job) => statusOf(zuora, job))).toEqual([
      'cancelled',
      'cancelled',
      'in_progress', // past 30m too, but two restore the headroom
      'in_progress',
      'in_progress',
    ]);
    expect(waiting.every((job) => statusOf(zuora, job) === 'accepted')).toBe(true);
    expect(statusOf(zuora, warehouse)).toBe('in_progress'); // its queue is empty
    expect(report.counts).toMatchObject({ scanned: 16, stale: 2, cancelled: 2 });
    expect(report.jobs.map((job) => job.reason)).toEqual([
      'pressure: LIVE queue 10 of 10, 5 of 5 running, headroom 2; in_progress for 55m, over 30m',
      'pressure: LIVE queue 10 of 10, 5 of 5 running, headroom 2; in_progress for 45m, over 30m',
    ]);
    expect(report.capacity).toEqual({
      LIVE: {
        limits: { running: 5, queued: 10 },
        before: { running: 5, queued: 10 },
        after: { running: 3, queued: 10 },
      },
      WAREHOUSE: {
        limits: { running: 15, queued: 30 },
        before: { running: 1, queued: 0 },
        after: { running: 1, queued: 0 },
      },
    });

    // Metrics per source, never per tenant: four for the whole fleet.
    const blobs = jsonLines(output).filter(
      (line) => CAPACITY_METRICS.queued in line || CAPACITY_METRICS.running in line,
    );
    expect(
      blobs.map((blob) => [
        (blob._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> }).CloudWatchMetrics[0]
          ?.Dimensions,
        blob.source,
        blob.JobsRunning ?? blob.JobsQueued,
      ]),
    ).toEqual([
      [[['service', 'source']], 'LIVE', 5],
      [[['service', 'source']], 'LIVE', 10],
      [[['service', 'source']], 'WAREHOUSE', 1],
      [[['service', 'source']], 'WAREHOUSE', 0],
    ]);
  });

  it('is left alone when the rule is not configured: capacity is still reported', async () => {
    const zuora = fleet.tenant('calm');
    fillLiveQueue(zuora);
    const { report } = await sweep('calm');
    expect(zuora.requestsTo('cancel')).toHaveLength(0);
    expect(report.capacity).not.toBe('unknown');
    expect(report.capacity).toMatchObject({
      LIVE: { before: { queued: 10 }, after: { queued: 10 } },
    });
  });

  it('in a dry run, says what would go and leaves the capacity as it was', async () => {
    const zuora = fleet.tenant('dry');
    fillLiveQueue(zuora);
    const { report } = await sweep('dry');
    expect(zuora.requestsTo('cancel')).toHaveLength(0);
    expect(report.counts).toMatchObject({ stale: 2, wouldCancel: 2 });
    expect(
      report.jobs.every((job) => job.reason?.startsWith('pressure: LIVE queue 10 of 10')),
    ).toBe(true);
    expect(report.capacity).toMatchObject({ LIVE: { after: { running: 5, queued: 10 } } });
  });
});

describe('a run asked to be more careful', () => {
  it('is more careful under pressure too: a sweep event with staleAfter 3h cancels nothing younger', async () => {
    const zuora = fleet.tenant('busy');
    fillLiveQueue(zuora);
    const { report } = await sweep('busy', sweepEvent({ tenant: 'busy', staleAfter: '3h' }));
    expect(zuora.requestsTo('cancel')).toEqual([]);
    expect(report.counts.stale).toBe(0);
    expect(report.capacity).toMatchObject({ LIVE: { before: { queued: 10 } } });
  });
});

describe('capacity it cannot see', () => {
  it('is undercounted by a client that sees only its own jobs, so the rule acts less, never more', async () => {
    const zuora = fleet.tenant('limited');
    zuora.addClient({
      clientId: 'analyst',
      clientSecret: 'analyst-secret',
      admin: false,
      userId: 'u-1',
    });
    fleet.secrets.put(
      'zuora/limited',
      credentialsSecret(zuora.url, { clientId: 'analyst', clientSecret: 'analyst-secret' }),
    );
    for (const ageMinutes of [55, 45, 40, 35, 31]) {
      zuora.addJob({ queryStatus: 'in_progress', ageMinutes, createdBy: 'u-1' });
    }
    // Ten more queued by others: this client cannot see them, so it cannot know the queue is full.
    for (let i = 0; i < 10; i++) zuora.addJob({ queryStatus: 'accepted', ageMinutes: 5 });
    // The file says this client sees everything (the default); Zuora disagrees: it counts 0 of 10.
    const { report } = await sweep('limited');
    expect(zuora.requestsTo('cancel')).toHaveLength(0);
    expect(report.capacity).toMatchObject({ LIVE: { before: { running: 5, queued: 0 } } });
  });

  it('is unknown when the file says the client sees only its own jobs, or for some entities', async () => {
    await fleet.close();
    fleet = await startFleet(['own', 'entities'], {
      tenants: { own: { seesAllJobs: false }, entities: { entityIds: ['e1'] } },
    });
    fillLiveQueue(fleet.tenant('own'));
    fleet.tenant('entities').addJob({ queryStatus: 'accepted', ageMinutes: 1, entityId: 'e1' });
    expect((await sweep('own')).report.capacity).toBe('unknown');
    expect((await sweep('entities')).report.capacity).toBe('unknown');
  });

  it('is unknown when a job names a source Zuora does not document, and nothing is cancelled', async () => {
    const zuora = fleet.tenant('busy');
    fillLiveQueue(zuora);
    zuora.addJob({ queryStatus: 'accepted', ageMinutes: 1, wire: { sourceData: 'Live ' } });
    const { report, output } = await sweep('busy');
    expect(report.capacity).toBe('unknown');
    expect(zuora.requestsTo('cancel')).toHaveLength(0);
    expect(jsonLines(output).find((line) => line.message === 'capacity unknown')?.why).toMatch(
      /source/,
    );
  });
});

describe('query-janitor sweep (child process)', () => {
  it('prints the capacity before and after', async () => {
    const zuora = fleet.tenant('busy');
    fillLiveQueue(zuora);
    const run = await runCliProcess(
      ['sweep', '--config', fleet.configPath, '--tenant', 'busy', '--no-dry-run'],
      { env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: fleet.secrets.url } },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'Capacity: LIVE 5/5 running, 10/10 queued -> 3/5 running, 10/10 queued; WAREHOUSE 1/15 running, 0/30 queued',
    );
  });
});
