/**
 * The pressure rule and the capacity it reads, by example and by property: it never cancels
 * more than restores the headroom, never a protected job, never one younger than its pressure
 * threshold, and never acts with the headroom free or the capacity unknown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPACITY_SOURCES, type CapacitySource } from '../../lib/contract/limits.ts';
import type { ResolvedPressure } from '../../lib/contract/settings.ts';
import {
  blindSpot,
  countSlots,
  type SlotsBySource,
  slotsAfter,
} from '../../lib/janitor/capacity.ts';
import { planSweep } from '../../lib/janitor/plan.ts';
import { type PolicyRules, recheck } from '../../lib/janitor/policy.ts';
import { pressureThresholdMs, wasRetried } from '../../lib/janitor/pressure.ts';
import { QUERY_STATUSES, type QueryJob } from '../../lib/zuora/model.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LIMITS: SlotsBySource = {
  LIVE: { running: 5, queued: 10 },
  WAREHOUSE: { running: 15, queued: 30 },
};
const PRESSURE: ResolvedPressure = {
  headroom: 2,
  staleAfterMs: 30 * MINUTE,
  retriedStaleAfterMs: 10 * MINUTE,
  retriesStart: 3,
};
const rules: PolicyRules = {
  staleAfterMs: { accepted: 2 * HOUR, in_progress: 2 * HOUR },
  protectCreatedBy: ['svc'],
  onlyCreatedBy: [],
  pressure: PRESSURE,
};

let seq = 0;
function job(fields: Partial<QueryJob> & { ageMinutes: number }): QueryJob {
  const { ageMinutes, ...rest } = fields;
  seq++;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    queryStatus: 'accepted',
    updatedOn: new Date(NOW - ageMinutes * MINUTE).toISOString(),
    createdBy: 'alice',
    query: 'select 1',
    sourceData: 'LIVE',
    remainingRetries: 3,
    ...rest,
  };
}

/**
 * A LIVE queue of `queued` waiting jobs (ages 1..queued minutes) behind `running` ones, topped up
 * with young running jobs (2 minutes) to the running limit unless `fill` is false.
 */
function liveQueue(queued: number, running: QueryJob[] = [], fill = true): QueryJob[] {
  const young = fill ? Math.max(0, LIMITS.LIVE.running - running.length) : 0;
  return [
    ...running,
    ...Array.from({ length: young }, () => job({ queryStatus: 'in_progress', ageMinutes: 2 })),
    ...Array.from({ length: queued }, (_, i) => job({ ageMinutes: i + 1 })),
  ];
}

function plan(jobs: QueryJob[], options: { capacity?: boolean; policy?: PolicyRules } = {}) {
  return planSweep(jobs, {
    now: NOW,
    rules: options.policy ?? rules,
    maxCancels: 25,
    dryRun: false,
    capacity: options.capacity === false ? undefined : { limits: LIMITS, slots: countSlots(jobs) },
  });
}

