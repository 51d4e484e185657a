/**
 * The janitor's entry points for hosts (Lambda handlers, the CLI, the demo): sweep, cancel by
 * id, and list for a look at the tenant.
 */
import { cancelJobs } from './cancel.ts';
import { type JobListing, listJobs } from './list.ts';
import type { Report } from './report.ts';
import type { JanitorDeps, RunOptions } from './run.ts';
import { sweep } from './sweep.ts';

export type { JobListing, ListingEntry } from './list.ts';
export type { JobReport, Outcome, Report, ReportCounts, Trigger } from './report.ts';
export { isRetryableFailure, unfinishedWork } from './report.ts';
export type { ResultEvent } from './results.ts';
export { resultEvents } from './results.ts';
export type { JanitorDeps, RunOptions, WarnedJob } from './run.ts';
export { describeError, newRunId } from './run.ts';

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
    list: (options) => listJobs(deps, options),
  };
}
