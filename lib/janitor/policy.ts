/**
 * Which jobs the janitor may cancel, and in what order. Pure functions: no I/O, no clock
 * (`now` is passed in), so every rule is testable on its own and by property-based tests.
 *
 * Fail closed: a job the janitor cannot judge is never eligible. A status Zuora does not
 * document, a date it cannot read, an owner or a query it needs for a protect rule and does not
 * have, a pattern that does not finish: each makes the job `protected`, with a reason that says
 * which.
 */
import { formatDuration } from '../contract/duration.ts';
import type { ResolvedPressure } from '../contract/settings.ts';
import { boundedText } from '../contract/text.ts';
import {
  CANCELLABLE_STATUSES,
  type CancellableStatus,
  isQueryStatus,
  type JobStatus,
  MAX_STATUS_TEXT,
  type QueryJob,
} from '../zuora/model.ts';
import type { JobText } from './job-text.ts';
import type { QueryMatcher } from './pattern.ts';
import { parseTimestamp } from './timestamp.ts';

/** The rules a run applies. */
export interface PolicyRules {
  /** Milliseconds after `updatedOn` past which a job in each status is stale. */
  readonly staleAfterMs: Readonly<Record<CancellableStatus, number>>;
  /** Jobs of these users (lower-case) are never cancelled. */
  readonly protectCreatedBy: readonly string[];
  /** Jobs whose query matches are never cancelled. */
  readonly protectQueryPattern?: QueryMatcher | undefined;
  /** When non-empty, only these users' (lower-case) jobs may be cancelled. */
  readonly onlyCreatedBy: readonly string[];
  /** IANA zone for an `updatedOn` that carries no offset. @default 'UTC' */
  readonly timeZone?: string | undefined;
  /** The pressure rule (see `pressure.ts`); off when undefined. */
  readonly pressure?: ResolvedPressure | undefined;
  /**
   * How a reason quotes what Zuora sent about a job: a run scrubs it with its redactor, as it
   * scrubs the job's fields. Without it, a quote is only bounded.
   */
  readonly quote?: JobText | undefined;
}

/** True for `accepted` and `in_progress`, the statuses Zuora lets us cancel. */
export function isCancellableStatus(status: JobStatus): status is CancellableStatus {
  return (CANCELLABLE_STATUSES as readonly string[]).includes(status);
}

/**
 * Why the job's status is not judged, or undefined when Zuora documents it. The janitor does not
 * guess what `Accepted` or `queued` means: such a job is held, whatever its age.
 */
export function unjudgedStatusReason(job: Pick<QueryJob, 'queryStatus'>): string | undefined {
  if (isQueryStatus(job.queryStatus)) return undefined;
  const status = boundedText(job.queryStatus, MAX_STATUS_TEXT);
  return `status "${status}" is not one Zuora documents: not judged`;
}

/** When the job was last updated (epoch milliseconds), or undefined when that cannot be read. */
export function updatedAt(job: Pick<QueryJob, 'updatedOn'>, timeZone?: string): number | undefined {
  return parseTimestamp(job.updatedOn, timeZone);
}

/** Whole seconds since the job was last updated (never negative), or null when unreadable. */
export function ageSeconds(
  job: Pick<QueryJob, 'updatedOn'>,
  now: number,
  timeZone?: string,
): number | null {
  const at = updatedAt(job, timeZone);
  return at === undefined ? null : Math.max(0, Math.floor((now - at) / 1000));
}

/** Why the job's age cannot be known, or undefined when `updatedOn` reads as a date-time. */
export function unreadableDateReason(
  job: Pick<QueryJob, 'updatedOn' | 'query'>,
  rules: Pick<PolicyRules, 'timeZone' | 'quote'> = {},
): string | undefined {
  if (updatedAt(job, rules.timeZone) !== undefined) return undefined;
  if (job.updatedOn === undefined || job.updatedOn === null || job.updatedOn === '') {
    return 'updatedOn is missing: age unknown';
  }
  const quoted = rules.quote?.(job, job.updatedOn, 40) ?? boundedText(job.updatedOn, 40);
  return `updatedOn "${quoted}" is not an ISO 8601 date-time: age unknown`;
}

/** True when the job is cancellable and known to be older than its status's threshold. */
export function isStale(
  job: QueryJob,
  now: number,
  rules: Pick<PolicyRules, 'staleAfterMs' | 'timeZone'>,
): boolean {
  if (!isCancellableStatus(job.queryStatus)) return false;
  const at = updatedAt(job, rules.timeZone);
  return at !== undefined && now - at > rules.staleAfterMs[job.queryStatus];
}

/** Why a stale job is stale, in words: `accepted for 3h10m, over 2h`. */
export function staleReason(job: QueryJob, now: number, rules: PolicyRules): string {
  const at = updatedAt(job, rules.timeZone) ?? now;
  const threshold = isCancellableStatus(job.queryStatus) ? rules.staleAfterMs[job.queryStatus] : 0;
  return `stale: ${job.queryStatus} for ${formatDuration(now - at)}, over ${formatDuration(threshold)}`;
}

/** What an owner rule can compare: a plain id, lower-case; undefined when there is none. */
function ownerOf(job: QueryJob): string | undefined {
  const owner = job.createdBy;
  return owner && /^[\x21-\x7e]{1,256}$/.test(owner) ? owner.toLowerCase() : undefined;
}

/** Why a job is protected once the run has spent its protect-pattern timeouts. */
export const PATTERN_SPENT =
  'protectQueryPattern could not be evaluated: it timed out on too many queries earlier in this run';

/**
 * Why the job must not be cancelled (a protect rule applies, or one cannot be evaluated), or
 * undefined when it may be. User ids compare case-insensitively. The protect pattern is run last,
 * only when no other rule decides.
 */
