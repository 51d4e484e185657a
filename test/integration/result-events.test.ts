/**
 * Result events through the real handlers and the real EventBridge client, against an emulator
 * that behaves like the service (limits, partial failures). What the run did is published, one
 * for one; a publish that fails changes nothing about the run, and is logged and counted.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { WITHHELD } from '../../lib/zuora/redact.ts';
import { EventBridgeEmulator } from '../emulator/eventbridge.ts';
import { type Fleet, startFleet } from '../emulator/fleet.ts';
import {
  leakedForms,
  QUERY_CANARY,
  SECRET_CANARY,
  SQL_CANARY,
  TOKEN_CANARY,
  tokenAsOwner,
} from '../support/canaries.ts';
import { cancelEvent, sweepEvent } from '../support/events.ts';
import { captureOutput, jsonLines, lambdaContext, loadFunction } from '../support/lambda.ts';

const BUS = 'query-janitor-test-bus';
let bus: EventBridgeEmulator;
let fleet: Fleet;

beforeAll(async () => {
  bus = await EventBridgeEmulator.start();
});

afterAll(async () => {
  await bus.close();
});

beforeEach(async () => {
  bus.reset();
  fleet = await startFleet(['prod-us'], {
    defaults: { dryRun: false, protectQueryPattern: 'nightly' },
    tenants: { 'prod-us': { schedule: 'rate(15 minutes)', warnBefore: '30m', staleAfter: '2h' } },
  });
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fleet.close();
});

async function invoke(name: 'sweep' | 'cancel', event: unknown) {
  const handler = await loadFunction(name, {
    ...fleet.env,
    QUERY_JANITOR_EVENT_BUS: BUS,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  });
  const captured = await captureOutput(() => handler(event, lambdaContext()));
  return { ...captured, report: captured.result as Report, logs: jsonLines(captured.output) };
}

describe('result events', () => {
  it("match the report's cancelled, would-cancel and failed jobs one for one, plus one summary", async () => {
    const us = fleet.tenant('prod-us');
    const cancelled = us.addJob({ ageMinutes: 300 });
    const failing = us.addJob({ ageMinutes: 310 });
    us.addJob({ ageMinutes: 320, query: 'select /* nightly */ 1' });
    us.addJob({ ageMinutes: 10 });
    us.inject(
      { kind: 'status', status: 403, body: '{"code":1009,"message":"denied"}' },
      { route: 'cancel', jobId: failing.id },
    );

    const { report } = await invoke('sweep', { trigger: 'schedule', tenant: 'prod-us' });

    const perJob = bus.events.filter((event) => event.detailType !== 'Query Jobs Swept');
    expect(perJob.map((event) => [event.detailType, event.detail.jobId]).sort()).toEqual(
      report.jobs
        .filter((job) => ['cancelled', 'would-cancel', 'failed'].includes(job.outcome))
        .map((job) => [
          job.outcome === 'cancelled' ? 'Query Job Cancelled' : 'Query Job Cancel Failed',
          job.id,
        ])
        .sort(),
    );
    expect(perJob.map((event) => event.detail.jobId).sort()).toEqual(
      [cancelled.id, failing.id].sort(),
    );
    const summaries = bus.events.filter((event) => event.detailType === 'Query Jobs Swept');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      eventBusName: BUS,
      source: 'query-janitor',
      detail: { tenant: 'prod-us', runId: report.runId, counts: report.counts, warnings: 0 },
    });
    expect(perJob.find((event) => event.detail.jobId === failing.id)?.detail).toMatchObject({
      httpStatus: 403,
      owner: failing.createdBy,
      queryHash: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
  });

  it('say would-cancel in a dry run, and are published for cancel requests too', async () => {
    const us = fleet.tenant('prod-us');
    const job = us.addJob({ ageMinutes: 300 });

    await invoke('sweep', sweepEvent({ tenant: 'prod-us', dryRun: true }));
    await invoke('cancel', cancelEvent({ tenant: 'prod-us', jobIds: [job.id], reason: 'OPS-1' }));

    expect(bus.events.map((event) => event.detailType)).toEqual([
      'Query Job Would Be Cancelled',
      'Query Jobs Swept',
      'Query Job Cancelled',
      'Query Jobs Swept',
    ]);
    expect(bus.events[2]?.detail).toMatchObject({
      trigger: 'cancel-event',
      reason: 'requested: OPS-1',
    });
  });

  it('count a job whose status Zuora does not document in the summary only', async () => {
    const us = fleet.tenant('prod-us');
    const stale = us.addJob({ ageMinutes: 300 });
    us.addJob({ ageMinutes: 300, wire: { queryStatus: 'queued' } });

    const { report } = await invoke('sweep', { trigger: 'schedule', tenant: 'prod-us' });

    expect(bus.events.map((event) => [event.detailType, event.detail.jobId])).toEqual([
      ['Query Job Cancelled', stale.id],
      ['Query Jobs Swept', undefined],
    ]);
    expect(bus.events[1]?.detail).toMatchObject({
      counts: { scanned: 2, stale: 2, cancelled: 1, protected: 1 },
      capacity: 'unknown',
    });
    expect(report.counts).toEqual(bus.events[1]?.detail.counts);
  });

  it('never carry query text or a secret', async () => {
    const us = fleet.tenant('prod-us');
    const query = "select Email from Contact where Email = 'ceo@example.com'";
    us.addJob({ ageMinutes: 300, query });
    us.addJob({ ageMinutes: 300, query });
    us.inject({ kind: 'echo', status: 500 }, { route: 'cancel', times: 20 });

    await invoke('sweep', { trigger: 'schedule', tenant: 'prod-us' });

    const published = JSON.stringify(bus.calls);
    expect(published).not.toContain('ceo@example.com');
    expect(
      leakedForms(published, [SECRET_CANARY, 'emulator-client-secret-0001', ...us.issuedTokens()]),
    ).toEqual([]);
  });

  it("never carry a secret, token or query text that a job's own fields hold", async () => {
    const us = fleet.tenant('prod-us');
    us.tokenPrefix = TOKEN_CANARY;
    const secret = 'emulator-client-secret-0001';
    const scheduledTime = new Date(Math.floor(Date.now() / 900_000) * 900_000);
    const bySecret = us.addJob({ ageMinutes: 300, createdBy: secret });
    const bySql = us.addJob({ ageMinutes: 300, createdBy: SQL_CANARY });
    const byOwnQuery = us.addJob({ ageMinutes: 300, query: QUERY_CANARY, createdBy: QUERY_CANARY });
    // Crosses its warning age five minutes before the scheduled time.
    const warned = us.addJob({
      updatedOn: new Date(scheduledTime.getTime() - 95 * 60_000).toISOString(),
      queryStatus: 'in_progress',
    });
    tokenAsOwner(us, warned.id);
    us.inject(
      { kind: 'status', status: 403, body: '{"code":1009,"message":"denied"}' },
      { route: 'cancel', jobId: byOwnQuery.id },
    );

    await invoke('sweep', {
      trigger: 'schedule',
      tenant: 'prod-us',
      scheduledTime: scheduledTime.toISOString().replace(/\.\d+Z$/, 'Z'),
    });

    const owners = new Map(bus.events.map((event) => [event.detail.jobId, event.detail.owner]));
    expect(owners.get(bySecret.id)).toBe('[redacted]');
    expect(owners.get(bySql.id)).toBe(WITHHELD);
    expect(owners.get(byOwnQuery.id)).toBe(WITHHELD);
    expect(owners.get(warned.id)).toBe('[redacted]');
    const published = JSON.stringify(bus.calls);
    expect(leakedForms(published, [secret, QUERY_CANARY, ...us.issuedTokens()])).toEqual([]);
    expect(published).not.toContain(TOKEN_CANARY);
    expect(published).not.toMatch(/select ssn/);
  });

  it('are sent in batches within the service limits', async () => {
    const us = fleet.tenant('prod-us');
    for (let i = 0; i < 23; i++) us.addJob({ ageMinutes: 300 + i });

    const { report } = await invoke('sweep', sweepEvent({ tenant: 'prod-us', dryRun: true }));

    expect(report.counts.wouldCancel).toBe(23);
    expect(bus.events).toHaveLength(24);
    expect(bus.calls.map((call) => call.entries.length)).toEqual([10, 10, 4]);
  });
});

