/**
 * The result events a report becomes, field by field: one per cancelled, would-cancel and failed
 * job, none for the outcomes the summary only counts, warnings after them, and the summary last,
 * with capacity as the run measured it (`unknown` when it did not).
 */
import { describe, expect, it } from 'vitest';
import { RESULT_DETAIL_TYPES } from '../../lib/contract/names.ts';
import type { JobReport, Outcome, Report } from '../../lib/janitor/report.ts';
import { resultEvents } from '../../lib/janitor/results.ts';

const OUTCOMES: Outcome[] = [
  'cancelled',
  'would-cancel',
  'already-finished',
  'not-found',
  'protected',
  'deferred',
  'failed',
];

function jobReport(outcome: Outcome, extra: Partial<JobReport> = {}): JobReport {
  return {
    id: `job-${outcome}`,
    status: 'in_progress',
    updatedOn: '2026-11-28T09:00:00Z',
    ageSeconds: 10_800,
    createdBy: 'alice',
    queryHash: 'f980f8391d4b',
    outcome,
    reason: `because ${outcome}`,
    ...extra,
  };
}

function report(jobs: JobReport[], extra: Partial<Report> = {}): Report {
  return {
    runId: 'qj-run-1',
    tenant: 'prod-us',
    trigger: 'schedule',
    dryRun: false,
    startedAt: '2026-11-28T12:00:00.000Z',
    finishedAt: '2026-11-28T12:00:01.000Z',
    durationMs: 1_000,
    counts: {
      scanned: jobs.length,
      stale: jobs.length,
      cancelled: 1,
      wouldCancel: 1,
      alreadyFinished: 1,
      notFound: 1,
      protected: 1,
      deferred: 1,
      failed: 1,
    },
    truncated: false,
    jobs,
    ...extra,
  };
}

const run = { tenant: 'prod-us', runId: 'qj-run-1', trigger: 'schedule', dryRun: false };

describe('resultEvents', () => {
  it('sends one event per cancelled, would-cancel and failed job, and only those', () => {
    const events = resultEvents(report(OUTCOMES.map((outcome) => jobReport(outcome))));

    expect(events.map((e) => e.detailType)).toEqual([
      RESULT_DETAIL_TYPES.cancelled,
      RESULT_DETAIL_TYPES.wouldCancel,
      RESULT_DETAIL_TYPES.failed,
      RESULT_DETAIL_TYPES.swept,
    ]);
    expect(events[0]?.detail).toEqual({
      ...run,
      jobId: 'job-cancelled',
      owner: 'alice',
      status: 'in_progress',
      ageSeconds: 10_800,
      queryHash: 'f980f8391d4b',
      reason: 'because cancelled',
    });
  });

  it('gives a failed job its status and error, null when unknown', () => {
    const [withBoth, without] = resultEvents(
      report([
        jobReport('failed', { httpStatus: 503, error: 'DELETE … failed with HTTP 503' }),
        jobReport('failed', { id: 'job-2', reason: undefined }),
      ]),
    );

    expect(withBoth?.detail).toMatchObject({
      httpStatus: 503,
      error: 'DELETE … failed with HTTP 503',
    });
    expect(without?.detail).toMatchObject({ httpStatus: null, error: null, reason: null });
  });

  it('puts warnings after the jobs and the summary last, with capacity as measured', () => {
    const capacity = {
      LIVE: {
        limits: { running: 5, queued: 10 },
        before: { running: 5, queued: 10 },
        after: { running: 4, queued: 10 },
      },
    } as unknown as Report['capacity'];
    const warned = {
      id: 'job-w',
      status: 'accepted',
      ageSeconds: 5_400,
      createdBy: null,
      queryHash: null,
      eligibleAt: '2026-11-28T12:30:00.000Z',
      reason: 'stale in 30m',
    };

    const measured = resultEvents(report([jobReport('cancelled')], { capacity }), [warned], {
      lease: 'held',
    });
    const summary = measured.at(-1)?.detail;

    expect(measured.map((e) => e.detailType)).toEqual([
      RESULT_DETAIL_TYPES.cancelled,
      RESULT_DETAIL_TYPES.warned,
      RESULT_DETAIL_TYPES.swept,
    ]);
    expect(measured[1]?.detail).toEqual({
      ...run,
      jobId: 'job-w',
      owner: null,
      status: 'accepted',
      ageSeconds: 5_400,
      queryHash: null,
      reason: 'stale in 30m',
      eligibleAt: '2026-11-28T12:30:00.000Z',
    });
    expect(summary).toMatchObject({
      ...run,
      warnings: 1,
      truncated: false,
      capacity,
      lease: 'held',
    });
    // A run that did not measure it (a cancel run lists nothing) says it does not know.
    expect(resultEvents(report([])).at(-1)?.detail).toHaveProperty('capacity', 'unknown');
  });
});
