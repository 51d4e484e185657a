/**
 * A tenant's Data Query capacity as the listing shows it: per source (`LIVE`, `WAREHOUSE`), how
 * many jobs run (`in_progress`) and wait (`accepted`) against Zuora's limits. Pure functions.
 *
 * Capacity is only as good as the listing: a client that sees only its own jobs, a sweep
 * restricted to some entities, a full page, an entry that cannot be read, or a job whose status
 * or source is not one Zuora documents each hide jobs, and then capacity is `unknown`, never a
 * guess.
 * An undercount would only make the pressure rule act less, but a report must not claim what
 * the janitor did not see.
 */
import { CAPACITY_SOURCES, type CapacitySource } from '../contract/limits.ts';
import { isQueryStatus, type QueryJob } from '../zuora/model.ts';

/** Jobs running (`in_progress`) and queued (`accepted`) at once. */
export interface Slots {
  running: number;
  queued: number;
}

/** Slots per source. */
export type SlotsBySource = Record<CapacitySource, Slots>;

/** One source's capacity in a report. */
export interface SourceCapacity {
  limits: Slots;
  /** As listed at the start of the run. */
  before: Slots;
  /** As the janitor left it: before, less the jobs it cancelled or found finished or gone. */
  after: Slots;
}

/** The report's `capacity`: per source, or `unknown` when the listing cannot see it all. */
export type Capacity = Record<CapacitySource, SourceCapacity> | 'unknown';

/** What a listing showed, for judging whether it saw the whole tenant. */
export interface ListingView {
  /** The sweep is restricted to some entities. */
  readonly entityRestricted: boolean;
  /** The client sees every job of the tenant (configured). */
  readonly seesAllJobs: boolean;
  /** A page came back full: older jobs may be hidden. */
  readonly fullPage: boolean;
  /** Entries that were not readable jobs. */
  readonly unreadable: number;
}

/** The source a job runs against, or undefined when it is not one Zuora documents. */
export function sourceOf(job: Pick<QueryJob, 'sourceData'>): CapacitySource | undefined {
  return (CAPACITY_SOURCES as readonly unknown[]).includes(job.sourceData)
    ? (job.sourceData as CapacitySource)
    : undefined;
}

/** Zero slots for every source. */
export function emptySlots(): SlotsBySource {
  return { LIVE: { running: 0, queued: 0 }, WAREHOUSE: { running: 0, queued: 0 } };
}

/**
 * Why the listing cannot show the tenant's capacity, or undefined when it can. `jobs` are the
 * listed jobs (any status).
 */
export function blindSpot(jobs: readonly QueryJob[], view: ListingView): string | undefined {
  if (view.entityRestricted) return 'the sweep is restricted to entityIds';
  if (!view.seesAllJobs) return 'the client sees only its own jobs (seesAllJobs is false)';
  if (view.fullPage) return 'a list page came back full';
  if (view.unreadable > 0) return 'some list entries could not be read';
  // `Accepted` or `queued` may well hold a slot: the counts would be a guess.
  if (jobs.some((job) => !isQueryStatus(job.queryStatus))) {
    return 'a job has a status Zuora does not document';
  }
  const holding = jobs.filter(counts);
  if (holding.some((job) => sourceOf(job) === undefined)) {
    return 'a job runs against a source Zuora does not document';
  }
  // One job in both lists (it started between them), or twice in one: the counts cannot be right.
  if (new Set(holding.map((job) => job.id.toLowerCase())).size < holding.length) {
    return 'a job was listed more than once';
  }
  return undefined;
}

/** Counts running and queued jobs per source (each id once; other statuses do not count). */
export function countSlots(jobs: readonly QueryJob[]): SlotsBySource {
  const slots = emptySlots();
  const seen = new Set<string>();
  for (const job of jobs) {
    const source = sourceOf(job);
    const id = job.id.toLowerCase();
    if (seen.has(id) || source === undefined || !counts(job)) continue;
    seen.add(id);
    if (job.queryStatus === 'in_progress') slots[source].running++;
    else slots[source].queued++;
  }
  return slots;
}

/** `before` less the jobs that left the slots (cancelled, or found finished or gone). */
export function slotsAfter(before: SlotsBySource, left: readonly QueryJob[]): SlotsBySource {
  const after = countSlots([]);
  const gone = countSlots(left);
  for (const source of CAPACITY_SOURCES) {
    after[source].running = Math.max(0, before[source].running - gone[source].running);
    after[source].queued = Math.max(0, before[source].queued - gone[source].queued);
  }
  return after;
}

/** Free queue slots of a source: submissions fail once there are none. */
export function freeQueueSlots(slots: Slots, limits: Slots): number {
  return Math.max(0, limits.queued - slots.queued);
}

function counts(job: QueryJob): boolean {
  return job.queryStatus === 'accepted' || job.queryStatus === 'in_progress';
}