describe('a publish that fails', () => {
  it.each([
    ['a 5xx on every try', () => bus.failNext(500, 'InternalException', 50)],
    ['throttling on every try', () => bus.failNext(400, 'ThrottlingException', 50)],
    [
      'entries failed inside a 200 (FailedEntryCount)',
      () => bus.failEntries(() => true, 'AccessDeniedException'),
    ],
  ])('changes nothing about the run, and is logged and counted: %s', async (_name, fault) => {
    const us = fleet.tenant('prod-us');
    const job = us.addJob({ ageMinutes: 300 });
    fault();

    const { report, error, logs } = await invoke('sweep', {
      trigger: 'schedule',
      tenant: 'prod-us',
    });

    expect(error).toBeUndefined();
    expect(report.counts.cancelled).toBe(1);
    expect(us.job(job.id)?.queryStatus).toBe('cancelled');
    expect(logs.some((line) => line.message === 'result events not published')).toBe(true);
    const emf = logs.find((line) => line._aws !== undefined && 'JobsScanned' in line);
    expect(emf?.ResultEventsUnpublished).toBe(2);
  });

  it('is tried again on a fresh connection when a call hangs, and nothing is lost', async () => {
    fleet.tenant('prod-us').addJob({ ageMinutes: 300 });
    bus.hangNext(1);

    const { report, logs } = await invoke('sweep', { trigger: 'schedule', tenant: 'prod-us' });

    expect(report.counts.cancelled).toBe(1);
    expect(bus.calls).toHaveLength(2);
    expect(bus.events.map((event) => event.detailType).sort()).toEqual([
      'Query Job Cancelled',
      'Query Jobs Swept',
    ]);
    expect(logs.some((line) => line.message === 'result events not published')).toBe(false);
  }, 20_000);

  it('retries entries refused for a passing cause once', async () => {
    fleet.tenant('prod-us').addJob({ ageMinutes: 300 });
    bus.failEntries(1, 'ThrottlingException');

    const { logs } = await invoke('sweep', { trigger: 'schedule', tenant: 'prod-us' });

    expect(bus.events).toHaveLength(2);
    expect(logs.some((line) => line.message === 'result events not published')).toBe(false);
  });
});

