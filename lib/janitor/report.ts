/**
 * The run report: the functions' return value and the CLI's `--json` output. Counts are derived
 * from the job entries, so they always add up: `stale` equals the sum of the outcome counts.
 */
import { createHash } from 'node:crypto';
import { type JobStatus, MAX_STATUS_TEXT, type QueryJob } from '../zuora/model.ts';
import type { Capacity } from './capacity.ts';
import { type JobText, jobText } from './job-text.ts';
import { ageSeconds } from './policy.ts';

/** What happened to one stale or requested job. */
export type Outcome =
  | 'cancelled'
  | 'would-cancel'
  | 'already-finished'
  | 'not-found'
  | 'protected'
  | 'deferred'
  | 'failed';

/** What started the run. */
export type Trigger = 'schedule' | 'sweep-event' | 'cancel-event' | 'cli';

/**
 * One job in the report. Fields Zuora did not tell us (a job not found) are null; what it did
 * tell is bounded and scrubbed (see `job-text.ts`).
 */
export interface JobReport {
  id: string;
  /** As Zuora sent it: one of the six it documents, or (bounded, scrubbed) text it does not. */
  status: JobStatus | null;
  updatedOn: string | null;
  ageSeconds: number | null;
  createdBy: string | null;
  queryHash: string | null;
  outcome: Outcome;
  /** Why, in words a person can act on: which rule, which threshold, the cap, the deadline. */
  reason?: string;
  httpStatus?: number;
  error?: string;
}

/** What may accompany an outcome. */
export interface OutcomeDetails {
  reason?: string | undefined;
  httpStatus?: number | undefined;
  error?: string | undefined;
}

/** Outcome counters, plus `scanned` (every job listed) and `stale` (every job in `jobs`). */
export interface ReportCounts {
  scanned: number;
  stale: number;
  cancelled: number;
  wouldCancel: number;
  alreadyFinished: number;
  notFound: number;
  protected: number;
  deferred: number;
  failed: number;
}

/** A run's report. */
export interface Report {
  runId: string;
  /** The tenant the run worked on. */
  tenant: string;
  trigger: Trigger;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: ReportCounts;
  /** A list page came back full at the end: older jobs may be hidden. */
  truncated: boolean;
  /**
   * The tenant's Data Query capacity per source, before and after the run (sweeps only), or
   * `unknown` when the listing could not see the whole tenant.
   */
  capacity?: Capacity;
  jobs: JobReport[];
}

const COUNT_OF: Record<Outcome, Exclude<keyof ReportCounts, 'scanned' | 'stale'>> = {
  cancelled: 'cancelled',
  'would-cancel': 'wouldCancel',
  'already-finished': 'alreadyFinished',
  'not-found': 'notFound',
  protected: 'protected',
  deferred: 'deferred',
  failed: 'failed',
};

/** First 12 hex characters of the query's SHA-256: identifies a query without revealing it. */
export function queryHash(query: string | null | undefined): string | null {
  if (typeof query !== 'string') return null;
  return createHash('sha256').update(query).digest('hex').slice(0, 12);
}

/** Builds a report; each job id gets exactly one outcome (the last recorded wins). */
export class ReportBuilder {
  readonly #jobs = new Map<string, JobReport>();
  readonly #seen = new Set<string>();
  readonly #started: number;
  readonly #now: () => number;
  readonly #timeZone: string | undefined;
  readonly #text: JobText;
  readonly runId: string;
  readonly tenant: string;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  truncated = false;
  /** Set by a sweep once it has listed the tenant. */
  capacity: Capacity | undefined;

  constructor(
    run: { runId: string; tenant: string; trigger: Trigger; dryRun: boolean },
    options: {
      now?: (() => number) | undefined;
      timeZone?: string | undefined;
      /** How job fields are scrubbed: the run's redactor. Without it, a fresh one. */
      text?: JobText | undefined;
    } = {},
  ) {
    const { runId, tenant, trigger, dryRun } = run;
    this.runId = runId;
    this.tenant = tenant;
    this.trigger = trigger;
    this.dryRun = dryRun;
    const now = options.now ?? Date.now;
    this.#now = now;
    this.#timeZone = options.timeZone;
    this.#text = options.text ?? jobText();
    this.#started = now();
  }

  /** Counts jobs as scanned (each id once, however often it is listed). */
  scanned(jobs: readonly Pick<QueryJob, 'id'>[]): void {
    for (const job of jobs) this.#seen.add(job.id.toLowerCase());
  }

