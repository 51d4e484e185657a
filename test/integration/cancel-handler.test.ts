import { describe, expect, it } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { queryError } from '../emulator/zuora.ts';
import { cancelEvent } from '../support/events.ts';
import {
  captureOutput,
  jsonLines,
  lambdaContext,
  loadFunction,
  useWorld,
} from '../support/lambda.ts';

const world = useWorld();

const SERVICE_USER = 'c0ffee00-0000-4000-8000-00000000c0fe';
const MISSING = '99999999-9999-4999-8999-999999999999';

async function invoke(event: unknown, env: Record<string, string | undefined> = {}) {
  const handler = await loadFunction('cancel', { ...world.env, ...env });
  const { result, error, output } = await captureOutput(() => handler(event, lambdaContext()));
  return { report: result as Report, error, output, logs: jsonLines(output) };
}

describe('cancel handler', () => {
  it('cancels named running jobs whatever their age, and reports every id once', async () => {
    const young = world.zuora.addJob({ ageMinutes: 1, queryStatus: 'in_progress' });
    const done = world.zuora.addJob({ ageMinutes: 1, queryStatus: 'completed' });
    const guarded = world.zuora.addJob({ ageMinutes: 500, createdBy: SERVICE_USER });

    const { report } = await invoke(
      cancelEvent({ jobIds: [young.id, done.id, guarded.id, MISSING], reason: 'runaway export' }),
      { JANITOR_PROTECT_CREATED_BY: SERVICE_USER },
    );

    expect(report.trigger).toBe('cancel-event');
    expect(Object.fromEntries(report.jobs.map((job) => [job.id, job.outcome]))).toEqual({
      [young.id]: 'cancelled',
      [done.id]: 'already-finished',
      [guarded.id]: 'protected',
      [MISSING]: 'not-found',
    });
    expect(report.counts).toMatchObject({
      scanned: 4,
      stale: 4,
      cancelled: 1,
      alreadyFinished: 1,
      protected: 1,
      notFound: 1,
    });
    expect(world.zuora.job(young.id)?.queryStatus).toBe('cancelled');
    expect(world.zuora.job(guarded.id)?.queryStatus).toBe('accepted');
    expect(world.zuora.requestsTo('cancel').map((request) => request.jobId)).toEqual([young.id]);
  });

  it('reads each job before cancelling it', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1 });

    await invoke(cancelEvent({ jobIds: [job.id] }));

    expect(world.zuora.requests.filter((r) => r.route !== 'token').map((r) => r.route)).toEqual([
      'get',
      'cancel',
    ]);
  });

  it('cancels nothing when the event asks for a dry run', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1 });

    const { report } = await invoke(cancelEvent({ jobIds: [job.id], dryRun: true }));

    expect(report.jobs[0]?.outcome).toBe('would-cancel');
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('logs the request with its reason and one record per job', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1 });

    const { logs, report } = await invoke(
      cancelEvent({ jobIds: [job.id], reason: 'ticket OPS-1234' }),
    );

    expect(logs.find((line) => line.message === 'cancel requested')).toMatchObject({
      reason: 'ticket OPS-1234',
      runId: report.runId,
    });
    expect(logs.filter((line) => line.message === 'query job')).toHaveLength(1);
  });

  it('finds a job in the second configured entity', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1, entityId: 'entity-us' });

    const { report } = await invoke(cancelEvent({ jobIds: [job.id] }), {
      ZUORA_ENTITY_IDS: 'entity-eu,entity-us',
    });

    expect(report.jobs[0]?.outcome).toBe('cancelled');
    expect(world.zuora.requestsTo('cancel')[0]?.headers['zuora-entity-ids']).toBe('entity-us');
  });

  it('reports a job another user owns (403) as failed', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1 });
    world.zuora.inject(queryError(403, 1009, 'Access denied'), { route: 'get' });

    const { report } = await invoke(cancelEvent({ jobIds: [job.id] }));

    expect(report.jobs[0]).toMatchObject({ outcome: 'failed', httpStatus: 403 });
    expect(world.zuora.requestsTo('get')).toHaveLength(1);
  });

  it('holds a named job whose status Zuora does not document as protected, not failed', async () => {
    const queued = world.zuora.addJob({ ageMinutes: 1, wire: { queryStatus: 'queued' } });
    const shouting = world.zuora.addJob({
      ageMinutes: 1,
      queryStatus: 'in_progress',
      wire: { queryStatus: 'IN_PROGRESS' },
    });

    const { report, error } = await invoke(cancelEvent({ jobIds: [queued.id, shouting.id] }));

    // Protected is an answer: a redrive would be held again, so the event is not kept.
    expect(error).toBeUndefined();
    expect(report.jobs.map((job) => [job.id, job.status, job.outcome, job.reason])).toEqual([
      [queued.id, 'queued', 'protected', 'status "queued" is not one Zuora documents: not judged'],
      [
        shouting.id,
        'IN_PROGRESS',
        'protected',
        'status "IN_PROGRESS" is not one Zuora documents: not judged',
      ],
    ]);
    expect(report.counts).toMatchObject({ stale: 2, protected: 2, failed: 0 });
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('defers a named job still submitted and keeps the event for redrive', async () => {
    const submitted = world.zuora.addJob({ ageMinutes: 1, queryStatus: 'submitted' });
    const running = world.zuora.addJob({ ageMinutes: 1, queryStatus: 'in_progress' });

    const { error, logs } = await invoke(cancelEvent({ jobIds: [submitted.id, running.id] }));

    // Nothing requested is lost: the error carries the counts, and the event is kept.
    expect((error as Error).name).toBe('IncompleteRunError');
    expect((error as Error).message).toMatch(
      /requested 2, cancelled 1, .*already finished 0, .*deferred 1, failed 0/,
    );
    const [record] = logs.filter(
      (line) => line.message === 'query job' && line.jobId === submitted.id,
    );
    expect(record).toMatchObject({
      outcome: 'deferred',
      reason: 'submitted when read before the cancel: Zuora has not accepted it yet; ask again',
    });
    expect(world.zuora.requestsTo('cancel').map((request) => request.jobId)).toEqual([running.id]);
    expect(world.zuora.job(submitted.id)?.queryStatus).toBe('submitted');
  });

  it('fails the run when Secrets Manager refuses access', async () => {
    world.secrets.deny('query-janitor/zuora');

    const { error } = await invoke(cancelEvent({ jobIds: [MISSING] }));

    expect((error as Error).message).toMatch(
      /Not allowed to read secret query-janitor\/zuora \(AccessDeniedException\)/,
    );
    expect(world.zuora.requests).toEqual([]);
  });

  it.each([
    ['a sweep event', cancelEvent({}, { 'detail-type': 'Sweep Query Jobs' })],
    ['no jobIds', cancelEvent({ reason: 'x' })],
    ['an empty jobIds', cancelEvent({ jobIds: [] })],
    [
      '101 ids',
      cancelEvent({
        jobIds: Array.from(
          { length: 101 },
          (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        ),
      }),
    ],
    ['a path trick', cancelEvent({ jobIds: ['../../oauth/token'] })],
    ['a duplicate id', cancelEvent({ jobIds: [MISSING, MISSING] })],
    ['a reason over 256 characters', cancelEvent({ jobIds: [MISSING], reason: 'x'.repeat(257) })],
  ])('refuses %s before any call', async (_name, event) => {
    const { error } = await invoke(event);

    expect((error as Error).name).toBe('InvalidEventError');
    expect(world.zuora.requests).toEqual([]);
    expect(world.secrets.requests).toEqual([]);
  });

  it('names the offending field in the error', async () => {
    const { error } = await invoke(cancelEvent({ jobIds: [MISSING, 'not-a-uuid'], extra: 1 }));

    expect((error as Error).message).toContain('detail.jobIds[1]: must be a job UUID');
    expect((error as Error).message).toContain('extra');
  });
});
