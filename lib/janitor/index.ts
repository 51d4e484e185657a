/**
 * The janitor's entry points for hosts (Lambda handlers, the CLI, the demo): sweep, cancel by
 * id, and list for a look at the tenant.
 */
import { DEFAULT_PAGE_SIZE } from '../zuora/client.ts';
import { CANCELLABLE_STATUSES } from '../zuora/model.ts';
import { cancelJobs } from './cancel.ts';
import { ageSeconds, isStale, oldestFirst, protectionReason } from './policy.ts';
import { queryHash, type Report } from './report.ts';
import { type JanitorDeps, Run, type RunOptions } from './run.ts';
import { sweep } from './sweep.ts';

export type { JobReport, Outcome, Report, ReportCounts, Trigger } from './report.ts';
export type { JanitorDeps, RunOptions } from './run.ts';
export { describeError, newRunId } from './run.ts';

/** A job as `query-janitor list` shows it. */
export interface ListedJob {
  id: string;
  entityId: string | null;
  status: string;
  updatedOn: string;
  ageSeconds: number;
  createdBy: string | null;
  queryHash: string | null;
  stale: boolean;
  protected: string | null;
}

/** The output of `query-janitor list`. */
export interface JobListing {
  runId: string;
  jobs: ListedJob[];
  /** A page came back full: older jobs may exist that are not shown. */
  truncated: boolean;
}

/** The janitor bound to its long-lived dependencies. */
export interface Janitor {
  /** Lists, plans and cancels stale jobs. */
  sweep(options: RunOptions): Promise<Report>;
  /** Cancels the named jobs if still cancellable and not protected. */
  cancel(jobIds: readonly string[], options: RunOptions): Promise<Report>;
  /** Lists `accepted` and `in_progress` jobs with their age and verdict; changes nothing. */
  list(options: RunOptions): Promise<JobListing>;
}

/** Binds the janitor to its dependencies. */
export function createJanitor(deps: JanitorDeps): Janitor {
  return {
    sweep: (options) => sweep(deps, options),
    cancel: (jobIds, options) => cancelJobs(deps, jobIds, options),
    list: (options) => list(deps, options),
  };
}

async function list(deps: JanitorDeps, options: RunOptions): Promise<JobListing> {
  const run = new Run(deps, options);
  const jobs: ListedJob[] = [];
  let truncated = false;
  for (const entityId of run.entities) {
    for (const status of CANCELLABLE_STATUSES) {
      const page = await run.client(entityId).listJobs(status, DEFAULT_PAGE_SIZE);
      truncated ||= page.full;
      const now = run.now();
      for (const job of page.jobs.sort(oldestFirst)) {
        jobs.push({
          id: job.id,
          entityId: entityId ?? null,
          status: job.queryStatus,
          updatedOn: job.updatedOn,
          ageSeconds: ageSeconds(job, now),
          createdBy: job.createdBy ?? null,
          queryHash: queryHash(job.query),
          stale: isStale(job, now, run.rules),
          protected: protectionReason(job, run.rules) ?? null,
        });
      }
    }
  }
  return { runId: run.runId, jobs, truncated };
}