describe('the pressure rule, by example', () => {
  it('frees as many slots as restore the headroom, running jobs first, and says why', () => {
    const stuck = [
      job({ queryStatus: 'in_progress', ageMinutes: 50 }),
      job({ queryStatus: 'in_progress', ageMinutes: 40 }),
      job({ queryStatus: 'in_progress', ageMinutes: 35 }),
    ];
    const waitingLong = job({ ageMinutes: 45 });
    const jobs = [...liveQueue(9, stuck), waitingLong]; // 10 of 10 queued: 2 to free
    const result = plan(jobs);
    expect(result.toCancel.map((j) => j.id)).toEqual([stuck[0]?.id, stuck[1]?.id]);
    expect(result.pressure.get(stuck[0]?.id as string)?.reason).toBe(
      'pressure: LIVE queue 10 of 10, 5 of 5 running, headroom 2; in_progress for 50m, over 30m',
    );
  });

  it('while running is at its limit, takes a running job before an older waiting one', () => {
    const waitingOld = job({ ageMinutes: 60 });
    const stuck = job({ queryStatus: 'in_progress', ageMinutes: 40 });
    // The waiting job comes first in the list: the order must come from the rule, not the input.
    const result = plan([waitingOld, ...liveQueue(8, [stuck])]); // 9 of 10 queued: 1 to free
    expect(result.toCancel.map((j) => j.id)).toEqual([stuck.id]);
  });

  it('takes a job only once it is older than the pressure threshold, not at it', () => {
    const atThreshold = job({ queryStatus: 'in_progress', ageMinutes: 30 });
    const past = job({ queryStatus: 'in_progress', ageMinutes: 30.001 });
    expect(plan(liveQueue(10, [atThreshold])).pressure.size).toBe(0);
    expect([...plan(liveQueue(10, [past])).pressure.keys()]).toEqual([past.id]);
  });

  it('with running slots free, chooses only waiting jobs: a running one holds no queue slot', () => {
    const stuck = job({ queryStatus: 'in_progress', ageMinutes: 50 });
    const waitingLong = [job({ ageMinutes: 45 }), job({ ageMinutes: 40 })];
    const result = plan([...liveQueue(8, [stuck], false), ...waitingLong]); // 1 of 5 running
    expect([...result.pressure.keys()]).toEqual(waitingLong.map((j) => j.id));
  });

  it('takes only a whole remainingRetries below where it starts as evidence of a retry', () => {
    const odd = [-1, -5, 2.5, Number.NaN, 1e308, null].map((remainingRetries) =>
      job({ queryStatus: 'in_progress', ageMinutes: 12, remainingRetries }),
    );
    const result = plan(liveQueue(10, odd));
    expect(result.pressure.size).toBe(0);
  });

  it('counts the normally stale jobs of the source towards the headroom', () => {
    const jobs = [
      ...liveQueue(8),
      job({ ageMinutes: 3 * 60 }), // stale by the normal rule: frees one
      job({ queryStatus: 'in_progress', ageMinutes: 40 }),
      job({ queryStatus: 'in_progress', ageMinutes: 41 }),
    ]; // 9 of 10 queued: 1 to free, already freed by the stale one
    const result = plan(jobs);
    expect(result.toCancel).toHaveLength(1);
    expect(result.pressure.size).toBe(0);
  });

  it('holds a job Zuora has retried to its own, shorter threshold', () => {
    const retried = job({ queryStatus: 'in_progress', ageMinutes: 12, remainingRetries: 1 });
    const fresh = job({ queryStatus: 'in_progress', ageMinutes: 12 });
    const result = plan([...liveQueue(10, [retried, fresh])]);
    expect([...result.pressure.keys()]).toEqual([retried.id]);
    expect(result.pressure.get(retried.id)?.reason).toMatch(
      /over 10m \(retried by Zuora: 1 of 3 retries left\)$/,
    );
  });

  it('does nothing with the headroom free, the capacity unknown, or the rule off', () => {
    const stuck = [job({ queryStatus: 'in_progress', ageMinutes: 50 })];
    expect(plan(liveQueue(8, stuck)).pressure.size).toBe(0);
    expect(plan(liveQueue(10, stuck), { capacity: false }).pressure.size).toBe(0);
    const { pressure: _, ...off } = rules;
    expect(plan(liveQueue(10, stuck), { policy: off }).pressure.size).toBe(0);
  });

  it('treats each source on its own', () => {
    const warehouseStuck = job({
      queryStatus: 'in_progress',
      ageMinutes: 50,
      sourceData: 'WAREHOUSE',
    });
    const liveStuck = job({ queryStatus: 'in_progress', ageMinutes: 50 });
    const result = plan([...liveQueue(10, [liveStuck]), warehouseStuck]);
    expect([...result.pressure.keys()]).toEqual([liveStuck.id]);
  });

  it('re-checks a chosen job against the threshold it was chosen by', () => {
    const choice = { thresholdMs: 30 * MINUTE, reason: 'pressure: …' };
    const older = job({ queryStatus: 'in_progress', ageMinutes: 31 });
    const restarted = job({ queryStatus: 'in_progress', ageMinutes: 2 }); // updated since listed
    const options = { now: NOW, rules, requireStale: true, pressure: choice };
    expect(recheck(older, options)).toEqual({ verdict: 'eligible', reason: 'pressure: …' });
    expect(recheck(restarted, options).verdict).toBe('no-longer-stale');
    expect(recheck({ ...older, createdBy: 'SVC' }, options).verdict).toBe('protected');
  });
});

