/** `query-janitor list`: the tenant's running jobs with their age and verdict; changes nothing. */

import { boundedText } from '../contract/text.ts';
import { DEFAULT_PAGE_SIZE } from '../zuora/client.ts';
import { CANCELLABLE_STATUSES, MAX_STATUS_TEXT } from '../zuora/model.ts';
import {
  ageSeconds,
  isStale,
  oldestFirst,
  protectionReason,
  unjudgedStatusReason,
  unreadableDateReason,
} from './policy.ts';
import { queryHash } from './report.ts';
import { type JanitorDeps, Run, type RunOptions } from './run.ts';

/** One job in a listing. */
export interface ListingEntry {
  id: string;
  entityId: string | null;
  status: string;
  updatedOn: string | null;
  ageSeconds: number | null;
  createdBy: string | null;
  queryHash: string | null;
  stale: boolean;
  protected: string | null;
}

/** The output of `query-janitor list`. */
export interface JobListing {
  runId: string;
  tenant: string;
  jobs: ListingEntry[];
  /** A page came back full: older jobs may exist that are not shown. */
  truncated: boolean;
}

/** Lists `accepted` and `in_progress` jobs in every entity, oldest first within each. */
export async function listJobs(deps: JanitorDeps, options: RunOptions): Promise<JobListing> {
  const run = new Run(deps, options);
  const jobs: ListingEntry[] = [];
  let truncated = false;
  for (const entityId of run.entities) {
    for (const status of CANCELLABLE_STATUSES) {
      const page = await run.zuora.listJobs(status, { entityId, pageSize: DEFAULT_PAGE_SIZE });
      truncated ||= page.full;
      const now = run.now();
      for (const job of page.jobs.sort(oldestFirst(run.rules.timeZone))) {
        // Why the sweep would hold the job, in the order it asks: status, then date, then rules.
        const held =
          unjudgedStatusReason(job) ??
          unreadableDateReason(job, run.rules.timeZone) ??
          protectionReason(job, run.rules);
        jobs.push({
          id: job.id,
          entityId: entityId ?? null,
          status: boundedText(job.queryStatus, MAX_STATUS_TEXT),
          updatedOn: typeof job.updatedOn === 'string' ? boundedText(job.updatedOn, 40) : null,
          ageSeconds: ageSeconds(job, now, run.rules.timeZone),
          createdBy: typeof job.createdBy === 'string' ? boundedText(job.createdBy, 64) : null,
          queryHash: queryHash(job.query),
          stale: isStale(job, now, run.rules),
          protected: held ?? null,
        });
      }
    }
  }
  return { runId: run.runId, tenant: run.config.name, jobs, truncated };
}