describe('warnings before the cancel', () => {
  it('are published by the scheduled run whose window holds the crossing, never on demand', async () => {
    const scheduledTime = new Date(Math.floor(Date.now() / 900_000) * 900_000);
    // Stale after 2h, warned 30m before: it crosses the warning age 5 minutes before this run.
    const crossing = scheduledTime.getTime() - 5 * 60_000;
    const job = fleet.tenant('prod-us').addJob({
      updatedOn: new Date(crossing - 90 * 60_000).toISOString(),
      queryStatus: 'in_progress',
    });
    const schedule = {
      trigger: 'schedule',
      tenant: 'prod-us',
      scheduledTime: scheduledTime.toISOString().replace(/\.\d+Z$/, 'Z'),
    };

    await invoke('sweep', schedule);
    await invoke('sweep', sweepEvent({ tenant: 'prod-us' }));

    const warnings = bus.events.filter(
      (event) => event.detailType === 'Query Job Will Be Cancelled',
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.detail).toMatchObject({
      jobId: job.id,
      eligibleAt: new Date(crossing + 30 * 60_000).toISOString(),
      status: 'in_progress',
    });
    expect(
      bus.events.filter((e) => e.detailType === 'Query Jobs Swept').map((e) => e.detail.warnings),
    ).toEqual([1, 0]);
  });
});
