/**
 * The result events of a run, built from its report: one `Query Jobs Swept` summary, and one
 * event per job cancelled, that would be cancelled, whose cancel failed, or that was warned.
 * `protected`, `deferred`, `already-finished` and `not-found` appear in the summary's counts
 * only. Never query text or secrets: only what the report already holds (bounded, scrubbed).
 */
import { RESULT_DETAIL_TYPES } from '../contract/names.ts';
import type { JobReport, Report } from './report.ts';
import type { WarnedJob } from './run.ts';

/** One event for the janitor's bus. */
export interface ResultEvent {
  readonly detailType: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

const PER_JOB: Partial<Record<JobReport['outcome'], string>> = {
  cancelled: RESULT_DETAIL_TYPES.cancelled,
  'would-cancel': RESULT_DETAIL_TYPES.wouldCancel,
  failed: RESULT_DETAIL_TYPES.failed,
};

/** The run's events: the per-job ones first, then the summary. */
export function resultEvents(
  report: Report,
  warnings: readonly WarnedJob[] = [],
  extra: Readonly<Record<string, unknown>> = {},
): ResultEvent[] {
  const run = {
    tenant: report.tenant,
    runId: report.runId,
    trigger: report.trigger,
    dryRun: report.dryRun,
  };
  const events: ResultEvent[] = [];
  // What every per-job event says about its job.
  const about = (job: {
    id: string;
    createdBy: string | null;
    status: string | null;
    ageSeconds: number | null;
    queryHash: string | null;
  }) => ({
    ...run,
    jobId: job.id,
    owner: job.createdBy,
    status: job.status,
    ageSeconds: job.ageSeconds,
    queryHash: job.queryHash,
  });
  for (const job of report.jobs) {
    const detailType = PER_JOB[job.outcome];
    if (!detailType) continue;
    events.push({
      detailType,
      detail: {
        ...about(job),
        reason: job.reason ?? null,
        ...(job.outcome === 'failed'
          ? { httpStatus: job.httpStatus ?? null, error: job.error ?? null }
          : {}),
      },
    });
  }
  for (const job of warnings) {
    events.push({
      detailType: RESULT_DETAIL_TYPES.warned,
      detail: { ...about(job), reason: job.reason, eligibleAt: job.eligibleAt },
    });
  }
  events.push({
    detailType: RESULT_DETAIL_TYPES.swept,
    detail: {
      ...run,
      counts: report.counts,
      warnings: warnings.length,
      truncated: report.truncated,
      // A cancel run lists nothing, so it cannot know the tenant's capacity: it says so.
      capacity: report.capacity ?? 'unknown',
      durationMs: report.durationMs,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      ...extra,
    },
  });
  return events;
}