describe('capacity', () => {
  it('is unknown when the listing cannot see the whole tenant', () => {
    const jobs = [job({ ageMinutes: 1 })];
    const view = { entityRestricted: false, seesAllJobs: true, fullPage: false, unreadable: 0 };
    expect(blindSpot(jobs, view)).toBeUndefined();
    expect(blindSpot(jobs, { ...view, entityRestricted: true })).toMatch(/entityIds/);
    expect(blindSpot(jobs, { ...view, seesAllJobs: false })).toMatch(/own jobs/);
    expect(blindSpot(jobs, { ...view, fullPage: true })).toMatch(/full/);
    expect(blindSpot(jobs, { ...view, unreadable: 1 })).toMatch(/could not be read/);
    // The same job twice (in both lists, or in another case): the counts cannot be right.
    const [first] = jobs as [QueryJob];
    expect(blindSpot([first, { ...first, queryStatus: 'in_progress' }], view)).toMatch(
      /more than once/,
    );
    expect(blindSpot([first, { ...first, id: first.id.toUpperCase() }], view)).toMatch(
      /more than once/,
    );
    expect(blindSpot([job({ ageMinutes: 1, sourceData: 'live' })], view)).toMatch(/source/);
    // `Accepted` or `queued` may hold a slot: the janitor does not guess.
    expect(blindSpot([job({ ageMinutes: 1, queryStatus: 'queued' })], view)).toMatch(
      /status Zuora does not document/,
    );
    // A finished job's source does not matter: it holds no slot.
    expect(
      blindSpot([job({ ageMinutes: 1, queryStatus: 'completed', sourceData: null })], view),
    ).toBeUndefined();
  });

  it('after the run, less the jobs that left their slot', () => {
    const before: SlotsBySource = {
      LIVE: { running: 5, queued: 10 },
      WAREHOUSE: { running: 1, queued: 0 },
    };
    const left = [job({ ageMinutes: 1, queryStatus: 'in_progress' }), job({ ageMinutes: 1 })];
    expect(slotsAfter(before, left)).toEqual({
      LIVE: { running: 4, queued: 9 },
      WAREHOUSE: { running: 1, queued: 0 },
    });
  });
});

