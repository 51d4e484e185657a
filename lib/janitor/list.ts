/** `query-janitor list`: the tenant's running jobs with their age and verdict; changes nothing. */

import { DEFAULT_PAGE_SIZE } from '../zuora/client.ts';
import { CANCELLABLE_STATUSES } from '../zuora/model.ts';
import {
  isStale,
  oldestFirst,
  protectionReason,
  unjudgedStatusReason,
  unreadableDateReason,
} from './policy.ts';
import { type JanitorDeps, Run, type RunOptions } from './run.ts';

/** One job in a listing: what Zuora sent is bounded and scrubbed, as in a report. */
export interface ListingEntry {
  id: string;
  entityId: string | null;
  status: string;
  updatedOn: string | null;
  ageSeconds: number | null;
  createdBy: string | null;
  queryHash: string | null;
  stale: boolean;
  /** Why a stale job (or one that cannot be dated) will not be cancelled; null otherwise. */
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
        const { id, status, updatedOn, ageSeconds, createdBy, queryHash } =
          run.report.describe(job);
        const stale = isStale(job, now, run.rules);
        // Why the sweep would hold the job, in the order it asks: status, then date, then the
        // protect rules, which matter only to a job old enough to cancel (a fresh one is not
        // worth the time a protect pattern may take).
        const reason =
          unjudgedStatusReason(job) ??
          unreadableDateReason(job, run.rules) ??
          (stale ? protectionReason(job, run.rules) : undefined);
        jobs.push({
          id,
          entityId: entityId ?? null,
          status,
          updatedOn,
          ageSeconds,
          createdBy,
          queryHash,
          stale,
          protected: reason === undefined ? null : run.report.reason(job, reason),
        });
      }
    }
  }
  return { runId: run.runId, tenant: run.config.name, jobs, truncated };
}
