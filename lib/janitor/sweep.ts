/**
 * The sweep: list `accepted` and `in_progress` jobs for each entity, plan, then re-read each
 * planned job and cancel it only if it is still eligible.
 *
 * Zuora's list has no cursor and shows the newest jobs first, so a full page may hide older
 * stuck jobs. Cancelled jobs leave the status filter, so after cancelling from a full page the
 * sweep lists again, until a page is not full, the cap is spent or the deadline nears. A run
 * that still ends on a full page is marked `truncated`.
 */

import { formatDuration } from '../contract/duration.ts';
import { DEFAULT_PAGE_SIZE } from '../zuora/client.ts';
import { CANCELLABLE_STATUSES, type CancellableStatus } from '../zuora/model.ts';
import { blindSpot, countSlots, type SlotsBySource, slotsAfter } from './capacity.ts';
import { cancelIfEligible } from './decide.ts';
import { planSweep } from './plan.ts';
import { type WarningWindow, warningDue } from './policy.ts';
import type { KnownCapacity } from './pressure.ts';
import type { Report } from './report.ts';
import { describeError, type EntityJob, type JanitorDeps, Run, type RunOptions } from './run.ts';

/** Rounds of re-listing at most: a guard, since each round must cancel something to continue. */
const MAX_ROUNDS = 50;

interface Source {
  entityId: string | undefined;
  status: CancellableStatus;
}

/** Runs one sweep and returns its report. Throws only if Zuora cannot be listed at all. */
export async function sweep(
  deps: JanitorDeps,
  options: RunOptions & { pageSize?: number },
): Promise<Report> {
  const run = new Run(deps, options);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const handled = new Set<string>();
  let capLeft = run.config.maxCancelsPerRun;
  let capacity: KnownCapacity | undefined;
  /** Jobs that left their slot during the run (cancelled, found finished or gone). */
  const left: EntityJob[] = [];
  let pending: Source[] = run.entities.flatMap((entityId) =>
    CANCELLABLE_STATUSES.map((status) => ({ entityId, status })),
  );

  for (let round = 1; pending.length > 0; round++) {
    const pages: Array<{ source: Source; full: boolean; ids: Set<string> }> = [];
    const listed: EntityJob[] = [];
    let unreadable = 0;
    for (const source of pending) {
      try {
        const page = await run.zuora.listJobs(source.status, {
          entityId: source.entityId,
          pageSize,
        });
        pages.push({ source, full: page.full, ids: new Set(page.jobs.map((job) => job.id)) });
        for (const job of page.jobs) {
          if (!handled.has(job.id.toLowerCase()))
            listed.push({ ...job, entityId: source.entityId });
        }
        unreadable += page.unreadable;
        if (page.unreadable > 0) {
          // Without an id there is nothing to judge, report or cancel. (A job whose status
          // Zuora does not document is kept: the plan holds it as protected.)
          run.log.warn('list entries that are not readable jobs were skipped', {
            entityId: source.entityId,
            status: source.status,
            unreadable: page.unreadable,
          });
        }
      } catch (error) {
        // The first listing is the run: without it there is nothing to report. Later ones only
        // look for jobs hidden behind a full page; failing there leaves the run truncated.
        if (round === 1) throw error;
        run.log.warn('could not list again; older jobs may be hidden', {
          entityId: source.entityId,
          status: source.status,
          error: describeError(error),
        });
        run.report.truncated = true;
      }
    }
    run.report.scanned(listed);
    if (round === 1) capacity = readCapacity(run, listed, pages, unreadable);

    const plan = planSweep(listed, {
      now: run.now(),
      rules: run.rules,
      maxCancels: capLeft,
      dryRun: run.dryRun,
      // Later rounds list again behind a full page, where capacity is never known.
      capacity: round === 1 ? capacity : undefined,
    });
    if (round === 1 && options.warnings) warn(run, plan.fresh, options);
    for (const { job, reason } of plan.protected) {
      run.outcome(job, 'protected', { entityId: job.entityId, reason });
    }
    for (const job of plan.deferred) {
      run.outcome(job, 'deferred', {
        entityId: job.entityId,
        reason: `per-run cancel cap of ${run.config.maxCancelsPerRun} reached`,
      });
    }
    for (const job of [
      ...plan.fresh,
      ...plan.protected.map((held) => held.job),
      ...plan.deferred,
    ]) {
      handled.add(job.id.toLowerCase());
    }

    const cancelled = new Set<string>();
    await run.forEachLimited(plan.toCancel, async (job) => {
      handled.add(job.id.toLowerCase());
      const outcome = await cancelIfEligible(run, {
        listed: job,
        pressure: plan.pressure.get(job.id),
      });
      if (outcome === 'cancelled') cancelled.add(job.id);
      if (LEAVES_SLOT.has(outcome)) left.push(job);
    });
    capLeft -= cancelled.size;

    const full = pages.filter((page) => page.full);
    pending = full
      .filter((page) => [...page.ids].some((id) => cancelled.has(id)))
      .map((page) => page.source);
    const stopping = capLeft <= 0 || run.stopReason() !== undefined || round >= MAX_ROUNDS;
    // A full page we will not list again may hide older stale jobs.
    if (full.length > pending.length || (pending.length > 0 && stopping)) {
      run.report.truncated = true;
    }
    if (stopping) break;
  }
  if (run.report.truncated) {
    run.log.warn('a list page came back full: older stale jobs may be hidden until a later run', {
      pageSize,
    });
  }
  if (capacity) run.report.capacity = reportCapacity(capacity, slotsAfter(capacity.slots, left));
  return run.finish();
}