describe('the pressure rule, by property', () => {
  const owners = ['alice', 'bob', 'svc'];
  const arbitraryJob = fc.record({
    id: fc.uuid(),
    queryStatus: fc.constantFrom(
      ...QUERY_STATUSES,
      'accepted',
      'in_progress',
      'accepted',
      'in_progress',
    ),
    ageMs: fc.oneof(
      fc.integer({ min: 0, max: 4 * HOUR }),
      fc.constant(undefined), // an unreadable date
    ),
    createdBy: fc.constantFrom(...owners),
    sourceData: fc.constantFrom<CapacitySource>(...CAPACITY_SOURCES),
    remainingRetries: fc.constantFrom(0, 1, 2, 3, null, -1, 2.5),
  });
  const arbitraryCase = fc.record({
    jobs: fc.array(arbitraryJob, { maxLength: 50 }),
    limits: fc.record({
      LIVE: fc.record({
        running: fc.integer({ min: 1, max: 10 }),
        queued: fc.integer({ min: 4, max: 20 }),
      }),
      WAREHOUSE: fc.record({
        running: fc.integer({ min: 1, max: 10 }),
        queued: fc.integer({ min: 4, max: 20 }),
      }),
    }),
    headroom: fc.integer({ min: 1, max: 3 }),
    staleAfterMs: fc.integer({ min: 5 * MINUTE, max: 90 * MINUTE }),
    retriedShare: fc.double({ min: 0.1, max: 1, noNaN: true }),
    retriesStart: fc.integer({ min: 1, max: 3 }),
    protectCreatedBy: fc.subarray(owners),
    normalStaleAfterMs: fc.integer({ min: 91 * MINUTE, max: 3 * HOUR }),
    knownCapacity: fc.boolean(),
  });

  it('frees exactly what restores the headroom, never a protected or too young job', () => {
    fc.assert(
      fc.property(arbitraryCase, (c) => {
        const jobs: QueryJob[] = c.jobs.map((j) => ({
          id: j.id,
          queryStatus: j.queryStatus,
          updatedOn: j.ageMs === undefined ? 'yesterday' : new Date(NOW - j.ageMs).toISOString(),
          createdBy: j.createdBy,
          query: 'select 1',
          sourceData: j.sourceData,
          remainingRetries: j.remainingRetries,
        }));
        const pressure: ResolvedPressure = {
          headroom: c.headroom,
          staleAfterMs: c.staleAfterMs,
          retriedStaleAfterMs: Math.max(5 * MINUTE, Math.floor(c.staleAfterMs * c.retriedShare)),
          retriesStart: c.retriesStart,
        };
        const policy: PolicyRules = {
          staleAfterMs: { accepted: c.normalStaleAfterMs, in_progress: c.normalStaleAfterMs },
          protectCreatedBy: c.protectCreatedBy,
          onlyCreatedBy: [],
          pressure,
        };
        const unique = [...new Map(jobs.map((j) => [j.id, j])).values()];
        // The counts, stated independently of the code under test.
        const slots = Object.fromEntries(
          CAPACITY_SOURCES.map((source) => [
            source,
            {
              running: unique.filter(
                (j) => j.sourceData === source && j.queryStatus === 'in_progress',
              ).length,
              queued: unique.filter((j) => j.sourceData === source && j.queryStatus === 'accepted')
                .length,
            },
          ]),
        ) as SlotsBySource;
        expect(countSlots(jobs)).toEqual(slots);

        const result = planSweep(jobs, {
          now: NOW,
          rules: policy,
          maxCancels: 1_000,
          dryRun: false,
          capacity: c.knownCapacity ? { limits: c.limits, slots } : undefined,
        });
        if (!c.knownCapacity) expect(result.pressure.size).toBe(0);

        const age = (j: QueryJob) => NOW - Date.parse(j.updatedOn as string);
        const threshold = (j: QueryJob) =>
          Number.isInteger(j.remainingRetries) &&
          (j.remainingRetries as number) >= 0 &&
          (j.remainingRetries as number) < c.retriesStart
            ? pressure.retriedStaleAfterMs
            : pressure.staleAfterMs;
        const readable = (j: QueryJob) => j.updatedOn !== 'yesterday';
        const isProtected = (j: QueryJob) => c.protectCreatedBy.includes(j.createdBy as string);
        for (const source of CAPACITY_SOURCES) {
          const chosen = result.toCancel.filter(
            (j) => result.pressure.has(j.id) && j.sourceData === source,
          );
          const normal = result.toCancel.filter(
            (j) => !result.pressure.has(j.id) && j.sourceData === source,
          );
          const free = c.limits[source].queued - slots[source].queued;
          const needed = Math.max(0, c.headroom - Math.max(0, free) - normal.length);
          const runningHelps = slots[source].running >= c.limits[source].running;
          const candidates = unique.filter(
            (j) =>
              j.sourceData === source &&
              (j.queryStatus === 'accepted' || (j.queryStatus === 'in_progress' && runningHelps)) &&
              readable(j) &&
              !isProtected(j) &&
              age(j) <= c.normalStaleAfterMs &&
              age(j) > threshold(j),
          );
          if (free >= c.headroom || !c.knownCapacity) expect(chosen).toEqual([]);
          expect(chosen.length).toBe(c.knownCapacity ? Math.min(needed, candidates.length) : 0);
          for (const j of chosen) {
            expect(isProtected(j)).toBe(false);
            expect(readable(j) && age(j) > threshold(j)).toBe(true);
          }
          // Jobs that run go before jobs that wait.
          if (chosen.some((j) => j.queryStatus === 'accepted')) {
            const running = candidates.filter((j) => j.queryStatus === 'in_progress');
            expect(running.every((j) => result.pressure.has(j.id))).toBe(true);
          }
        }
        // Every listed job still lands in exactly one bucket.
        expect(
          result.fresh.length +
            result.protected.length +
            result.toCancel.length +
            result.deferred.length,
        ).toBe(unique.length);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('wasRetried and the thresholds it picks', () => {
  it.each([
    [0, true],
    [1, true],
    [2, true],
    [3, false],
    [-1, false],
    [1.5, false],
    [undefined, false],
    [null, false],
  ])('remainingRetries %s is a retry: %s', (remainingRetries, retried) => {
    const candidate = { remainingRetries } as Pick<QueryJob, 'remainingRetries'>;

    expect(wasRetried(candidate, PRESSURE)).toBe(retried);
    expect(pressureThresholdMs(candidate, PRESSURE)).toBe(
      retried ? PRESSURE.retriedStaleAfterMs : PRESSURE.staleAfterMs,
    );
  });
});
