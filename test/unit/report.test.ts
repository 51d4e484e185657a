/**
 * The run report as callers read it: one entry per job (the last outcome wins), counts that add
 * up, times from the run's clock, bounded text, and the two questions a cancel request asks of
 * it: which failures a retry could fix, and what to tell the operator when work is left undone.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jobText } from '../../lib/janitor/job-text.ts';
import {
  isRetryableFailure,
  type JobReport,
  type Outcome,
  queryHash,
  type Report,
  ReportBuilder,
  unfinishedWork,
} from '../../lib/janitor/report.ts';
import type { QueryJob } from '../../lib/zuora/model.ts';
import { Redactor, WITHHELD } from '../../lib/zuora/redact.ts';
import {
  leakedForms,
  QUERY_CANARY,
  SECRET_CANARY,
  SQL_CANARY,
  TOKEN_CANARY,
} from '../support/canaries.ts';

const START = Date.parse('2026-11-28T12:00:00Z');
const run = { runId: 'qj-run-1', tenant: 'prod', trigger: 'cli', dryRun: false } as const;

function clock(start = START) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function job(fields: Partial<QueryJob> = {}): QueryJob {
  return {
    id: crypto.randomUUID(),
    queryStatus: 'accepted',
    updatedOn: '2026-11-28T09:00:00Z',
    createdBy: 'alice',
    query: 'select 1',
    ...fields,
  };
}

describe('ReportBuilder', () => {
  it('times the run by its own clock and says who ran it', () => {
    const time = clock();
    const builder = new ReportBuilder(run, { now: time.now });
    time.advance(1_234);

    const report = builder.finish();

    expect(report).toMatchObject({
      runId: 'qj-run-1',
      tenant: 'prod',
      trigger: 'cli',
      dryRun: false,
      startedAt: '2026-11-28T12:00:00.000Z',
      finishedAt: '2026-11-28T12:00:01.234Z',
      durationMs: 1_234,
      truncated: false,
      jobs: [],
    });
    expect(report).not.toHaveProperty('capacity');
  });

  it('describes a job with its age, owner and query hash, never its query', () => {
    const builder = new ReportBuilder(run, { now: clock().now });
    const listed = job({ query: 'select secret from Account' });

    const entry = builder.record(listed, 'cancelled', { reason: 'stale', httpStatus: 200 });

    expect(entry).toEqual({
      id: listed.id,
      status: 'accepted',
      updatedOn: '2026-11-28T09:00:00Z',
      ageSeconds: 3 * 3_600,
      createdBy: 'alice',
      queryHash: createHash('sha256')
        .update('select secret from Account')
        .digest('hex')
        .slice(0, 12),
      outcome: 'cancelled',
      reason: 'stale',
      httpStatus: 200,
    });
    expect(JSON.stringify(builder.finish())).not.toContain('secret');
  });

  it('reads an updatedOn without offset in the tenant time zone for the age', () => {
    const builder = new ReportBuilder(run, { now: clock().now, timeZone: 'Asia/Tokyo' });

    // 18:00 in Tokyo (UTC+9) is 09:00 UTC: three hours before the run.
    expect(builder.describe(job({ updatedOn: '2026-11-28T18:00:00' })).ageSeconds).toBe(10_800);
  });

  it('keeps null for what Zuora did not say, and bounds what it did', () => {
    const builder = new ReportBuilder(run, { now: clock().now });
    const odd = job({
      updatedOn: `2026-11-28T09:00:00Z${'x'.repeat(100)}`,
      createdBy: `evil\u202e${'y'.repeat(100)}`,
      query: null,
    });

    const entry = builder.record(odd, 'protected', { reason: `r${'z'.repeat(400)}` });
    const unknown = builder.recordId('00000000-0000-4000-8000-000000000001', 'not-found', {
      httpStatus: 404,
      error: 'gone',
    });

    expect(entry.updatedOn).toHaveLength(40);
    expect(entry.createdBy).toHaveLength(64);
    expect(builder.describe(job({ queryStatus: `queued\n${'s'.repeat(100)}` })).status).toBe(
      `queued ${'s'.repeat(32)}…`,
    );
    expect(entry.createdBy).not.toContain('\u202e');
    expect(entry.reason).toHaveLength(300);
    expect(entry.queryHash).toBeNull();
    expect(entry.ageSeconds).toBeNull();
    expect(builder.describe(job({ updatedOn: null, createdBy: undefined }))).toMatchObject({
      updatedOn: null,
      createdBy: null,
    });
    expect(unknown).toEqual({
      id: '00000000-0000-4000-8000-000000000001',
      status: null,
      updatedOn: null,
      ageSeconds: null,
      createdBy: null,
      queryHash: null,
      outcome: 'not-found',
      httpStatus: 404,
      error: 'gone',
    });
  });

  it("scrubs what Zuora sent about a job with the run's redactor, and never shows its query", () => {
    const token = `${TOKEN_CANARY}0f1e2d3c4b5a`;
    const redactor = new Redactor();
    redactor.addSecret(SECRET_CANARY, 'client-1');
    redactor.addSecret(token);
    const builder = new ReportBuilder(run, { now: clock().now, text: jobText(redactor) });
    const cases: Array<[Partial<QueryJob>, Partial<JobReport>]> = [
      [{ createdBy: SECRET_CANARY }, { createdBy: '[redacted]' }],
      [{ createdBy: `by ${encodeURIComponent(SECRET_CANARY)}` }, { createdBy: 'by [redacted]' }],
      [{ createdBy: token }, { createdBy: '[redacted]' }],
      [{ createdBy: SQL_CANARY }, { createdBy: WITHHELD }],
      [{ query: QUERY_CANARY, createdBy: QUERY_CANARY }, { createdBy: WITHHELD }],
      // Equal once on one line and in one case is equal.
      [
        { query: QUERY_CANARY, createdBy: ` ${QUERY_CANARY.toUpperCase()}\n` },
        { createdBy: WITHHELD },
      ],
      [{ query: QUERY_CANARY, createdBy: `by ${QUERY_CANARY} \u00e0 9h` }, { createdBy: WITHHELD }],
      [{ updatedOn: 'select ssn from contact' }, { updatedOn: WITHHELD }],
      [{ updatedOn: SECRET_CANARY }, { updatedOn: '[redacted]' }],
      [{ query: QUERY_CANARY, updatedOn: QUERY_CANARY }, { updatedOn: WITHHELD }],
    ];

    for (const [fields, shown] of cases) {
      expect(builder.record(job(fields), 'protected')).toMatchObject(shown);
    }
    const reason = `updatedOn "${SECRET_CANARY}" is not an ISO 8601 date-time: age unknown`;
    expect(builder.record(job(), 'protected', { reason }).reason).toBe(
      'updatedOn "[redacted]" is not an ISO 8601 date-time: age unknown',
    );
    const printed = JSON.stringify(builder.finish());
    expect(leakedForms(printed, [SECRET_CANARY, token, QUERY_CANARY], 'client-1')).toEqual([]);
    expect(printed).not.toMatch(/select ssn/);
  });

  it('shows an owner id even when a query names it, and a field merely holding a tiny query', () => {
    const owner = '514f3ea1-6716-4f44-b6e0-9a8f0cf44bd2';
    const redactor = new Redactor();
    redactor.addQuery(`select Id from Invoice where CreatedById = '${owner}'`);
    const builder = new ReportBuilder(run, { now: clock().now, text: jobText(redactor) });

    expect(builder.describe(job({ createdBy: owner })).createdBy).toBe(owner);
    expect(builder.describe(job({ query: '1', createdBy: 'svc-1' })).createdBy).toBe('svc-1');
    expect(builder.describe(job({ query: '1', createdBy: '1' })).createdBy).toBe(WITHHELD);
  });

  it('gives each job one entry, its last outcome, and counts every outcome', () => {
    const builder = new ReportBuilder(run, { now: clock().now });
    const outcomes: Outcome[] = [
      'cancelled',
      'would-cancel',
      'already-finished',
      'not-found',
      'protected',
      'deferred',
      'failed',
    ];
    const jobs = outcomes.map(() => job());
    builder.scanned([...jobs, ...jobs, job()]);
    jobs.forEach((listed, i) => {
      builder.record(listed, 'deferred');
      builder.record(listed, outcomes[i] as Outcome);
    });

    const report = builder.finish();

    expect(report.jobs.map((entry) => entry.outcome)).toEqual(outcomes);
    expect(report.counts).toEqual({
      scanned: 8,
      stale: 7,
      cancelled: 1,
      wouldCancel: 1,
      alreadyFinished: 1,
      notFound: 1,
      protected: 1,
      deferred: 1,
      failed: 1,
    });
  });

  it('carries the truncation and capacity a sweep set', () => {
    const builder = new ReportBuilder(run, { now: clock().now });
    builder.truncated = true;
    builder.capacity = 'unknown';

    expect(builder.finish()).toMatchObject({ truncated: true, capacity: 'unknown' });
  });
});

describe('queryHash', () => {
  it('is the first 12 hex digits of the SHA-256, or null without a query', () => {
    expect(queryHash('select 1')).toBe(
      createHash('sha256').update('select 1').digest('hex').slice(0, 12),
    );
    expect(queryHash('')).toBe(createHash('sha256').update('').digest('hex').slice(0, 12));
    expect(queryHash(null)).toBeNull();
    expect(queryHash(undefined)).toBeNull();
  });
});

describe('isRetryableFailure', () => {
  it.each([
    [undefined, true],
    [401, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [403, false],
    [404, false],
    [499, false],
  ])('a failure with HTTP %s: %s', (httpStatus, retryable) => {
    expect(isRetryableFailure({ outcome: 'failed', httpStatus })).toBe(retryable);
  });

  it.each(['cancelled', 'deferred', 'not-found', 'protected'] as const)(
    'is false for a job that did not fail (%s)',
    (outcome) => {
      expect(isRetryableFailure({ outcome, httpStatus: 503 })).toBe(false);
    },
  );
});

describe('unfinishedWork', () => {
  function reportOf(entries: Array<{ outcome: Outcome; httpStatus?: number }>): Report {
    const builder = new ReportBuilder(run, { now: clock().now });
    for (const entry of entries) {
      builder.recordId(crypto.randomUUID(), entry.outcome, { httpStatus: entry.httpStatus });
    }
    return builder.finish();
  }

  it('is undefined when nothing a retry could finish is left', () => {
    expect(unfinishedWork(reportOf([]))).toBeUndefined();
    expect(
      unfinishedWork(
        reportOf([
          { outcome: 'cancelled' },
          { outcome: 'failed', httpStatus: 403 },
          { outcome: 'not-found', httpStatus: 404 },
        ]),
      ),
    ).toBeUndefined();
  });

  it('tells every count when a job was deferred', () => {
    const report = reportOf([
      { outcome: 'cancelled' },
      { outcome: 'cancelled' },
      { outcome: 'deferred' },
      { outcome: 'protected' },
      { outcome: 'failed', httpStatus: 403 },
    ]);

    expect(unfinishedWork(report)).toBe(
      'run qj-run-1 left work undone: requested 5, cancelled 2, would cancel 0, ' +
        'already finished 0, not found 0, protected 1, deferred 1, failed 1 (0 retryable)',
    );
  });

  it('tells how many failures were retryable when one was', () => {
    const report = reportOf([
      { outcome: 'would-cancel' },
      { outcome: 'already-finished' },
      { outcome: 'not-found' },
      { outcome: 'failed', httpStatus: 503 },
      { outcome: 'failed', httpStatus: 400 },
    ]);

    expect(unfinishedWork(report)).toBe(
      'run qj-run-1 left work undone: requested 5, cancelled 0, would cancel 1, ' +
        'already finished 1, not found 1, protected 0, deferred 0, failed 2 (1 retryable)',
    );
  });
});
