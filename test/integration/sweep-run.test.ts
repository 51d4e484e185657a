/**
 * `sweep`, `cancelJobs`, `listJobs` and `Run` below the handlers, on a fixed clock against the
 * Zuora emulator: when a run stops starting work, how it re-lists behind a full page and when it
 * gives up, what it says in its log (and at which level), which failures fail it, and every
 * field of a listing, including what an unusual server sends for them.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { cancelJobs } from '../../lib/janitor/cancel.ts';
import { listJobs } from '../../lib/janitor/list.ts';
import { PATTERN_TIMEOUTS_PER_RUN } from '../../lib/janitor/pattern.ts';
import { PATTERN_SPENT } from '../../lib/janitor/policy.ts';
import { type JanitorDeps, Run, type RunOptions } from '../../lib/janitor/run.ts';
import { sweep } from '../../lib/janitor/sweep.ts';
import { TokenCache } from '../../lib/zuora/auth.ts';
import { StaticCredentials } from '../../lib/zuora/credentials.ts';
import { ZuoraHttpError } from '../../lib/zuora/errors.ts';
import { defaultClient, queryError, ZuoraEmulator } from '../emulator/zuora.ts';
import { recordingLog } from '../support/zuora-client.ts';

let zuora: ZuoraEmulator;
const NOW = Date.parse('2026-03-14T12:00:00Z');

beforeAll(async () => {
  zuora = await ZuoraEmulator.start({ now: () => NOW });
});
beforeEach(() => zuora.reset());
afterAll(() => zuora.close());

function deps(env: Record<string, string> = {}, extra: Partial<JanitorDeps> = {}) {
  const log = recordingLog();
  const config = loadConfig({
    ZUORA_BASE_URL: zuora.url,
    JANITOR_DRY_RUN: 'false',
    JANITOR_STALE_AFTER: '1h',
    ...env,
  });
  const credentials = new StaticCredentials({
    clientId: defaultClient.clientId,
    clientSecret: defaultClient.clientSecret,
    baseUrl: zuora.url,
  });
  const janitor: JanitorDeps = {
    config,
    credentials,
    tokens: new TokenCache({ now: () => NOW }),
    log,
    now: () => NOW,
    http: { retry: { maxAttempts: 1 }, sleep: async () => undefined },
    ...extra,
  };
  return { janitor, log };
}

const options = (extra: Partial<RunOptions> = {}): RunOptions => ({
  trigger: 'schedule',
  deadline: NOW + 60_000,
  ...extra,
});

const stale = (count: number) =>
  Array.from({ length: count }, (_, i) => zuora.addJob({ ageMinutes: 120 + i }));
const listRequests = () => zuora.requestsTo('list').length;
const messages = (log: ReturnType<typeof recordingLog>) =>
  log.records.map((record) => `${record.level} ${record.message}`);

describe('when a run stops starting work', () => {
  it('defers jobs with less than two seconds left, and cancels with exactly two', async () => {
    const [job] = stale(1);
    const { janitor } = deps();

    const late = await sweep(janitor, options({ deadline: NOW + 1_999 }));
    expect(late.jobs).toEqual([
      expect.objectContaining({ id: job?.id, outcome: 'deferred', reason: 'deadline reached' }),
    ]);
    expect(zuora.job(job?.id as string)?.queryStatus).toBe('accepted');

    const onTime = await sweep(janitor, options({ deadline: NOW + 2_000 }));
    expect(onTime.counts.cancelled).toBe(1);
  });

  it('defers jobs once interrupted, saying so', async () => {
    stale(1);
    const controller = new AbortController();
    const { janitor } = deps();
    // Ctrl-C arrives once the jobs are listed, before any is re-read.
    janitor.http = {
      ...janitor.http,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (String(input).includes('queryStatus=in_progress')) controller.abort();
        return response;
      },
    };

    const report = await sweep(janitor, options({ signal: controller.signal }));

    expect(report.jobs.map((job) => [job.outcome, job.reason])).toEqual([
      ['deferred', 'interrupted'],
    ]);
    // The run itself says why it stops, before the HTTP layer would refuse to send.
    expect(new Run(janitor, options({ signal: controller.signal })).stopReason()).toBe(
      'interrupted',
    );
    expect(new Run(janitor, options()).stopReason()).toBeUndefined();
    expect(new Run(janitor, options({ deadline: NOW + 1_999 })).stopReason()).toBe(
      'deadline reached',
    );
  });

  it('defers a dry run too once interrupted, and hears the interrupt between jobs', async () => {
    stale(20);
    const controller = new AbortController();
    const { janitor } = deps({ JANITOR_DRY_RUN: 'true' });
    // Ctrl-C as a timer after the last listing: it can only fire when the event loop turns.
    janitor.http = {
      ...janitor.http,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (String(input).includes('queryStatus=in_progress')) {
          setTimeout(() => controller.abort(), 0);
        }
        return response;
      },
    };

    const report = await sweep(janitor, options({ signal: controller.signal }));

    expect(report.jobs).toHaveLength(20);
    expect(report.counts.deferred).toBeGreaterThan(0);
    expect(report.counts.wouldCancel + report.counts.deferred).toBe(20);
    expect(
      report.jobs.filter((job) => job.outcome === 'deferred').map((job) => job.reason),
    ).toEqual(Array(report.counts.deferred).fill('interrupted'));
  });

  it('defers a dry run with no time left, as a live one', async () => {
    const [job] = stale(1);
    const { janitor } = deps({ JANITOR_DRY_RUN: 'true' });

    const late = await sweep(janitor, options({ deadline: NOW + 1_999 }));

    expect(late.jobs).toEqual([
      expect.objectContaining({ id: job?.id, outcome: 'deferred', reason: 'deadline reached' }),
    ]);
  });

  it('defers a cancel whose retry wait would pass the deadline, naming what it would have waited out', async () => {
    const [job] = stale(1);
    zuora.inject(
      {
        kind: 'status',
        status: 503,
        retryAfter: '120',
        body: '{"message":"maintenance"}',
        contentType: 'application/json',
      },
      { route: 'cancel' },
    );
    const { janitor } = deps({}, { http: { retry: { maxAttempts: 3 } } });

    const report = await sweep(janitor, options());

    expect(report.jobs).toEqual([
      expect.objectContaining({
        id: job?.id,
        outcome: 'deferred',
        reason: expect.stringMatching(
          `^deadline reached: waiting 120 s to retry would outlast the run, after DELETE /query/jobs/${job?.id} failed with HTTP 503: maintenance \\(Zuora-Request-Id [0-9a-f-]{36}\\)$`,
        ),
      }),
    ]);
  });
});

describe('re-listing behind a full page', () => {
  it('stops when the cancel cap is spent, leaving the run truncated', async () => {
    stale(5);
    const { janitor, log } = deps({ JANITOR_MAX_CANCELS_PER_RUN: '2' });

    const report = await sweep(janitor, { ...options(), pageSize: 2 });

    expect(report.counts.cancelled).toBe(2);
    expect(report.jobs).toHaveLength(2);
    expect(report.truncated).toBe(true);
    expect(listRequests()).toBe(2);
    expect(zuora.requestsTo('list').map((request) => request.query.pageSize)).toEqual(['2', '2']);
    expect(log.records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'a list page came back full: older stale jobs may be hidden until a later run',
        attributes: expect.objectContaining({ pageSize: 2 }),
      }),
    );
    expect(messages(log).at(-1)).toBe('warn schedule run finished');
  });

  it('defers what the cap does not allow, saying which cap', async () => {
    stale(2);

    const report = await sweep(deps({ JANITOR_MAX_CANCELS_PER_RUN: '1' }).janitor, options());

    expect(report.jobs.map((job) => [job.outcome, job.reason]).sort()).toEqual([
      ['cancelled', 'stale: accepted for 2h1m, over 1h'],
      ['deferred', 'per-run cancel cap of 1 reached'],
    ]);
    expect(report.truncated).toBe(false);
  });

  it('lists again after each cancel from a full page, for at most fifty rounds', async () => {
    stale(51);
    const { janitor } = deps({ JANITOR_MAX_CANCELS_PER_RUN: '100' });

    const report = await sweep(janitor, { ...options(), pageSize: 1 });

    expect(report.counts.cancelled).toBe(50);
    expect(report.truncated).toBe(true);
  });

  it('does not list a full page again when nothing on it was cancelled', async () => {
    for (let i = 0; i < 3; i++) zuora.addJob({ ageMinutes: 5 + i });
    const { janitor, log } = deps();

    const report = await sweep(janitor, { ...options(), pageSize: 2 });

    expect(report.truncated).toBe(true);
    expect(listRequests()).toBe(2);
    expect(messages(log)).toContain(
      'warn a list page came back full: older stale jobs may be hidden until a later run',
    );
  });

  it('is not truncated when the cap is spent on the last job there was', async () => {
    stale(2);
    const { janitor, log } = deps({ JANITOR_MAX_CANCELS_PER_RUN: '2' });

    const report = await sweep(janitor, options());

    expect(report.counts.cancelled).toBe(2);
    expect(report.truncated).toBe(false);
    expect(messages(log)).not.toContain(
      'warn a list page came back full: older stale jobs may be hidden until a later run',
    );
    expect(messages(log).at(-1)).toBe('info schedule run finished');
  });

  it('keeps what it did when listing again fails, and says older jobs may be hidden', async () => {
    stale(2);
    const { janitor, log } = deps();
    let lists = 0;
    janitor.http = {
      ...janitor.http,
      fetch: async (input, init) => {
        if (String(input).includes('/query/jobs?') && ++lists > 2) {
          return new Response('{"message":"down"}', { status: 500 });
        }
        return fetch(input, init);
      },
    };

    const report = await sweep(janitor, { ...options(), pageSize: 1 });

    expect(report.counts.cancelled).toBe(1);
    expect(report.truncated).toBe(true);
    expect(log.records).toContainEqual({
      level: 'warn',
      message: 'could not list again; older jobs may be hidden',
      attributes: expect.objectContaining({
        entityId: undefined,
        status: 'accepted',
        error: 'GET /query/jobs failed with HTTP 500: down',
      }),
    });
  });
});

describe('what a run counts', () => {
  it('counts only cancels against the cap and for listing again', async () => {
    const [oldest, middle] = stale(3).reverse();
    zuora.finishAfter(oldest?.id as string, 'list');
    const { janitor } = deps({ JANITOR_MAX_CANCELS_PER_RUN: '2' });

    const report = await sweep(janitor, { ...options(), pageSize: 3 });

    // The job that finished on its own left one cancel of the cap: the page is listed again
    // and, no longer full, shows the run saw everything.
    const byOutcome = Object.fromEntries(report.jobs.map((job) => [job.outcome, job.id]));
    expect(byOutcome).toEqual({
      'already-finished': oldest?.id,
      cancelled: middle?.id,
      deferred: expect.any(String),
    });
    expect(listRequests()).toBe(3);
    expect(report.truncated).toBe(false);
  });

  it('lists a full page again when some of it was cancelled, not only when all of it was', async () => {
    const owner = '8a8aa0b1-0000-4000-8000-0000000000c3';
    const older = zuora.addJob({ ageMinutes: 300 });
    const kept = zuora.addJob({ ageMinutes: 200, createdBy: owner });
    const newer = zuora.addJob({ ageMinutes: 100 });

    const report = await sweep(deps({ JANITOR_PROTECT_CREATED_BY: owner }).janitor, {
      ...options(),
      pageSize: 2,
    });

    expect(zuora.job(older.id)?.queryStatus).toBe('cancelled');
    expect(zuora.job(newer.id)?.queryStatus).toBe('cancelled');
    expect(zuora.job(kept.id)?.queryStatus).toBe('accepted');
    expect(report.truncated).toBe(false);
  });

  it('frees the slots of jobs found finished or gone, as well as of those it cancelled', async () => {
    const [finished, gone] = stale(4);
    zuora.finishAfter(finished?.id as string, 'list');
    zuora.inject(queryError(404, 1001, 'missing'), { route: 'get', jobId: gone?.id });

    const report = await sweep(deps().janitor, options());

    expect(report.counts).toMatchObject({ cancelled: 2, alreadyFinished: 1, notFound: 1 });
    expect(report.capacity).toMatchObject({
      LIVE: { before: { running: 0, queued: 4 }, after: { running: 0, queued: 0 } },
    });
  });
});

describe('what a run says', () => {
  it('logs failed jobs as warnings and the rest as information, with the run and tenant', async () => {
    const [failing, fine] = stale(2);
    zuora.inject(queryError(400, 1002, 'nope'), { route: 'cancel', jobId: failing?.id });
    const { janitor, log } = deps();

    const report = await sweep(janitor, options());

    const jobRecords = log.records.filter((record) => record.message === 'query job');
    expect(
      jobRecords.map((record) => [
        record.level,
        record.attributes?.jobId,
        record.attributes?.outcome,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['warn', failing?.id, 'failed'],
        ['info', fine?.id, 'cancelled'],
      ]),
    );
    for (const record of log.records) {
      expect(record.attributes).toMatchObject({ runId: report.runId, tenant: 'default' });
    }
    expect(messages(log).at(-1)).toBe('warn schedule run finished');
    expect(report.startedAt).toBe(new Date(NOW).toISOString());
  });

  it('skips list entries it cannot read, says so, and cannot know the capacity', async () => {
    zuora.addJob({ ageMinutes: 120, wire: { id: 'job-1' } });
    const { janitor, log } = deps();

    const report = await sweep(janitor, options());

    expect(report.jobs).toEqual([]);
    expect(report.capacity).toBe('unknown');
    expect(log.records).toContainEqual({
      level: 'warn',
      message: 'list entries that are not readable jobs were skipped',
      attributes: expect.objectContaining({
        entityId: undefined,
        status: 'accepted',
        unreadable: 1,
      }),
    });
  });

  it('says nothing of unreadable entries when there are none, and knows the capacity', async () => {
    stale(1);
    const { janitor, log } = deps();

    const report = await sweep(janitor, options());

    expect(messages(log)).not.toContain(
      'warn list entries that are not readable jobs were skipped',
    );
    expect(report.capacity).not.toBe('unknown');
  });

  it('cannot know the capacity behind a full page', async () => {
    stale(2);

    const report = await sweep(deps().janitor, { ...options(), pageSize: 2, dryRun: true });

    expect(report.capacity).toBe('unknown');
  });

  it('logs a warning for a job due one, with or without a listener', async () => {
    const job = zuora.addJob({ ageMinutes: 45 });
    // Crossed its warning age (40 minutes) in an earlier run's window: not warned again.
    zuora.addJob({ ageMinutes: 55 });
    const { janitor, log } = deps();

    await sweep(janitor, {
      ...options(),
      warnings: { scheduledAt: NOW, periodMs: 15 * 60_000, warnBeforeMs: 20 * 60_000 },
    });

    const eligibleAt = new Date(NOW + 15 * 60_000).toISOString();
    expect(log.records).toContainEqual({
      level: 'info',
      message: 'query job warned',
      attributes: expect.objectContaining({
        jobId: job.id,
        ageSeconds: 2_700,
        eligibleAt,
        reason: `will be stale at ${eligibleAt}: accepted past its threshold of 1h`,
      }),
    });
    expect(messages(log).filter((message) => message === 'info query job warned')).toHaveLength(1);
  });
});

describe('cancelJobs', () => {
  it('returns an empty report for no ids', async () => {
    const report = await cancelJobs(deps().janitor, [], options({ trigger: 'cancel-event' }));

    expect(report.jobs).toEqual([]);
  });

  it('fails the run when Zuora refuses the credentials for every job', async () => {
    const ids = stale(2).map((job) => job.id);
    const { janitor } = deps();
    janitor.credentials = new StaticCredentials({
      clientId: defaultClient.clientId,
      clientSecret: 'not-the-secret',
      baseUrl: zuora.url,
    });

    const error = await cancelJobs(janitor, ids, options({ trigger: 'cancel-event' })).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ZuoraHttpError);
    expect((error as ZuoraHttpError).kind).toBe('unauthorized');
  });

  it('reports a job Zuora no longer has as not found', async () => {
    const [job] = stale(1);
    zuora.inject(queryError(404, 1001, 'missing'), { route: 'cancel', jobId: job?.id });

    const report = await cancelJobs(deps().janitor, [job?.id as string], options());

    expect(report.jobs).toEqual([
      expect.objectContaining({ outcome: 'not-found', reason: 'Zuora answered 404' }),
    ]);
  });
});

describe('a run asked to be more careful', () => {
  it('raises both pressure thresholds to its own stale-after, never lowers them', () => {
    const { janitor } = deps();
    const config = {
      ...janitor.config,
      pressure: {
        headroom: 2,
        staleAfterMs: 30 * 60_000,
        retriedStaleAfterMs: 10 * 60_000,
        retriesStart: 3,
      },
    };

    const stricter = new Run({ ...janitor, config }, options({ staleAfterMs: 40 * 60_000 }));
    const looser = new Run({ ...janitor, config }, options({ staleAfterMs: 5 * 60_000 }));

    expect(stricter.rules.pressure).toEqual({
      headroom: 2,
      staleAfterMs: 40 * 60_000,
      retriedStaleAfterMs: 40 * 60_000,
      retriesStart: 3,
    });
    expect(looser.rules.pressure).toEqual(config.pressure);
  });
});

/** `query-janitor list` below the CLI, with the policy of `env` (the default 2h threshold). */
const list = (env: Record<string, string> = {}) =>
  listJobs(deps({ JANITOR_STALE_AFTER: '2h', ...env }).janitor, options({ trigger: 'cli' }));

