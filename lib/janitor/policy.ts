/**
 * Which jobs the janitor may cancel, and in what order. Pure functions: no I/O, no clock
 * (`now` is passed in), so every rule is testable on its own and by property-based tests.
 */
import {
  CANCELLABLE_STATUSES,
  type CancellableStatus,
  type QueryJob,
  type QueryStatus,
} from '../zuora/model.ts';

/** The rules a run applies. */
export interface PolicyRules {
  /** Milliseconds after `updatedOn` past which a job in each status is stale. */
  readonly staleAfterMs: Readonly<Record<CancellableStatus, number>>;
  /** Jobs of these users are never cancelled. */
  readonly protectCreatedBy: readonly string[];
  /** Jobs whose query matches are never cancelled. */
  readonly protectQueryPattern?: RegExp | undefined;
  /** When non-empty, only these users' jobs may be cancelled. */
  readonly onlyCreatedBy: readonly string[];
}

/** True for `accepted` and `in_progress`, the statuses Zuora lets us cancel. */
export function isCancellableStatus(status: QueryStatus): status is CancellableStatus {
  return (CANCELLABLE_STATUSES as readonly string[]).includes(status);
}

/** Whole seconds since the job was last updated (never negative, clock skew aside). */
export function ageSeconds(job: Pick<QueryJob, 'updatedOn'>, now: number): number {
  return Math.max(0, Math.floor((now - Date.parse(job.updatedOn)) / 1000));
}

/** True when the job is cancellable and older than its status's threshold. */
export function isStale(
  job: QueryJob,
  now: number,
  rules: Pick<PolicyRules, 'staleAfterMs'>,
): boolean {
  if (!isCancellableStatus(job.queryStatus)) return false;
  return now - Date.parse(job.updatedOn) > rules.staleAfterMs[job.queryStatus];
}

/** Why the job must not be cancelled, or undefined when no protect rule applies. */
export function protectionReason(job: QueryJob, rules: PolicyRules): string | undefined {
  const owner = job.createdBy ?? '';
  if (rules.protectCreatedBy.includes(owner)) return 'createdBy is protected';
  if (rules.onlyCreatedBy.length > 0 && !rules.onlyCreatedBy.includes(owner)) {
    return 'createdBy is not in JANITOR_ONLY_CREATED_BY';
  }
  if (rules.protectQueryPattern && job.query !== undefined) {
    // A fresh RegExp per test: a /g or /y pattern would otherwise carry lastIndex between jobs.
    const pattern = new RegExp(rules.protectQueryPattern.source, rules.protectQueryPattern.flags);
    if (pattern.test(job.query)) return 'query matches JANITOR_PROTECT_QUERY_PATTERN';
  }
  return undefined;
}

/** Orders jobs oldest first (by `updatedOn`), ties broken by id for a stable order. */
export function oldestFirst(a: QueryJob, b: QueryJob): number {
  return Date.parse(a.updatedOn) - Date.parse(b.updatedOn) || a.id.localeCompare(b.id);
}

/** What a sweep does with the jobs it listed. */
export interface SweepPlan<J extends QueryJob = QueryJob> {
  /** Not stale (or not cancellable): counted as scanned, not listed. */
  readonly fresh: J[];
  /** Stale but protected. */
  readonly protected: J[];
  /** Stale and eligible, oldest first, within the cap. */
  readonly toCancel: J[];
  /** Stale and eligible but over the cap. */
  readonly deferred: J[];
}

/**
 * Splits listed jobs into fresh, protected, to-cancel (oldest first, at most `maxCancels`
 * unless `dryRun`, which shows everything it would cancel) and deferred.
 */
export function planSweep<J extends QueryJob>(
  jobs: readonly J[],
  options: { now: number; rules: PolicyRules; maxCancels: number; dryRun: boolean },
): SweepPlan<J> {
  const seen = new Set<string>();
  const fresh: J[] = [];
  const protectedJobs: J[] = [];
  const eligible: J[] = [];
  for (const job of jobs) {
    if (seen.has(job.id)) continue;
    seen.add(job.id);
    if (!isStale(job, options.now, options.rules)) fresh.push(job);
    else if (protectionReason(job, options.rules)) protectedJobs.push(job);
    else eligible.push(job);
  }
  eligible.sort(oldestFirst);
  const cap = options.dryRun ? eligible.length : Math.max(0, options.maxCancels);
  return {
    fresh,
    protected: protectedJobs,
    toCancel: eligible.slice(0, cap),
    deferred: eligible.slice(cap),
  };
}

/** The verdict on a job re-read just before cancelling it. */
export type Recheck = 'eligible' | 'already-finished' | 'protected' | 'no-longer-stale';

/**
 * Decides, from a freshly read job, whether it may be cancelled now. `requireStale` is true for
 * sweeps and false for jobs named in a cancel request.
 */
export function recheck(
  job: QueryJob,
  options: { now: number; rules: PolicyRules; requireStale: boolean },
): Recheck {
  if (!isCancellableStatus(job.queryStatus)) return 'already-finished';
  if (protectionReason(job, options.rules)) return 'protected';
  if (options.requireStale && !isStale(job, options.now, options.rules)) return 'no-longer-stale';
  return 'eligible';
}
