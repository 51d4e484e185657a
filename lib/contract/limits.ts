/** The janitor's numeric limits and defaults, shared by validation, runtime and construct. */

/** Shortest stale-after threshold accepted: younger jobs are too likely still wanted. */
export const MIN_STALE_AFTER_MS = 5 * 60_000;
/** Stale-after threshold when none is configured. */
export const DEFAULT_STALE_AFTER_MS = 2 * 3_600_000;

/** Cancels in flight at once: Zuora's tenant-wide request concurrency is shared with everyone. */
export const CONCURRENCY = { min: 1, max: 10, default: 4 } as const;
/** Cancels per run, oldest first; the rest are deferred to the next run. */
export const MAX_CANCELS_PER_RUN = { min: 1, max: 10_000, default: 25 } as const;

/** Most job ids one cancel request may name. */
export const MAX_JOB_IDS = 100;
/** Longest free-text reason a cancel request may carry. */
export const MAX_REASON_LENGTH = 256;

/** How often each tenant is swept unless its configuration says otherwise. */
export const DEFAULT_SCHEDULE = 'rate(15 minutes)';
/** The zone an `updatedOn` without an offset is read in, unless the tenant says otherwise. */
export const DEFAULT_TIME_ZONE = 'UTC';
/** The tenant of a deployment configured without a file (environment variables only). */
export const DEFAULT_TENANT = 'default';

/** Where a Data Query runs (a job's `sourceData`): Zuora counts capacity per source. */
export const CAPACITY_SOURCES = ['LIVE', 'WAREHOUSE'] as const;
/** A Data Query source. */
export type CapacitySource = (typeof CAPACITY_SOURCES)[number];

/**
 * Zuora's published Data Query capacity per tenant, across all entities: jobs `in_progress`
 * (running) and `accepted` (queued) at once. New submissions fail while the queue is full.
 */
export const ZUORA_CAPACITY: Readonly<
  Record<CapacitySource, { readonly running: number; readonly queued: number }>
> = {
  LIVE: { running: 5, queued: 10 },
  WAREHOUSE: { running: 15, queued: 30 },
};

/** Free queue slots the pressure rule keeps, when configured. */
export const PRESSURE_HEADROOM = { min: 1, max: 100 } as const;
/** `remainingRetries` of a job Zuora has never timed out (it counts down from here). */
export const RETRIES_START = { min: 1, max: 10, default: 3 } as const;
