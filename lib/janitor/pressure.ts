/**
 * The pressure rule: when a source's queue is nearly full, free it before the normal threshold.
 * Pure functions: no I/O, no clock.
 *
 * A stuck job holds a slot until Zuora gives up on it: an attempt ends after an hour and is
 * retried up to three times, and each retry moves `updatedOn`, so a job stuck in its retries
 * may never look older than an hour to the normal rule. When a source has fewer free queue slots
 * than the headroom, jobs past the shorter pressure threshold become eligible (a job Zuora has
 * already retried may have its own, shorter one): as few as restore the headroom, counting the
 * normally stale jobs of that source the run cancels anyway. While running is at its limit, jobs
 * that run go first, oldest first, then jobs that wait: running jobs hold the slots the queue
 * waits for, and cancelling a waiting job only changes whose query is turned away. With running
 * slots free, a running job holds no queue slot, so only waiting jobs are chosen. Protect rules always apply. Without
 * a known capacity, or with the headroom free, the rule does nothing.
 */
import { formatDuration } from '../contract/duration.ts';
import { CAPACITY_SOURCES, type CapacitySource } from '../contract/limits.ts';
import type { ResolvedPressure } from '../contract/settings.ts';
import type { QueryJob } from '../zuora/model.ts';
import { freeQueueSlots, type SlotsBySource, sourceOf } from './capacity.ts';
import { oldestFirst, type PolicyRules, protectionReason, updatedAt } from './policy.ts';

/** What the listing says about capacity: the limits and the counts, both per source. */
export interface KnownCapacity {
  readonly limits: SlotsBySource;
  readonly slots: SlotsBySource;
}

/** A job the rule chose: the threshold it was chosen by (re-checked before the cancel) and why. */
export interface PressureChoice {
  readonly thresholdMs: number;
  readonly reason: string;
}

/**
 * Whether Zuora has already timed the job out at least once: `remainingRetries` is a whole
 * number below where it starts. Anything else (missing, negative, fractional) is not evidence,
 * and the job keeps the longer threshold.
 */
export function wasRetried(
  job: Pick<QueryJob, 'remainingRetries'>,
  pressure: ResolvedPressure,
): boolean {
  const left = job.remainingRetries;
  return (
    Number.isInteger(left) && (left as number) >= 0 && (left as number) < pressure.retriesStart
  );
}

/** The age past which the rule may choose the job. */
export function pressureThresholdMs(
  job: Pick<QueryJob, 'remainingRetries'>,
  pressure: ResolvedPressure,
): number {
  return wasRetried(job, pressure) ? pressure.retriedStaleAfterMs : pressure.staleAfterMs;
}

/** How many queue slots each source needs freed to have `headroom` free (0 when it has). */
export function slotsNeeded(
  capacity: KnownCapacity,
  headroom: number,
): Record<CapacitySource, number> {
  const needed = { LIVE: 0, WAREHOUSE: 0 };
  for (const source of CAPACITY_SOURCES) {
    const free = freeQueueSlots(capacity.slots[source], capacity.limits[source]);
    needed[source] = Math.max(0, headroom - free);
  }
  return needed;
}

/**
 * Chooses, among jobs the normal rule leaves alone (`fresh`), the ones to cancel under pressure,
 * in the order they should go. `eligible` are the jobs the normal rule already picked: each
 * frees a slot of its source, so fewer are needed.
 */
export function choosePressureCancels<J extends QueryJob>(
  fresh: readonly J[],
  eligible: readonly QueryJob[],
  options: { now: number; rules: PolicyRules; capacity: KnownCapacity | undefined },
): Array<{ job: J; choice: PressureChoice }> {
  const { now, rules, capacity } = options;
  const pressure = rules.pressure;
  if (pressure === undefined || capacity === undefined) return [];
  const needed = slotsNeeded(capacity, pressure.headroom);
  for (const job of eligible) {
    const source = sourceOf(job);
    if (source !== undefined) needed[source] = Math.max(0, needed[source] - 1);
  }
  const chosen: Array<{ job: J; choice: PressureChoice }> = [];
  for (const source of CAPACITY_SOURCES) {
    if (needed[source] === 0) continue;
    // A running job frees a queue slot only when running is at its limit: then a waiting job
    // takes its place. With running slots free, only waiting jobs hold the queue.
    const runningHelps = capacity.slots[source].running >= capacity.limits[source].running;
    const candidates = fresh
      .filter((job) => sourceOf(job) === source)
      .filter((job) =>
        job.queryStatus === 'in_progress' ? runningHelps : job.queryStatus === 'accepted',
      )
      .filter((job) => {
        const at = updatedAt(job, rules.timeZone);
        return at !== undefined && now - at > pressureThresholdMs(job, pressure);
      })
      .filter((job) => protectionReason(job, rules) === undefined)
      .sort(runningFirst(rules.timeZone))
      .slice(0, needed[source]);
    const { slots, limits } = capacity;
    const why =
      `pressure: ${source} queue ${slots[source].queued} of ${limits[source].queued}, ` +
      `${slots[source].running} of ${limits[source].running} running, headroom ${pressure.headroom}`;
    for (const job of candidates) {
      const thresholdMs = pressureThresholdMs(job, pressure);
      const age = formatDuration(now - (updatedAt(job, rules.timeZone) as number));
      const retried = wasRetried(job, pressure)
        ? ` (retried by Zuora: ${job.remainingRetries} of ${pressure.retriesStart} retries left)`
        : '';
      chosen.push({
        job,
        choice: {
          thresholdMs,
          reason: `${why}; ${job.queryStatus} for ${age}, over ${formatDuration(thresholdMs)}${retried}`,
        },
      });
    }
  }
  return chosen;
}

/** Running jobs before waiting ones, each oldest first. */
function runningFirst(timeZone?: string): (a: QueryJob, b: QueryJob) => number {
  const oldest = oldestFirst(timeZone);
  const rank = (job: QueryJob) => (job.queryStatus === 'in_progress' ? 0 : 1);
  return (a, b) => rank(a) - rank(b) || oldest(a, b);
}
