/**
 * What a sweep does with the jobs it listed: the normal rule (stale past a threshold, not
 * protected, oldest first), then the pressure rule for sources whose queue is nearly full, then
 * the per-run cap over both. Pure functions: no I/O, no clock.
 */
import type { QueryJob } from '../zuora/model.ts';
import {
  isCancellableStatus,
  isStale,
  oldestFirst,
  type PolicyRules,
  protectionReason,
  unjudgedStatusReason,
  unreadableDateReason,
} from './policy.ts';
import { choosePressureCancels, type KnownCapacity, type PressureChoice } from './pressure.ts';

/** A job the plan will not cancel, and why. */
export interface Held<J> {
  readonly job: J;
  readonly reason: string;
}

/** What a sweep does with the jobs it listed. */
export interface SweepPlan<J extends QueryJob = QueryJob> {
  /** Not stale (or not cancellable), and not chosen under pressure: counted as scanned only. */
  readonly fresh: J[];
  /** Stale but protected, or not judgeable (a status Zuora does not document): never cancelled. */
  readonly protected: Held<J>[];
  /** Eligible, within the cap: stale ones oldest first, then those chosen under pressure. */
  readonly toCancel: J[];
  /** Eligible but over the cap. */
  readonly deferred: J[];
  /** The jobs (by id) the pressure rule chose, with the threshold and reason it chose them by. */
  readonly pressure: ReadonlyMap<string, PressureChoice>;
}

/**
 * Splits listed jobs into fresh, protected (including those it cannot judge), to-cancel (at most
 * `maxCancels` unless `dryRun`, which shows everything it would cancel) and deferred. `capacity`
 * is what the listing showed of the tenant's capacity, when it could see it all; without it the
 * pressure rule does not act.
 */
export function planSweep<J extends QueryJob>(
  jobs: readonly J[],
  options: {
    now: number;
    rules: PolicyRules;
    maxCancels: number;
    dryRun: boolean;
    capacity?: KnownCapacity | undefined;
  },
): SweepPlan<J> {
  const { now, rules } = options;
  const seen = new Set<string>();
  const fresh: J[] = [];
  const protectedJobs: Held<J>[] = [];
  const eligible: J[] = [];
  for (const job of jobs) {
    // Ids are UUIDs: the same job whatever the case of its hex digits.
    const id = job.id.toLowerCase();
    if (seen.has(id)) continue;
    seen.add(id);
    // Before age: a status the janitor does not know is held whatever the job's age.
    const unjudged = unjudgedStatusReason(job);
    if (unjudged) {
      protectedJobs.push({ job, reason: unjudged });
      continue;
    }
    if (!isCancellableStatus(job.queryStatus)) {
      fresh.push(job);
      continue;
    }
    const unreadable = unreadableDateReason(job, rules);
    if (unreadable) {
      protectedJobs.push({ job, reason: unreadable });
      continue;
    }
    if (!isStale(job, now, rules)) {
      fresh.push(job);
      continue;
    }
    const reason = protectionReason(job, rules);
    if (reason) protectedJobs.push({ job, reason });
    else eligible.push(job);
  }
  eligible.sort(oldestFirst(rules.timeZone));
  const chosen = choosePressureCancels(fresh, eligible, {
    now,
    rules,
    capacity: options.capacity,
  });
  const pressure = new Map(chosen.map(({ job, choice }) => [job.id, choice]));
  const all = [...eligible, ...chosen.map(({ job }) => job)];
  const cap = options.dryRun ? all.length : Math.max(0, options.maxCancels);
  return {
    fresh: pressure.size === 0 ? fresh : fresh.filter((job) => !pressure.has(job.id)),
    protected: protectedJobs,
    toCancel: all.slice(0, cap),
    deferred: all.slice(cap),
    pressure,
  };
}