const sha12 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

describe('listJobs', () => {
  it('shows each running job with its entity, status, age, owner, query hash and verdict', async () => {
    const owner = '8a8aa0b1-0000-4000-8000-0000000000b2';
    const oldQueued = zuora.addJob({
      ageMinutes: 90,
      entityId: 'e-1',
      createdBy: owner,
      query: 'select Id from Invoice',
    });
    const newQueued = zuora.addJob({ ageMinutes: 5, entityId: 'e-1' });
    const running = zuora.addJob({ ageMinutes: 200, entityId: 'e-2', queryStatus: 'in_progress' });
    zuora.addJob({ ageMinutes: 500, entityId: 'e-2', queryStatus: 'completed' });

    const listing = await list({
      ZUORA_ENTITY_IDS: 'e-1,e-2',
      JANITOR_STALE_AFTER: '1h',
      JANITOR_PROTECT_CREATED_BY: owner.toUpperCase(),
    });

    expect(listing.tenant).toBe('default');
    expect(listing.runId).toMatch(/^qj-[0-9a-f-]{36}$/);
    expect(listing.truncated).toBe(false);
    expect(listing.jobs).toEqual([
      {
        id: oldQueued.id,
        entityId: 'e-1',
        status: 'accepted',
        updatedOn: oldQueued.updatedOn,
        ageSeconds: 5_400,
        createdBy: owner,
        queryHash: sha12('select Id from Invoice'),
        stale: true,
        protected: 'createdBy is in protectCreatedBy',
      },
      {
        id: newQueued.id,
        entityId: 'e-1',
        status: 'accepted',
        updatedOn: newQueued.updatedOn,
        ageSeconds: 300,
        createdBy: defaultClient.userId,
        queryHash: sha12('select Id from Account'),
        stale: false,
        protected: null,
      },
      {
        id: running.id,
        entityId: 'e-2',
        status: 'in_progress',
        updatedOn: running.updatedOn,
        ageSeconds: 12_000,
        createdBy: defaultClient.userId,
        queryHash: sha12('select Id from Account'),
        stale: true,
        protected: null,
      },
    ]);
  });

  it('lists the default entity as null, oldest first within each status', async () => {
    const ages = [10, 40, 25];
    const jobs = ages.map((ageMinutes) => zuora.addJob({ ageMinutes }));

    const listing = await list();

    expect(listing.jobs.map((job) => [job.id, job.entityId, job.ageSeconds])).toEqual([
      [jobs[1]?.id, null, 2_400],
      [jobs[2]?.id, null, 1_500],
      [jobs[0]?.id, null, 600],
    ]);
  });

  it('bounds what the server sends and says why a job it cannot date is protected', async () => {
    const job = zuora.addJob({
      ageMinutes: 300,
      wire: {
        updatedOn: `Nov 28 ${'9'.repeat(100)}`,
        createdBy: `${'x'.repeat(200)}\u202e`,
        query: null,
      },
    });
    const missing = zuora.addJob({ wire: { updatedOn: undefined, createdBy: null } });

    const listing = await list();

    // Neither can be dated, so neither is older: find them by id.
    const unreadable = listing.jobs.find((entry) => entry.id === job.id);
    const undated = listing.jobs.find((entry) => entry.id === missing.id);
    expect(listing.jobs).toHaveLength(2);
    expect(unreadable).toMatchObject({
      id: job.id,
      ageSeconds: null,
      queryHash: null,
      stale: false,
      protected: expect.stringMatching(/^updatedOn "Nov 28 9+…" is not an ISO 8601 date-time/),
    });
    expect(unreadable?.updatedOn).toHaveLength(40);
    expect(unreadable?.createdBy).toBe(`${'x'.repeat(63)}…`);
    expect(undated).toMatchObject({
      id: missing.id,
      updatedOn: null,
      createdBy: null,
      ageSeconds: null,
      protected: 'updatedOn is missing: age unknown',
    });
  });

  it('says the listing is truncated when a page comes back full', async () => {
    // The first status listed: a later page that is not full must not hide it.
    for (let i = 0; i < 100; i++) zuora.addJob({ ageMinutes: 1 + i });
    zuora.addJob({ ageMinutes: 1, queryStatus: 'in_progress' });

    const listing = await list();

    expect(listing.truncated).toBe(true);
    expect(listing.jobs).toHaveLength(101);
  });
});