  /** Records the outcome of a job we know (from a list or a read). */
  record(job: QueryJob, outcome: Outcome, extra: OutcomeDetails = {}): JobReport {
    return this.#put({ ...this.describe(job), outcome }, extra, job);
  }

  /** How a job appears in reports, listings, logs and events (without an outcome). */
  describe(job: QueryJob): Omit<JobReport, 'outcome' | 'status'> & { status: string } {
    // What Zuora sent is bounded and scrubbed before it is kept: these strings reach logs and
    // events, and a field can hold a token, a secret or a query as well as a date or an id.
    const text = (value: string | null | undefined, max: number) =>
      typeof value === 'string' ? this.#text(job, value, max) : null;
    return {
      id: job.id,
      status: this.#text(job, job.queryStatus, MAX_STATUS_TEXT),
      updatedOn: text(job.updatedOn, 40),
      ageSeconds: ageSeconds(job, this.#now(), this.#timeZone),
      createdBy: text(job.createdBy, 64),
      queryHash: queryHash(job.query),
    };
  }

  /** Records the outcome of a job known only by id (never read: not found, failed, deferred). */
  recordId(id: string, outcome: Outcome, extra: OutcomeDetails = {}): JobReport {
    const entry: JobReport = {
      id,
      status: null,
      updatedOn: null,
      ageSeconds: null,
      createdBy: null,
      queryHash: null,
      outcome,
    };
    return this.#put(entry, extra);
  }

  /**
   * A reason about `job` made safe to print. Reasons are our words, but may quote what Zuora sent
   * (a date it could not read, a status): they are scrubbed like the job's fields.
   */
  reason(job: Pick<QueryJob, 'query'>, reason: string): string {
    return this.#text(job, reason, 300);
  }

  #put(entry: JobReport, extra: OutcomeDetails, job: Pick<QueryJob, 'query'> = {}) {
    if (extra.reason !== undefined) entry.reason = this.reason(job, extra.reason);
    if (extra.httpStatus !== undefined) entry.httpStatus = extra.httpStatus;
    if (extra.error !== undefined) entry.error = extra.error;
    this.#jobs.set(entry.id.toLowerCase(), entry);
    return entry;
  }

  /** Finishes the report now. */
  finish(): Report {
    const finished = this.#now();
    const jobs = [...this.#jobs.values()];
    const counts: ReportCounts = {
      scanned: this.#seen.size,
      stale: jobs.length,
      cancelled: 0,
      wouldCancel: 0,
      alreadyFinished: 0,
      notFound: 0,
      protected: 0,
      deferred: 0,
      failed: 0,
    };
    for (const job of jobs) counts[COUNT_OF[job.outcome]]++;
    return {
      runId: this.runId,
      tenant: this.tenant,
      trigger: this.trigger,
      dryRun: this.dryRun,
      startedAt: new Date(this.#started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - this.#started,
      counts,
      truncated: this.truncated,
      ...(this.capacity === undefined ? {} : { capacity: this.capacity }),
      jobs,
    };
  }
}

/**
 * True when a failure could succeed if the request were sent again: Zuora throttling or server
 * errors, a network fault, an unreadable response, rejected credentials (fixed by ops), a
 * redirect (something between the janitor and Zuora, not the job). A 403, or a 400 other than
 * "already finished", would fail again.
 */
export function isRetryableFailure(job: Pick<JobReport, 'outcome' | 'httpStatus'>): boolean {
  if (job.outcome !== 'failed') return false;
  const status = job.httpStatus;
  if (status === undefined || status === 401 || status === 429 || status >= 500) return true;
  return status >= 300 && status < 400;
}

/**
 * What a cancel request left undone that sending it again could finish: jobs `deferred`, and
 * `failed` ones with a retryable cause. A sentence with the report's counts, or undefined when
 * nothing is left.
 */
export function unfinishedWork(report: Report): string | undefined {
  const retryable = report.jobs.filter(isRetryableFailure).length;
  const { counts } = report;
  if (counts.deferred === 0 && retryable === 0) return undefined;
  const parts = [
    `requested ${counts.stale}`,
    `cancelled ${counts.cancelled}`,
    `would cancel ${counts.wouldCancel}`,
    `already finished ${counts.alreadyFinished}`,
    `not found ${counts.notFound}`,
    `protected ${counts.protected}`,
    `deferred ${counts.deferred}`,
    `failed ${counts.failed} (${retryable} retryable)`,
  ];
  return `run ${report.runId} left work undone: ${parts.join(', ')}`;
}