/** Outcomes after which the job no longer holds a slot. */
const LEAVES_SLOT: ReadonlySet<string> = new Set(['cancelled', 'already-finished', 'not-found']);

/** The tenant's capacity from the first listing, or undefined (reported `unknown`). */
function readCapacity(
  run: Run,
  listed: readonly EntityJob[],
  pages: ReadonlyArray<{ full: boolean }>,
  unreadable: number,
): KnownCapacity | undefined {
  const blind = blindSpot(listed, {
    entityRestricted: run.config.entityIds.length > 0,
    seesAllJobs: run.config.seesAllJobs,
    fullPage: pages.some((page) => page.full),
    unreadable,
  });
  if (blind !== undefined) {
    run.report.capacity = 'unknown';
    run.log.info('capacity unknown', { why: blind });
    return undefined;
  }
  return { limits: run.config.capacityLimits, slots: countSlots(listed) };
}

function reportCapacity(capacity: KnownCapacity, after: SlotsBySource) {
  const { limits, slots } = capacity;
  return {
    LIVE: { limits: { ...limits.LIVE }, before: slots.LIVE, after: after.LIVE },
    WAREHOUSE: { limits: { ...limits.WAREHOUSE }, before: slots.WAREHOUSE, after: after.WAREHOUSE },
  };
}

/** Tells of each fresh job whose warning age falls in this scheduled run's window. */
function warn(run: Run, fresh: readonly EntityJob[], options: RunOptions): void {
  const window = options.warnings as WarningWindow;
  const now = run.now();
  for (const job of fresh) {
    const eligibleAt = warningDue(job, now, run.rules, window);
    if (eligibleAt === undefined) continue;
    const { id, status, ageSeconds, createdBy, queryHash } = run.report.describe(job);
    const at = new Date(eligibleAt).toISOString();
    const threshold = formatDuration(run.rules.staleAfterMs[job.queryStatus as CancellableStatus]);
    const reason = `will be stale at ${at}: ${status} past its threshold of ${threshold}`;
    const warned = {
      id,
      status,
      ageSeconds,
      createdBy,
      queryHash,
      eligibleAt: at,
      reason,
    };
    run.log.info('query job warned', {
      jobId: id,
      ageSeconds,
      createdBy,
      queryHash,
      eligibleAt: at,
      reason,
    });
    options.onWarning?.(warned);
  }
}
