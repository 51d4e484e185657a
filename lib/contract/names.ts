/**
 * Names that the functions, the CLI and the CDK construct must agree on: the service, the
 * events and the metrics. Constants only, so `infra/` can import them without runtime code.
 */

/** Powertools service name: the `service` dimension of every metric and a key of every log. */
export const SERVICE_NAME = 'query-janitor';

/** Default `source` of the command events. */
export const DEFAULT_EVENT_SOURCE = 'query-janitor';
/** What a deployment's `eventSource` may be. */
export const EVENT_SOURCE_PATTERN = /^[\w.-]{1,128}$/;

/** `detail-type` of the on-demand sweep command. */
export const SWEEP_DETAIL_TYPE = 'Sweep Query Jobs';
/** `detail-type` of the cancel-by-id command. */
export const CANCEL_DETAIL_TYPE = 'Cancel Query Jobs';

/** The events the janitor publishes on its bus: what it did, never query text or secrets. */
export const RESULT_DETAIL_TYPES = {
  /** Every run, sweep or cancel: counts, truncation, duration, capacity. */
  swept: 'Query Jobs Swept',
  /** A job the run cancelled. */
  cancelled: 'Query Job Cancelled',
  /** A job a dry run would have cancelled. */
  wouldCancel: 'Query Job Would Be Cancelled',
  /** A job whose cancel failed. */
  failed: 'Query Job Cancel Failed',
  /** A job that crossed the warning age: it becomes eligible for cancelling soon. */
  warned: 'Query Job Will Be Cancelled',
} as const;

/** Metric emitted for each report count (EMF, namespace set by the deployment). */
export const COUNT_METRICS = {
  scanned: 'JobsScanned',
  stale: 'JobsStale',
  cancelled: 'JobsCancelled',
  wouldCancel: 'JobsWouldCancel',
  alreadyFinished: 'JobsAlreadyFinished',
  notFound: 'JobsNotFound',
  protected: 'JobsProtected',
  deferred: 'JobsDeferred',
  failed: 'JobsFailed',
} as const;

/** 1 when a run ended on a full list page (older stale jobs may be hidden), else 0. */
export const TRUNCATED_METRIC = 'RunTruncated';
/** How long a run took, in milliseconds. */
export const DURATION_METRIC = 'RunDuration';
/** 1 for a run that failed as a whole (no report): Zuora or the secret out of reach. */
export const FAILED_RUN_METRIC = 'RunFailed';
/**
 * 1 for each sweep that finished with a report, per tenant (the one metric with a `tenant`
 * dimension: every dimension set is a billed metric, and this one is what a per-tenant "has not
 * run" alarm needs).
 */
export const SWEEP_SUCCEEDED_METRIC = 'SweepSucceeded';
/** 1 for a sweep skipped because another sweep of the same tenant held the lease. */
export const SKIPPED_RUN_METRIC = 'RunSkipped';
/** Result events that could not be published (what was cancelled is unchanged). */
export const UNPUBLISHED_EVENTS_METRIC = 'ResultEventsUnpublished';

/**
 * A tenant's Data Query capacity as each sweep found it, per `source` (`LIVE`, `WAREHOUSE`), with
 * no `tenant` dimension: four metrics for the whole fleet whatever its size. Their `Maximum` is
 * the fullest tenant's; the run's summary event and log record carry each tenant's own.
 */
export const CAPACITY_METRICS = {
  running: 'JobsRunning',
  queued: 'JobsQueued',
} as const;