describe('a protect pattern that times out', () => {
  const PATTERN = { JANITOR_PROTECT_QUERY_PATTERN: '^(a+)+$' };
  const SLOW_QUERY = `${'a'.repeat(40)}!`;
  const FIRST = 'protectQueryPattern did not finish on this query in time';
  const slow = (count: number, fields: { ageMinutes: number }) =>
    Array.from({ length: count }, (_, i) =>
      zuora.addJob({
        ...fields,
        // Each query its own: a query that timed out once is not tested again in the run.
        query: `${SLOW_QUERY}${i}`,
        queryStatus: i % 2 === 0 ? 'accepted' : 'in_progress',
      }),
    );
  const timeoutWarnings = (log: ReturnType<typeof recordingLog>) =>
    log.records.filter((record) => record.message.startsWith('protectQueryPattern did not finish'));

  it('costs a sweep a bounded number of timeouts: every stale job protected, saying why, with one warning', async () => {
    slow(198, { ageMinutes: 300 });
    const { janitor, log } = deps(PATTERN);

    const report = await sweep(janitor, options());

    expect(report.counts).toMatchObject({ scanned: 198, stale: 198, protected: 198 });
    expect(report.jobs.filter((job) => job.reason === FIRST)).toHaveLength(
      PATTERN_TIMEOUTS_PER_RUN,
    );
    expect(report.jobs.filter((job) => job.reason === PATTERN_SPENT)).toHaveLength(
      198 - PATTERN_TIMEOUTS_PER_RUN,
    );
    expect(zuora.requestsTo('get')).toEqual([]);
    expect(zuora.requestsTo('cancel')).toEqual([]);
    expect(timeoutWarnings(log).map((record) => record.level)).toEqual(['warn']);
    // The next run tries the pattern again: a timeout is remembered per run, not per process.
    const { janitor: next, log: nextLog } = deps(PATTERN);
    const again = await sweep({ ...next, config: janitor.config }, options());
    expect(again.jobs.filter((job) => job.reason === FIRST)).toHaveLength(PATTERN_TIMEOUTS_PER_RUN);
    expect(timeoutWarnings(nextLog)).toHaveLength(1);
  });

  it('costs a cancel request a bounded number of timeouts, whatever its size', async () => {
    const jobs = slow(60, { ageMinutes: 1 });
    const { janitor, log } = deps(PATTERN);

    const report = await cancelJobs(
      janitor,
      jobs.map((job) => job.id),
      options({ trigger: 'cancel-event' }),
    );

    expect(report.counts).toMatchObject({ stale: 60, protected: 60 });
    expect(report.jobs.filter((job) => job.reason === FIRST)).toHaveLength(
      PATTERN_TIMEOUTS_PER_RUN,
    );
    expect(report.jobs.filter((job) => job.reason === PATTERN_SPENT)).toHaveLength(
      60 - PATTERN_TIMEOUTS_PER_RUN,
    );
    expect(zuora.requestsTo('cancel')).toEqual([]);
    expect(timeoutWarnings(log)).toHaveLength(1);
  });

  it('holds only the jobs whose query it cannot judge: the others are cancelled', async () => {
    const pathological = zuora.addJob({ ageMinutes: 400, query: SLOW_QUERY });
    const others = [300, 250, 200].map((ageMinutes) => zuora.addJob({ ageMinutes }));
    const { janitor } = deps(PATTERN);

    const report = await sweep(janitor, options());

    expect(report.counts).toMatchObject({ stale: 4, protected: 1, cancelled: 3 });
    expect(report.jobs.find((job) => job.id === pathological.id)?.reason).toBe(FIRST);
    for (const job of others) expect(zuora.job(job.id)?.queryStatus).toBe('cancelled');
    expect(zuora.job(pathological.id)?.queryStatus).toBe('accepted');
  });

  it('is not run for fresh jobs in a listing', async () => {
    slow(198, { ageMinutes: 5 });
    const { janitor, log } = deps({ ...PATTERN, JANITOR_STALE_AFTER: '2h' });

    const listing = await listJobs(janitor, options({ trigger: 'cli' }));

    expect(listing.jobs).toHaveLength(198);
    expect(listing.jobs.every((job) => !job.stale && job.protected === null)).toBe(true);
    expect(timeoutWarnings(log)).toEqual([]);
  });
});