export function protectionReason(job: QueryJob, rules: PolicyRules): string | undefined {
  const ownerRules = rules.protectCreatedBy.length > 0 || rules.onlyCreatedBy.length > 0;
  const owner = ownerOf(job);
  if (ownerRules && owner === undefined) {
    const rule = rules.protectCreatedBy.length > 0 ? 'protectCreatedBy' : 'onlyCreatedBy';
    return job.createdBy
      ? `createdBy is not a plain id, so ${rule} cannot be checked`
      : `createdBy is missing, so ${rule} cannot be checked`;
  }
  if (owner !== undefined && rules.protectCreatedBy.includes(owner)) {
    return 'createdBy is in protectCreatedBy';
  }
  if (rules.onlyCreatedBy.length > 0 && !rules.onlyCreatedBy.includes(owner as string)) {
    return 'createdBy is not in onlyCreatedBy';
  }
  const pattern = rules.protectQueryPattern;
  if (pattern) {
    if (typeof job.query !== 'string') {
      return 'query is missing, so protectQueryPattern cannot be checked';
    }
    // A run's time for it is bounded: once spent, the pattern is not run again in the run.
    if (pattern.spent) return PATTERN_SPENT;
    const matched = pattern.test(job.query);
    if (matched === undefined) return 'protectQueryPattern did not finish on this query in time';
    if (matched) return 'query matches protectQueryPattern';
  }
  return undefined;
}

/** Orders jobs oldest first (by `updatedOn`), ties broken by id for a stable order. */
export function oldestFirst(timeZone?: string): (a: QueryJob, b: QueryJob) => number {
  const at = (job: QueryJob) => updatedAt(job, timeZone) ?? Number.POSITIVE_INFINITY;
  return (a, b) => at(a) - at(b) || (at(a) === at(b) ? a.id.localeCompare(b.id) : 0);
}

/** The verdict on a job re-read just before cancelling it. */
export type Recheck =
  | { readonly verdict: 'eligible'; readonly reason: string }
  | { readonly verdict: 'already-finished'; readonly reason: string }
  | { readonly verdict: 'protected'; readonly reason: string }
  | { readonly verdict: 'no-longer-stale'; readonly reason: string }
  | { readonly verdict: 'not-yet-accepted'; readonly reason: string };

/**
 * Decides, from a freshly read job, whether it may be cancelled now. `requireStale` is true for
 * sweeps and false for jobs named in a cancel request (cancelled whatever their age, but never
 * when their date cannot be read). A job the pressure rule chose is held to the threshold it was
 * chosen by (`pressure`), and keeps the reason it was chosen for. A job still `submitted` has not
 * finished, only not started: it is left for a later run or a redrive, never reported finished.
 */
export function recheck(
  job: QueryJob,
  options: {
    now: number;
    rules: PolicyRules;
    requireStale: boolean;
    pressure?: { readonly thresholdMs: number; readonly reason: string } | undefined;
  },
): Recheck {
  const { now, rules, pressure } = options;
  const unjudged = unjudgedStatusReason(job);
  if (unjudged) return { verdict: 'protected', reason: unjudged };
  if (job.queryStatus === 'submitted') {
    // Not finished: Zuora refuses the cancel until it accepts the job, so it is left for later.
    return {
      verdict: 'not-yet-accepted',
      reason: 'submitted when read before the cancel: Zuora has not accepted it yet; ask again',
    };
  }
  if (!isCancellableStatus(job.queryStatus)) {
    return {
      verdict: 'already-finished',
      reason: `${job.queryStatus} when read before the cancel`,
    };
  }
  const unreadable = unreadableDateReason(job, rules);
  if (unreadable) return { verdict: 'protected', reason: unreadable };
  const reason = protectionReason(job, rules);
  if (reason) return { verdict: 'protected', reason };
  if (options.requireStale) {
    const old = pressure
      ? now - (updatedAt(job, rules.timeZone) as number) > pressure.thresholdMs
      : isStale(job, now, rules);
    if (!old) {
      return { verdict: 'no-longer-stale', reason: 'updated since it was listed: no longer stale' };
    }
  }
  return {
    verdict: 'eligible',
    reason: !options.requireStale
      ? 'requested'
      : (pressure?.reason ?? staleReason(job, now, rules)),
  };
}

/** A scheduled run's window for warnings: the period that ends at its scheduled time. */
export interface WarningWindow {
  /** When the schedule meant this run to start (its own time, not the clock's). */
  readonly scheduledAt: number;
  readonly periodMs: number;
  readonly warnBeforeMs: number;
}

/**
 * When a job is due a warning in this run: it is cancellable, judgeable, not protected, not yet
 * stale, and the moment it crosses the warning age (`warnBefore` ahead of its threshold) falls
 * in the run's window `(scheduledAt - period, scheduledAt]`. Windows of a regular schedule do
 * not overlap, so each job is warned once without any state; a skipped run's window is never
 * seen (its jobs are not warned), a late run still uses its own window. Returns when the job
 * becomes eligible, or undefined.
 */
export function warningDue(
  job: QueryJob,
  now: number,
  rules: PolicyRules,
  window: WarningWindow,
): number | undefined {
  if (!isCancellableStatus(job.queryStatus)) return undefined;
  const at = updatedAt(job, rules.timeZone);
  if (at === undefined || isStale(job, now, rules)) return undefined;
  const eligibleAt = at + rules.staleAfterMs[job.queryStatus];
  const crossing = eligibleAt - window.warnBeforeMs;
  const inWindow =
    crossing > window.scheduledAt - window.periodMs && crossing <= window.scheduledAt;
  // Protect rules last: a protect pattern is run only for the few jobs due a warning.
  return inWindow && protectionReason(job, rules) === undefined ? eligibleAt : undefined;
}
