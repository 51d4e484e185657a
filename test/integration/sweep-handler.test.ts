import { describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { queryHash } from '../../lib/janitor/report.ts';
import { defaultClient, queryError } from '../emulator/zuora.ts';
import { sweepEvent } from '../support/events.ts';
import {
  captureOutput,
  jsonLines,
  lambdaContext,
  loadFunction,
  secretFor,
  useWorld,
} from '../support/lambda.ts';

const world = useWorld();

const schedule = { trigger: 'schedule', scheduledTime: '2026-11-28T12:00:00Z' };
const SERVICE_USER = 'c0ffee00-0000-4000-8000-00000000c0fe';

async function invoke(
  env: Record<string, string | undefined>,
  event: unknown = schedule,
  remainingMs = 60_000,
) {
  const handler = await loadFunction('sweep', { ...world.env, ...env });
  const { result, error, output } = await captureOutput(() =>
    handler(event, lambdaContext(remainingMs)),
  );
  return { report: result as Report, error, output, logs: jsonLines(output) };
}

/** An answer about one job (`{data: {...}}`) with its status changed to `queryStatus`. */
function withStatus(queryStatus: string) {
  return (sent: unknown) => ({ data: { ...(sent as { data: object }).data, queryStatus } });
}

function outcomes(report: Report) {
  return Object.fromEntries(report.jobs.map((job) => [job.id, job.outcome]));
}

describe('sweep handler', () => {
  it('in dry-run cancels nothing and lists every job it would cancel, past the cap', async () => {
    const stale = Array.from({ length: 4 }, (_, i) => world.zuora.addJob({ ageMinutes: 200 + i }));
    world.zuora.addJob({ ageMinutes: 10 });

    const { report } = await invoke({ JANITOR_DRY_RUN: 'true', JANITOR_MAX_CANCELS_PER_RUN: '2' });

    expect(report.dryRun).toBe(true);
    expect(report.counts).toMatchObject({
      scanned: 5,
      stale: 4,
      wouldCancel: 4,
      cancelled: 0,
      deferred: 0,
    });
    expect(new Set(report.jobs.map((job) => job.id))).toEqual(new Set(stale.map((job) => job.id)));
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
    expect(world.zuora.requestsTo('get')).toEqual([]);
  });

  it('is dry-run when JANITOR_DRY_RUN is not set', async () => {
    world.zuora.addJob({ ageMinutes: 300 });

    const { report } = await invoke({ JANITOR_DRY_RUN: undefined });

    expect(report.dryRun).toBe(true);
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('cancels exactly the eligible jobs, oldest first up to the cap', async () => {
    const z = world.zuora;
    const oldest = z.addJob({ ageMinutes: 600, queryStatus: 'in_progress' });
    const older = z.addJob({ ageMinutes: 500 });
    const old = z.addJob({ ageMinutes: 400 });
    const overCap = z.addJob({ ageMinutes: 300, queryStatus: 'in_progress' });
    const fresh = z.addJob({ ageMinutes: 30 });
    const protectedUser = z.addJob({ ageMinutes: 700, createdBy: SERVICE_USER });
    const protectedQuery = z.addJob({
      ageMinutes: 700,
      query: 'select * from Invoice /* nightly-export */',
    });
    const outsider = z.addJob({
      ageMinutes: 700,
      createdBy: 'ddddeeee-0000-4000-8000-000000000001',
    });
    const done = z.addJob({ ageMinutes: 900, queryStatus: 'completed' });
    const failed = z.addJob({ ageMinutes: 900, queryStatus: 'failed' });

    const { report } = await invoke({
      JANITOR_MAX_CANCELS_PER_RUN: '3',
      JANITOR_PROTECT_CREATED_BY: SERVICE_USER,
      JANITOR_PROTECT_QUERY_PATTERN: 'nightly-export',
      JANITOR_ONLY_CREATED_BY: `${defaultClient.userId},${SERVICE_USER}`,
    });

    const cancelledIds = z.requestsTo('cancel').map((request) => request.jobId);
    expect(cancelledIds).toEqual([oldest.id, older.id, old.id]);
    expect(outcomes(report)).toEqual({
      [oldest.id]: 'cancelled',
      [older.id]: 'cancelled',
      [old.id]: 'cancelled',
      [overCap.id]: 'deferred',
      [protectedUser.id]: 'protected',
      [protectedQuery.id]: 'protected',
      [outsider.id]: 'protected',
    });
    for (const untouched of [overCap, fresh, protectedUser, protectedQuery, outsider]) {
      expect(z.job(untouched.id)?.queryStatus).not.toBe('cancelled');
    }
    expect(z.job(done.id)?.queryStatus).toBe('completed');
    expect(z.job(failed.id)?.queryStatus).toBe('failed');
    expect(report.counts).toEqual({
      scanned: 8,
      stale: 7,
      cancelled: 3,
      wouldCancel: 0,
      alreadyFinished: 0,
      notFound: 0,
      protected: 3,
      deferred: 1,
      failed: 0,
    });
  });

  it('applies per-status thresholds', async () => {
    const accepted = world.zuora.addJob({ ageMinutes: 40, queryStatus: 'accepted' });
    const running = world.zuora.addJob({ ageMinutes: 40, queryStatus: 'in_progress' });

    const { report } = await invoke({
      JANITOR_STALE_AFTER: '2h',
      JANITOR_STALE_AFTER_ACCEPTED: '30m',
    });

    expect(outcomes(report)).toEqual({ [accepted.id]: 'cancelled' });
    expect(world.zuora.job(running.id)?.queryStatus).toBe('in_progress');
  });

  it('reports the job without its query text, only a hash', async () => {
    const query = "select * from Account where Name = 'ACME secret customer'";
    const job = world.zuora.addJob({ ageMinutes: 300, query });

    const { report, output } = await invoke({});

    expect(report.jobs[0]).toMatchObject({
      id: job.id,
      queryHash: queryHash(query),
      status: 'accepted',
    });
    expect(report.jobs[0]?.queryHash).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.stringify(report)).not.toContain('ACME');
    expect(output).not.toContain('ACME');
  });

  it('sweeps each configured entity with its own Zuora-Entity-Ids', async () => {
    const eu = world.zuora.addJob({ ageMinutes: 300, entityId: 'entity-eu' });
    const us = world.zuora.addJob({ ageMinutes: 300, entityId: 'entity-us' });

    const { report } = await invoke({
      ZUORA_ENTITY_IDS: 'entity-eu, entity-us',
      ZUORA_ORG_IDS: 'org-9',
    });

    expect(report.counts.cancelled).toBe(2);
    const cancelEntity = Object.fromEntries(
      world.zuora
        .requestsTo('cancel')
        .map((request) => [request.jobId, request.headers['zuora-entity-ids']]),
    );
    expect(cancelEntity).toEqual({ [eu.id]: 'entity-eu', [us.id]: 'entity-us' });
    const listed = world.zuora
      .requestsTo('list')
      .map((request) => request.headers['zuora-entity-ids']);
    expect(listed.sort()).toEqual(['entity-eu', 'entity-eu', 'entity-us', 'entity-us']);
    expect(
      world.zuora.requests.every(
        (request) => request.headers['zuora-org-ids'] === 'org-9' || request.route === 'token',
      ),
    ).toBe(true);
  });

  it('reports a job that finished between the list and the read as already-finished', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.finishAfter(job.id, 'list');

    const { report } = await invoke({});

    expect(outcomes(report)).toEqual({ [job.id]: 'already-finished' });
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('defers a job read back as submitted before the cancel, for the next run to ask again', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.finishAfter(job.id, 'list', 'submitted');

    const { report } = await invoke({ JANITOR_DRY_RUN: 'false' });

    expect(report.jobs).toEqual([
      expect.objectContaining({
        id: job.id,
        status: 'submitted',
        outcome: 'deferred',
        reason: 'submitted when read before the cancel: Zuora has not accepted it yet; ask again',
      }),
    ]);
    expect(report.counts).toMatchObject({ stale: 1, deferred: 1, alreadyFinished: 0 });
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('reports a job that finished between the read and the cancel as already-finished, without retrying', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.finishAfter(job.id, 'get');

    const { report } = await invoke({});

    expect(report.jobs[0]).toMatchObject({ outcome: 'already-finished', httpStatus: 400 });
    expect(world.zuora.requestsTo('cancel').map((request) => request.status)).toEqual([400]);
    expect(report.counts.failed).toBe(0);
  });

  it('reports a job that vanished before the cancel as not-found', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(queryError(404, 1001, 'No such query'), { route: 'get', jobId: job.id });

    const { report } = await invoke({});

    expect(report.jobs[0]).toMatchObject({ outcome: 'not-found', httpStatus: 404 });
    expect(world.zuora.requestsTo('get')).toHaveLength(1);
  });

  it('records a job whose cancel keeps failing as failed and still returns the report', async () => {
    const bad = world.zuora.addJob({ ageMinutes: 300 });
    const good = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(
      { kind: 'status', status: 500 },
      { route: 'cancel', jobId: bad.id, times: 99 },
    );

    const { report, logs } = await invoke({});

    expect(outcomes(report)).toEqual({ [bad.id]: 'failed', [good.id]: 'cancelled' });
    expect(report.jobs.find((job) => job.id === bad.id)).toMatchObject({ httpStatus: 500 });
    const emf = logs.find((line) => line._aws !== undefined && 'JobsScanned' in line);
    expect(emf?.JobsFailed).toBe(1);
    expect(emf?.JobsCancelled).toBe(1);
  });

  it('defers work it cannot finish before a short deadline instead of overrunning it', async () => {
    for (let i = 0; i < 6; i++) world.zuora.addJob({ ageMinutes: 300 + i });
    world.zuora.latencyMs = 400;
    const handler = await loadFunction('sweep', { ...world.env, JANITOR_CONCURRENCY: '1' });
    const context = lambdaContext(5_000);
    const end = Date.now() + 5_000;

    const { result } = await captureOutput(() => handler(schedule, context));

    const report = result as Report;
    expect(Date.now()).toBeLessThan(end);
    expect(report.counts.deferred).toBeGreaterThan(0);
    expect(report.counts.cancelled + report.counts.deferred).toBe(6);
    expect(report.counts.failed).toBe(0);
    const lastAnswer = Math.max(...world.zuora.requests.map((request) => request.answeredAt));
    expect(lastAnswer).toBeLessThan(end);
  });

  it('holds jobs whose status Zuora does not document as protected, whatever their age', async () => {
    const z = world.zuora;
    const stale = z.addJob({ ageMinutes: 300 });
    // As a server might send them: another case, another word; old and young alike.
    const capital = z.addJob({ ageMinutes: 300, wire: { queryStatus: 'Accepted' } });
    const queued = z.addJob({ ageMinutes: 1, wire: { queryStatus: 'queued' } });
    const shouting = z.addJob({
      ageMinutes: 600,
      queryStatus: 'in_progress',
      wire: { queryStatus: 'IN_PROGRESS' },
    });

    const { report, logs } = await invoke({ JANITOR_DRY_RUN: 'false' });

    expect(outcomes(report)).toEqual({
      [stale.id]: 'cancelled',
      [capital.id]: 'protected',
      [queued.id]: 'protected',
      [shouting.id]: 'protected',
    });
    expect(report.jobs.find((job) => job.id === queued.id)).toMatchObject({
      status: 'queued',
      reason: 'status "queued" is not one Zuora documents: not judged',
    });
    expect(report.counts).toMatchObject({ scanned: 4, stale: 4, cancelled: 1, protected: 3 });
    expect(report.capacity).toBe('unknown');
    expect(z.requestsTo('cancel').map((request) => request.jobId)).toEqual([stale.id]);
    expect(z.requestsTo('get').map((request) => request.jobId)).toEqual([stale.id]);
    expect(logs.some((line) => String(line.message).includes('not readable'))).toBe(false);
  });

  it('holds a job re-read with a status Zuora does not document', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(
      { kind: 'reshape', reshape: withStatus('Paused') },
      { route: 'get', jobId: job.id },
    );

    const { report } = await invoke({ JANITOR_DRY_RUN: 'false' });

    expect(report.jobs).toEqual([
      expect.objectContaining({
        id: job.id,
        status: 'Paused',
        outcome: 'protected',
        reason: 'status "Paused" is not one Zuora documents: not judged',
      }),
    ]);
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('cancels nothing on a second run after a live one', async () => {
    for (let i = 0; i < 3; i++) world.zuora.addJob({ ageMinutes: 300 });
    await invoke({});
    const cancelsAfterFirst = world.zuora.requestsTo('cancel').length;

    const { report } = await invoke({});

    expect(cancelsAfterFirst).toBe(3);
    expect(world.zuora.requestsTo('cancel')).toHaveLength(3);
    expect(report.counts).toMatchObject({ stale: 0, cancelled: 0 });
  });

  it('lists again after cancelling from a full page and finds older stuck jobs', async () => {
    // 150 stale accepted jobs: a page of 100 hides the oldest 50 until the first 100 are cancelled.
    const jobs = Array.from({ length: 150 }, (_, i) =>
      world.zuora.addJob({ ageMinutes: 1000 - i }),
    );

    const { report } = await invoke({
      JANITOR_MAX_CANCELS_PER_RUN: '500',
      JANITOR_CONCURRENCY: '8',
    });

    expect(report.counts.cancelled).toBe(150);
    expect(report.truncated).toBe(false);
    expect(jobs.every((job) => world.zuora.job(job.id)?.queryStatus === 'cancelled')).toBe(true);
    expect(
      world.zuora.requestsTo('list').filter((r) => r.query.queryStatus === 'accepted'),
    ).toHaveLength(2);
  });

  it('marks the report truncated when the run ends on a full page', async () => {
    for (let i = 0; i < 120; i++) world.zuora.addJob({ ageMinutes: 1000 - i });

    const { report, logs } = await invoke({ JANITOR_MAX_CANCELS_PER_RUN: '10' });

    expect(report.truncated).toBe(true);
    expect(report.counts.cancelled).toBe(10);
    expect(
      logs.some((line) => line.level === 'WARN' && String(line.message).includes('full')),
    ).toBe(true);
  });

  it('reads no more of a page than it asked for when Zuora ignores pageSize, and is truncated', async () => {
    for (let i = 0; i < 250; i++) world.zuora.addJob({ ageMinutes: 1000 - i });
    world.zuora.ignorePageSize = true;

    const { report, logs } = await invoke({ JANITOR_DRY_RUN: 'true' });

    expect(world.zuora.requestsTo('list').map((r) => r.query.pageSize)).toEqual(['100', '100']);
    // The newest 100, as a server that honours pageSize would have sent them.
    const newest = new Set(
      world.zuora
        .jobs()
        .slice(0, 100)
        .map((job) => job.id),
    );
    expect(report.jobs.every((job) => newest.has(job.id))).toBe(true);
    expect(report.counts).toMatchObject({ scanned: 100, stale: 100, wouldCancel: 100 });
    expect(report.truncated).toBe(true);
    expect(report.capacity).toBe('unknown');
    expect(
      logs.filter((line) => String(line.message).startsWith('Zuora answered more list entries')),
    ).toEqual([expect.objectContaining({ level: 'WARN', pageSize: 100, entries: 250 })]);
  });

  it('lists again after cancelling from a page longer than asked for, as from a full one', async () => {
    const jobs = Array.from({ length: 250 }, (_, i) =>
      world.zuora.addJob({ ageMinutes: 1000 - i }),
    );
    world.zuora.ignorePageSize = true;

    const { report } = await invoke({
      JANITOR_DRY_RUN: 'false',
      JANITOR_MAX_CANCELS_PER_RUN: '500',
      JANITOR_CONCURRENCY: '8',
    });

    expect(report.counts).toMatchObject({ scanned: 250, stale: 250, cancelled: 250 });
    expect(report.truncated).toBe(false);
    expect(jobs.every((job) => world.zuora.job(job.id)?.queryStatus === 'cancelled')).toBe(true);
    // 100 of 250, then 100 of 150, then the last 50: a page that is not full ends it.
    expect(
      world.zuora.requestsTo('list').filter((r) => r.query.queryStatus === 'accepted'),
    ).toHaveLength(3);
  });

  it('takes staleAfter and dryRun from a Sweep Query Jobs event', async () => {
    const job = world.zuora.addJob({ ageMinutes: 20 });

    const { report } = await invoke(
      { JANITOR_DRY_RUN: 'false', JANITOR_EVENT_STALE_AFTER_FLOOR: '10m' },
      sweepEvent({ staleAfter: '15m', dryRun: true }),
    );

    expect(report.trigger).toBe('sweep-event');
    expect(outcomes(report)).toEqual({ [job.id]: 'would-cancel' });
  });

  it('logs one record per stale job and a summary, all with the run id, and emits EMF metrics', async () => {
    world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.addJob({ ageMinutes: 301 });

    const { report, logs } = await invoke({});

    const jobLines = logs.filter((line) => line.message === 'query job');
    expect(jobLines).toHaveLength(2);
    const summary = logs.find((line) => line.message === 'schedule run finished');
    expect(summary?.counts).toEqual(report.counts);
    const logRecords = logs.filter((line) => line.level !== undefined);
    expect(logRecords.length).toBeGreaterThan(2);
    expect(logRecords.every((line) => line.runId === report.runId)).toBe(true);
    expect(
      world.zuora.requests.every((request) => request.headers['zuora-track-id'] === report.runId),
    ).toBe(true);
    const emf = logs.find((line) => line._aws !== undefined && 'JobsScanned' in line) as Record<
      string,
      unknown
    >;
    expect(emf).toMatchObject({
      JobsScanned: 2,
      JobsStale: 2,
      JobsCancelled: 2,
      JobsFailed: 0,
      RunTruncated: 0,
    });
  });

  it('picks up a rotated secret when Zuora rejects the cached credentials', async () => {
    world.zuora.addJob({ ageMinutes: 300 });
    const handler = await loadFunction('sweep', world.env);
    await captureOutput(() => handler(schedule, lambdaContext()));
    const fetchesBefore = world.secrets.requests.length;

    // Ops rotate the client secret in Zuora and in Secrets Manager; the token is also gone.
    world.zuora.rotateSecret(defaultClient.clientId, 'rotated-secret-value-2');
    world.secrets.put(
      'query-janitor/zuora',
      secretFor(world.zuora, { clientSecret: 'rotated-secret-value-2' }),
    );
    world.zuora.expireTokens();
    const stale = world.zuora.addJob({ ageMinutes: 300 });
    const { result } = await captureOutput(() => handler(schedule, lambdaContext()));

    expect((result as Report).counts.cancelled).toBe(1);
    expect(world.zuora.job(stale.id)?.queryStatus).toBe('cancelled');
    expect(world.secrets.requests.length - fetchesBefore).toBe(1);
    expect(world.zuora.requestsTo('token').map((request) => request.status)).toEqual([
      200, 401, 200,
    ]);
  });

  it('reads the secret once per 5 minutes and mints one token across warm invocations', async () => {
    const handler = await loadFunction('sweep', world.env);
    // The janitor's clock, moved forward (the emulators keep the real one).
    const realNow = Date.now;
    const fiveMinutes = 5 * 60_000;
    let ahead = 0;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + ahead);
    try {
      for (let i = 0; i < 3; i++) await captureOutput(() => handler(schedule, lambdaContext()));
      ahead = fiveMinutes - 5_000;
      await captureOutput(() => handler(schedule, lambdaContext()));

      expect(world.secrets.requests).toHaveLength(1);
      expect(world.secrets.requests[0]).toMatchObject({
        target: 'secretsmanager.GetSecretValue',
        signed: true,
      });

      ahead = fiveMinutes + 1_000;
      const { error } = await captureOutput(() => handler(schedule, lambdaContext()));

      expect(error).toBeUndefined();
      expect(world.secrets.requests).toHaveLength(2);
      expect(world.zuora.requestsTo('token')).toHaveLength(1);
    } finally {
      clock.mockRestore();
    }
  });

  it('fails the run when Zuora cannot be reached at all', async () => {
    world.zuora.inject({ kind: 'drop' }, { route: 'list', times: 99 });

    const { error, logs } = await invoke({});

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ZuoraNetworkError');
    expect(logs.some((line) => line.message === 'run failed')).toBe(true);
  });

  it('fails the run with a clear error when the secret does not exist', async () => {
    const { error } = await invoke({ ZUORA_SECRET_ID: 'no-such-secret' });

    expect((error as Error).message).toBe(
      'Secret no-such-secret was not found (ResourceNotFoundException)',
    );
    expect(world.zuora.requests).toEqual([]);
  });

  it.each([
    ['null', null],
    ['a wrong detail-type', { ...sweepEvent({}), 'detail-type': 'Cancel Query Jobs' }],
    ['an unknown detail field', sweepEvent({ dryRun: false, force: true })],
    ['a staleAfter under 5 minutes', sweepEvent({ staleAfter: '1m' })],
    ['a non-boolean dryRun', sweepEvent({ dryRun: 'false' })],
    ['an empty object', {}],
  ])('refuses %s before any Zuora call', async (_name, event) => {
    const { error } = await invoke({}, event);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('InvalidEventError');
    expect(world.zuora.requests).toEqual([]);
    expect(world.secrets.requests).toEqual([]);
  });

  it('fails at start-up naming every invalid variable, before any call', async () => {
    const error = await loadFunction('sweep', {
      ...world.env,
      ZUORA_SECRET_ID: undefined,
      JANITOR_STALE_AFTER: '2 hours',
      JANITOR_CONCURRENCY: '50',
      JANITOR_PROTECT_QUERY_PATTERN: '([',
    }).catch((e: unknown) => e);

    expect((error as Error).name).toBe('ConfigError');
    const message = (error as Error).message;
    for (const name of [
      'ZUORA_SECRET_ID',
      'JANITOR_STALE_AFTER',
      'JANITOR_CONCURRENCY',
      'JANITOR_PROTECT_QUERY_PATTERN',
    ]) {
      expect(message).toContain(name);
    }
    expect(world.zuora.requests).toEqual([]);
    expect(world.secrets.requests).toEqual([]);
  });
});
